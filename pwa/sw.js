// Caches the app shell so the app opens offline. /api/ is never cached: calls always go to the network.
// Shell files are served from the cache at once and refreshed in the background (next open gets them).
// Bump VERSION when the list of shell files changes.

const VERSION = 'bandeng-shell-v1';
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
  '/js/staff-new.js',
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
