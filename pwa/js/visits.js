// 走访 for grid workers, on or off line: the households due a visit, a visit form that saves on the phone
// first, and what is still waiting to be sent (or was refused, with why, to correct and send again).

import { session } from './api.js';
import { photoPicker } from './photo-picker.js';
import * as store from './store.js';
import {
  mine, raisedOn, saveVisit, syncNow, syncStatus, waiting, watch,
} from './outbox.js';
import {
  checkForm, field, fill, fmtCode, fmtTime, formError, go, h, page, select, smsOptOut, smsOptedOut, toast, uuid4,
} from './ui.js';

const KIND = { difficulty: '困难', suggestion: '建议' };
const OUTCOME = { solved_on_spot: '当场解决', became_request: '转为诉求登记', noted: '记入走访记录簿' };

/** #/staff/visits: sync status, refused visits, the due list, other households, recent records. */
export function visitsView() {
  const body = h('div', {});
  const refresh = () => renderVisits(body).catch((err) => fill(body, h('p', { class: 'form-error' }, err.message)));
  watch(body, refresh);
  refresh();
  return page('走访', body);
}

async function renderVisits(body) {
  const uid = session.user?.id;
  const [rows, due, households, ledgerTypes, synced, pictures] = await Promise.all([
    mine(), store.getMeta(`due:${uid}`), store.all('households'), store.getMeta('ledger-types', []),
    store.getMeta(`synced:${uid}`), store.all('photos'),
  ]);
  const photosLeft = pictures.filter((p) => p.user_id === uid && p.state !== 'uploaded');
  const visitedHere = new Set(rows.map((r) => r.op.fields.household_id).filter(Boolean));
  const names = Object.fromEntries(ledgerTypes.map((t) => [t.code, t.name]));
  fill(body,
    statusCard(rows, synced, photosLeft),
    refusedList(rows, households),
    h('h2', {}, '待走访住户'),
    due ? dueList(due, visitedHere, names) : h('p', { class: 'muted' }, '还没有待走访清单：有网络时点“立即同步”。'),
    due ? h('p', { class: 'hint' }, `清单更新于 ${fmtTime(due.at)}`) : null,
    h('h2', {}, '走访其他住户'),
    householdSearch(households),
    h('a', { class: 'btn', href: '#/staff/visits/new' }, '不入户走访（记录地点）'),
    session.user?.role === 'grid_leader'
      ? h('p', {}, h('a', { href: '#/staff/conflicts' }, '处理住户信息冲突（手机与系统都改过的）')) : null,
    recentList(rows, households));
}

function statusCard(rows, synced, photosLeft) {
  const { syncing, error } = syncStatus();
  const left = waiting(rows);
  const refused = left.filter((r) => r.state === 'rejected').length;
  const pending = left.length - refused;
  return h('div', { class: 'card sync-card', role: 'status', 'aria-live': 'polite' },
    h('p', { class: 'big', id: 'sync-pending' },
      pending ? `待上传 ${pending} 条走访` : refused ? '没有待上传的走访' : '走访记录已全部上传'),
    refused ? h('p', { class: 'form-error' }, `${refused} 条未被接收，请修改后重新上传`) : null,
    photoLine(photosLeft),
    h('p', { class: 'hint' }, syncing ? '正在同步…' : `上次同步：${synced ? fmtTime(synced) : '尚未同步'}`),
    error && !syncing ? h('p', { class: 'hint sync-error' }, error) : null,
    h('button', {
      type: 'button', class: 'btn primary', disabled: syncing || null,
      onclick: () => syncNow(),
    }, syncing ? '同步中…' : '立即同步'));
}

function photoLine(left) {
  const refused = left.filter((p) => p.state === 'rejected');
  const pending = left.length - refused.length;
  if (!left.length) return null;
  return h('p', { class: refused.length ? 'form-error' : 'hint', id: 'sync-photos' },
    [pending ? `另有 ${pending} 张照片待上传` : null,
      refused.length ? `${refused.length} 张照片未被接收：${refused[0].error?.message || ''}` : null]
      .filter(Boolean).join('；'));
}

function householdLabel(households, id) {
  const found = households.find((x) => x.id === id);
  return found ? `${found.head_name} · ${found.address_text}` : null;
}

