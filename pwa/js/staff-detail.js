// One request: its fields, masked phone, timeline and callbacks, and a small form for each allowed action.

import { call, session } from './api.js';
import { callbackForm, callbackOutcome, callbackRecords, residentMessages } from './callbacks.js';
import { ratingList, unitOptions } from './resident.js';
import {
  LABELS, field, fill, fmtCode, fmtDate, fmtTime, formError, go, h, loading, localDate, page, select, statusBadge,
  submitting, toast, values,
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

const NOTE_REQUIRED = new Set([
  'return', 'reopen', 'escalate', 'resolve_on_spot', 'reply', 'extend', 'take_over', 'supervise', 'whistle',
  'request_extension', 'approve_extension', 'deny_extension',
]);
const NOTE_LABEL = {
  reply: '答复内容（会告知居民）', resolve_on_spot: '办结情况', return: '退单理由', reopen: '重办理由',
  escalate: '上报说明', extend: '延期理由', take_over: '接办说明（会告知原承办单位）',
  supervise: '督办意见（发给承办单位）', whistle: '吹哨说明（告知部门做什么）', report_in: '报到情况（选填）',
  request_extension: '延期理由', approve_extension: '审批意见（会告知申请人）',
  deny_extension: '不同意的理由（会告知申请人）',
};
// Shown at the top of a form whose effect is not obvious from its name.
const HINT = {
  take_over: '接办后由您负责办理，原承办人会收到通知；首接单位仍对诉求负责。',
  whistle: '部门会立即收到通知，须在报到时限内报到。',
  request_extension: '由镇街干部审批；审批前反馈期限不变。',
  deny_extension: '反馈期限不变，承办单位须按原期限反馈。',
};
// What the toast says when the label does not read well after 已.
const DONE = {
  report_in: '已报到', request_extension: '延期申请已提交，等待审批', deny_extension: '已告知不同意延期',
};
// Consequential or negative: an outlined button to open, a red one to confirm.
const DANGER = new Set(['reject', 'return', 'escalate', 'take_over', 'deny_extension']);

const CALLBACKS = '/staff?callbacks=true';

/** #/staff/r/ID; ?callback=1 (from 待回访) opens the callback form at once and goes back to the list after. */
export function detailView({ params: [id], query }) {
  const fromCallbacks = query?.get('callback') === '1';
  const body = h('div', {}, loading());
  call('GET', `/requests/${id}`)
    .then((d) => render(body, d, null, { fromCallbacks }))
    .catch((err) => body.replaceChildren(h('p', { class: 'form-error' }, err.message)));
  const back = fromCallbacks
    ? h('a', { href: `#${CALLBACKS}` }, '← 返回待回访') : h('a', { href: '#/staff' }, '← 返回列表');
  return page('诉求详情', h('p', {}, back), body);
}

/** Renders the request; `notice` is a server refusal to show above the actions. */
function render(body, d, notice, opts = {}) {
  const sv = LABELS.supervision[d.supervision];
  fill(body,
    h('div', { class: 'result-head' },
      h('span', { class: 'mono big' }, fmtCode(d.case_code)), statusBadge(d.status, d.status_label),
      sv ? h('span', { class: `card-flag flag-${d.supervision}` }, sv) : null),
    h('p', { class: 'desc' }, d.description),
    facts(d),
    actions(body, d, notice, opts),
    h('h2', {}, '办理过程'),
    timeline(d.events || []),
    callbackRecords(d.callbacks || [], d.cycle),
    residentMessages(d.resident_messages || []),
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
    ['电话', d.uncallable ? h('span', { class: 'card-flag reason-urgent' }, '无法回访：未留电话') : phone(d)],
    ['短信', d.reporter_sms_opt_out ? '居民不接收短信' : null],
    ['办结类型', LABELS.closure[d.closure_type]],
    ['不受理原因', LABELS.reject[d.reject_reason]],
    ['办理轮次', d.cycle > 1 ? `第 ${d.cycle} 轮（居民不满意后重办）` : null],
    ['吹哨', whistles(d.whistles || [])],
    ['延期申请', extensionText(pendingExtension(d))],
  ].filter(([, v]) => v);
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** Each whistle: the department, its report-in deadline, and whether it has reported in. */
function whistles(list) {
  if (!list.length) return null;
  return h('ul', { class: 'plain whistles' }, list.map((w) => {
    let state = '未报到';
    if (w.reported_at) state = w.late ? `${fmtTime(w.reported_at)} 报到（超时）` : `${fmtTime(w.reported_at)} 已报到`;
    else if (w.late) state = '超时未报到';
    return h('li', {}, `${w.department_name} · 须于 ${fmtTime(w.report_due_at)} 前报到 · `,
      h('span', { class: w.late ? 'due overdue' : null }, state));
  }));
}

const pendingExtension = (d) => (d.extension_requests || []).find((x) => x.state === 'pending');

function extensionText(x) {
  return x ? `申请延期至 ${fmtDate(x.requested_due_at)}（待审批）：${x.reason}` : null;
}

/** The masked phone and its reveal (a reason, audited); `id` keeps two of them on a page apart, `reason` is
 * the one the form starts with, `dial` words the revealed number as a call. */
function phone(d, { id = 'reveal-reason', reason: given = null, dial = false } = {}) {
  const out = h('span', {}, d.reporter_phone_masked, ' ');
  const reason = h('input', {
    id, name: 'reason', required: true, minlength: '2', maxlength: '500', value: given,
  });
  const form = h('form', { class: 'form inline', hidden: true },
    field('查看理由（会记录在案）', reason), formError(),
    h('button', { type: 'submit', class: 'btn' }, '查看完整号码'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { reason: reason.value.trim() };
    const res = await submitting(form, () => call('POST', `/requests/${d.id}/reveal-phone`, body));
    if (res) {
      out.replaceChildren(h('a', { href: `tel:${res.phone}`, class: dial ? 'btn primary tel' : 'tel' },
        dial ? `拨打 ${res.phone}` : res.phone));
    }
  });
  const show = h('button', {
    type: 'button', class: 'link',
    onclick: () => { form.hidden = false; show.hidden = true; reason.focus(); },
  }, dial ? '查看号码并拨打' : '查看完整号码');
  out.append(show, form);
  return out;
}

/** A button for each action the server offers now (回访 first); each opens its form below the buttons. */
function actions(body, d, notice, { fromCallbacks = false } = {}) {
  const offered = d.allowed_actions || [];
  const list = offered.includes('callback') ? ['callback', ...offered.filter((a) => a !== 'callback')] : offered;
  const note = notice ? h('p', { class: 'form-error', role: 'alert' }, notice) : null;
  if (!list.length) return note;
  const panel = h('div', { class: 'action-panel' });
  const open = (a, button) => {
    buttons.forEach((b) => b.setAttribute('aria-expanded', String(b === button)));
    if (a === 'callback') {
      panel.replaceChildren(callbackPanel(body, d, fromCallbacks));
      return;
    }
    panel.replaceChildren(actionForm(a, d, (next, refusal) => {
      if (!refusal) toast(DONE[a] || `已${LABELS.action[a] || '提交'}`);
      render(body, next, refusal);
    }));
    panel.querySelector('select, input, textarea, button[type="submit"]')?.focus();
  };
  const buttons = list.map((a) => h('button', {
    type: 'button', class: DANGER.has(a) ? 'btn' : 'btn primary', 'aria-expanded': 'false',
    onclick: (e) => open(a, e.currentTarget),
  }, LABELS.action[a] || a));
  const section = h('section', { class: 'card' },
    h('h2', {}, '办理'), note, h('div', { class: 'action-row' }, buttons), panel);
  if (fromCallbacks && list[0] === 'callback') {
    open('callback', buttons[0]);
    requestAnimationFrame(() => panel.scrollIntoView({ block: 'start' }));
  }
  return section;
}

/** 回访 on this request; from 待回访 the list comes back after it, with this request gone once reached. */
function callbackPanel(body, d, fromCallbacks) {
  const reply = [...(d.events || [])].reverse().find((ev) => ev.action === 'reply');
  return callbackForm(d, {
    phone: d.reporter_phone_masked ? phone(d, { id: 'cb-reveal-reason', reason: '电话回访', dial: true }) : null,
    reply: reply ? { closure: LABELS.closure[d.closure_type], note: reply.note } : null,
    onDone: (next, sent) => {
      if (!sent.reached) toast('已记录未接通，可稍后再回访');
      else toast(sent.satisfaction === 'unsatisfied' ? '已记录回访，诉求退回重办' : '已记录回访');
      if (fromCallbacks) go(CALLBACKS);
      else render(body, next);
    },
  });
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

const DAY_MS = 24 * 60 * 60 * 1000;

/** A day picked in Shanghai time (sent as its last second); `after`: the earliest is the next day. */
function dueDate(label, { required = false, after = null, hint = null } = {}) {
  const input = h('input', {
    id: 'act-due', name: 'due_at', type: 'date', required,
    min: after ? localDate(Date.parse(after) + DAY_MS) : null, title: after ? '须晚于当前反馈期限' : null,
  });
  return field(label, input, hint);
}

const currentDue = (d) => `当前反馈期限：${fmtTime(d.feedback_due_at)}`;

function reportHours() {
  return field('报到时限（小时）', h('input', {
    id: 'act-hours', name: 'report_within_hours', type: 'number', inputmode: 'numeric', min: '1', max: '72',
    step: '1', value: '4', required: true, title: '1 到 72 之间的整数',
  }), '部门须在这么多小时内报到，1 到 72 小时');
}

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
    dueDate('要求办结日期（选填）')],
  extend: (d) => dueDate('延期至', { required: true, after: d.feedback_due_at, hint: currentDue(d) }),
  whistle: () => [unitSelect('act-dept', 'department_id', '向哪个职能部门吹哨', departments), reportHours()],
  request_extension: (d) => dueDate('申请延期至', { required: true, after: d.feedback_due_at, hint: currentDue(d) }),
  approve_extension: (d) => {
    const asked = pendingExtension(d);
    return dueDate('改定期限（选填）', {
      after: d.feedback_due_at,
      hint: asked ? `不填即按申请的 ${fmtDate(asked.requested_due_at)}` : '不填即按申请的日期',
    });
  },
  deny_extension: (d) => {
    const asked = pendingExtension(d);
    return asked ? h('p', { class: 'hint' }, extensionText(asked)) : null;
  },
};

function actionForm(action, d, onDone) {
  const form = h('form', { class: 'form' },
    h('h3', {}, LABELS.action[action] || action),
    HINT[action] ? h('p', { class: 'hint' }, HINT[action]) : null,
    EXTRA[action] ? EXTRA[action](d) : null,
    noteField(action),
    formError(),
    h('button', { type: 'submit', class: DANGER.has(action) ? 'btn primary danger' : 'btn primary' },
      `确认${LABELS.action[action] || ''}`));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = values(form);
    const cmd = { action, ...v };
    for (const k of ['handling_unit_id', 'department_id', 'report_within_hours']) if (cmd[k]) cmd[k] = Number(cmd[k]);
    // A date input gives a day; the deadline is that day's last second in Shanghai time.
    if (cmd.due_at) cmd.due_at = `${cmd.due_at}T23:59:59+08:00`;
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
    h('strong', {}, ev.action_label || ev.action, ev.action === 'callback' ? callbackOutcome(ev.data) : '',
      statusChange(ev)),
    h('span', { class: 'muted' }, [ev.actor_name, ev.actor_unit_name].filter(Boolean).join(' · ') || '系统'),
    ev.note ? h('p', { class: 'note' }, ev.note) : null)));
}
