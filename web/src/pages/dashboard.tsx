// Dashboard: counts, the key figures of the last 30 days with their trend
// against the 30 days before (/api/v1/reports/kpis), saved segments with their
// last counts and how their membership moved, the recent campaigns with their
// results and lift, and a data-quality summary.
import { can, get, type Me } from '../api';
import { num, date, fieldName, t, type MessageKey } from '../i18n';
import { Card, ErrorBox, Loading, useLoad } from '../ui';
import type { Quality, SavedSegment } from './types';
import type { Campaign } from './campaigns';
import { KpiCard, MoneyTable, type KpiRow, type ReportTable } from './reports';

interface Stats {
  customers: number;
  accounts: number;
  products: number;
  orders: number;
  events: number;
  consents_granted: number;
  consents_withdrawn: number;
  contact_points: Record<string, Record<string, number>>;
}

export function Dashboard({ me }: { me: Me }) {
  const stats = useLoad((s) => get<Stats>('/api/v1/stats', s), []);
  const quality = useLoad((s) => get<Quality>('/api/v1/quality', s), []);
  const segments = useLoad(
    (s) => (can(me, 'read_segments') ? get<{ segments: SavedSegment[] }>('/api/v1/segments', s) : Promise.resolve({ segments: [] })),
    [],
  );
  const d = stats.data;
  const contactTotal = d ? Object.values(d.contact_points).reduce((a, m) => a + Object.values(m).reduce((x, y) => x + y, 0), 0) : 0;
  const kpis: [MessageKey, number | undefined][] = d
    ? [
        ['dash.customers', d.customers],
        ['dash.orders', d.orders],
        ['dash.events', d.events],
        ['dash.contact_points', contactTotal],
        ['dash.consents_granted', d.consents_granted],
        ['dash.consents_withdrawn', d.consents_withdrawn],
        ['dash.accounts', d.accounts],
        ['dash.products', d.products],
      ]
    : [];
  return (
    <div>
      <h1>{t('dash.title')}</h1>
      <ErrorBox error={stats.error} />
      {stats.loading && !d && <Loading />}
      <div class="kpis" id="stats">
        {kpis.map(([label, value]) => (
          <div class="kpi" key={label}>
            <div class="kpi-value">{num(value)}</div>
            <div class="kpi-label">{t(label)}</div>
          </div>
        ))}
      </div>
      <Trends />
      <div class="grid2">
        <Card title={t('dash.segments')}>
          <ErrorBox error={segments.error} />
          <table>
            <tbody>
              {segments.data?.segments.map((s) => (
                <tr key={s.name}>
                  <td>
                    <a href={'#/segments/' + encodeURIComponent(s.name)}>{s.name}</a>
                  </td>
                  <td class="num">{num(s.last_count)}</td>
                  <td>
                    <Trend segment={s.name} />
                  </td>
                  <td class="muted">{date(s.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title={t('dash.quality')}>
          <ErrorBox error={quality.error} />
          {quality.data && <QualitySummary q={quality.data} />}
        </Card>
      </div>
      {can(me, 'read_reports') && <RecentCampaigns />}
    </div>
  );
}

// The last 30 days against the 30 before: the figures a marketer watches, and
// revenue per currency.
const trendKpis = ['customers_active', 'customers_new', 'buyers', 'orders', 'retention_rate', 'churn_rate'];
function Trends() {
  const kpis = useLoad((s) => get<ReportTable<KpiRow>>('/api/v1/reports/kpis', s), []);
  const rows = kpis.data?.rows ?? [];
  const plain = new Map(rows.filter((r) => !r.breakdown && !r.currency).map((r) => [r.kpi, r]));
  return (
    <Card title={t('dash.trends')} id="trends">
      <ErrorBox error={kpis.error} />
      {kpis.loading && !kpis.data && <Loading />}
      {kpis.data && (
        <>
          <div class="kpis">{trendKpis.map((k) => plain.get(k)).map((r) => r && <KpiCard key={r.kpi} row={r} />)}</div>
          <MoneyTable rows={rows} keys={['revenue', 'average_order_value']} id="trend-money" />
        </>
      )}
    </Card>
  );
}

export function QualitySummary({ q }: { q: Quality }) {
  const byKind = new Map<string, { total: number; verified: number; invalid: number; bounced: number; stale: number }>();
  for (const c of q.contact_points) {
    const k = byKind.get(c.kind) ?? { total: 0, verified: 0, invalid: 0, bounced: 0, stale: 0 };
    k.total += c.total;
    k.verified += c.verified;
    k.invalid += c.invalid;
    k.bounced += c.bounced;
    k.stale += c.stale;
    byKind.set(c.kind, k);
  }
  return (
    <table class="quality-summary">
      <thead>
        <tr>
          <th>{t('cust.channel')}</th>
          <th class="num">Σ</th>
          <th class="num">{t('cust.verified')}</th>
          <th class="num">{fieldName('invalid')}</th>
          <th class="num">{fieldName('bounced')}</th>
          <th class="num">{fieldName('stale')}</th>
        </tr>
      </thead>
      <tbody>
        {[...byKind].map(([kind, k]) => (
          <tr key={kind}>
            <td>{fieldName(kind)}</td>
            <td class="num">{num(k.total)}</td>
            <td class="num">{num(k.verified)}</td>
            <td class="num">{num(k.invalid)}</td>
            <td class="num">{num(k.bounced)}</td>
            <td class="num">{num(k.stale)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// A segment's members per recorded day as a small line (no chart library: an
// SVG polyline), with the latest change.
function Trend({ segment }: { segment: string }) {
  const history = useLoad(
    (s) => get<{ days: { day: string; members: number }[] }>(`/api/v1/segments/${encodeURIComponent(segment)}/history`, s),
    [segment],
  );
  const days = history.data?.days ?? [];
  if (days.length < 2) return <span class="muted">—</span>;
  const ordered = [...days].sort((a, b) => a.day.localeCompare(b.day)).slice(-30);
  const values = ordered.map((d) => d.members);
  const lo = Math.min(...values), hi = Math.max(...values);
  const w = 80, h = 20;
  const points = values.map((v, i) => `${(i * w) / (values.length - 1)},${hi === lo ? h / 2 : h - ((v - lo) * h) / (hi - lo)}`).join(' ');
  const change = values[values.length - 1] - values[values.length - 2];
  return (
    <span class="trend" title={t('dash.trend')}>
      <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} aria-hidden="true" class="spark">
        <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
      </svg>{' '}
      <span class={change > 0 ? 'up' : change < 0 ? 'down' : 'muted'} dir="ltr">
        {change > 0 ? '+' : change < 0 ? '−' : '±'}
        {num(Math.abs(change))}
      </span>
    </span>
  );
}

interface CampaignResults {
  targets: { members: number; sent: number; opened: number; clicked: number; converted: number };
  lift: null | { difference: number; significant: boolean };
}

// The five newest campaigns; for those that sent, their results and lift.
function RecentCampaigns() {
  const campaigns = useLoad(async (s) => {
    const list = (await get<{ campaigns: Campaign[] }>('/api/v1/campaigns', s)).campaigns.slice(0, 5);
    const results = await Promise.all(
      list.map((c) => (c.status === 'draft' ? Promise.resolve(null) : get<CampaignResults>(`/api/v1/campaigns/${c.id}/results`, s).catch(() => null))),
    );
    return list.map((c, i) => ({ c, r: results[i] }));
  }, []);
  const pct = (n: number, of: number) => (of ? num((100 * n) / of, 1) + '%' : '—');
  return (
    <Card title={t('dash.campaigns')} id="recent-campaigns">
      <ErrorBox error={campaigns.error} />
      {campaigns.data?.length === 0 && <p class="muted">{t('camp.none')}</p>}
      {!!campaigns.data?.length && (
        <table>
          <thead>
            <tr>
              <th>{t('common.name')}</th>
              <th>{t('common.status')}</th>
              <th class="num">{t('camp.g.sent')}</th>
              <th class="num">{t('camp.g.opened')}</th>
              <th class="num">{t('camp.g.clicked')}</th>
              <th class="num">{t('camp.g.converted')}</th>
              <th class="num">{t('dash.lift')}</th>
            </tr>
          </thead>
          <tbody>
            {campaigns.data.map(({ c, r }) => (
              <tr key={c.id}>
                <td>
                  <a href={'#/campaigns/' + c.id}>{c.name}</a>
                </td>
                <td>{t(`camp.st.${c.status}` as MessageKey) ?? c.status}</td>
                <td class="num">{r ? num(r.targets.sent) : '—'}</td>
                <td class="num">{r ? pct(r.targets.opened, r.targets.sent) : '—'}</td>
                <td class="num">{r ? pct(r.targets.clicked, r.targets.sent) : '—'}</td>
                <td class="num">{r ? pct(r.targets.converted, r.targets.members) : '—'}</td>
                <td class={'num ' + (r?.lift?.significant ? 'up' : '')} dir="ltr">
                  {r?.lift ? (r.lift.difference >= 0 ? '+' : '−') + num(Math.abs(100 * r.lift.difference), 1) + ' pp' + (r.lift.significant ? '' : ' ?') : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
