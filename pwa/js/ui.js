// Small DOM helpers: every text goes through textContent, never innerHTML.

import { fieldErrors } from './api.js';

/** h('p', {class: 'x', onclick: fn}, 'text', child) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  // Our own Chinese field messages replace the browser's bubbles (whose language follows the browser's UI).
  if (tag === 'form') el.noValidate = true;
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

/** Replaces el's children; null, undefined and false are skipped (replaceChildren would print "null"). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const TZ = 'Asia/Shanghai';
const dateFmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: TZ, year: 'numeric', month: 'long', day: 'numeric',
});
// Parts only (assembled below); en-GB gives plain numbers and a 24-hour clock.
const timeFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: TZ, year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit',
  hourCycle: 'h23',
});

// en-CA writes dates as YYYY-MM-DD, the value of an <input type="date">.
const isoDateFmt = new Intl.DateTimeFormat('en-CA', {
  timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit',
});

export const fmtDate = (iso) => (iso ? dateFmt.format(new Date(iso)) : '—');

/** The Shanghai calendar day of an instant as YYYY-MM-DD (a date input's value). */
export const localDate = (iso) => isoDateFmt.format(new Date(iso));

/** "11月25日 17:05" in local (Shanghai) time; the year only when it is not this year. */
export function fmtTime(iso) {
  if (!iso) return '—';
  const p = Object.fromEntries(timeFmt.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  const year = p.year === String(new Date().getFullYear()) ? '' : `${p.year}年`;
  return `${year}${Number(p.month)}月${Number(p.day)}日 ${p.hour}:${p.minute}`;
}

export const LABELS = {
  channel: {
    visit: '走访', service_point: '一定办好点', reception: '驻点接待', self_report: '居民自报', hotline: '热线',
  },
  reject: { duplicate: '重复诉求', out_of_area: '不属于本辖区', not_our_duty: '不属于职责范围', abusive: '恶意或骚扰' },
  closure: { on_spot: '当场办结', substantive: '实质解决', phased: '阶段性答复', procedural: '程序性答复' },
  rating: { satisfied: '满意', basically_satisfied: '基本满意', unsatisfied: '不满意' },
  resolution: { resolved: '已解决', partly_resolved: '部分解决', unresolved: '未解决' },
  supervision: { normal: '', yellow: '黄牌督办', red: '红牌督办' },
  delivery: { pending: '待发送', sent: '已发送', failed: '发送失败', digested: '已并入每日汇总' },
  notice: {
    sla_warning: '黄牌', sla_breached: '红牌', sla_leadership: '升级督办', calendar_missing: '工作日历',
    digest: '每日汇总', whistle_overdue: '吹哨超时', desk_take_over: '提级接办', desk_supervise: '督办',
    desk_whistle: '吹哨', desk_report_in: '已报到', desk_request_extension: '延期申请',
    desk_approve_extension: '延期已同意', desk_deny_extension: '延期未同意', stationing_weekly: '驻点周报',
    device_silent: '设备未同步', household_conflict: '住户信息冲突',
    handoff_register: '居民自报', handoff_dispatch: '派单', handoff_return: '退单', handoff_transfer: '转办',
    handoff_escalate: '上报', handoff_reopen: '重办', handoff_reply: '已答复',
  },
  action: {
    register: '登记', accept: '受理', reject: '不予受理', resolve_on_spot: '当场办结', dispatch: '派单',
    return: '退单', sign_for: '签收', first_contact: '首次联系', start: '开始办理', reply: '答复', close: '办结',
    reopen: '重办', escalate: '上报', transfer: '转办', extend: '延期', rate: '评价',
    take_over: '提级接办', supervise: '督办', whistle: '吹哨', report_in: '吹哨报到',
    request_extension: '申请延期', approve_extension: '同意延期', deny_extension: '不同意延期',
    sla_warning: '黄牌预警', sla_breach: '红牌超期', sla_leadership: '超期升级至镇街领导',
    whistle_overdue: '吹哨超时未报到', callback: '回访', close_unrated: '未评价结案',
    resident_notified: '短信告知居民',
  },
  status: {
    registered: '已登记', accepted: '已受理', dispatched: '已派单', in_progress: '办理中',
    replied: '已答复', closed: '已办结', not_accepted: '不予受理',
  },
};

/** Case codes read in two groups of five ("ABCDE-23456"), as residents see them on their receipt. */
export function fmtCode(code) {
  return /^[0-9A-Z]{10}$/.test(code || '') ? `${code.slice(0, 5)}-${code.slice(5)}` : code;
}

export function statusBadge(status, label) {
  return h('span', { class: `badge st-${status}` }, label || LABELS.status[status] || status);
}

/** A labelled field; `control` is an input/select/textarea whose id is `id`. */
export function field(label, control, hint) {
  const id = control.id;
  return h('div', { class: 'field' },
    h('label', { for: id }, label,
      control.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    control,
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    h('p', { class: 'field-error', id: `${id}-err`, role: 'alert' }));
}

/** 不接收短信 under a phone field: unticked, and shown (enabled) only while a phone is typed — with no phone
 * nothing is sent anyway. Read it with `smsOptedOut(box)`; `hint` says what is not sent. */
export function smsOptOut(id, phoneInput, label, hint) {
  const box = h('input', { id, type: 'checkbox', 'aria-describedby': hint ? `${id}-hint` : null });
  const wrap = h('div', { class: 'field check' },
    h('label', { for: id }, box, h('span', {}, label)),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null);
  const show = () => {
    const on = phoneInput.value.trim() !== '';
    wrap.hidden = !on;
    box.disabled = !on;
  };
  phoneInput.addEventListener('input', show);
  show();
  return wrap;
}

/** Whether the box `smsOptOut` made is ticked and counts (a phone is typed next to it). */
export function smsOptedOut(wrap) {
  const box = wrap.querySelector('input[type="checkbox"]');
  return Boolean(box && box.checked && !wrap.hidden);
}

export function select(id, options, attrs = {}) {
  return h('select', { id, name: id, ...attrs },
    options.map((o) => (o.group
      ? h('optgroup', { label: o.group }, o.options.map((x) => h('option', { value: x.value }, x.label)))
      : h('option', { value: o.value }, o.label))));
}

/** Shows an ApiError on a form: the message at the top, field messages under each field. */
export function showError(form, err) {
  clearErrors(form);
  const box = form.querySelector('.form-error');
  if (box) box.textContent = err.message || '操作未能完成';
  const fields = fieldErrors(err);
  for (const [name, msg] of Object.entries(fields)) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    const slot = input && form.querySelector(`#${CSS.escape(input.id)}-err`);
    if (slot) {
      slot.textContent = msg;
      input.setAttribute('aria-invalid', 'true');
    } else if (box) {
      box.textContent += `（${name}：${msg}）`;
    }
  }
  (form.querySelector('[aria-invalid="true"]') || box)?.focus?.();
}

export function clearErrors(form) {
  form.querySelectorAll('.field-error, .form-error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

function invalidMessage(el) {
  const v = el.validity;
  if (v.valueMissing) {
    return el.dataset.missing || (el.tagName === 'SELECT' || el.type === 'radio' ? '请选择' : '请填写');
  }
  if (v.tooShort) return `至少 ${el.minLength} 个字`;
  if (v.tooLong) return `最多 ${el.maxLength} 个字`;
  if (v.rangeUnderflow || v.rangeOverflow || v.stepMismatch) return el.title || '超出允许的范围';
  return el.title ? `格式不正确：${el.title}` : '格式不正确';
}

/** Checks the form's own constraints; shows a Chinese message under each bad field. */
export function checkForm(form) {
  clearErrors(form);
  const bad = [...form.elements].filter((el) => el.willValidate && !el.checkValidity());
  for (const el of bad) {
    el.setAttribute('aria-invalid', 'true');
    const slot = el.id && form.querySelector(`#${CSS.escape(el.id)}-err`);
    const box = form.querySelector('.form-error');
    if (slot) slot.textContent = invalidMessage(el);
    else if (box && !box.textContent) box.textContent = invalidMessage(el);
  }
  bad[0]?.focus();
  return bad.length === 0;
}

/** Runs `work` while the submit button shows it is busy; errors land on the form. */
export async function submitting(form, work) {
  if (!checkForm(form)) return undefined;
  const btn = form.querySelector('button[type="submit"]');
  const text = btn?.textContent;
  if (btn) { btn.disabled = true; btn.textContent = '提交中…'; }
  try {
    return await work();
  } catch (err) {
    showError(form, err);
    return undefined;
  } finally {
    if (btn) { btn.disabled = false; btn.textContent = text; }
  }
}

export function formError() {
  return h('p', { class: 'form-error', role: 'alert', tabindex: '-1' });
}

/** Navigates to a hash route; the same route again re-renders it. */
export function go(path) {
  if (location.hash === `#${path}`) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = path;
}

export function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 3000);
}

export function page(title, ...children) {
  document.title = title ? `${title} · 板凳` : '板凳';
  return h('section', { class: 'page' }, h('h1', { tabindex: '-1' }, title), ...children);
}

export function loading() {
  return h('p', { class: 'muted', role: 'status' }, '加载中…');
}

/** Values of named controls, empty strings dropped. */
export function values(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) {
    const s = typeof v === 'string' ? v.trim() : v;
    if (s !== '') out[k] = s;
  }
  return out;
}

/** A v4 UUID even where crypto.randomUUID is missing (plain http on a LAN). */
export function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((n) => n.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
