// Staff registers a request for a resident (visit, service point, reception, hotline...).

import { call } from './api.js';
import { unitOptions } from './resident.js';
import { orgUnits } from './staff-detail.js';
import {
  LABELS, field, fmtCode, formError, go, h, loading, page, select, smsOptOut, smsOptedOut, submitting, toast, uuid4,
  values,
} from './ui.js';

export function newRequestView() {
  const body = h('div', {}, loading());
  const active = (rows) => rows.filter((r) => r.is_active !== false);
  Promise.all([orgUnits(), call('GET', '/categories')])
    .then(([units, categories]) => body.replaceChildren(form(active(units), active(categories))))
    .catch((err) => body.replaceChildren(h('p', { class: 'form-error' }, err.message)));
  return page('登记诉求', h('p', {}, h('a', { href: '#/staff' }, '← 返回列表')), body);
}

function form(units, categories) {
  // One id per form: a retry after a lost response cannot register the same request twice.
  const id = uuid4();
  const channels = Object.entries(LABELS.channel).map(([value, label]) => ({ value, label }));
  const phone = h('input', {
    id: 'new-phone', name: 'reporter_phone', type: 'tel', inputmode: 'tel', maxlength: '20',
    pattern: '\\+?[0-9 \\-]{7,20}', title: '只填数字，如 13800001234',
  });
  const optOut = smsOptOut('new-sms-off', phone, '居民不接收短信', '勾选后不发登记、答复和评价提醒短信，仍可电话回访');
  const f = h('form', { class: 'form' },
    field('来源', select('new-channel', channels, { name: 'channel', required: true })),
    field('问题所在网格或村', select('new-unit', unitOptions(units, '（全村）'),
      { name: 'unit_id', required: true })),
    field('类别', select('new-cat', [{ value: '', label: '请选择' },
      ...categories.map((c) => ({ value: c.id, label: c.name }))], { name: 'category_id', required: true })),
    field('诉求内容', h('textarea', {
      id: 'new-desc', name: 'description', rows: '5', required: true, minlength: '2', maxlength: '2000',
    })),
    field('大致位置（选填）', h('input', { id: 'new-loc', name: 'location_text', maxlength: '200' })),
    field('反映人称呼（选填）', h('input', { id: 'new-name', name: 'reporter_name', maxlength: '50' })),
    field('反映人电话（选填）', phone, '不留电话也可登记，但无法回访；居民查询进度也要用它'),
    optOut,
    formError(),
    h('button', { type: 'submit', class: 'btn primary' }, '登记'));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = values(f);
    const payload = {
      id, ...v, unit_id: Number(v.unit_id), category_id: Number(v.category_id),
      reporter_sms_opt_out: smsOptedOut(optOut),
    };
    const created = await submitting(f, () => call('POST', '/requests', payload));
    if (!created) return;
    toast(`已登记，案件码 ${fmtCode(created.case_code)}`);
    go(`/staff/r/${created.id}`);
  });
  return f;
}
