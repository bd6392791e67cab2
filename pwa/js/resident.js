// Residents, no login: the landing choice, checking a request, rating it, and reporting a problem.

import { pub, session } from './api.js';
import {
  LABELS, field, fmtDate, fmtTime, formError, h, loading, page, select, smsOptOut, smsOptedOut, statusBadge,
  submitting, toast, values,
} from './ui.js';

const CODES_KEY = 'bd.codes';

function savedCodes() {
  try { return JSON.parse(localStorage.getItem(CODES_KEY) || '[]'); } catch { return []; }
}

function saveCode(code) {
  const codes = [code, ...savedCodes().filter((c) => c !== code)].slice(0, 5);
  localStorage.setItem(CODES_KEY, JSON.stringify(codes));
}

export function homeView() {
  const codes = savedCodes();
  return page('有事请讲，我们来办',
    h('p', { class: 'lead' }, '村里、网格里的困难和建议，都可以在这里反映和查询。'),
    h('nav', { class: 'choices', 'aria-label': '请选择' },
      h('a', { class: 'choice', href: '#/check' },
        h('strong', {}, '查询诉求'), h('span', {}, '用案件码和手机号后 4 位查看办理进度')),
      h('a', { class: 'choice', href: '#/report' },
        h('strong', {}, '我要反映'), h('span', {}, '向村里、网格反映困难或建议'))),
    codes.length ? h('section', { class: 'card' },
      h('h2', {}, '本机反映过的问题'),
      h('ul', { class: 'plain' }, codes.map((c) => h('li', {},
        h('a', { class: 'code-link', href: `#/check?code=${encodeURIComponent(c)}` }, c))))) : null,
    session.loggedIn
      ? h('p', { class: 'center' }, h('a', { href: '#/staff' }, '进入工作台 →'))
      : h('p', { class: 'center muted' }, '网格员、干部请点右上角「工作人员登录」'));
}

export function checkView({ query }) {
  const result = h('div', { 'aria-live': 'polite' });
  const code = h('input', {
    id: 'chk-code', name: 'case_code', required: true, maxlength: '20', autocomplete: 'off',
    autocapitalize: 'characters', spellcheck: 'false', class: 'mono', value: query.get('code') || '',
  });
  const last4 = h('input', {
    id: 'chk-last4', name: 'phone_last4', required: true, inputmode: 'numeric', pattern: '[0-9]{4}',
    maxlength: '4', autocomplete: 'off', title: '4 位数字',
  });
  const form = h('form', { class: 'form' },
    field('案件码', code, '反映问题后得到的编码，如 ABCDE-23456'),
    field('手机号后 4 位', last4, '登记时留的手机号的最后 4 位'),
    formError(),
    h('button', { type: 'submit', class: 'btn primary' }, '查询'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { case_code: code.value.trim().toUpperCase(), phone_last4: last4.value.trim() };
    result.replaceChildren();
    const status = await submitting(form, () => pub('POST', '/public/status', body));
    if (status) showStatus(result, status, body);
  });
  return page('查询诉求', form, result);
}

function showStatus(box, s, creds) {
  box.replaceChildren(h('section', { class: 'card result' },
    h('div', { class: 'result-head' },
      h('span', { class: 'mono big' }, s.case_code), statusBadge(s.status, s.status_label)),
    h('dl', { class: 'facts' },
      h('dt', {}, '诉求类别'), h('dd', {}, s.category_name || '—'),
      h('dt', {}, '登记时间'), h('dd', {}, fmtTime(s.registered_at)),
      h('dt', {}, '预计反馈'), h('dd', {}, s.feedback_due_at ? `${fmtDate(s.feedback_due_at)}前` : '—')),
    h('h2', {}, '办理过程'),
    publicTimeline(s.timeline || []),
    (s.ratings || []).length ? h('div', {}, h('h2', {}, '您的评价'), ratingList(s.ratings)) : null,
    s.can_rate ? ratingForm(box, creds) : null));
  box.querySelector('.result')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
}

function publicTimeline(items) {
  if (!items.length) return h('p', { class: 'muted' }, '暂无记录');
  return h('ol', { class: 'timeline' }, items.map((t) => h('li', {},
    h('time', {}, fmtTime(t.at)),
    h('strong', {}, t.action_label, t.status_label ? ` · ${t.status_label}` : ''),
    h('span', { class: 'muted' }, [t.unit_name, t.role_label].filter(Boolean).join(' ')),
    t.note ? h('p', { class: 'note' }, t.note) : null)));
}

export function ratingList(ratings) {
  return h('ul', { class: 'plain' }, ratings.map((r) => h('li', {},
    h('strong', {}, LABELS.rating[r.level] || r.level), ` · ${fmtTime(r.rated_at)}`,
    r.comment ? h('p', { class: 'note' }, r.comment) : null)));
}

