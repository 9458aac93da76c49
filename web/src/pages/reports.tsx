// Reports (docs/reports.md, /api/v1/reports/*): the KPIs of a chosen period,
// for everyone or a segment, beside the previous period of the same length;
// the cohort retention (or revenue) triangle; every campaign's results with
// the lift against its holdout and whether it is significant; targeting
// suggestions per channel and saved segment; the lead funnel;
// and the weekly report (self-contained HTML from the server), opened in a new
// tab or shown in a sandboxed frame.
import { useState } from 'preact/hooks';
import { can, get, type Me } from '../api';
import { date, fieldName, money, num, parseCalendarDate, pct, preferences, t, type MessageKey } from '../i18n';
import { Card, ErrorBox, Loading, useLoad } from '../ui';
import type { SavedSegment } from './types';

// One table of the report API: {"name", "columns", "rows": [{column: value}]}.
export interface ReportTable<Row> {
  name: string;
  columns: string[];
  rows: Row[];
}

export interface KpiRow {
  kpi: string;
  breakdown: string | null;
  currency: string | null;
  unit: 'count' | 'number' | 'ratio' | 'money';
  value: number | null;
  previous: number | null;
  change: number | null;
}

type CohortRow = { group: string | null; cohort: string; size: number; currency?: string } & Record<string, number | string | null>;

interface CampaignRow {
  campaign_id: number;
  campaign: string;
  variant: string | null;
  channel: string;
  status: string;
  reach: number;
  suppressed: number | null;
  suppressed_by_reason: string | null;
  delivered: number;
  opened: number;
  clicked: number;
  converted: number;
  conversion_rate: number;
  holdout: number;
  holdout_rate: number | null;
  lift: number | null;
  lift_ci_low: number | null;
  lift_ci_high: number | null;
  significant: string | null; // "yes", "no", or null without a holdout
  currency: string | null;
  revenue_minor: number;
  cost_minor: number;
  incremental_revenue_minor: number;
  roi: number | null;
}

// One row of GET /api/v1/reports/suggestions (docs/reports.md "Targeting
// suggestions"); empty cells arrive as null.
export interface SuggestionRow {
  channel: string;
  segment: string;
  action: 'target' | 'suppress' | null;
  reason: 'higher' | 'lower' | 'not_significant' | 'small_sample';
  campaigns: number;
  reach: number;
  converted: number;
  conversion_rate: number;
  rate_ci_low: number;
  rate_ci_high: number;
  rest_reach: number;
  rest_converted: number;
  rest_rate: number;
  ratio: number | null;
  ratio_ci_low: number | null;
  ratio_ci_high: number | null;
  z: number;
  p_value: number;
}

interface FunnelRow {
  stage: 'lead' | 'mql' | 'sql' | 'customer';
  customers: number;
  conversion_from_previous_stage: number | null;
  previous_period: number;
  previous_conversion: number | null;
}

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayMs = (iso: string) => Date.parse(iso + 'T00:00:00Z');

// The server's default period: the 30 days before today (UTC), today excluded.
export function defaultPeriod(): { from: string; to: string } {
  const today = Math.floor(Date.now() / DAY) * DAY;
  return { from: isoDay(today - 30 * DAY), to: isoDay(today - DAY) };
}

// The previous period: as many days, ending the day before `from`.
function previousPeriod(from: string, to: string): { from: string; to: string } {
  const days = (dayMs(to) - dayMs(from)) / DAY + 1;
  return { from: isoDay(dayMs(from) - days * DAY), to: isoDay(dayMs(from) - DAY) };
}

// KPIs where a rise is bad news (shown red when they go up).
const risingIsBad = new Set(['churn_rate', 'customers_lapsed', 'cac', 'acquisition_cost', 'campaign_cost', 'cost_per_person_reached']);

export function kpiName(key: string): string {
  const k = ('rep.k.' + key) as MessageKey;
  const s = t(k);
  return s === k ? fieldName(key) : s;
}

