// Staff home: the requests I may see — all of them, the town's 督办台, my unit's 待办 or 待回访 — filtered by
// status chips and "overdue", paged by next_cursor. Every filter lives in the hash, so a list can be bookmarked.

import { call, session } from './api.js';
import { LABELS, fmtCode, fmtTime, go, h, page, statusBadge } from './ui.js';

const PAGE_SIZE = 20;
const OPEN = ['registered', 'accepted', 'dispatched', 'in_progress'];
const HANDLERS = new Set(['grid_member', 'grid_leader', 'village_staff', 'town_cadre', 'department_handler']);
const REGISTRARS = new Set(['grid_member', 'grid_leader', 'village_staff', 'town_cadre']);
// Who settles household sync conflicts (services/visibility.CONFLICT_RESOLVERS).
const CONFLICT_RESOLVERS = new Set(['grid_leader', 'village_staff', 'town_cadre']);
// Who calls residents back (services/rules/callbacks.CALLERS).
const CALLERS = new Set(['grid_member', 'grid_leader', 'village_staff', 'town_cadre']);

// The lists a role may switch between. desk and inbox hold open requests only, each with its reasons.
const VIEWS = {
  all: { chip: '全部诉求', title: '诉求列表', empty: '暂无诉求' },
  desk: { chip: '督办台', title: '镇街督办台', empty: '督办台上暂无需要处理的诉求' },
  inbox: { chip: '待办', title: '本单位待办', empty: '本单位暂无待办' },
  callbacks: {
    chip: '待回访', title: '待回访', empty: '暂无待回访的诉求',
    lead: '已答复、还没有回访到居民的诉求，答复早的在前。点开即可回访。',
  },
};

// Reasons that need someone now, those waiting on a decision or an answer, and plain bookkeeping.
const REASON_TONE = {
  escalated: 'urgent', red_card: 'urgent', overdue: 'urgent', whistle_unanswered: 'urgent',
  extension_requested: 'wait', returned: 'wait', whistled: 'wait', to_sign: 'wait',
  handling: 'info',
};

function offeredViews(role) {
  return ['all', role === 'town_cadre' && 'desk', HANDLERS.has(role) && 'inbox', CALLERS.has(role) && 'callbacks']
    .filter(Boolean);
}

/** Department handlers open on 待办: only what was sent to their department reaches them anyway. */
const inboxByDefault = (role) => role === 'department_handler';

/** The list the hash asks for: desk=true, callbacks=true, inbox=true|false (the default depends on the role),
 * else all. */
function viewOf(query, role) {
  const offered = offeredViews(role);
  if (query.get('desk') === 'true' && offered.includes('desk')) return 'desk';
  if (query.get('callbacks') === 'true' && offered.includes('callbacks')) return 'callbacks';
  const inbox = query.has('inbox') ? query.get('inbox') === 'true' : inboxByDefault(role);
  return inbox && offered.includes('inbox') ? 'inbox' : 'all';
}

function hashFor({ view, status, overdue }, role) {
  const p = new URLSearchParams();
  if (view === 'desk') p.set('desk', 'true');
  else if (view === 'callbacks') p.set('callbacks', 'true');
  else if ((view === 'inbox') !== inboxByDefault(role)) p.set('inbox', String(view === 'inbox'));
  if (status) p.set('status', status);
  if (overdue) p.set('overdue', 'true');
  const qs = p.toString();
  return qs ? `/staff?${qs}` : '/staff';
}

function chip(label, pressed, onclick) {
  return h('button', { type: 'button', class: 'chip', 'aria-pressed': String(pressed), onclick }, label);
}

