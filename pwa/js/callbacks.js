// 回访 (callbacks): the cards of 待回访, the compact form that records one callback on a request, the
// attempts made so far, and the SMS the resident was sent (what the caller may ask whether they got).
// The server says when a callback may be recorded ('callback' in allowed_actions).

import { call } from './api.js';
import {
  LABELS, fmtCode, fmtTime, formError, h, statusBadge,
} from './ui.js';

const RESOLUTIONS = ['resolved', 'partly_resolved', 'unresolved'];
const LEVELS = ['satisfied', 'basically_satisfied', 'unsatisfied'];

/** One card of 待回访: about what, whom to call, since when it waits, and the attempts that missed. */
export function callbackCard(c) {
  const who = c.reporter_name ? `${c.reporter_name} ` : '';
  return h('li', {}, h('a', { class: 'req-card', href: `#/staff/r/${c.id}?callback=1` },
    h('div', { class: 'req-top' },
      h('span', { class: 'mono' }, fmtCode(c.case_code)), statusBadge(c.status, c.status_label)),
    h('div', { class: 'req-meta' }, `${c.category_name} · ${c.unit_name}`),
    h('div', { class: 'req-tags' },
      c.reporter_phone_masked
        ? h('span', { class: 'card-flag reason-info' }, `${who}${c.reporter_phone_masked}`)
        : h('span', { class: 'card-flag reason-urgent' }, '未留电话，只能上门回访'),
      c.attempts ? h('span', { class: 'card-flag reason-wait' }, `已 ${c.attempts} 次未接通`) : null,
      c.rating ? h('span', { class: 'card-flag reason-info' }, `居民已评价：${LABELS.rating[c.rating]}`) : null),
    h('p', { class: 'req-desc' }, c.description),
    h('div', { class: 'req-foot' },
      h('span', { class: 'due' }, `答复于 ${fmtTime(c.replied_at)}`),
      c.last_attempt_at ? h('span', { class: 'due' }, `上次 ${fmtTime(c.last_attempt_at)}`) : null)));
}

/** "已解决 · 满意" or "未接通": what a callback event's data says. */
export function callbackOutcome(data) {
  if (!data) return '';
  if (!data.reached) return ' · 未接通';
  return [LABELS.resolution[data.resolution], LABELS.rating[data.satisfaction]]
    .filter(Boolean).map((x) => ` · ${x}`).join('');
}

/** The compact form: one tap for whether it is solved, one for how satisfied the resident is, and it is saved;
 * 不满意 (which reopens the request) asks once more. 未接通 records a missed attempt. `phone` is the reporter's
 * phone as the detail shows it (masked, with its reveal), `reply` what was answered ({closure, note}) to read
 * out; `onDone(detail, body)` gets the server's answer. */
