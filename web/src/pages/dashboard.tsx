// Dashboard: counts, saved segments with their last counts, and a data-quality
// summary. (Campaign results join when the campaign API exists.)
import { can, get, type Me } from '../api';
import { num, date, fieldName, t, type MessageKey } from '../i18n';
import { Card, ErrorBox, Loading, useLoad } from '../ui';
import type { Quality, SavedSegment } from './types';

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
      <div class="kpis">
        {kpis.map(([label, value]) => (
          <div class="kpi" key={label}>
            <div class="kpi-value">{num(value)}</div>
            <div class="kpi-label">{t(label)}</div>
          </div>
        ))}
      </div>
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
    </div>
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
