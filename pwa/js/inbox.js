// Staff inbox (消息): the header's unread badge and the list of my notifications, newest first.

import { call, session } from './api.js';
import { LABELS, fmtTime, go, h, page, toast } from './ui.js';
import { pushBox } from './push.js';

const PAGE_SIZE = 20;
const FLAG = {
  sla_warning: 'yellow', sla_breached: 'red', sla_leadership: 'red', calendar_missing: 'info', digest: 'info',
};

// The badge is one element reused across header renders, so a late answer still lands on screen.
const badge = h('span', { class: 'count', hidden: true });
let unread = 0;
let asked = 0;
let owner = null; // whose count the badge shows: another user signing in starts from nothing

function showUnread(n) {
  unread = n;
  badge.textContent = n > 99 ? '99+' : String(n);
  badge.hidden = !(n > 0);
  badge.parentElement?.setAttribute('aria-label', n > 0 ? `消息，${n} 条未读` : '消息');
}

/** The header link to the inbox; asks for the unread count once per navigation (never polls). */
export function inboxLink() {
  const user = session.user?.id ?? null;
  if (owner !== user) {
    owner = user;
    asked += 1;
    showUnread(0);
  }
  const link = h('a', { class: 'bar-link', href: '#/staff/inbox' }, '消息', badge);
  showUnread(unread); // labels the new link
  refreshUnread();
  return link;
}

/** Fails quietly: offline, or before the password is changed, the badge keeps what it showed. */
export async function refreshUnread() {
  if (!session.loggedIn || session.user?.must_change_password || !navigator.onLine) return;
  const mine = ++asked;
  try {
    const res = await call('GET', '/notifications/unread-count');
    if (mine === asked) showUnread(res.unread);
  } catch { /* the page itself reports a real problem */ }
}

function bump(delta) {
  asked += 1; // an answer already on its way is older than this change
  showUnread(Math.max(0, unread + delta));
}

function item(n) {
  const label = LABELS.notice[n.kind];
  const isNew = !n.read_at;
  const href = n.resident_request_id ? `#/staff/r/${n.resident_request_id}` : null;
  const card = h(href ? 'a' : 'button', {
    class: `note-card${isNew ? ' unread' : ''}`, href, type: href ? null : 'button',
    onclick: (e) => { e.preventDefault(); open(card, n); },
  },
  h('div', { class: 'note-top' },
    isNew ? h('span', { class: 'dot', role: 'img', 'aria-label': '未读' }) : null,
    label ? h('span', { class: `card-flag flag-${FLAG[n.kind] || 'info'}` }, label) : null,
    h('time', { datetime: n.created_at }, fmtTime(n.created_at))),
  h('strong', { class: 'note-title' }, n.title),
  h('p', { class: 'note-body' }, n.body));
  return h('li', {}, card);
}

function markShownRead(card) {
  if (!card.classList.contains('unread')) return false;
  card.classList.remove('unread');
  card.querySelector('.dot')?.remove();
  return true;
}

/** Marks the item read (offline: it stays unread on the server), then opens its request if it has one. */
async function open(card, n) {
  if (card.classList.contains('unread')) {
    try {
      await call('POST', `/notifications/${n.id}/read`);
      if (markShownRead(card)) bump(-1);
    } catch (err) {
      if (!n.resident_request_id) toast(err.message);
    }
  }
  if (n.resident_request_id) go(`/staff/r/${n.resident_request_id}`);
}

export function inboxView() {
  const list = h('ul', { class: 'note-list', 'aria-live': 'polite' });
  const status = h('p', { class: 'muted', role: 'status' }, '加载中…');
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, '加载更多');
  const readAll = h('button', { type: 'button', class: 'btn', hidden: true }, '全部标为已读');
  let cursor = null;

  async function load() {
    const p = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cursor) p.set('cursor', cursor);
    more.disabled = true;
    status.textContent = '加载中…';
    status.classList.remove('form-error');
    try {
      const res = await call('GET', `/notifications?${p}`);
      list.append(...res.items.map(item));
      cursor = res.next_cursor;
      status.textContent = list.children.length ? '' : '暂无消息';
      more.hidden = !cursor;
      readAll.hidden = !list.children.length;
    } catch (err) {
      status.textContent = err.message;
      status.classList.add('form-error');
    } finally {
      more.disabled = false;
    }
  }

  readAll.addEventListener('click', async () => {
    readAll.disabled = true;
    try {
      const res = await call('POST', '/notifications/read-all');
      list.querySelectorAll('.note-card.unread').forEach(markShownRead);
      showUnread(0);
      asked += 1;
      toast(res.marked_read ? `已将 ${res.marked_read} 条标为已读` : '没有未读消息');
    } catch (err) {
      toast(err.message);
    } finally {
      readAll.disabled = false;
    }
  });
  more.addEventListener('click', load);
  load();
  return page('消息', pushBox(), h('div', { class: 'toolbar' }, readAll), list, status, more);
}
