// One request: its fields, masked phone, timeline, and a small form for each allowed action.

import { call, session } from './api.js';
import { ratingList, unitOptions } from './resident.js';
import {
  LABELS, field, fill, fmtCode, fmtTime, formError, h, loading, page, select, statusBadge, submitting, toast,
  values,
} from './ui.js';

let unitsCache = { user: null, promise: null };

/** The org units this user may see, fetched once per signed-in user. */
export function orgUnits() {
  const user = session.user?.id ?? null;
  if (!unitsCache.promise || unitsCache.user !== user) {
    unitsCache = { user, promise: call('GET', '/org-units') };
    unitsCache.promise.catch(() => { unitsCache.promise = null; });
  }
  return unitsCache.promise;
}

const NOTE_REQUIRED = new Set(['return', 'reopen', 'escalate', 'resolve_on_spot', 'reply']);
const NOTE_LABEL = {
  reply: '答复内容（会告知居民）', resolve_on_spot: '办结情况', return: '退单理由', reopen: '重办理由',
  escalate: '上报说明',
};
const DANGER = new Set(['reject', 'return', 'escalate']);

export function detailView({ params: [id] }) {
  const body = h('div', {}, loading());
  call('GET', `/requests/${id}`)
    .then((d) => render(body, d))
    .catch((err) => body.replaceChildren(h('p', { class: 'form-error' }, err.message)));
  return page('诉求详情', h('p', {}, h('a', { href: '#/staff' }, '← 返回列表')), body);
}

/** Renders the request; `notice` is a server refusal to show above the actions. */
function render(body, d, notice) {
  const sv = LABELS.supervision[d.supervision];
  fill(body,
    h('div', { class: 'result-head' },
      h('span', { class: 'mono big' }, fmtCode(d.case_code)), statusBadge(d.status, d.status_label),
      sv ? h('span', { class: `card-flag flag-${d.supervision}` }, sv) : null),
    h('p', { class: 'desc' }, d.description),
    facts(d),
    actions(body, d, notice),
    h('h2', {}, '办理过程'),
    timeline(d.events || []),
    (d.ratings || []).length ? h('div', {}, h('h2', {}, '居民评价'), ratingList(d.ratings)) : null);
}