export function callbackForm(d, { phone, reply, onDone }) {
  const chosen = { resolution: null, satisfaction: null };
  const note = h('textarea', {
    id: 'cb-note', name: 'note', rows: '2', maxlength: '500', placeholder: '居民原话、未接通的原因（选填）',
  });
  const error = formError();
  const confirm = h('div', { class: 'cb-confirm' });
  const all = [];

  async function save(body) {
    all.forEach((b) => { b.disabled = true; });
    error.textContent = '';
    try {
      onDone(await call('POST', `/requests/${d.id}/callbacks`, body), body);
    } catch (err) {
      error.textContent = err.message;
      all.forEach((b) => { b.disabled = false; });
    }
  }

  function chose() {
    confirm.replaceChildren();
    if (!chosen.resolution || !chosen.satisfaction) return;
    const body = {
      reached: true, resolution: chosen.resolution, satisfaction: chosen.satisfaction, note: note.value.trim() || null,
    };
    if (chosen.satisfaction !== 'unsatisfied') {
      save(body);
      return;
    }
    const sure = h('button', { type: 'button', class: 'btn primary danger', onclick: () => save(body) },
      '确认不满意，重新办理');
    all.push(sure);
    confirm.append(h('p', { class: 'hint' }, '居民不满意时，诉求退回重办，重新计算反馈期限。'), sure);
    sure.focus();
  }

  const group = (name, legend, keys, labels) => {
    const buttons = keys.map((key) => h('button', {
      type: 'button', class: `btn choice-btn${key === 'unsatisfied' ? ' bad' : ''}`, 'aria-pressed': 'false',
      onclick: (e) => {
        chosen[name] = key;
        buttons.forEach((b) => b.setAttribute('aria-pressed', String(b === e.currentTarget)));
        chose();
      },
    }, labels[key]));
    all.push(...buttons);
    return h('fieldset', { class: 'cb-group' }, h('legend', {}, legend), h('div', { class: 'cb-opts' }, buttons));
  };

  const missed = h('button', {
    type: 'button', class: 'btn', onclick: () => save({ reached: false, note: note.value.trim() || null }),
  }, '未接通（记一次）');
  all.push(missed);
  return h('div', { class: 'callback-form', role: 'group', 'aria-labelledby': 'cb-title' },
    h('h3', { id: 'cb-title' }, '回访'),
    reply ? h('p', { class: 'cb-reply' }, h('strong', {}, reply.closure ? `答复（${reply.closure}）：` : '答复：'),
      reply.note || '') : null,
    h('p', { class: 'cb-phone' }, '居民电话：', phone || h('span', { class: 'muted' }, '未留电话，请上门回访')),
    h('div', { class: 'field' }, h('label', { for: 'cb-note' }, '回访说明（选填）'), note),
    group('resolution', '问题解决了吗？', RESOLUTIONS, LABELS.resolution),
    group('satisfaction', '居民满意吗？', LEVELS, LABELS.rating),
    confirm,
    error,
    missed,
    h('p', { class: 'hint' }, '两项都选好即保存。居民本人也评价过的，满意率以本人评价为准。'));
}

/** Every callback attempt on the request, each cycle's, in order. */
export function callbackRecords(list, cycle) {
  if (!list.length) return null;
  return h('div', {}, h('h2', {}, '回访记录'), h('ul', { class: 'plain' }, list.map((c) => h('li', {},
    h('time', { class: 'muted' }, fmtTime(c.called_at)), ' ',
    h('strong', {}, c.reached ? [c.resolution_label, c.satisfaction_label].filter(Boolean).join(' · ') : '未接通'),
    c.counts ? [' ', h('span', { class: 'card-flag reason-info' }, '计入满意率')] : null,
    h('p', { class: 'req-meta' },
      [`第 ${c.attempt} 次回访${cycle > 1 ? `（第 ${c.cycle} 轮）` : ''}`, c.called_by_name, c.called_unit_name]
        .filter(Boolean).join(' · ')),
    c.note ? h('p', { class: 'note' }, c.note) : null))));
}

/** When a message to the resident went out, or when it will (quiet hours push it to the morning). */
function messageTime(m) {
  if (m.status === 'sent') return fmtTime(m.sent_at);
  if (m.status === 'pending' && m.send_after) return `预计 ${fmtTime(m.send_after)}`;
  return fmtTime(m.queued_at);
}

const DELIVERY_FLAG = { sent: 'reason-info', pending: 'reason-wait', failed: 'reason-urgent' };

/** Each SMS to the resident: which one, whether it went out, when, and what it said (failures say why). */
export function residentMessages(list) {
  if (!list.length) return null;
  const row = (m) => h('li', {},
    h('strong', {}, m.kind_label || m.kind), ' ',
    h('span', { class: `card-flag ${DELIVERY_FLAG[m.status] || 'reason-info'}` },
      LABELS.delivery[m.status] || m.status), ' ',
    h('time', { class: 'muted' }, messageTime(m)),
    h('p', { class: 'note' }, m.text),
    m.status !== 'sent' && m.error ? h('p', { class: 'req-meta' }, `原因：${m.error}`) : null);
  return h('div', { class: 'resident-sms' }, h('h2', {}, '发给居民的短信'), h('ul', { class: 'plain' }, list.map(row)));
}