function place(row, households) {
  const f = row.op.fields;
  return (f.household_id && householdLabel(households, f.household_id)) || f.place_text || '走访';
}

function refusedList(rows, households) {
  const refused = rows.filter((r) => r.state === 'rejected');
  if (!refused.length) return null;
  return h('div', {},
    h('h2', {}, '未被接收的走访'),
    h('ul', { class: 'req-list' }, refused.map((r) => h('li', { class: 'req-card sv-red' },
      h('div', { class: 'req-top' }, place(r, households)),
      h('p', { class: 'req-meta' }, `走访时间 ${fmtTime(r.op.fields.visited_at)}`),
      h('p', { class: 'form-error' }, refusal(r.error)),
      h('a', { class: 'btn', href: `#/staff/visits/new?edit=${r.op_id}` }, '修改后重新上传')))));
}

const FIELD_LABELS = {
  household_id: '住户', place_text: '走访地点', visited_at: '走访时间', notes: '走访情况', grid_id: '网格',
  kind: '类型', description: '内容', outcome: '处理结果', category_id: '诉求类别', reporter_phone: '居民电话',
  reporter_sms_opt_out: '不接收短信', id: '编号', items: '建议和困难', resident_request: '诉求',
};

/** "items.1.outcome" as a person reads it: 第 2 条 处理结果 (the path kept for a name we do not know). */
function fieldLabel(path) {
  const parts = path.split('.');
  const words = parts.map((p) => (/^\d+$/.test(p) ? `第 ${Number(p) + 1} 条` : FIELD_LABELS[p]));
  return words.every(Boolean) ? words.filter((w, i) => !(parts[i] === 'items' && i < parts.length - 1)).join(' ') : path;
}

/** The server's reason, with each field it names and what is wrong there. */
function refusal(error) {
  const fields = Object.entries(error?.fields || {}).map(([k, v]) => `${fieldLabel(k)}：${v}`);
  return [error?.message || '服务器未接受这条记录', ...fields].join('；');
}

function dueList(due, visitedHere, names) {
  const items = due.items;
  if (!items.length) return h('p', { class: 'muted' }, '暂无到期需要走访的住户');
  return h('ul', { class: 'req-list', id: 'due-list' }, items.map((d) => {
    const ledgers = d.ledger_type_codes.map((c) => names[c] || c);
    let flag;
    if (visitedHere.has(d.household_id)) flag = h('span', { class: 'card-flag reason-info' }, '本机已记录');
    else if (d.days_overdue === null) flag = h('span', { class: 'card-flag reason-urgent' }, '从未走访');
    else flag = h('span', { class: 'card-flag reason-wait' }, d.days_overdue > 0 ? `超期 ${d.days_overdue} 天` : '今天到期');
    return h('li', {}, h('a', { class: 'req-card', href: `#/staff/visits/new?household=${d.household_id}` },
      h('div', { class: 'req-top' }, h('span', {}, d.head_name), flag),
      h('p', { class: 'req-meta' }, d.address_text),
      ledgers.length ? h('div', { class: 'req-tags' }, ledgers.map((n) => h('span', { class: 'card-flag flag-info' }, n)))
        : null,
      h('p', { class: 'req-meta' }, `每 ${d.visit_every_days} 天走访一次`,
        d.last_visit_at ? ` · 上次 ${fmtTime(d.last_visit_at)}` : null)));
  }));
}

function householdSearch(households) {
  const list = h('ul', { class: 'plain', id: 'household-results' });
  const show = (q) => {
    const words = q.trim();
    const found = words
      ? households.filter((x) => `${x.head_name}${x.address_text}`.includes(words)).slice(0, 20)
      : [];
    fill(list, found.map((x) => h('li', {},
      h('a', { href: `#/staff/visits/new?household=${x.id}` }, `${x.head_name} · ${x.address_text}`))));
  };
  const input = h('input', {
    id: 'household-q', type: 'search', placeholder: '输入户主姓名或地址', oninput: (e) => show(e.target.value),
  });
  const hint = households.length ? `本机保存了 ${households.length} 户，无网络也能查找` : '同步后可查找本网格的住户';
  return [field('查找住户', input, hint), list];
}