export function kpiValue(row: Pick<KpiRow, 'unit' | 'currency'>, v: number | null): string {
  if (v === null) return '—';
  if (row.unit === 'money') return money(v, row.currency ?? '');
  if (row.unit === 'ratio') return pct(v, 1);
  if (row.unit === 'number') return num(v, 2);
  return num(v);
}

// The change against the previous period, coloured by whether it is good news.
export function Change({ row }: { row: KpiRow }) {
  if (row.change === null) return <span class="change muted">—</span>;
  const bad = risingIsBad.has(row.kpi) ? row.change > 0 : row.change < 0;
  const arrow = row.change > 0 ? '▲' : row.change < 0 ? '▼' : '';
  return (
    <span class={'change ' + (row.change === 0 ? 'muted' : bad ? 'down' : 'up')}>
      <span aria-hidden="true">{arrow}</span> {pct(row.change, 1, true)}
    </span>
  );
}

export function KpiCard({ row }: { row: KpiRow }) {
  return (
    <div class="kpi" data-kpi={row.kpi}>
      <div class="kpi-value">{kpiValue(row, row.value)}</div>
      <div class="kpi-label">{kpiName(row.kpi)}</div>
      <div class="kpi-trend">
        <Change row={row} />{' '}
        <span class="muted kpi-previous" title={t('rep.previous')}>
          {t('rep.previous')}: <span class="previous-value">{kpiValue(row, row.previous)}</span>
        </span>
      </div>
    </div>
  );
}

