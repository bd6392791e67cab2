// Hash router, app header, offline banner and service-worker registration.

import { logout, session, setHandlers } from './api.js';
import { fill, go, h, toast } from './ui.js';
import { checkView, homeView, reportView } from './resident.js';
import { loginView, passwordView } from './auth.js';
import { listView } from './staff-list.js';
import { inboxLink, inboxView } from './inbox.js';
import { turnOffPush } from './push.js';
import {
  canSync, forgetGridData, onChange, startAutoSync, waitingCount,
} from './outbox.js';

/** A request's detail, registering one, grid work and measures load on first use: a resident's phone never
 * downloads them (the service worker keeps them for offline use once installed). */
const lazy = (load, name) => async (ctx) => (await load())[name](ctx);
const visits = () => import('./visits.js');

const ROUTES = [
  [/^\/?$/, homeView],
  [/^\/check$/, checkView],
  [/^\/report$/, reportView],
  [/^\/login$/, loginView],
  [/^\/password$/, passwordView, { staff: true }],
  [/^\/staff$/, listView, { staff: true }],
  [/^\/staff\/new$/, lazy(() => import('./staff-new.js'), 'newRequestView'), { staff: true }],
  [/^\/staff\/inbox$/, inboxView, { staff: true }],
  [/^\/staff\/r\/([0-9a-f-]{36})$/, lazy(() => import('./staff-detail.js'), 'detailView'), { staff: true }],
  [/^\/staff\/visits$/, lazy(visits, 'visitsView'), { staff: true }],
  [/^\/staff\/visits\/new$/, lazy(visits, 'visitFormView'), { staff: true }],
  [/^\/staff\/metrics$/, lazy(() => import('./metrics.js'), 'metricsView'), { staff: true }],
  [/^\/staff\/conflicts$/, lazy(() => import('./conflicts.js'), 'conflictsView'), { staff: true }],
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
    const shown = view({ params: m.slice(1), query });
    if (!(shown instanceof Promise)) return show(main, shown);
    const ticket = ++renders;
    shown.then((el) => ticket === renders && show(main, el))
      .catch((err) => ticket === renders && show(main, h('p', { class: 'form-error' }, `页面未能加载：${err.message}`)));
    return undefined;
  }
  return go('/');
}

let renders = 0; // a screen still loading is dropped when another navigation came after it

function show(main, el) {
  renders += 1;
  main.replaceChildren(el);
  main.querySelector('h1')?.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

// The header's 走访 link shows how many visits wait on this phone: one badge, kept across header renders.
const waitingBadge = h('span', { class: 'count', hidden: true });

async function showWaiting() {
  const n = await waitingCount();
  waitingBadge.textContent = String(n);
  waitingBadge.hidden = n === 0;
  waitingBadge.parentElement?.setAttribute('aria-label', n ? `走访，${n} 条待上传` : '走访');
}
onChange(() => showWaiting().catch(() => {}));

function visitsLink() {
  const link = h('a', { class: 'bar-link', href: '#/staff/visits' }, '走访', waitingBadge);
  showWaiting().catch(() => {});
  return link;
}

// The bar's tabs: which one the current route belongs to (a request's detail and the lists' side screens
// belong to 诉求).
const TABS = [['/staff/visits', 'visits'], ['/staff/inbox', 'inbox'], ['/staff', 'requests']];
const tabOf = (path) => TABS.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1];

function marked(link, current) {
  if (current) link.setAttribute('aria-current', 'page');
  return link;
}

function renderHeader() {
  const bar = document.getElementById('bar-actions');
  const user = session.user;
  if (!session.loggedIn) {
    bar.replaceChildren(h('a', { class: 'bar-link', href: '#/login' }, '工作人员登录'));
    return;
  }
  const working = !user?.must_change_password;
  const tab = tabOf(parseHash().path);
  fill(bar,
    working && canSync() ? marked(visitsLink(), tab === 'visits') : null,
    working ? marked(h('a', { class: 'bar-link', href: '#/staff' }, '诉求'), tab === 'requests') : null,
    working ? marked(inboxLink(), tab === 'inbox') : null,
    user?.name ? h('span', { class: 'bar-name', title: user.name }, user.name) : null,
    h('button', {
      type: 'button', class: 'bar-link',
      onclick: async (e) => {
        e.currentTarget.disabled = true;
        // A shared phone must not keep receiving the previous user's messages.
        await turnOffPush().catch(() => {});
        // Unsent visits stay on the phone under their author and go out at that account's next login.
        const left = await waitingCount();
        if (canSync()) await forgetGridData().catch(() => {});
        await logout();
        toast(left ? `已退出登录；本机还有 ${left} 条走访待上传，该账号再次登录后自动上传` : '已退出登录');
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
startAutoSync();

if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => navigator.serviceWorker.register('/sw.js').catch(() => {}));
}