function recentList(rows, households) {
  const recent = rows.filter((r) => r.state !== 'rejected').slice(-10).reverse();
  if (!recent.length) return null;
  return h('div', {},
    h('h2', {}, '最近记录'),
    h('ul', { class: 'plain', id: 'recent-visits' }, recent.map((r) => h('li', {},
      h('strong', {}, place(r, households)), ' ',
      h('span', { class: `badge ${r.state === 'sent' ? 'st-closed' : 'st-accepted'}` },
        r.state === 'sent' ? '已上传' : '待上传'),
      h('span', { class: 'req-meta' }, ` ${fmtTime(r.op.fields.visited_at)} · ${r.op.fields.items.length} 条事项`),
      raisedCodes(r)))));
}

/** The requests a visit raised, each by its case code once the server gave one (a tap opens the request). */
function raisedCodes(row) {
  if (!raisedOn(row).length) return null;
  const codes = row.case_codes || {};
  const items = row.op.fields.items.filter((item) => item.resident_request?.id);
  return h('ul', { class: 'raised' }, items.map((item) => {
    const { id } = item.resident_request;
    let shown = h('span', { class: 'muted' }, row.state === 'sent' ? '获取中，下次同步后显示' : '上传后生成');
    if (codes[id]) shown = h('a', { class: 'mono', href: `#/staff/r/${id}` }, fmtCode(codes[id]));
    else if (id in codes) shown = h('span', { class: 'muted' }, '已登记（不在您的查看范围）');
    return h('li', {}, '诉求案件码 ', shown, h('span', { class: 'raised-desc' }, item.description));
  }));
}

/** #/staff/visits/new?household=ID (or ?edit=OP_ID for a refused one): saved on the phone, then sent. */
export function visitFormView({ query }) {
  const body = h('div', {}, h('p', { class: 'muted', role: 'status' }, '加载中…'));
  const editing = query.get('edit');
  Promise.all([
    editing ? store.get('outbox', editing) : null,
    store.all('households'), store.getMeta('categories', []),
  ]).then(([row, households, categories]) => {
    const visit = row
      ? { id: row.op.entity_id, fields: row.op.fields, replaces: row.op_id, attachments: row.op.attachments || [] }
      : { id: uuid4(), fields: { household_id: query.get('household'), items: [] }, replaces: null, attachments: [] };
    fill(body, visitForm(visit, households, categories));
  }).catch((err) => fill(body, h('p', { class: 'form-error' }, err.message)));
  return page(editing ? '修改走访记录' : '记录走访', h('p', {}, h('a', { href: '#/staff/visits' }, '← 返回走访')), body);
}

/** A datetime-local value (phone time) for an instant. */
function localInput(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function visitForm(visit, households, categories) {
  const { fields } = visit;
  const household = fields.household_id ? households.find((x) => x.id === fields.household_id) : null;
  const items = h('div', { id: 'visit-items' });
  const addItem = (item) => items.append(itemFieldset(item, categories));
  const pictures = photoPicker(visit.attachments);
  const form = h('form', { class: 'form' },
    fields.household_id
      ? h('div', { class: 'card' }, h('strong', {}, household ? household.head_name : '住户'),
        h('p', { class: 'req-meta' }, household ? household.address_text : '（住户资料将在同步后显示）'))
      : field('走访地点', h('input', {
        id: 'visit-place', name: 'place_text', required: true, maxlength: '200', value: fields.place_text || '',
        placeholder: '如：村文化广场、田间地头',
      })),
    field('走访时间', h('input', {
      id: 'visit-at', name: 'visited_at', type: 'datetime-local', required: true,
      value: localInput(fields.visited_at ? new Date(fields.visited_at) : new Date()),
      max: localInput(new Date(Date.now() + 5 * 60_000)), title: '不能晚于现在',
    })),
    field('走访情况（选填）', h('textarea', {
      id: 'visit-notes', name: 'notes', rows: '3', maxlength: '2000', value: fields.notes || '',
      placeholder: '家里情况、聊了什么',
    })),
    pictures.el,
    h('h2', {}, '收集的建议和困难'),
    items,
    h('button', { type: 'button', class: 'btn', onclick: () => addItem(null) }, '＋ 添加一条建议或困难'),
    formError(),
    h('button', { type: 'submit', class: 'btn primary' }, '保存走访'));
  fields.items.forEach(addItem);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!checkForm(form)) return;
    const btn = form.querySelector('button[type="submit"]');
    btn.disabled = true;
    try {
      await pictures.ready();
      await saveVisit(visit.id, collect(form, fields), visit.replaces, pictures.declared());
    } catch (err) {
      btn.disabled = false;
      form.querySelector('.form-error').textContent = `未能保存在本机：${err.message}`;
      return;
    }
    toast(navigator.onLine ? '已保存，正在上传' : '已保存在本机，有网络后自动上传');
    go('/staff/visits');
  });
  return form;
}

