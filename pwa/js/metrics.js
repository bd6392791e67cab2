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

function metricCard(key, v) {
  return h('li', { class: 'metric', 'data-key': key },
    h('span', { class: 'metric-label' }, v.label),
    h('strong', { class: 'metric-rate' }, percent(v)),
    h('span', { class: 'metric-count' }, `${v.numerator} / ${v.denominator}`),
    h('span', { class: 'hint' }, v.definition));
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
    h('ul', { class: 'metric-grid' }, Object.entries(report.unit.metrics).map(([k, v]) => metricCard(k, v))),
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
