// Caches the app shell so the app opens offline. /api/ is never cached: calls always go to the network.
// Shell files are served from the cache at once and refreshed in the background (next open gets them).
// Bump VERSION when the list of shell files changes, or when files must arrive together (a module using
// another's new export): the new worker caches the whole set at once instead of one file per refresh.
// Also shows Web Push messages and opens them on a tap.

const VERSION = 'bandeng-shell-v11';
const SHELL = [
  '/',
  '/app.css',
  '/manifest.webmanifest',
  '/icons/icon.svg',
  '/js/app.js',
  '/js/api.js',
  '/js/ui.js',
  '/js/resident.js',
  '/js/auth.js',
  '/js/staff-list.js',
  '/js/staff-detail.js',
  '/js/callbacks.js',
  '/js/staff-new.js',
  '/js/inbox.js',
  '/js/push.js',
  '/js/store.js',
  '/js/outbox.js',
  '/js/visits.js',
  '/js/photos.js',
  '/js/photo-picker.js',
  '/js/metrics.js',
  '/js/conflicts.js',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(VERSION).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/docs')) return;
  // Every page of the app is the same shell: hash routes never reach the server.
  const key = req.mode === 'navigate' ? '/' : url.pathname;
  event.respondWith(fromCache(event, key));
});

async function fromCache(event, key) {
  const cache = await caches.open(VERSION);
  const cached = await cache.match(key);
  // no-cache: revalidate with the server (a cheap 304) instead of trusting the HTTP cache's guess.
  const fresh = fetch(key, { cache: 'no-cache' }).then((res) => {
    if (res.ok && res.type === 'basic') cache.put(key, res.clone());
    return res;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => {}));
    return cached;
  }
  return fresh;
}

// Web Push: the server sends {title, body, url, tag}; a message with the same tag replaces the last one.
const INBOX = '/#/staff/inbox';

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data.text() };
  }
  event.waitUntil(self.registration.showNotification(data.title || '板凳', {
    body: data.body || '',
    tag: data.tag || undefined,
    renotify: Boolean(data.tag),
    icon: '/icons/icon.svg',
    lang: 'zh-CN',
    data: { url: sameOrigin(data.url) },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openUrl(event.notification.data?.url || INBOX));
});

/** Only this app's own pages open from a message; anything else lands on the inbox. */
function sameOrigin(url) {
  try {
    const target = new URL(url || INBOX, self.location.origin);
    return target.origin === self.location.origin ? target.href : new URL(INBOX, self.location.origin).href;
  } catch {
    return new URL(INBOX, self.location.origin).href;
  }
}

async function openUrl(url) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((c) => new URL(c.url).origin === self.location.origin);
  if (!open) return self.clients.openWindow(url);
  // Focus the app already open (a hash change, no reload); a window that cannot be steered gets a new one.
  try {
    const focused = await open.focus();
    return await focused.navigate(url);
  } catch {
    return self.clients.openWindow(url);
  }
}