function filters(state, role) {
  const link = (next) => go(hashFor({ ...state, ...next }, role));
  const offered = offeredViews(role);
  // The desk and the inbox hold open requests only: a finished status would always be empty there.
  const statusKeys = state.view === 'all' ? Object.keys(LABELS.status) : OPEN;
  // 待回访 holds answered requests only, waiting for a call: neither status nor overdue applies there.
  const toView = (view) => link(view === 'callbacks' ? { view, status: '', overdue: false } : {
    view, status: view === 'all' || OPEN.includes(state.status) ? state.status : '',
  });
  return [
    offered.length > 1
      ? h('div', { class: 'chips views', role: 'group', 'aria-label': '选择列表' },
        offered.map((view) => chip(VIEWS[view].chip, state.view === view, () => toView(view))))
      : null,
    state.view === 'callbacks'
      ? h('p', { class: 'hint' }, VIEWS.callbacks.lead)
      : h('div', { class: 'chips', role: 'group', 'aria-label': '按状态筛选' },
        [['', '全部'], ...statusKeys.map((k) => [k, LABELS.status[k]])]
          .map(([value, label]) => chip(label, state.status === value, () => link({ status: value }))),
        chip('超期', state.overdue, () => link({ overdue: !state.overdue }))),
  ];
}

/** Why the request is on the desk or in the inbox, as small tags (only those two lists carry reasons). */
function reasonTags(r) {
  const labels = r.reason_labels || [];
  if (!labels.length) return null;
  return h('div', { class: 'req-tags', 'aria-label': '列入原因' }, labels.map((label, i) => h('span', {
    class: `card-flag reason-${REASON_TONE[r.reasons?.[i]] || 'info'}`,
  }, label)));
}

export function requestCard(r) {
  const sv = LABELS.supervision[r.supervision];
  return h('li', {}, h('a', { class: `req-card sv-${r.supervision}`, href: `#/staff/r/${r.id}` },
    h('div', { class: 'req-top' },
      h('span', { class: 'mono' }, fmtCode(r.case_code)), statusBadge(r.status, r.status_label)),
    h('div', { class: 'req-meta' }, `${r.category_name} · ${r.unit_name}`),
    reasonTags(r),
    h('p', { class: 'req-desc' }, r.description),
    h('div', { class: 'req-foot' },
      h('span', { class: r.overdue ? 'due overdue' : 'due' },
        r.overdue ? '已超期 · ' : '反馈期限 ', fmtTime(r.feedback_due_at)),
      sv ? h('span', { class: `card-flag flag-${r.supervision}` }, sv) : null)));
}

export function listView({ query }) {
  const role = session.user?.role;
  const state = {
    view: viewOf(query, role), status: query.get('status') || '', overdue: query.get('overdue') === 'true',
  };
  const list = h('ul', { class: 'req-list', 'aria-live': 'polite' });
  const status = h('p', { class: 'muted', role: 'status' }, '加载中…');
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, '加载更多');
  let cursor = null;

  // 待回访 has its own list (GET /callbacks), each card a callback to make; the others are /requests.
  const calls = state.view === 'callbacks';

  async function load() {
    const p = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (!calls && state.view !== 'all') p.set(state.view, 'true');
    if (!calls && state.status) p.set('status', state.status);
    if (!calls && state.overdue) p.set('overdue', 'true');
    if (cursor) p.set('cursor', cursor);
    more.disabled = true;
    status.textContent = '加载中…';
    try {
      const [res, card] = await Promise.all([
        call('GET', `${calls ? '/callbacks' : '/requests'}?${p}`),
        calls ? import('./callbacks.js').then((m) => m.callbackCard) : requestCard, // staff who call back only
      ]);
      list.append(...res.items.map(card));
      cursor = res.next_cursor;
      status.textContent = list.children.length ? '' : VIEWS[state.view].empty;
      more.hidden = !cursor;
    } catch (err) {
      status.textContent = err.message;
      status.classList.add('form-error');
    } finally {
      more.disabled = false;
    }
  }

  more.addEventListener('click', load);
  load();
  // An old session may not know its role yet: offer registering rather than hide it from those who may.
  const mayRegister = !role || REGISTRARS.has(role);
  const name = session.user?.name;
  return page(VIEWS[state.view].title,
    name ? h('p', { class: 'hint who' }, `当前账号：${name}`) : null, // the bar has no room for it on a phone
    h('div', { class: 'action-row' },
      mayRegister ? h('a', { class: 'btn primary', href: '#/staff/new' }, '＋ 登记诉求') : null,
      HANDLERS.has(role) ? h('a', { class: 'btn', href: '#/staff/metrics' }, '工作指标') : null,
      CONFLICT_RESOLVERS.has(role) ? h('a', { class: 'btn', href: '#/staff/conflicts' }, '住户冲突') : null),
    filters(state, role), list, status, more);
}
