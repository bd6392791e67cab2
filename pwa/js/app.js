// Hash router, app header, offline banner and service-worker registration.

import { logout, session, setHandlers } from './api.js';
import { fill, go, h, toast } from './ui.js';
import { checkView, homeView, reportView } from './resident.js';
import { loginView, passwordView } from './auth.js';
import { listView } from './staff-list.js';
import { detailView } from './staff-detail.js';
import { newRequestView } from './staff-new.js';
import { inboxLink, inboxView } from './inbox.js';
import { turnOffPush } from './push.js';

const ROUTES = [
  [/^\/?$/, homeView],
  [/^\/check$/, checkView],
  [/^\/report$/, reportView],
  [/^\/login$/, loginView],
  [/^\/password$/, passwordView, { staff: true }],
  [/^\/staff$/, listView, { staff: true }],
  [/^\/staff\/new$/, newRequestView, { staff: true }],
  [/^\/staff\/inbox$/, inboxView, { staff: true }],
  [/^\/staff\/r\/([0-9a-f-]{36})$/, detailView, { staff: true }],
];

function parseHash() {
  const [path, qs] = (location.hash.slice(1) || '/').split('?');
  return { path: decodeURIComponent(path), query: new URLSearchParams(qs || '') };
}

function render() {
  const { path, query } = parseHash();
  const main = document.getElementById('app');
  renderHeader();
  for (const [pattern, view, opts] of ROUTES) {
    const m = path.match(pattern);
    if (!m) continue;
    if (opts?.staff && !session.loggedIn) return go('/login');
    if (opts?.staff && session.user?.must_change_password && view !== passwordView) return go('/password');
    main.replaceChildren(view({ params: m.slice(1), query }));
    main.querySelector('h1')?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
    return undefined;
  }
  return go('/');
}

function renderHeader() {
  const bar = document.getElementById('bar-actions');
  const user = session.user;
  if (!session.loggedIn) {
    bar.replaceChildren(h('a', { class: 'bar-link', href: '#/login' }, '工作人员登录'));
    return;
  }
  fill(bar,
    user?.must_change_password ? null : inboxLink(),
    h('a', { class: 'bar-link bar-name', href: '#/staff' }, user?.name || '工作台'),
    h('button', {
      type: 'button', class: 'bar-link',
      onclick: async (e) => {
        e.currentTarget.disabled = true;
        // A shared phone must not keep receiving the previous user's messages.
        await turnOffPush().catch(() => {});
        await logout();
        toast('已退出登录');
        go('/');
      },
    }, '退出'),
  );
}

function watchNetwork() {
  const banner = document.getElementById('offline');
  const update = () => { banner.hidden = navigator.onLine; };
  window.addEventListener('online', update);
  window.addEventListener('offline', update);
  update();
}

setHandlers({
  sessionEnd: () => { toast('登录已过期，请重新登录'); go('/login'); },
  passwordRequired: () => go('/password'),
});
window.addEventListener('hashchange', render);
watchNetwork();
render();

if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => navigator.serviceWorker.register('/sw.js').catch(() => {}));
}
