// 工作指标: a unit's measures for a period, each as a rate with its numerator and denominator, and the units
// one level below it ranked by the measure chosen. Tapping a unit below drills down to it. All in the hash.

import { call } from './api.js';
import { fill, go, h, loading, page } from './ui.js';

// Days are counted in Shanghai time, which keeps +08:00 all year (no daylight saving).
const OFFSET = '+08:00';
const ymd = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

const PERIODS = {
  month: { label: '本月', range: (y, m) => [monthStart(y, m), monthStart(y, m + 1)] },
  last_month: { label: '上月', range: (y, m) => [monthStart(y, m - 1), monthStart(y, m)] },
  year: { label: '今年', range: (y) => [`${y}-01-01T00:00:00${OFFSET}`, `${y + 1}-01-01T00:00:00${OFFSET}`] },
};

function monthStart(year, month) { // month 1–12, may run over either end
  const d = new Date(Date.UTC(year, month - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-01T00:00:00${OFFSET}`;
}

function rangeOf(period) {
  const [y, m] = ymd.format(new Date()).split('-').map(Number);
  return (PERIODS[period] || PERIODS.month).range(y, m);
}

const percent = (v) => (v.rate === null ? '—' : `${(v.rate * 100).toFixed(1)}%`);

function hashFor(state) {
  const p = new URLSearchParams();
  if (state.unit) p.set('unit', state.unit);
  if (state.period !== 'month') p.set('period', state.period);
  if (state.sort !== 'on_time_feedback_rate') p.set('sort', state.sort);
  const qs = p.toString();
  return qs ? `/staff/metrics?${qs}` : '/staff/metrics';
}

// The measures in three groups, in this order; one the server adds later joins a fourth.
const GROUPS = [
  ['办理', ['response_rate', 'on_time_feedback_rate', 'handling_rate', 'on_spot_rate', 'reopen_rate',
    'extension_rate']],
  ['回访与满意度', ['satisfaction_rate', 'resolution_rate', 'unrated_close_rate', 'uncallable_rate']],
  ['走访与驻点', ['visit_coverage', 'attendance_rate']],
];
// Shown inside another measure's card: 满意率 with each of its two sources (own rating, callback), each with
// its own numerator and denominator, and the strict one (满意 only); 部分解决 beside 解决率.
const PARTS = {
  satisfaction_rate: ['own_satisfaction_rate', 'callback_satisfaction_rate', 'strict_satisfaction_rate'],
  resolution_rate: ['partial_resolution_rate'],
};
const INSIDE = new Set(Object.values(PARTS).flat());

function metricCard(key, v, all) {
  const parts = (PARTS[key] || []).filter((k) => all[k]);
  return h('li', { class: parts.length ? 'metric wide' : 'metric', 'data-key': key },
    h('span', { class: 'metric-label' }, v.label),
    h('strong', { class: 'metric-rate' }, percent(v)),
    h('span', { class: 'metric-count' }, `${v.numerator} / ${v.denominator}`),
    h('span', { class: 'hint' }, v.definition),
    parts.length ? h('ul', { class: 'metric-parts' }, parts.map((k) => h('li', { 'data-key': k },
      h('span', { class: 'metric-label' }, all[k].label.replace(/^.+（(.+)）$/, '$1')), // 满意率（回访） → 回访
      h('strong', { class: 'part-rate' }, percent(all[k])),
      h('span', { class: 'metric-count' }, `${all[k].numerator} / ${all[k].denominator}`),
      h('span', { class: 'hint' }, all[k].definition)))) : null);
}

/** The unit's measures, group by group; every measure appears once (a part inside its measure's card). */
function metricGroups(metrics) {
  const named = new Set([...GROUPS.flatMap(([, keys]) => keys), ...INSIDE]);
  const others = Object.keys(metrics).filter((k) => !named.has(k));
  return [...GROUPS, ['其他', others]].map(([title, keys]) => {
    const shown = keys.filter((k) => metrics[k]);
    return shown.length ? [h('h2', {}, title),
      h('ul', { class: 'metric-grid' }, shown.map((k) => metricCard(k, metrics[k], metrics)))] : null;
  });
}

/** Rate first, units with nothing counted last. */
function ranked(children, key) {
  const rate = (c) => c.metrics[key].rate;
  return [...children].sort((a, b) => (rate(b) ?? -1) - (rate(a) ?? -1));
}

function childList(report, state) {
  if (!report.children.length) return null;
  const keys = Object.keys(report.unit.metrics);
  const sort = h('select', {
    id: 'metrics-sort', onchange: (e) => go(hashFor({ ...state, sort: e.target.value })),
  }, keys.map((k) => h('option', { value: k }, report.unit.metrics[k].label)));
  sort.value = keys.includes(state.sort) ? state.sort : keys[0];
  return [
    h('h2', {}, '下级单位'),
    h('div', { class: 'field' }, h('label', { for: 'metrics-sort' }, '排序依据'), sort),
    h('ol', { class: 'req-list', id: 'metrics-children' }, ranked(report.children, sort.value).map((c) => {
      const v = c.metrics[sort.value];
      return h('li', {}, h('a', { class: 'req-card', href: `#${hashFor({ ...state, unit: c.unit_id })}` },
        h('div', { class: 'req-top' }, h('span', {}, c.unit_name), h('span', { class: 'metric-rate' }, percent(v))),
        h('p', { class: 'req-meta' }, `${v.label} ${v.numerator} / ${v.denominator}`)));
    })),
  ];
}

/** #/staff/metrics?unit=&period=month|last_month|year&sort=KEY */
export function metricsView({ query }) {
  const state = {
    unit: query.get('unit') || '', period: query.get('period') || 'month',
    sort: query.get('sort') || 'on_time_feedback_rate',
  };
  const body = h('div', {}, loading());
  const [from, to] = rangeOf(state.period);
  const p = new URLSearchParams({ from, to });
  if (state.unit) p.set('unit_id', state.unit);
  call('GET', `/metrics?${p}`).then((report) => fill(body,
    h('p', { class: 'lead', id: 'metrics-unit' }, report.unit.unit_name),
    metricGroups(report.unit.metrics),
    h('p', { class: 'hint' }, '“—”表示期内没有可计的事项；尚未到期的时限、尚未到来的接待日不计入。'),
    childList(report, state)))
    .catch((err) => fill(body, h('p', { class: 'form-error' }, err.message)));
  return page('工作指标',
    h('div', { class: 'chips', role: 'group', 'aria-label': '选择期间' },
      Object.entries(PERIODS).map(([key, { label }]) => h('button', {
        type: 'button', class: 'chip', 'aria-pressed': String(state.period === key),
        onclick: () => go(hashFor({ ...state, period: key })),
      }, label))),
    body);
}
