// Customers: search as you type, and the one customer view (R23).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, can, get, post, request, type Me } from '../api';
import { date, fieldName, num, t, tag } from '../i18n';
import { go } from '../router';
import { Card, ErrorBox, Loading, isAbort, useDebounced, useLoad, usePurposeChoices } from '../ui';
import type { CustomerBrief } from './types';

// What the typed text is: an email, a phone number, or part of a name.
export function searchQuery(text: string, country = ''): string {
  // Persian and Arabic-Indic digits typed in a phone number are digits too.
  const ascii = text.trim().replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x6f0)).replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x660));
  const q = /^[+\d][\d\s().-]{4,}$/.test(ascii) ? ascii : text.trim();
  if (q.includes('@')) return 'email=' + encodeURIComponent(q);
  if (/^[+\d][\d\s().-]{4,}$/.test(q)) {
    return 'phone=' + encodeURIComponent(q) + (!q.startsWith('+') && country ? '&country=' + country : '');
  }
  return 'q=' + encodeURIComponent(q);
}

export function Customers() {
  const [text, setText] = useState(() => sessionStorage.getItem('patron.search') ?? '');
  // The country of phone numbers typed without +country code.
  const [country, setCountry] = useState(() => localStorage.getItem('patron.phone_country') ?? defaultPhoneCountry());
  const query = useDebounced(text, 250);
  const [state, setState] = useState<{ rows?: CustomerBrief[]; error?: unknown; loading?: boolean }>({});
  useEffect(() => {
    sessionStorage.setItem('patron.search', query);
    if (!query.trim()) {
      setState({});
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    get<{ customers: CustomerBrief[] }>('/api/v1/customers?limit=50&' + searchQuery(query, country), controller.signal).then(
      (r) => setState({ rows: r.customers }),
      (error) => !isAbort(error) && setState({ error }),
    );
    return () => controller.abort(); // a newer query wins
  }, [query, country]);
  return (
    <div>
      <h1>{t('cust.title')}</h1>
      <input
        type="search"
        class="search"
        name="search"
        placeholder={t('cust.search')}
        aria-label={t('cust.search')}
        value={text}
        autofocus
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <label class="inline-label">
        {t('cust.phone_country')}
        <select
          name="phone-country"
          value={country}
          onChange={(e) => {
            setCountry(e.currentTarget.value);
            localStorage.setItem('patron.phone_country', e.currentTarget.value);
          }}
        >
          <option value="">—</option>
          {['IR', 'SE', 'AE', 'SA', 'EG', 'IQ', 'GB', 'US', 'DE'].map((c) => (
            <option value={c}>{c}</option>
          ))}
        </select>
      </label>
      {/* A phone number half typed is not an error: say how the search works instead. */}
      {partial(state.error) ? (
        <p class="muted" id="search-hint">
          {t('cust.whole_contact')}
        </p>
      ) : (
        <ErrorBox error={state.error} />
      )}
      {state.rows && state.rows.length === 0 && (
        <p class="muted" id="search-hint">
          {t('cust.no_results')} {/[@\d]/.test(query) && t('cust.whole_contact')}
        </p>
      )}
      {state.rows && state.rows.length > 0 && (
        <table class="results">
          <thead>
            <tr>
              <th>{t('common.name')}</th>
              <th>{t('cust.email')}</th>
              <th>{t('cust.phone')}</th>
              <th>{t('cust.city')}</th>
              <th>{t('cust.country')}</th>
            </tr>
          </thead>
          <tbody>
            {state.rows.map((c) => (
              <tr key={c.id} class="clickable" onClick={() => go('customers/' + c.id)}>
                <td>
                  <a href={'#/customers/' + c.id}>
                    <bdi>{c.name ?? '#' + c.id}</bdi>
                  </a>
                </td>
                <td dir="ltr">{c.email}</td>
                <td dir="ltr">{c.phone}</td>
                <td>{c.city}</td>
                <td>{c.country}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function partial(error: unknown): boolean {
  return error instanceof ApiError && error.status === 400 && error.field === 'phone';
}

function defaultPhoneCountry(): string {
  const lang = document.documentElement.lang;
  return lang === 'fa' ? 'IR' : lang === 'sv' ? 'SE' : '';
}

interface ContactPoint {
  kind: string;
  value: string;
  status: string;
  source: string;
  first_seen: string;
  last_seen: string;
  last_verified?: string;
  phone_type?: string;
  // How likely it still works, from when it was last verified or seen, at
  // the store's decay rate (the server computes it as for golden records);
  // stale below 75 %: verify it again before using it.
  freshness: number;
  stale: boolean;
}

interface PolicyFlags {
  key_account: boolean;
  in_collections: boolean;
  active_offers: { campaign_id: number; campaign: string; offer_product: string; team: string; at: string | null }[];
  policy: { key_account_tag: string; collections_tag: string; offer_days: number };
}

interface Consent {
  channel: string;
  purpose: string;
  status: string;
  method: string;
  proof: string;
  source: string;
  recorded_at: string;
}
interface CustomerViewData {
  id: number;
  profile: Record<string, string | number | null>;
  tags: string[];
  attributes: Record<string, string>;
  traits: Record<string, string>;
  contact_points: ContactPoint[];
  consents: Consent[];
  accounts: { id?: number; name?: string; role?: string; [k: string]: unknown }[];
  purchases: {
    orders: number;
    items: number;
    revenue_minor: number;
    currency: string;
    first_order?: string;
    last_order?: string;
    top_categories: { category: string; items: number }[];
  };
  sources: { source: string; key: string }[];
  field_issues: { field?: string; reason?: string; [k: string]: unknown }[];
}
interface TimelineItem {
  at: string;
  kind: string;
  id: number;
  type: string;
  detail: Record<string, unknown>;
}

const editable = ['given_name', 'family_name', 'full_name', 'gender', 'birth_date', 'language', 'city', 'region', 'country', 'lifecycle_stage'];

// Things to know before acting on this person: shown above everything else.
function flags(c: CustomerViewData): string[] {
  const out = c.tags.map((tag) => '#' + tag);
  for (const [k, v] of Object.entries(c.attributes)) {
    if (/key_account|collections|offer|vip|complaint/i.test(k)) out.push(`${k}: ${v}`);
  }
  for (const consent of c.consents) {
    if (consent.status === 'withdrawn') out.push(`${fieldName(consent.channel)}: ${fieldName(consent.status)}`);
  }
  for (const p of c.contact_points) {
    if (p.status === 'bounced' || p.status === 'invalid') out.push(`${fieldName(p.kind)}: ${fieldName(p.status)}`);
  }
  if (c.traits.churn_risk && Number(c.traits.churn_risk) >= 0.5) out.push(`${fieldName('churn_risk')} ${num(Number(c.traits.churn_risk), 2)}`);
  for (const a of c.accounts) {
    if (/key|strategic|enterprise/i.test(String(a.tier ?? ''))) out.push(`key account: ${a.name}`);
    if (/collection|overdue|suspended/i.test(String(a.contract_status ?? ''))) out.push(`${a.name}: ${a.contract_status}`);
  }
  return out;
}

// The model's headline traits first (docs/models.md), then the rest.
const traitOrder = ['rfm', 'lifecycle', 'clv_12m', 'churn_risk', 'p_alive', 'best_channel', 'best_send_hour', 'recommended_products'];
function orderedTraits(traits: Record<string, string>): [string, string][] {
  const rank = (k: string) => (traitOrder.includes(k) ? traitOrder.indexOf(k) : traitOrder.length + (k === 'computed_at' ? 1 : 0));
  return Object.entries(traits).sort((a, b) => rank(a[0]) - rank(b[0]));
}

// The model's best send time is an hour of the week in UTC ("Tue 21:00 UTC"):
// the weekday and time in the user's language and digits, and in the customer's
// own time zone when the profile has one.
const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
function formatSendHour(value: string, zone?: string): string | null {
  const m = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{2}):00 UTC$/.exec(value);
  if (!m) return null;
  const at = new Date(Date.UTC(2024, 0, 1 + weekdays.indexOf(m[1]), Number(m[2]))); // 2024-01-01 was a Monday
  const show = (timeZone: string) =>
    new Intl.DateTimeFormat(tag(), { weekday: 'long', hour: 'numeric', minute: '2-digit', timeZone }).format(at);
  let local = '';
  try {
    if (zone && zone !== 'UTC') local = ` (${show(zone)}, ${zone})`;
  } catch {
    local = ''; // a zone this browser does not know
  }
  return `${show('UTC')} UTC${local}`;
}

function formatTrait(key: string, value: string, zone?: string): string {
  if (key === 'best_send_hour') return formatSendHour(value, zone) ?? value;
  if (key.endsWith('_at')) return date(value, true);
  if (/^-?\d+(\.\d+)?$/.test(value)) return num(Number(value), 2);
  if (value.startsWith('[') || value.startsWith('{')) {
    try {
      const parsed = JSON.parse(value);
      if (Array.isArray(parsed)) return parsed.join(', ');
      return Object.entries(parsed)
        .map(([k, v]) => `${k} ${typeof v === 'number' ? num(v * 100, 1) + '%' : v}`)
        .join(' · ');
    } catch {
      return value;
    }
  }
  const money = /^(-?\d+(?:\.\d+)?) ([A-Z]{3})$/.exec(value);
  if (money) return formatMoney(Math.round(Number(money[1]) * 100), money[2]);
  return value;
}

function formatMoney(minor: number, currency: string): string {
  if (!currency) return num(minor / 100, 2);
  try {
    return new Intl.NumberFormat(document.documentElement.lang, { style: 'currency', currency }).format(minor / 100);
  } catch {
    return num(minor / 100, 2) + ' ' + currency;
  }
}

export function CustomerView({ me, id }: { me: Me; id: string }) {
  const view = useLoad((s) => get<CustomerViewData>('/api/v1/customers/' + encodeURIComponent(id), s), [id]);
  const policyFlags = useLoad((s) => get<PolicyFlags>(`/api/v1/customers/${encodeURIComponent(id)}/flags`, s), [id]);
  const [editing, setEditing] = useState(false);
  // Consents name a purpose by its key; people read its title (Settings).
  const purposes = usePurposeChoices(can(me, 'read_reports'));
  const purposeLabel = (key: string) => purposes.find((p) => p.name === key)?.label ?? key;
  const c = view.data;
  if (view.error) return <ErrorBox error={view.error} />;
  if (!c) return <Loading />;
  const name = String(c.profile.full_name ?? [c.profile.given_name, c.profile.family_name].filter(Boolean).join(' ') ?? '#' + c.id);
  // The contact policy's own flags first (what would keep a campaign from them), then the rest.
  const f = policyFlags.data;
  const policyWarnings: string[] = [];
  if (f?.key_account) policyWarnings.push(t('camp.r.key_account'));
  if (f?.in_collections) policyWarnings.push(t('camp.r.in_collections'));
  for (const o of f?.active_offers ?? []) {
    policyWarnings.push(`${t('camp.r.active_offer')}: ${o.offer_product} (${o.campaign}${o.team ? ', ' + o.team : ''}, ${date(o.at)})`);
  }
  const policyTags = new Set(['#' + (f?.policy.key_account_tag ?? ''), '#' + (f?.policy.collections_tag ?? '')]);
  const warnings = [...policyWarnings, ...flags(c).filter((w) => !policyTags.has(w))];
  return (
    <div class="customer">
      <p>
        <a href="#/customers">{t('cust.back')}</a>
      </p>
      <h1>{name}</h1>
      {warnings.length > 0 && (
        <div class="flags" role="note" aria-label={t('cust.flags')}>
          <strong>{t('cust.flags')}:</strong>
          {warnings.map((w, i) => (
            <span class={'flag' + (i < policyWarnings.length ? ' policy' : '')}>{w}</span>
          ))}
        </div>
      )}
      <div class="grid2">
        <Card title={t('cust.profile')} id="profile">
          {editing ? (
            <ProfileEditor
              id={c.id}
              profile={c.profile}
              onDone={() => {
                setEditing(false);
                view.reload();
              }}
            />
          ) : (
            <>
              <dl class="fields">
                {Object.entries(c.profile).map(([k, v]) => (
                  <>
                    <dt>{fieldName(k)}</dt>
                    <dd>{/_at$/.test(k) ? date(String(v), true) : k === 'birth_date' ? date(String(v)) : String(v ?? '')}</dd>
                  </>
                ))}
              </dl>
              {can(me, 'write_customers') && <button onClick={() => setEditing(true)}>{t('common.edit')}</button>}
            </>
          )}
        </Card>
        <Card title={t('cust.traits')} id="traits">
          <dl class="fields">
            {orderedTraits(c.traits).map(([k, v]) => (
              <>
                <dt>{fieldName(k)}</dt>
                <dd data-trait={k}>{formatTrait(k, v, c.profile.time_zone ? String(c.profile.time_zone) : undefined)}</dd>
              </>
            ))}
            {Object.entries(c.attributes).map(([k, v]) => (
              <>
                <dt>{fieldName(k)}</dt>
                <dd>{v}</dd>
              </>
            ))}
          </dl>
        </Card>
      </div>
      <Card title={t('cust.contact_points')} id="contact-points">
        <table>
          <thead>
            <tr>
              <th>{t('cust.channel')}</th>
              <th>{t('cust.email')} / {t('cust.phone')}</th>
              <th>{t('common.status')}</th>
              <th>{t('cust.verified')}</th>
              <th>{t('cust.last_seen')}</th>
              <th class="num">{t('cust.freshness')}</th>
              <th>{t('cust.sources')}</th>
            </tr>
          </thead>
          <tbody>
            {c.contact_points.map((p) => (
              <tr class={'cp-' + p.status}>
                <td>
                  {fieldName(p.kind)}
                  {p.phone_type ? ` (${fieldName(p.phone_type)})` : ''}
                </td>
                <td dir={p.kind === 'address' ? undefined : 'ltr'}>{p.value}</td>
                <td>
                  <span class={'badge ' + p.status}>{fieldName(p.status)}</span>
                </td>
                <td>{date(p.last_verified)}</td>
                <td>{date(p.last_seen)}</td>
                <td class="num freshness">
                  {num(100 * p.freshness, 0)}%{p.stale && <span class="badge stale">{fieldName('stale')}</span>}
                </td>
                <td>{p.source}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {can(me, 'write_customers') && <ContactPointForm id={c.id} onDone={view.reload} />}
      </Card>
      <Card title={t('cust.consents')} id="consents">
        {c.consents.length === 0 && <p class="muted">{t('common.none')}</p>}
        <table>
          <thead>
            <tr>
              <th>{t('cust.channel')}</th>
              <th>{t('cust.purpose')}</th>
              <th>{t('common.status')}</th>
              <th>{t('cust.method')}</th>
              <th>{t('cust.proof')}</th>
              <th>{t('common.created')}</th>
            </tr>
          </thead>
          <tbody>
            {c.consents.map((k) => (
              <tr>
                <td>{fieldName(k.channel)}</td>
                <td class="purpose" data-purpose={k.purpose}>
                  {purposeLabel(k.purpose)}
                </td>
                <td>
                  <span class={'badge ' + k.status}>{fieldName(k.status)}</span>
                </td>
                <td>{fieldName(k.method)}</td>
                <td class="proof">{k.proof}</td>
                <td>{date(k.recorded_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {can(me, 'manage_consents') && <ConsentForm id={c.id} purposesVisible={can(me, 'read_reports')} onDone={view.reload} />}
      </Card>
      <div class="grid2">
        <Card title={t('cust.purchases')} id="purchases">
          <dl class="fields">
            <dt>{t('dash.orders')}</dt>
            <dd>{num(c.purchases.orders)}</dd>
            <dt>{fieldName('items')}</dt>
            <dd>{num(c.purchases.items)}</dd>
            <dt>Σ</dt>
            <dd>{formatMoney(c.purchases.revenue_minor, c.purchases.currency)}</dd>
            {c.purchases.first_order && (
              <>
                <dt>{fieldName('first_order')}</dt>
                <dd>{date(c.purchases.first_order)}</dd>
                <dt>{fieldName('last_order')}</dt>
                <dd>{date(c.purchases.last_order)}</dd>
              </>
            )}
          </dl>
          <ul>
            {c.purchases.top_categories.map((x) => (
              <li>
                {x.category} <span class="muted">× {num(x.items)}</span>
              </li>
            ))}
          </ul>
        </Card>
        <Card title={t('cust.accounts')} id="accounts">
          {c.accounts.length === 0 && <p class="muted">{t('common.none')}</p>}
          {c.accounts.map((a) => (
            <dl class="fields account">
              <dt>{t('common.name')}</dt>
              <dd>{String(a.name ?? '')}</dd>
              {Object.entries(a)
                .filter(([k]) => k !== 'name' && k !== 'id')
                .map(([k, v]) => (
                  <>
                    <dt>{fieldName(k)}</dt>
                    <dd>{typeof v === 'number' ? num(v) : String(v ?? '')}</dd>
                  </>
                ))}
              {a.id !== undefined && <AccountMembers account={a.id} self={c.id} />}
            </dl>
          ))}
          <h3>{t('cust.sources')}</h3>
          <ul>
            {c.sources.map((s) => (
              <li>
                {s.source}: <span dir="ltr">{s.key}</span>
              </li>
            ))}
          </ul>
        </Card>
      </div>
      <Golden id={c.id} me={me} />
      <Timeline id={c.id} />
      {can(me, 'read_audit') && <History id={c.id} />}
      {(can(me, 'export_customer') || can(me, 'erase_customer')) && <Privacy me={me} id={c.id} />}
    </div>
  );
}

interface GoldenField {
  field: string;
  value: string;
  from_customer: number;
  source: string;
  rule: string;
  seen_at: string | null;
  freshness: number | null;
  stale: boolean;
}
interface GoldenData {
  resolved_id: number;
  members: number[];
  fields: GoldenField[];
  links: { customer_id: number; reason: string; probability: number | null; at: string }[];
}

// Why a record joined its customer, in words: the merge log's reason.
function joinedBecause(l: GoldenData['links'][number]): string {
  switch (l.reason) {
    case 'probabilistic':
      return t('cust.reason_probabilistic', { p: num(100 * (l.probability ?? 0), 1) + '%' });
    case 'email':
      return t('cust.reason_email');
    case 'phone':
      return t('cust.reason_phone');
    case 'national_id':
      return t('cust.reason_national_id');
    case 'review':
      return t('cust.reason_review');
    default:
      return l.reason;
  }
}

// The person this record belongs to (identity resolution): the other records
// linked with it and why, and the value of each field that survived, where it
// came from, why it was chosen and how fresh it is. A user who may change
// customers takes a wrongly merged record out (POST .../unmerge, audited).
function Golden({ id, me }: { id: number; me: Me }) {
  const golden = useLoad((s) => get<GoldenData>(`/api/v1/customers/${id}/golden`, s), [id]);
  const [asking, setAsking] = useState<number | null>(null);
  const [unmerged, setUnmerged] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const g = golden.data;
  const others = g ? g.members.filter((m) => m !== id) : [];
  const takeOut = async (member: number) => {
    setError(null);
    try {
      await post(`/api/v1/customers/${member}/unmerge`, {});
      setAsking(null);
      setUnmerged(member);
      golden.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Card title={t('cust.golden')} id="golden">
      {golden.error && <ErrorBox error={golden.error} />}
      <ErrorBox error={error} />
      {unmerged !== null && (
        <p class="saved" role="status">
          {t('cust.unmerged', { id: String(unmerged) })}
        </p>
      )}
      {!g && !golden.error && <Loading />}
      {g && others.length === 0 && <p class="muted">{t('cust.golden_alone')}</p>}
      {g && others.length > 0 && (
        <>
          <p>
            {t('cust.golden_of', { n: g.members.length, id: String(g.resolved_id) })}{' '}
            {others.map((m) => (
              <a class="member" href={`#/customers/${m}`} dir="ltr">
                #{m}{' '}
              </a>
            ))}
          </p>
          <h3>{t('cust.golden_links')}</h3>
          <ul class="links">
            {g.members.map((m) => {
              const link = g.links.find((l) => l.customer_id === m);
              return (
                <li data-member={m}>
                  {link ? t('cust.joined', { id: String(m), date: date(link.at), why: joinedBecause(link) }) : '#' + m}{' '}
                  {can(me, 'write_customers') &&
                    (asking === m ? (
                      <>
                        <button type="button" name="unmerge-confirm" class="danger" onClick={() => takeOut(m)}>
                          {t('cust.unmerge_confirm', { id: String(m) })}
                        </button>{' '}
                        <button type="button" onClick={() => setAsking(null)}>
                          {t('common.cancel')}
                        </button>
                      </>
                    ) : (
                      <button type="button" name="unmerge" onClick={() => setAsking(m)}>
                        {t('cust.unmerge')}
                      </button>
                    ))}
                </li>
              );
            })}
          </ul>
          <table>
            <thead>
              <tr>
                <th>{t('cust.golden_field')}</th>
                <th>{t('cust.golden_value')}</th>
                <th>{t('cust.golden_record')}</th>
                <th>{t('cust.golden_source')}</th>
                <th>{t('cust.golden_rule')}</th>
                <th>{t('cust.last_seen')}</th>
                <th class="num">{t('cust.freshness')}</th>
              </tr>
            </thead>
            <tbody>
              {g.fields.map((f) => (
                <tr data-field={f.field}>
                  <td>{fieldName(f.field)}</td>
                  <td class="value" dir={['email', 'phone', 'birth_date'].includes(f.field) ? 'ltr' : undefined}>
                    {f.field === 'birth_date' ? date(f.value) : f.value}
                  </td>
                  <td>
                    {f.from_customer === id ? (
                      '#' + f.from_customer
                    ) : (
                      <a href={`#/customers/${f.from_customer}`} dir="ltr">
                        #{f.from_customer}
                      </a>
                    )}
                  </td>
                  <td>{f.source}</td>
                  <td>{fieldName(f.rule)}</td>
                  <td>{date(f.seen_at)}</td>
                  <td class="num">
                    {f.freshness === null ? '' : num(100 * f.freshness, 0) + '%'}
                    {f.stale && <span class="badge stale">{fieldName('stale')}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Card>
  );
}

// What an item of the timeline says, in the user's language: an order with its
// number, total and lines; an event with its details.
function timelineTitle(i: TimelineItem): string {
  return i.kind === 'order' ? `${fieldName('order')} ${String(i.detail?.order_number ?? '')} · ${fieldName(i.type)}` : fieldName(i.type);
}
// A value that names something the application translates (a channel, a status)
// is shown in words; anything else (a SKU, a path, a campaign key) as it is.
function detailValue(v: string): string {
  const named = fieldName(v);
  return named !== v.replace(/_/g, ' ') ? named : v;
}
function timelineDetail(i: TimelineItem): string {
  const d = i.detail ?? {};
  if (i.kind === 'order') {
    const lines = Array.isArray(d.lines) ? (d.lines as { name?: string; sku?: string; quantity?: number }[]) : [];
    const total = typeof d.total_minor === 'number' ? formatMoney(d.total_minor, String(d.currency ?? '')) : '';
    return [total, ...lines.map((l) => `${l.name ?? l.sku ?? ''} × ${num(l.quantity ?? 1)}`)].filter(Boolean).join(' · ');
  }
  return Object.entries(d)
    .filter(([k]) => !(i.type.startsWith('message_') && (k === 'campaign' || k === 'campaign_id')))
    .map(([k, v]) => `${fieldName(k)}: ${typeof v === 'object' ? JSON.stringify(v) : typeof v === 'number' ? num(v) : detailValue(String(v))}`)
    .join(' · ');
}

// Every interaction and message, newest first, a page at a time: "Show older"
// follows the server's cursor until there is nothing older.
function Timeline({ id }: { id: number }) {
  const [items, setItems] = useState<TimelineItem[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined); // undefined: first page not loaded yet
  const [error, setError] = useState<unknown>(null);
  const load = (after: string | null | undefined, signal?: AbortSignal) =>
    get<{ items: TimelineItem[]; next_cursor: string | null }>(
      `/api/v1/customers/${id}/timeline?limit=50` + (after ? '&cursor=' + encodeURIComponent(after) : ''),
      signal,
    ).then(
      (r) => {
        setItems((old) => (after ? [...old, ...r.items] : r.items));
        setCursor(r.next_cursor ?? null);
      },
      (e) => !isAbort(e) && setError(e),
    );
  useEffect(() => {
    const controller = new AbortController();
    setItems([]);
    setCursor(undefined);
    load(null, controller.signal);
    return () => controller.abort();
  }, [id]);
  return (
    <Card title={t('cust.timeline')} id="timeline">
      <ErrorBox error={error} />
      <ol class="timeline">
        {items.map((i) => (
          <li key={i.kind + i.id} class={i.type.startsWith('message_') ? 'message' : i.kind} data-type={i.type}>
            <time dateTime={i.at}>{date(i.at, true)}</time> <strong>{timelineTitle(i)}</strong>{' '}
            {i.type.startsWith('message_') && typeof i.detail?.campaign_id === 'number' && (
              <a href={'#/campaigns/' + i.detail.campaign_id}>{String(i.detail.campaign ?? i.detail.campaign_id)}</a>
            )}{' '}
            <span class="muted">{timelineDetail(i)}</span>
          </li>
        ))}
      </ol>
      {cursor && (
        <button type="button" class="secondary" name="timeline-older" onClick={() => load(cursor)}>
          {t('cust.older')}
        </button>
      )}
    </Card>
  );
}

interface ErasurePlan {
  customer_ids: number[];
  rows: Record<string, number>;
  identifiers: number;
}
// A person's request to see or erase their data (R28), handled by an admin:
// the export is the server's JSON file; erasure shows first what would go
// (?dry_run=true) and asks for the customer number before it runs.
function Privacy({ me, id }: { me: Me; id: number }) {
  const [plan, setPlan] = useState<ErasurePlan | null>(null);
  const [typed, setTyped] = useState('');
  const [erased, setErased] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const total = (p: ErasurePlan) => Object.values(p.rows).reduce((a, b) => a + b, 0);
  const showPlan = async () => {
    setError(null);
    try {
      setPlan((await request<{ plan: ErasurePlan }>('DELETE', `/api/v1/customers/${id}?dry_run=true`)).plan);
    } catch (e) {
      setError(e);
    }
  };
  const erase = async () => {
    setError(null);
    try {
      setErased(total((await request<{ plan: ErasurePlan }>('DELETE', `/api/v1/customers/${id}`)).plan));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Card title={t('cust.privacy')} id="privacy">
      {erased !== null ? (
        <p class="notice" role="status">
          {t('cust.erased', { rows: erased })} <a href="#/customers">{t('cust.back')}</a>
        </p>
      ) : (
        <>
          <div class="actions">
            {can(me, 'export_customer') && (
              <a class="button secondary" id="export-customer" href={`/api/v1/customers/${id}/export`} download={`customer-${id}.json`}>
                {t('cust.export')}
              </a>
            )}
            {can(me, 'erase_customer') && !plan && (
              <button type="button" class="secondary" id="erase-plan" onClick={showPlan}>
                {t('cust.erase_plan')}
              </button>
            )}
          </div>
          {plan && (
            <div id="erase-what">
              <p>{t('cust.erase_what')}</p>
              <ul>
                {Object.entries(plan.rows)
                  .filter(([, n]) => n > 0)
                  .map(([table, n]) => (
                    <li data-table={table}>
                      {fieldName(table)}: {num(n)}
                    </li>
                  ))}
              </ul>
              <label>
                {t('cust.erase_confirm', { id: String(id) })}
                <input name="erase-confirm" dir="ltr" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
              </label>
              <button type="button" class="danger" id="erase" disabled={typed.trim() !== String(id)} onClick={erase}>
                {t('cust.erase')}
              </button>
            </div>
          )}
        </>
      )}
      <ErrorBox error={error} />
    </Card>
  );
}

interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  origin: string;
  detail: Record<string, unknown>;
}
// Reading a record is audited too; those entries are hidden unless asked for.
const viewActions = /^(customer\.(read|timeline|search)|account\.members|identity\.explain|campaign\.render)$/;

// Who changed this person's record, when and what (GET /api/v1/audit?customer_id=;
// admins only, as the server enforces).
function History({ id }: { id: number }) {
  const [views, setViews] = useState(false);
  const audit = useLoad((s) => get<{ entries: AuditEntry[] }>(`/api/v1/audit?customer_id=${id}&limit=500`, s), [id]);
  const entries = (audit.data?.entries ?? []).filter((e) => views || !viewActions.test(e.action));
  return (
    <Card title={t('cust.history')} id="history">
      <ErrorBox error={audit.error} />
      <label class="inline-label">
        <input type="checkbox" name="history-views" checked={views} onChange={(e) => setViews(e.currentTarget.checked)} />
        {t('cust.history_views')}
      </label>
      {audit.data && entries.length === 0 && <p class="muted">{t('common.none')}</p>}
      <ol class="timeline history">
        {entries.map((e) => (
          <li key={e.id} data-action={e.action}>
            <time dateTime={e.at}>{date(e.at, true)}</time> <strong>{fieldName(e.action)}</strong>{' '}
            <span class="muted">
              {t('cust.history_by')} <bdi dir="ltr">{e.actor}</bdi>
              {Object.entries(e.detail ?? {}).map(([k, v]) => (
                <>
                  {' · '}
                  {fieldName(k)}: {Array.isArray(v) ? v.map((x) => fieldName(String(x))).join(', ') : fieldName(String(v))}
                </>
              ))}
            </span>
          </li>
        ))}
      </ol>
    </Card>
  );
}

function ProfileEditor({ id, profile, onDone }: { id: number; profile: CustomerViewData['profile']; onDone: () => void }) {
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(editable.map((k) => [k, profile[k] == null ? '' : String(profile[k])])),
  );
  const [error, setError] = useState<unknown>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    const changed = Object.fromEntries(editable.filter((k) => values[k] !== (profile[k] == null ? '' : String(profile[k]))).map((k) => [k, values[k]]));
    if (Object.keys(changed).length === 0) return onDone();
    try {
      await request('PATCH', '/api/v1/customers/' + id, changed);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="editor" onSubmit={save}>
      <h3>{t('cust.edit_title')}</h3>
      {editable.map((k) => (
        <label key={k}>
          {fieldName(k)}
          <input name={k} value={values[k]} onInput={(e) => setValues({ ...values, [k]: e.currentTarget.value })} />
        </label>
      ))}
      <ErrorBox error={error} />
      <div class="actions">
        <button type="submit">{t('common.save')}</button>
        <button type="button" class="secondary" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

// Records a consent grant (with its proof) or a withdrawal in the ledger.
// A withdrawal may name a retired purpose; a grant only one still offered.
function ConsentForm({ id, purposesVisible, onDone }: { id: number; purposesVisible: boolean; onDone: () => void }) {
  const [form, setForm] = useState({ channel: 'email', purpose: 'marketing', status: 'granted', method: 'written', proof: '' });
  const purposes = usePurposeChoices(purposesVisible).filter((p) => !p.retired || form.status === 'withdrawn' || p.name === form.purpose);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await request('POST', `/api/v1/customers/${id}/consents`, form);
      setForm({ ...form, proof: '' });
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement).value });
  return (
    <form class="editor inline" onSubmit={submit} id="consent-form">
      <h3>{t('cust.record_consent')}</h3>
      <label>
        {t('cust.channel')}
        <select name="consent-channel" value={form.channel} onChange={set('channel')}>
          {['email', 'sms', 'phone', 'mail', 'push'].map((c) => (
            <option value={c}>{fieldName(c)}</option>
          ))}
        </select>
      </label>
      <label>
        {t('cust.purpose')}
        <select name="consent-purpose" value={form.purpose} onChange={set('purpose')}>
          {purposes.map((p) => (
            <option key={p.name} value={p.name}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('common.status')}
        <select name="consent-status" value={form.status} onChange={set('status')}>
          <option value="granted">{fieldName('granted')}</option>
          <option value="withdrawn">{fieldName('withdrawn')}</option>
        </select>
      </label>
      <label>
        {t('cust.method')}
        <select name="consent-method" value={form.method} onChange={set('method')}>
          {['written', 'verbal', 'single_opt_in', 'double_opt_in', 'implied', 'unknown'].map((m) => (
            <option value={m}>{fieldName(m)}</option>
          ))}
        </select>
      </label>
      <label>
        {t('cust.proof')}
        <input name="consent-proof" value={form.proof} onInput={set('proof')} />
      </label>
      <button type="submit">{t('common.save')}</button>
      <ErrorBox error={error} />
    </form>
  );
}

// Adds (or confirms) an email or phone number; the server validates it.
function ContactPointForm({ id, onDone }: { id: number; onDone: () => void }) {
  const [kind, setKind] = useState('email');
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await request('POST', `/api/v1/customers/${id}/contact-points`, { kind, value });
      setValue('');
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="editor inline" onSubmit={submit} id="contact-point-form">
      <h3>{t('cust.add_contact')}</h3>
      <label>
        {t('cust.channel')}
        <select name="cp-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          <option value="email">{fieldName('email')}</option>
          <option value="phone">{fieldName('phone')}</option>
        </select>
      </label>
      <label>
        {kind === 'email' ? t('cust.email') : t('cust.phone')}
        <input name="cp-value" dir="ltr" value={value} onInput={(e) => setValue(e.currentTarget.value)} required />
      </label>
      <button type="submit">{t('seg.add')}</button>
      <ErrorBox error={error} />
    </form>
  );
}

// The other people of an account (GET /api/v1/accounts/{id}/members).
function AccountMembers({ account, self }: { account: number; self: number }) {
  const members = useLoad(
    (s) => get<{ members: { id: number; name: string | null; job_title: string | null; email: string | null }[] }>(`/api/v1/accounts/${account}/members`, s),
    [account],
  );
  return (
    <>
      <dt>{t('cust.members')}</dt>
      <dd>
        <ErrorBox error={members.error} />
        <ul class="members" data-account={account}>
          {members.data?.members.map((m) => (
            <li key={m.id}>
              {m.id === self ? <strong>{m.name ?? '#' + m.id}</strong> : <a href={'#/customers/' + m.id}>{m.name ?? '#' + m.id}</a>}
              {m.job_title && <span class="muted"> · {m.job_title}</span>}
              {m.email && (
                <span class="muted" dir="ltr">
                  {' '}
                  · {m.email}
                </span>
              )}
            </li>
          ))}
        </ul>
      </dd>
    </>
  );
}