// The money KPIs as one row per currency (revenue and values are never summed
// across currencies); only currencies with some figure in either period.
export function MoneyTable({ rows, keys, id }: { rows: KpiRow[]; keys: string[]; id?: string }) {
  const byCurrency = new Map<string, Map<string, KpiRow>>();
  for (const r of rows) {
    if (r.unit !== 'money' || r.breakdown || !r.currency || !keys.includes(r.kpi)) continue;
    if (!byCurrency.has(r.currency)) byCurrency.set(r.currency, new Map());
    byCurrency.get(r.currency)!.set(r.kpi, r);
  }
  const currencies = [...byCurrency].filter(([, m]) => [...m.values()].some((r) => (r.value ?? 0) !== 0 || (r.previous ?? 0) !== 0));
  return (
    <table id={id} class="money">
      <thead>
        <tr>
          <th>{t('rep.currency')}</th>
          {keys.map((k) => (
            <th class="num" key={k}>
              {kpiName(k)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {currencies.map(([currency, m]) => (
          <tr key={currency} data-currency={currency}>
            <td>{currency}</td>
            {keys.map((k) => {
              const r = m.get(k);
              return (
                <td class="num" key={k} data-kpi={k}>
                  <div class="money-value">{r ? kpiValue(r, r.value) : '—'}</div>
                  {r && r.previous !== null && (
                    <div class="small">
                      <Change row={r} /> <span class="muted">{kpiValue(r, r.previous)}</span>
                    </div>
                  )}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const cardKpis = [
  'customers_total',
  'customers_new',
  'customers_active',
  'buyers',
  'orders',
  'purchase_frequency',
  'retention_rate',
  'churn_rate',
  'customers_lapsed',
  'messages_sent',
  'opens',
  'clicks',
  'visits',
  'people_reached',
];
const moneyKpis = ['revenue', 'average_order_value', 'ltv_historical', 'ltv_predicted_12m'];
const costKpis = ['campaign_cost', 'acquisition_cost', 'cac', 'cost_per_person_reached'];

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

export function Reports({ me }: { me: Me }) {
  const initial = defaultPeriod();
  const [form, setForm] = useState({ ...initial, segment: '' });
  const [shown, setShown] = useState({ ...initial, segment: '' });
  const segments = useLoad(
    (s) => (can(me, 'read_segments') ? get<{ segments: SavedSegment[] }>('/api/v1/segments', s) : Promise.resolve({ segments: [] })),
    [],
  );
  const params = query({ from: shown.from, to: shown.to, segment: shown.segment.trim() || undefined });
  const kpis = useLoad((s) => get<ReportTable<KpiRow>>('/api/v1/reports/kpis' + params, s), [params]);
  const funnel = useLoad((s) => get<ReportTable<FunnelRow>>('/api/v1/reports/funnel' + params, s), [params]);
  const previous = previousPeriod(shown.from, shown.to);
  const rows = kpis.data?.rows ?? [];
  const plain = new Map(rows.filter((r) => !r.breakdown && !r.currency).map((r) => [r.kpi, r]));
  const breakdowns = rows.filter((r) => r.breakdown);
  const hasCosts = rows.some((r) => costKpis.includes(r.kpi) && !r.breakdown && r.currency);

  return (
    <div>
      <h1>{t('rep.title')}</h1>
      <form
        class="editor inline card"
        id="report-period"
        onSubmit={(e) => {
          e.preventDefault();
          setShown({ ...form });
        }}
      >
        <label>
          {t('rep.from')}
          <input type="date" name="from" value={form.from} required onInput={(e) => setForm({ ...form, from: e.currentTarget.value })} />
          {/* The browser's picker is Gregorian: the day as the user's calendar names it. */}
          <output class="in-calendar" name="from-in-calendar">
            {date(form.from)}
          </output>
          {preferences().calendar !== 'gregory' && (
            <input
              name="from-calendar"
              dir="ltr"
              class="calendar-date"
              placeholder={t('rep.in_calendar')}
              aria-label={t('rep.in_calendar')}
              onInput={(e) => {
                const iso = parseCalendarDate(e.currentTarget.value);
                if (iso) setForm({ ...form, from: iso });
              }}
            />
          )}
        </label>
        <label>
          {t('rep.to')}
          <input type="date" name="to" value={form.to} required onInput={(e) => setForm({ ...form, to: e.currentTarget.value })} />
          {/* The browser's picker is Gregorian: the day as the user's calendar names it. */}
          <output class="in-calendar" name="to-in-calendar">
            {date(form.to)}
          </output>
          {preferences().calendar !== 'gregory' && (
            <input
              name="to-calendar"
              dir="ltr"
              class="calendar-date"
              placeholder={t('rep.in_calendar')}
              aria-label={t('rep.in_calendar')}
              onInput={(e) => {
                const iso = parseCalendarDate(e.currentTarget.value);
                if (iso) setForm({ ...form, to: iso });
              }}
            />
          )}
        </label>
        <label class="grow">
          {t('rep.segment')}
          <input
            name="segment"
            list="report-segments"
            value={form.segment}
            placeholder={t('rep.all_customers')}
            title={t('rep.segment_help')}
            dir="auto"
            onInput={(e) => setForm({ ...form, segment: e.currentTarget.value })}
          />
          <datalist id="report-segments">
            {segments.data?.segments.map((s) => (
              <option key={s.name} value={'segment:' + s.name}>
                {s.description || s.definition}
              </option>
            ))}
          </datalist>
        </label>
        <button type="submit">{t('rep.apply')}</button>
      </form>

      <Card title={t('rep.kpis')} id="report-kpis">
        <p class="muted" id="report-period-line">
          {t('rep.period', { from: date(shown.from), to: date(shown.to), pfrom: date(previous.from), pto: date(previous.to) })}
          {shown.segment.trim() && <> · {shown.segment.trim()}</>}
        </p>
        <ErrorBox error={kpis.error} />
        {kpis.loading && !kpis.data && <Loading />}
        {kpis.data && (
          <>
            <div class="kpis">
              {cardKpis.map((k) => plain.get(k)).map((r) => r && <KpiCard key={r.kpi} row={r} />)}
            </div>
            <h3>{t('rep.money')}</h3>
            <MoneyTable rows={rows} keys={moneyKpis} id="report-money" />
            {hasCosts && <MoneyTable rows={rows} keys={costKpis} id="report-costs" />}
            {breakdowns.length > 0 && (
              <>
                <h3>{t('rep.breakdowns')}</h3>
                <table id="report-breakdowns">
                  <thead>
                    <tr>
                      <th>{t('rep.measure')}</th>
                      <th>{t('rep.breakdown')}</th>
                      <th class="num">{t('rep.this_period')}</th>
                      <th class="num">{t('rep.previous')}</th>
                      <th class="num">{t('rep.change')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {breakdowns.map((r, i) => (
                      <tr key={i}>
                        <td>{kpiName(r.kpi)}</td>
                        <td dir="auto">{r.breakdown}</td>
                        <td class="num">{kpiValue(r, r.value)}</td>
                        <td class="num">{kpiValue(r, r.previous)}</td>
                        <td class="num">
                          <Change row={r} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
            <p>
              <a href={'/api/v1/reports/kpis' + query({ from: shown.from, to: shown.to, segment: shown.segment.trim() || undefined, format: 'csv' })} download="kpis.csv">
                {t('rep.csv')}
              </a>
            </p>
          </>
        )}
      </Card>

      <Cohorts segment={shown.segment.trim()} to={shown.to} />
      <CampaignResults />
      <Suggestions />

      <Card title={t('rep.funnel')} id="report-funnel">
        <ErrorBox error={funnel.error} />
        {funnel.data && <FunnelTable rows={funnel.data.rows} />}
      </Card>

      <Weekly />
    </div>
  );
}

// Share 0..1 -> one of 11 shades (classes, not inline styles: the CSP allows none).
const shade = (v: number) => 'heat-' + Math.max(0, Math.min(10, Math.round(v * 10)));

function Cohorts({ segment, to }: { segment: string; to: string }) {
  const [months, setMonths] = useState('12');
  const [by, setBy] = useState('');
  const [show, setShow] = useState<'retention' | 'revenue'>('retention');
  const params = query({ months, by: by || undefined, to, segment: segment || undefined });
  const cohorts = useLoad((s) => get<{ tables: ReportTable<CohortRow>[] }>('/api/v1/reports/cohorts' + params, s), [params]);
  const table = cohorts.data?.tables[show === 'retention' ? 0 : 1];
  const monthColumns = table?.columns.filter((c) => /^m\d+$/.test(c)) ?? [];
  const grouped = !!by;
  return (
    <Card title={t('rep.cohorts')} id="report-cohorts">
      <p class="muted">{t('rep.cohorts_help')}</p>
      <div class="filters">
        <label>
          {t('rep.months')}
          <select name="cohort-months" value={months} onChange={(e) => setMonths(e.currentTarget.value)}>
            {['6', '12', '24'].map((m) => (
              <option key={m} value={m}>
                {num(Number(m))}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('rep.group_by')}
          <select name="cohort-by" value={by} onChange={(e) => setBy(e.currentTarget.value)}>
            <option value="">{t('rep.by_none')}</option>
            <option value="acquisition_channel">{t('rep.by_channel')}</option>
            <option value="source">{t('rep.by_source')}</option>
          </select>
        </label>
        <label>
          {t('rep.show')}
          <select name="cohort-show" value={show} onChange={(e) => setShow(e.currentTarget.value as 'retention' | 'revenue')}>
            <option value="retention">{t('rep.show_retention')}</option>
            <option value="revenue">{t('rep.show_revenue')}</option>
          </select>
        </label>
      </div>
      <ErrorBox error={cohorts.error} />
      {cohorts.loading && !table && <Loading />}
      {table && table.rows.length === 0 && <p class="muted">{t('rep.no_cohorts')}</p>}
      {table && table.rows.length > 0 && (
        <div class="scroll">
          <table class="cohorts" id="cohort-table" data-show={show}>
            <thead>
              <tr>
                {grouped && <th>{t('rep.group')}</th>}
                <th>{t('rep.cohort')}</th>
                <th class="num">{t('rep.size')}</th>
                {monthColumns.map((c) => (
                  <th class="num" key={c}>
                    {num(Number(c.slice(1)))}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((r, i) => (
                <tr key={i} data-cohort={r.cohort}>
                  {grouped && <td dir="auto">{r.group ?? '—'}</td>}
                  <td>{monthName(r.cohort)}</td>
                  <td class="num">{num(r.size)}</td>
                  {monthColumns.map((c) => {
                    const v = r[c] as number | null;
                    if (v === null) return <td key={c} class="num empty" />;
                    if (show === 'retention')
                      return (
                        <td key={c} class={'num ' + shade(v)} data-month={c}>
                          {pct(v, 0)}
                        </td>
                      );
                    return (
                      <td key={c} class="num" data-month={c}>
                        {money(v, r.currency as string)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

// "2026-03" as the month in the user's calendar and digits.
function monthName(cohort: string): string {
  const d = new Date(cohort + '-15T12:00:00Z');
  if (Number.isNaN(d.getTime())) return cohort;
  const p = preferences();
  try {
    return new Intl.DateTimeFormat(`${p.locale}-u-ca-${p.calendar}-nu-${p.digits}`, { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(d);
  } catch {
    return cohort;
  }
}

function CampaignResults() {
  const campaigns = useLoad((s) => get<ReportTable<CampaignRow>>('/api/v1/reports/campaigns', s), []);
  const rows = campaigns.data?.rows ?? [];
  return (
    <Card title={t('rep.campaigns')} id="report-campaigns">
      <p class="muted">{t('rep.campaigns_help')}</p>
      <ErrorBox error={campaigns.error} />
      {campaigns.data && rows.length === 0 && <p class="muted">{t('rep.no_campaigns')}</p>}
      {rows.length > 0 && (
        <div class="scroll">
          <table id="campaign-report">
            <thead>
              <tr>
                <th>{t('rep.campaign')}</th>
                <th>{t('rep.variant')}</th>
                <th>{t('camp.channel')}</th>
                <th class="num">{t('rep.reach')}</th>
                <th class="num">{t('rep.suppressed')}</th>
                <th class="num">{t('camp.g.opened')}</th>
                <th class="num">{t('camp.g.clicked')}</th>
                <th class="num">{t('camp.g.converted')}</th>
                <th class="num">{t('rep.conversion')}</th>
                <th class="num">{t('rep.holdout')}</th>
                <th class="num">{t('rep.lift')}</th>
                <th>{t('rep.verdict')}</th>
                <th class="num">{t('rep.revenue')}</th>
                <th class="num">{t('rep.cost')}</th>
                <th class="num">{t('rep.roi')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.campaign_id + '/' + (r.variant ?? '')} data-campaign={r.campaign_id} data-variant={r.variant ?? ''}>
                  <td>
                    <a href={'#/campaigns/' + r.campaign_id} dir="auto">
                      {r.campaign}
                    </a>
                  </td>
                  <td>{r.variant ?? ''}</td>
                  <td>{t(('camp.ch.' + r.channel) as MessageKey)}</td>
                  <td class="num" data-col="reach">{num(r.reach)}</td>
                  <td class="num" data-col="suppressed">{r.suppressed === null ? '' : num(r.suppressed)}</td>
                  <td class="num">{num(r.opened)}</td>
                  <td class="num">{num(r.clicked)}</td>
                  <td class="num" data-col="converted">{num(r.converted)}</td>
                  <td class="num" data-col="conversion">{pct(r.conversion_rate, 1)}</td>
                  <td class="num" data-col="holdout">
                    <span class="holdout-count">{num(r.holdout)}</span>
                    {r.holdout_rate !== null && <div class="small muted">{pct(r.holdout_rate, 1)}</div>}
                  </td>
                  <td class="num" data-col="lift">
                    {r.lift === null ? (
                      '—'
                    ) : (
                      <>
                        <span class="lift-value">{pct(r.lift, 1, true)}</span>
                        <div class="small muted lift-ci">
                          [{pct(r.lift_ci_low, 1, true)} … {pct(r.lift_ci_high, 1, true)}]
                        </div>
                      </>
                    )}
                  </td>
                  <td data-col="verdict">
                    {r.significant === 'yes' ? (
                      <span class="badge granted">{t('rep.significant')}</span>
                    ) : r.significant === 'no' ? (
                      <span class="badge stale">{t('rep.not_significant')}</span>
                    ) : (
                      <span class="badge">{t('rep.no_holdout')}</span>
                    )}
                  </td>
                  <td class="num">{money(r.revenue_minor, r.currency ?? '')}</td>
                  <td class="num">{money(r.cost_minor, r.currency ?? '')}</td>
                  <td class="num">{r.roi === null ? '—' : pct(r.roi, 0)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

export type Verdict = 'target' | 'suppress' | 'not_significant' | 'small_sample';

export function verdictOf(r: Pick<SuggestionRow, 'action' | 'reason'>): Verdict {
  if (r.action === 'target' || r.action === 'suppress') return r.action;
  return r.reason === 'not_significant' ? 'not_significant' : 'small_sample';
}

const verdictRank: Record<Verdict, number> = { target: 0, suppress: 1, not_significant: 2, small_sample: 3 };
const verdictBadge: Record<Verdict, string> = { target: 'badge granted', suppress: 'badge bounced', not_significant: 'badge stale', small_sample: 'badge' };

// Strongest first: targets, then suppressions, then the rest; within each, the
// rate ratio farthest from 1 (on the log scale, so 0.5× is as strong as 2×)
// first — a target or suppression without a ratio (one group converted nobody)
// first of all —, then channel and segment. Across channels, unlike the API,
// which ranks within each channel.
export function rankSuggestions(rows: SuggestionRow[]): SuggestionRow[] {
  const strength = (r: SuggestionRow) => {
    const v = verdictOf(r);
    if (r.ratio === null || r.ratio <= 0) return v === 'target' || v === 'suppress' ? Infinity : 0;
    return Math.abs(Math.log(r.ratio));
  };
  return [...rows].sort(
    (a, b) =>
      verdictRank[verdictOf(a)] - verdictRank[verdictOf(b)] ||
      strength(b) - strength(a) ||
      (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0) ||
      (a.segment < b.segment ? -1 : a.segment > b.segment ? 1 : 0),
  );
}

// The server's default least number of messages in each group is 100.
const minReachChoices = ['10', '30', '100', '300', '1000'];

function Suggestions() {
  const [minReach, setMinReach] = useState('100');
  // The data keeps the least reach it was asked with: right after a new choice,
  // one render still shows the previous answer (the new request starts after
  // it), and the table's data-min-reach must name what it shows.
  const suggestions = useLoad(
    async (s) => ({
      minReach,
      table: await get<ReportTable<SuggestionRow>>('/api/v1/reports/suggestions' + query({ min_reach: minReach }), s),
    }),
    [minReach],
  );
  const rows = rankSuggestions(suggestions.data?.table.rows ?? []);
  return (
    <Card title={t('rep.suggestions')} id="report-suggestions">
      <p class="muted">{t('rep.suggestions_help')}</p>
      <div class="filters">
        <label>
          {t('rep.min_reach')}
          <select name="suggestion-min-reach" value={minReach} onChange={(e) => setMinReach(e.currentTarget.value)}>
            {minReachChoices.map((m) => (
              <option key={m} value={m}>
                {num(Number(m))}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBox error={suggestions.error} />
      {suggestions.loading && !suggestions.data && <Loading />}
      {suggestions.data && rows.length === 0 && <p class="muted" id="no-suggestions">{t('rep.no_suggestions')}</p>}
      {rows.length > 0 && (
        <div class="scroll">
          <table id="suggestion-table" data-min-reach={suggestions.loading ? '' : suggestions.data?.minReach}>
            <thead>
              <tr>
                <th>{t('camp.channel')}</th>
                <th>{t('rep.segment')}</th>
                <th>{t('rep.suggestion')}</th>
                <th class="num">{t('rep.sg_rate')}</th>
                <th class="num">{t('rep.sg_rest')}</th>
                <th class="num">{t('rep.sg_ratio')}</th>
                <th class="num">{t('rep.sg_messages')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const v = verdictOf(r);
                return (
                  <tr key={r.channel + '/' + r.segment} data-channel={r.channel} data-segment={r.segment} data-verdict={v}>
                    <td>{t(('camp.ch.' + r.channel) as MessageKey)}</td>
                    <td dir="auto">{r.segment}</td>
                    <td data-col="verdict">
                      <span class={verdictBadge[v]}>{t(('rep.sg.' + v) as MessageKey)}</span>
                    </td>
                    <td class="num" data-col="rate">
                      <span class="rate-value">{pct(r.conversion_rate, 1)}</span>
                      <div class="small muted rate-ci">
                        [{pct(r.rate_ci_low, 1)} … {pct(r.rate_ci_high, 1)}]
                      </div>
                    </td>
                    <td class="num" data-col="rest">
                      <span class="rest-value">{pct(r.rest_rate, 1)}</span>
                      <div class="small muted rest-reach">{t('rep.sg_messages_n', { n: r.rest_reach })}</div>
                    </td>
                    <td class="num" data-col="ratio">
                      {r.ratio === null ? (
                        '—'
                      ) : (
                        <>
                          <span class="ratio-value">{num(r.ratio, 2)}×</span>
                          <div class="small muted ratio-ci">
                            [{num(r.ratio_ci_low, 2)} … {num(r.ratio_ci_high, 2)}]
                          </div>
                        </>
                      )}
                    </td>
                    <td class="num" data-col="reach">
                      <span class="reach-value">{num(r.reach)}</span>
                      <div class="small muted reach-campaigns">{t('rep.sg_campaigns_n', { n: r.campaigns })}</div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

function FunnelTable({ rows }: { rows: FunnelRow[] }) {
  const top = Math.max(1, ...rows.map((r) => r.customers));
  return (
    <table id="funnel-table">
      <thead>
        <tr>
          <th>{t('rep.stage')}</th>
          <th class="num">{t('rep.size')}</th>
          <th class="bar-cell" aria-hidden="true" />
          <th class="num">{t('rep.from_previous_stage')}</th>
          <th class="num">{t('rep.previous')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.stage} data-stage={r.stage}>
            <td>{t(('rep.f.' + r.stage) as MessageKey)}</td>
            <td class="num" data-col="customers">
              {num(r.customers)}
            </td>
            <td class="bar-cell">
              <progress class="bar" max={top} value={r.customers} />
            </td>
            <td class="num">{pct(r.conversion_from_previous_stage, 1)}</td>
            <td class="num muted">
              {num(r.previous_period)}
              {r.previous_conversion !== null && <> ({pct(r.previous_conversion, 1)})</>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const reportCalendar = { gregory: 'gregorian', persian: 'persian', 'islamic-umalqura': 'islamic' } as const;

function Weekly() {
  const p = preferences();
  const [lang, setLang] = useState<string>(p.locale);
  const [framed, setFramed] = useState(false);
  const href = '/api/v1/reports/weekly' + query({ lang, calendar: reportCalendar[p.calendar] });
  return (
    <Card title={t('rep.weekly')} id="report-weekly">
      <p class="muted">{t('rep.weekly_help')}</p>
      <div class="filters">
        <label>
          {t('rep.weekly_language')}
          <select name="weekly-lang" value={lang} onChange={(e) => setLang(e.currentTarget.value)}>
            <option value="en">English</option>
            <option value="fa">فارسی</option>
            <option value="ar">العربية</option>
            <option value="sv">Svenska</option>
          </select>
        </label>
        <a class="button" id="open-weekly" href={href} target="_blank" rel="noopener">
          {t('rep.open_weekly')}
        </a>
        <button type="button" class="secondary" id="show-weekly" onClick={() => setFramed(!framed)}>
          {framed ? t('rep.hide_weekly') : t('rep.show_weekly')}
        </button>
      </div>
      {/* sandbox without allow-scripts: the report has no scripts and gets none */}
      {framed && <iframe class="weekly-frame" id="weekly-frame" src={href} sandbox="" title={t('rep.weekly')} />}
    </Card>
  );
}