function itemFieldset(item, categories) {
  const id = item?.id || uuid4();
  const rr = item?.resident_request || null;
  const phone = h('input', {
    id: `item-${id}-phone`, name: 'reporter_phone', type: 'tel', inputmode: 'tel', maxlength: '20',
    pattern: '\\+?[0-9 \\-]{7,20}', title: '只填数字，如 13800001234', value: rr?.reporter_phone || '',
  });
  const optOut = smsOptOut(`item-${id}-sms-off`, phone, '居民不接收短信');
  optOut.querySelector('input').checked = Boolean(rr?.reporter_sms_opt_out);
  const requestBox = h('div', { class: 'request-box' },
    field('诉求类别', select(`item-${id}-cat`, [{ value: '', label: '请选择' },
      ...categories.map((c) => ({ value: c.id, label: c.name }))], { name: 'category_id', required: true })),
    field('居民电话（选填）', phone,
      categories.length ? '不留电话也可登记，但无法回访' : '本机还没有诉求类别：请先在有网络时同步一次'),
    optOut);
  const outcome = select(`item-${id}-outcome`, Object.entries(OUTCOME).map(([value, label]) => ({ value, label })),
    { name: 'outcome', required: true });
  const box = h('fieldset', { class: 'card visit-item', 'data-id': id, 'data-request-id': rr?.id || '' },
    h('legend', {}, '建议或困难'),
    field('类型', select(`item-${id}-kind`, Object.entries(KIND).map(([value, label]) => ({ value, label })),
      { name: 'kind', required: true })),
    field('内容', h('textarea', {
      id: `item-${id}-desc`, name: 'description', rows: '3', required: true, minlength: '2', maxlength: '1000',
      value: item?.description || '',
    })),
    field('处理结果', outcome),
    requestBox,
    h('button', { type: 'button', class: 'link', onclick: () => box.remove() }, '删除这一条'));
  if (item) {
    box.querySelector('[name="kind"]').value = item.kind;
    outcome.value = item.outcome;
  }
  if (rr) box.querySelector('[name="category_id"]').value = String(rr.category_id);
  const toggle = () => {
    const on = outcome.value === 'became_request';
    requestBox.hidden = !on;
    requestBox.querySelectorAll('select, input').forEach((el) => { el.disabled = !on; });
  };
  outcome.addEventListener('change', toggle);
  toggle();
  return box;
}

/** The visit's fields as the sync API takes them; a correction keeps the ids, so the server sees one visit. */
function collect(form, fields) {
  const val = (el, name) => el.querySelector(`[name="${name}"]`)?.value.trim() || '';
  const items = [...form.querySelectorAll('.visit-item')].map((box) => {
    const item = {
      id: box.dataset.id, kind: val(box, 'kind'), description: val(box, 'description'), outcome: val(box, 'outcome'),
    };
    if (item.outcome === 'became_request') {
      const phone = val(box, 'reporter_phone');
      item.resident_request = {
        id: box.dataset.requestId || uuid4(), category_id: Number(val(box, 'category_id')),
        description: item.description,
        ...(phone ? { reporter_phone: phone, reporter_sms_opt_out: smsOptedOut(box.querySelector('.check')) } : {}),
      };
    }
    return item;
  });
  const notes = val(form, 'notes');
  const out = {
    visited_at: new Date(val(form, 'visited_at')).toISOString(), items,
    ...(notes ? { notes } : {}),
  };
  if (fields.household_id) out.household_id = fields.household_id;
  else out.place_text = val(form, 'place_text');
  return out;
}