function facts(d) {
  const rows = [
    ['类别', d.category_name],
    ['问题所在', d.unit_name],
    ['位置', d.location_text],
    ['来源', LABELS.channel[d.channel] || d.channel],
    ['登记时间', fmtTime(d.registered_at)],
    ['反馈期限', h('span', { class: d.overdue ? 'due overdue' : 'due' },
      d.overdue ? '已超期 · ' : '', fmtTime(d.feedback_due_at))],
    ['首接单位', d.first_unit_name],
    ['承办单位', d.handling_unit_name],
    ['反映人', d.reporter_name],
    ['电话', d.reporter_phone_masked ? phone(d) : null],
    ['办结类型', LABELS.closure[d.closure_type]],
    ['不受理原因', LABELS.reject[d.reject_reason]],
    ['办理轮次', d.cycle > 1 ? `第 ${d.cycle} 轮（居民不满意后重办）` : null],
  ].filter(([, v]) => v);
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function phone(d) {
  const out = h('span', {}, d.reporter_phone_masked, ' ');
  const reason = h('input', {
    id: 'reveal-reason', name: 'reason', required: true, minlength: '2', maxlength: '500',
  });
  const form = h('form', { class: 'form inline', hidden: true },
    field('查看理由（会记录在案）', reason), formError(),
    h('button', { type: 'submit', class: 'btn' }, '查看完整号码'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { reason: reason.value.trim() };
    const res = await submitting(form, () => call('POST', `/requests/${d.id}/reveal-phone`, body));
    if (res) out.replaceChildren(h('a', { href: `tel:${res.phone}`, class: 'tel' }, res.phone));
  });
  const show = h('button', {
    type: 'button', class: 'link',
    onclick: () => { form.hidden = false; show.hidden = true; reason.focus(); },
  }, '查看完整号码');
  out.append(show, form);
  return out;
}

function actions(body, d, notice) {
  const list = d.allowed_actions || [];
  const note = notice ? h('p', { class: 'form-error', role: 'alert' }, notice) : null;
  if (!list.length) return note;
  const panel = h('div', { class: 'action-panel' });
  const buttons = list.map((a) => h('button', {
    type: 'button', class: DANGER.has(a) ? 'btn' : 'btn primary', 'aria-expanded': 'false',
    onclick: (e) => {
      buttons.forEach((b) => b.setAttribute('aria-expanded', String(b === e.currentTarget)));
      panel.replaceChildren(actionForm(a, d, (next, refusal) => {
        if (!refusal) toast(`已${LABELS.action[a] || '提交'}`);
        render(body, next, refusal);
      }));
      panel.querySelector('select, textarea, button[type="submit"]')?.focus();
    },
  }, LABELS.action[a] || a));
  return h('section', { class: 'card' },
    h('h2', {}, '办理'), note, h('div', { class: 'action-row' }, buttons), panel);
}

function noteField(action) {
  const required = NOTE_REQUIRED.has(action);
  return field(NOTE_LABEL[action] || '备注（选填）', h('textarea', {
    id: 'act-note', name: 'note', rows: '3', maxlength: '2000', required,
  }));
}

/** A select of org units, filled once /org-units answers; `options` shapes the units into choices. */
function unitSelect(id, name, label, options) {
  const slot = h('div', {}, loading());
  orgUnits().then((units) => {
    const opts = options(units.filter((u) => u.is_active !== false));
    slot.replaceChildren(opts.length > 1
      ? field(label, select(id, opts, { name, required: true }))
      : h('p', { class: 'form-error' }, `${label}：没有可选的单位`));
  }).catch((err) => slot.replaceChildren(h('p', { class: 'form-error' }, err.message)));
  return slot;
}

const departments = (units) => [{ value: '', label: '请选择' },
  ...units.filter((u) => u.kind === 'department').map((u) => ({ value: u.id, label: u.name }))];

const choices = (labels, keys = Object.keys(labels)) => [
  { value: '', label: '请选择' }, ...keys.map((value) => ({ value, label: labels[value] })),
];

// Inputs each action needs besides the note (see REQUIRED_INPUTS in services/rules/lifecycle.py).
const EXTRA = {
  reject: () => field('不予受理原因',
    select('act-reason', choices(LABELS.reject), { name: 'reject_reason', required: true })),
  reply: () => field('办结类型', select('act-closure',
    choices(LABELS.closure, ['substantive', 'phased', 'procedural']),
    { name: 'closure_type', required: true })),
  dispatch: () => unitSelect('act-unit', 'handling_unit_id', '派给哪个网格或村',
    (units) => unitOptions(units, '（村里办）')),
  transfer: () => [unitSelect('act-dept', 'department_id', '转给哪个职能部门', departments),
    field('要求办结日期（选填）', h('input', { id: 'act-due', name: 'due_date', type: 'date' }))],
};

function actionForm(action, d, onDone) {
  const form = h('form', { class: 'form' },
    h('h3', {}, LABELS.action[action] || action),
    EXTRA[action] ? EXTRA[action]() : null,
    noteField(action),
    formError(),
    h('button', { type: 'submit', class: 'btn primary' }, `确认${LABELS.action[action] || ''}`));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = values(form);
    const cmd = { action, ...v };
    for (const k of ['handling_unit_id', 'department_id']) if (cmd[k]) cmd[k] = Number(cmd[k]);
    if (cmd.due_date) cmd.due_at = `${cmd.due_date}T23:59:59+08:00`;
    delete cmd.due_date;
    await submitting(form, async () => {
      try {
        onDone(await call('POST', `/requests/${d.id}/actions`, cmd));
      } catch (err) {
        if (err.code !== 'invalid_transition') throw err;
        // Someone else moved the request on: show where it is now, and why this action was refused.
        onDone(await call('GET', `/requests/${d.id}`), err.message);
      }
    });
  });
  return form;
}

function statusChange(ev) {
  const moved = ev.from_status && ev.from_status !== ev.to_status;
  return moved ? ` · ${LABELS.status[ev.to_status] || ev.to_status}` : '';
}

function timeline(events) {
  if (!events.length) return h('p', { class: 'muted' }, '暂无记录');
  return h('ol', { class: 'timeline' }, events.map((ev) => h('li', {},
    h('time', {}, fmtTime(ev.at)),
    h('strong', {}, ev.action_label || ev.action, statusChange(ev)),
    h('span', { class: 'muted' }, [ev.actor_name, ev.actor_unit_name].filter(Boolean).join(' · ') || '系统'),
    ev.note ? h('p', { class: 'note' }, ev.note) : null)));
}
