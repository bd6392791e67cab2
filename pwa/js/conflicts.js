// 住户信息冲突 for grid leaders and the staff above them: a household field changed on a phone and in the
// system since the phone's copy; both values are shown (phones masked) and one is kept, or another typed in.

import { call } from './api.js';
import {
  fill, fmtTime, formError, h, loading, page, showError, toast,
} from './ui.js';

const shown = (v) => (v === null || v === undefined || v === '' ? '（空）' : String(v));

function resolver(c, card) {
  const other = h('input', { id: `conflict-${c.id}-value`, name: 'value', maxlength: '500' });
  const note = h('input', { id: `conflict-${c.id}-note`, name: 'note', maxlength: '500', placeholder: '处理说明（选填）' });
  const form = h('form', { class: 'form' },
    h('label', { for: other.id }, '或填写其他值'), other,
    h('p', { class: 'field-error', id: `${other.id}-err`, role: 'alert' }),
    note, formError());
  const send = async (keep) => {
    const body = { keep, ...(note.value.trim() ? { note: note.value.trim() } : {}) };
    if (keep === 'other') {
      const raw = other.value.trim();
      body.value = c.field_name === 'member_count' && /^\d+$/.test(raw) ? Number(raw) : raw || null;
    }
    form.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      await call('POST', `/households/conflicts/${c.id}/resolve`, body);
      toast(`已处理：${c.head_name} 的${c.field_label}`);
      card.remove();
    } catch (err) {
      showError(form, err);
      form.querySelectorAll('button').forEach((b) => { b.disabled = false; });
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); send('other'); });
  form.append(h('div', { class: 'action-row' },
    h('button', { type: 'button', class: 'btn', onclick: () => send('server') }, '保留系统值'),
    h('button', { type: 'button', class: 'btn', onclick: () => send('client') }, '保留手机值'),
    h('button', { type: 'submit', class: 'btn primary' }, '用填写值')));
  return form;
}

function conflictCard(c) {
  const card = h('li', { class: 'card conflict', 'data-id': c.id });
  fill(card,
    h('div', { class: 'req-top' }, h('span', {}, `${c.head_name} · ${c.field_label}`),
      h('span', { class: 'card-flag reason-wait' }, c.grid_name)),
    h('p', { class: 'req-meta' }, c.address_text),
    h('dl', { class: 'facts' },
      h('dt', {}, '系统的值'), h('dd', { class: 'conflict-server' }, shown(c.server_value)),
      h('dt', {}, '手机的值'), h('dd', { class: 'conflict-client' }, shown(c.client_value)),
      h('dt', {}, '现在'), h('dd', {}, shown(c.current_value)),
      h('dt', {}, '同步'), h('dd', {}, `${c.pushed_by_name || '—'} · ${fmtTime(c.created_at)}`)),
    resolver(c, card));
  return card;
}

/** #/staff/conflicts: the open conflicts of the grids in reach, newest first. */
export function conflictsView() {
  const body = h('div', {}, loading());
  const list = h('ul', { class: 'conflict-list', id: 'conflict-list' });
  call('GET', '/households/conflicts?limit=100').then((res) => {
    fill(list, res.items.map(conflictCard));
    fill(body, res.items.length ? list : h('p', { class: 'muted' }, '没有待处理的住户信息冲突'));
  }).catch((err) => fill(body, h('p', { class: 'form-error' }, err.message)));
  return page('住户信息冲突',
    h('p', { class: 'lead' }, '手机离线时改过、系统里也改过的住户信息：请核实后保留一个值。'),
    h('p', {}, h('a', { href: '#/staff' }, '← 返回诉求列表')),
    body);
}
