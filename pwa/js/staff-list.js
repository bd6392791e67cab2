// Staff home: the requests I may see, filtered by status chips and "overdue", paged by next_cursor.

import { call } from './api.js';
import { LABELS, fmtCode, fmtTime, go, h, page, statusBadge } from './ui.js';

const PAGE_SIZE = 20;

function chip(label, pressed, onclick) {
  return h('button', { type: 'button', class: 'chip', 'aria-pressed': String(pressed), onclick }, label);
}

function filters(query) {
  const status = query.get('status') || '';
  const overdue = query.get('overdue') === 'true';
  const link = (next) => {
    const p = new URLSearchParams();
    if (next.status) p.set('status', next.status);
    if (next.overdue) p.set('overdue', 'true');
    const qs = p.toString();
    go(qs ? `/staff?${qs}` : '/staff');
  };
  const statuses = [['', '全部'], ...Object.entries(LABELS.status)];
  return h('div', { class: 'chips', role: 'group', 'aria-label': '按状态筛选' },
    statuses.map(([value, label]) => chip(label, status === value, () => link({ status: value, overdue }))),
    chip('超期', overdue, () => link({ status, overdue: !overdue })));
}

export function requestCard(r) {
  const sv = LABELS.supervision[r.supervision];
  return h('li', {}, h('a', { class: `req-card sv-${r.supervision}`, href: `#/staff/r/${r.id}` },
    h('div', { class: 'req-top' },
      h('span', { class: 'mono' }, fmtCode(r.case_code)), statusBadge(r.status, r.status_label)),
    h('div', { class: 'req-meta' }, `${r.category_name} · ${r.unit_name}`),
    h('p', { class: 'req-desc' }, r.description),
    h('div', { class: 'req-foot' },
      h('span', { class: r.overdue ? 'due overdue' : 'due' },
        r.overdue ? '已超期 · ' : '反馈期限 ', fmtTime(r.feedback_due_at)),
      sv ? h('span', { class: `card-flag flag-${r.supervision}` }, sv) : null)));
}

export function listView({ query }) {
  const list = h('ul', { class: 'req-list', 'aria-live': 'polite' });
  const status = h('p', { class: 'muted', role: 'status' }, '加载中…');
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, '加载更多');
  let cursor = null;

  async function load() {
    const p = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (query.get('status')) p.set('status', query.get('status'));
    if (query.get('overdue') === 'true') p.set('overdue', 'true');
    if (cursor) p.set('cursor', cursor);
    more.disabled = true;
    status.textContent = '加载中…';
    try {
      const res = await call('GET', `/requests?${p}`);
      list.append(...res.items.map(requestCard));
      cursor = res.next_cursor;
      status.textContent = list.children.length ? '' : '暂无诉求';
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
  return page('诉求列表',
    h('a', { class: 'btn primary', href: '#/staff/new' }, '＋ 登记诉求'),
    filters(query), list, status, more);
}