function ratingForm(box, creds) {
  const options = Object.entries(LABELS.rating).map(([value, label], i) => h('label', { class: 'opt' },
    h('input', {
      type: 'radio', name: 'level', value, required: i === 0, 'data-missing': '请选择满意、基本满意或不满意',
    }),
    h('span', {}, label)));
  const comment = h('textarea', { id: 'rate-comment', name: 'comment', rows: '3', maxlength: '500' });
  const form = h('form', { class: 'form rate' },
    h('fieldset', {}, h('legend', {}, '对办理结果满意吗？'), h('div', { class: 'opts' }, options)),
    field('想说的话（选填）', comment),
    formError(),
    h('button', { type: 'submit', class: 'btn primary' }, '提交评价'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = values(form);
    const body = { ...creds, level: v.level, comment: v.comment };
    const status = await submitting(form, () => pub('POST', '/public/ratings', body));
    if (!status) return;
    toast(v.level === 'unsatisfied' ? '已收到，我们会重新办理' : '感谢您的评价');
    showStatus(box, status, creds);
  });
  return h('div', {}, h('h2', {}, '评价'), form);
}

export function reportView() {
  const body = h('div', {}, loading());
  Promise.all([pub('GET', '/public/units'), pub('GET', '/public/categories')])
    .then(([units, categories]) => body.replaceChildren(reportForm(body, units, categories)))
    .catch((err) => body.replaceChildren(h('p', { class: 'form-error' }, err.message)));
  return page('我要反映', body);
}

/** Villages as groups; each lets you pick the whole village or one of its grids. */
export function unitOptions(units, wholeVillage = '（不确定网格）') {
  const villages = units.filter((u) => u.kind === 'village');
  const ids = new Set(villages.map((v) => v.id));
  const grids = (pid) => units.filter((u) => u.kind === 'grid' && u.parent_id === pid);
  const option = (u) => ({ value: u.id, label: u.name });
  const groups = villages.map((v) => ({
    group: v.name,
    options: [{ value: v.id, label: `${v.name}${wholeVillage}` }, ...grids(v.id).map(option)],
  }));
  const orphans = units.filter((u) => u.kind === 'grid' && !ids.has(u.parent_id));
  if (orphans.length) groups.push({ group: '网格', options: orphans.map(option) });
  return [{ value: '', label: '请选择' }, ...groups];
}

function reportForm(box, units, categories) {
  const phone = h('input', {
    id: 'rep-phone', name: 'phone', type: 'tel', inputmode: 'tel', required: true, autocomplete: 'tel',
    pattern: '\\+?[0-9 \\-]{7,20}', title: '只填数字，如 13800001234', maxlength: '20',
  });
  const optOut = smsOptOut('rep-sms-off', phone, '不接收短信',
    '勾选后不发登记回执、答复通知和评价提醒短信；工作人员仍可能电话回访');
  const form = h('form', { class: 'form' },
    field('问题在哪个村、哪个网格', select('rep-unit', unitOptions(units), { name: 'unit_id', required: true })),
    field('问题类别', select('rep-cat', [{ value: '', label: '请选择' },
      ...categories.map((c) => ({ value: c.id, label: c.name }))], { name: 'category_id', required: true })),
    field('具体情况', h('textarea', {
      id: 'rep-desc', name: 'description', rows: '5', required: true, minlength: '2', maxlength: '2000',
      placeholder: '什么事、在哪里、持续多久了',
    })),
    field('大致位置（选填）', h('input', {
      id: 'rep-loc', name: 'location_text', maxlength: '200', placeholder: '如：村东头水塘边',
    })),
    field('您的称呼（选填）', h('input', {
      id: 'rep-name', name: 'reporter_name', maxlength: '50', autocomplete: 'name',
    })),
    field('手机号', phone, '用于回访和查询进度，不会公开'),
    optOut,
    formError(),
    h('button', { type: 'submit', class: 'btn primary' }, '提交'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = values(form);
    const payload = {
      ...v, unit_id: Number(v.unit_id), category_id: Number(v.category_id), sms_opt_out: smsOptedOut(optOut),
    };
    const created = await submitting(form, () => pub('POST', '/public/requests', payload));
    if (!created) return;
    saveCode(created.case_code);
    box.replaceChildren(reportDone(created));
  });
  return form;
}

function reportDone(c) {
  document.querySelector('#app h1').textContent = '已提交';
  // Read out one character at a time by screen readers.
  const spoken = `案件码 ${c.case_code.split('').join(' ')}`;
  const code = h('output', { class: 'case-code mono', 'aria-label': spoken }, c.case_code);
  const copy = async () => {
    try { await navigator.clipboard.writeText(c.case_code); toast('案件码已复制'); } catch {
      getSelection().selectAllChildren(code); toast('请长按案件码复制');
    }
  };
  return h('section', { class: 'card done' },
    h('p', {}, '您的案件码'),
    code,
    h('p', { class: 'keep' }, '请记下或截图保存这个案件码。查询进度时需要案件码和手机号后 4 位。'),
    h('p', {}, '当前状态：', statusBadge(c.status, c.status_label)),
    c.feedback_due_at ? h('p', {}, `我们将在 ${fmtDate(c.feedback_due_at)}前给您反馈。`) : null,
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'btn', onclick: copy }, '复制案件码'),
      h('a', { class: 'btn primary', href: `#/check?code=${encodeURIComponent(c.case_code)}` }, '查询进度')),
    h('p', { class: 'center' }, h('a', { href: '#/' }, '返回首页')));
}
