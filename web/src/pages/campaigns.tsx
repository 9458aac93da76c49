// Campaigns: the list, a create form (audience with a live count, channel,
// sender, variants with splits and per-language content, holdout, schedule,
// budget, goal), and a campaign's view: who is left out and why (a bar per
// reason), a per-customer preview in a sandboxed frame, sending with progress,
// pause/resume/cancel and the results with the lift against the holdout.
import { useEffect, useState } from 'preact/hooks';
import { can, get, post, request, type Me } from '../api';
import { date, fieldName, num, parseMoment, t, type MessageKey } from '../i18n';
import { go, useRoute } from '../router';
import { Card, ErrorBox, isAbort, useDebounced, useLoad, usePurposeChoices } from '../ui';

export interface Campaign {
  id: number;
  name: string;
  status: string;
  channel: string;
  audience: string;
  holdout_percent: number;
  currency: string;
  created_at: string;
  outbox?: Record<string, number>;
  sending?: { state: string; done: number; total: number; error?: string };
}

interface Plan {
  audience: number;
  targets: number;
  holdout: number;
  suppressed: number;
  suppressed_by_reason: Record<string, number>;
  by_variant: Record<string, number>;
  deferred_by_quiet_hours: number;
  estimated_cost_minor: number;
  currency: string;
  sample?: { customer_id: number; group: string; reason?: string; variant?: string; language?: string }[];
}

interface Group {
  members: number;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  converted: number;
  revenue_minor: number;
}
interface Results {
  status: string;
  currency: string;
  targets: Group;
  holdout: Group;
  variants: Record<string, Group>;
  cost_minor: number;
  incremental_revenue_minor: number;
  roi: number;
  lift: null | {
    target_rate: number;
    holdout_rate: number;
    difference: number;
    ci95: [number, number];
    relative: number;
    significant: boolean;
  };
}

export const suppressionReasons = [
  'no_consent',
  'unsubscribed',
  'no_contact_point',
  'invalid_contact_point',
  'bounced',
  'unverified',
  'stale_contact_point',
  'opt_out_register',
  'frequency_cap',
  'key_account',
  'in_collections',
  'active_offer',
  'over_budget',
  'duplicate_address',
];

const channels = ['email', 'sms', 'call_list', 'mail_list', 'webhook'];
const pct = (x: number) => num(x * 100, 1) + '%';

export function Campaigns({ me }: { me: Me }) {
  const route = useRoute();
  if (route[1] === 'new' && can(me, 'manage_campaigns')) return <CampaignForm />;
  if (route[1]) return <CampaignView me={me} id={route[1]} />;
  return <CampaignList me={me} />;
}

function CampaignList({ me }: { me: Me }) {
  const list = useLoad((s) => get<{ campaigns: Campaign[] }>('/api/v1/campaigns', s), []);
  return (
    <div class="campaigns">
      <h1>{t('camp.title')}</h1>
      {can(me, 'manage_campaigns') && (
        <p>
          <a class="button" href="#/campaigns/new" id="new-campaign">
            {t('camp.new')}
          </a>
        </p>
      )}
      <Card>
        <ErrorBox error={list.error} />
        {list.data?.campaigns.length === 0 && <p class="muted">{t('camp.none')}</p>}
        <table id="campaign-list">
          <tbody>
            {list.data?.campaigns.map((c) => (
              <tr key={c.id}>
                <td>
                  <a href={'#/campaigns/' + c.id}>
                    <bdi>{c.name}</bdi>
                  </a>
                </td>
                <td>{t(('camp.ch.' + c.channel) as MessageKey)}</td>
                <td>{t(('camp.st.' + c.status) as MessageKey) || c.status}</td>
                <td>{date(c.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </div>
  );
}

interface ContentDraft {
  variant: string;
  language: string;
  split_percent: number;
  subject: string;
  text: string;
  html: string;
}

function CampaignForm() {
  const [f, setF] = useState({
    name: '',
    channel: 'email',
    audience: '',
    purpose: 'marketing',
    holdout_percent: 10,
    schedule: 'now',
    at: '',
    local_time: '10:00',
    budget: '',
    cost_per_message: '0',
    currency: 'EUR',
    goal_category: '',
    goal_days: '14',
    from_name: '',
    from_address: '',
    reply_to: '',
    webhook_url: '',
  });
  const [contents, setContents] = useState<ContentDraft[]>([
    { variant: 'A', language: '', split_percent: 100, subject: '', text: '', html: '' },
  ]);
  const [error, setError] = useState<unknown>(null);
  const [count, setCount] = useState<{ n?: number; error?: unknown }>({});
  // Campaigns need a purpose still offered (Settings retires purposes).
  const purposes = usePurposeChoices(true).filter((p) => !p.retired);
  const audience = useDebounced(f.audience, 300);
  useEffect(() => {
    if (!audience.trim()) return setCount({});
    const controller = new AbortController();
    post<{ count: number }>('/api/v1/segments/explain', { definition: audience }, controller.signal).then(
      (r) => setCount({ n: r.count }),
      (e) => !isAbort(e) && setCount({ error: e }),
    );
    return () => controller.abort();
  }, [audience]);

  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const setContent = (i: number, k: keyof ContentDraft, v: string | number) =>
    setContents(contents.map((c, j) => (j === i ? { ...c, [k]: v } : c)));
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const body: Record<string, unknown> = {
      name: f.name,
      channel: f.channel,
      audience: f.audience,
      purpose: f.purpose,
      holdout_percent: Number(f.holdout_percent),
      schedule: { kind: f.schedule, ...(f.at ? { at: parseMoment(f.at) ?? f.at } : {}), ...(f.schedule === 'local_time' ? { local_time: f.local_time } : {}) },
      cost_per_message: Number(f.cost_per_message) || 0,
      currency: f.currency,
      from_name: f.from_name,
      from_address: f.from_address,
      reply_to: f.reply_to,
      ...(f.channel === 'webhook' ? { webhook_url: f.webhook_url } : {}),
      contents: contents.map((c) => ({ ...c, split_percent: Number(c.split_percent) })),
    };
    if (f.budget.trim()) body.budget = Number(f.budget);
    if (f.goal_category.trim() || f.goal_days !== '14')
      body.goal = { category: f.goal_category.trim(), within_days: Number(f.goal_days) || 14 };
    try {
      const c = await post<Campaign>('/api/v1/campaigns', body);
      go('campaigns/' + c.id);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div class="campaigns">
      <h1>{t('camp.new')}</h1>
      <form onSubmit={submit} class="editor" id="campaign-form">
        <Card>
          <label>
            {t('common.name')}
            <input name="campaign-name" value={f.name} onInput={set('name')} required />
          </label>
          <label>
            {t('camp.channel')}
            <select name="channel" value={f.channel} onChange={set('channel')}>
              {channels.map((c) => (
                <option value={c}>{t(('camp.ch.' + c) as MessageKey)}</option>
              ))}
            </select>
          </label>
          <label>
            {t('cust.purpose')}
            <select name="purpose" value={f.purpose} onChange={set('purpose')}>
              {purposes.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('camp.audience')}
            <textarea name="audience" dir="ltr" rows={2} spellcheck={false} value={f.audience} onInput={set('audience')} required />
          </label>
          <div class="muted" id="audience-count" aria-live="polite">
            {count.n !== undefined ? t('camp.audience_count', { n: count.n }) : ''}
          </div>
          <ErrorBox error={count.error} />
        </Card>
        {f.channel === 'webhook' && (
          <Card title={t('camp.webhook_url')}>
            <label>
              {t('camp.webhook_url')}
              <input name="webhook_url" dir="ltr" type="url" value={f.webhook_url} onInput={set('webhook_url')} />
            </label>
          </Card>
        )}
        {(f.channel === 'email' || f.channel === 'sms') && (
          <Card title={t('camp.sender')}>
            <label>
              {t('camp.from_name')}
              <input name="from_name" value={f.from_name} onInput={set('from_name')} />
            </label>
            <label>
              {t('camp.from_address')}
              <input name="from_address" dir="ltr" value={f.from_address} onInput={set('from_address')} />
            </label>
            <label>
              {t('camp.reply_to')}
              <input name="reply_to" dir="ltr" value={f.reply_to} onInput={set('reply_to')} />
            </label>
          </Card>
        )}
        <Card title={t('camp.contents')}>
          <p class="muted">{t('camp.template_help')}</p>
          {contents.map((c, i) => (
            <fieldset class="content-variant" key={i}>
              <legend>
                {t('camp.variant')} {c.variant} {c.language ? '(' + c.language + ')' : ''}
              </legend>
              <label>
                {t('camp.variant')}
                <input name={`variant-${i}`} value={c.variant} onInput={(e) => setContent(i, 'variant', e.currentTarget.value)} />
              </label>
              <label>
                {t('camp.language')}
                <select name={`language-${i}`} value={c.language} onChange={(e) => setContent(i, 'language', e.currentTarget.value)}>
                  <option value="">{t('camp.default_language')}</option>
                  <option value="en">English</option>
                  <option value="fa">فارسی</option>
                  <option value="ar">العربية</option>
                  <option value="sv">Svenska</option>
                </select>
              </label>
              <label>
                {t('camp.split')}
                <input
                  name={`split-${i}`}
                  type="number"
                  min="0"
                  max="100"
                  value={c.split_percent}
                  onInput={(e) => setContent(i, 'split_percent', e.currentTarget.value)}
                />
              </label>
              <label>
                {t('camp.subject')}
                <input name={`subject-${i}`} dir="auto" value={c.subject} onInput={(e) => setContent(i, 'subject', e.currentTarget.value)} />
              </label>
              <label>
                {t('camp.text')}
                <textarea name={`text-${i}`} dir="auto" rows={4} value={c.text} onInput={(e) => setContent(i, 'text', e.currentTarget.value)} />
              </label>
              {f.channel === 'email' && (
                <label>
                  {t('camp.html')}
                  <textarea name={`html-${i}`} dir="ltr" rows={3} value={c.html} onInput={(e) => setContent(i, 'html', e.currentTarget.value)} />
                </label>
              )}
              {contents.length > 1 && (
                <button type="button" class="link" onClick={() => setContents(contents.filter((_, j) => j !== i))}>
                  {t('common.delete')}
                </button>
              )}
            </fieldset>
          ))}
          <button
            type="button"
            class="secondary"
            id="add-variant"
            onClick={() =>
              setContents([
                ...contents,
                { variant: String.fromCharCode(65 + contents.length), language: '', split_percent: 0, subject: '', text: '', html: '' },
              ])
            }
          >
            {t('camp.add_variant')}
          </button>
        </Card>
        <Card title={t('camp.delivery')}>
          <label>
            {t('camp.holdout')}
            <input name="holdout" type="number" min="0" max="90" value={f.holdout_percent} onInput={set('holdout_percent')} />
          </label>
          <label>
            {t('camp.schedule')}
            <select name="schedule" value={f.schedule} onChange={set('schedule')}>
              {['now', 'at', 'local_time', 'best_hour'].map((k) => (
                <option value={k}>{t(('camp.sch.' + k) as MessageKey)}</option>
              ))}
            </select>
          </label>
          {f.schedule !== 'now' && (
            <label>
              {t('camp.at')}
              <input name="at" dir="ltr" placeholder={t('camp.at_hint')} value={f.at} onInput={set('at')} />
              {/* The moment typed (ISO, or a day in the user's calendar and a time), as their calendar and clock read it. */}
              <output class="in-calendar" name="at-in-calendar">
                {f.at && parseMoment(f.at) ? date(parseMoment(f.at), true) : ''}
              </output>
            </label>
          )}
          {f.schedule === 'local_time' && (
            <label>
              {t('camp.local_time')}
              <input name="local_time" type="time" value={f.local_time} onInput={set('local_time')} />
            </label>
          )}
          <label>
            {t('camp.budget')}
            <input name="budget" type="number" min="0" step="any" value={f.budget} onInput={set('budget')} />
          </label>
          <label>
            {t('camp.cost_per_message')}
            <input name="cost_per_message" type="number" min="0" step="any" value={f.cost_per_message} onInput={set('cost_per_message')} />
          </label>
          <label>
            {t('camp.currency')}
            <input name="currency" dir="ltr" value={f.currency} onInput={set('currency')} />
          </label>
          <label>
            {t('camp.goal_category')}
            <input name="goal_category" value={f.goal_category} onInput={set('goal_category')} />
          </label>
          <label>
            {t('camp.goal_days')}
            <input name="goal_days" type="number" min="1" value={f.goal_days} onInput={set('goal_days')} />
          </label>
        </Card>
        <ErrorBox error={error} />
        <button type="submit" id="create-campaign">
          {t('camp.create')}
        </button>
      </form>
    </div>
  );
}

function CampaignView({ me, id }: { me: Me; id: string }) {
  const base = '/api/v1/campaigns/' + encodeURIComponent(id);
  const campaign = useLoad((s) => get<Campaign>(base, s), [id]);
  const [plan, setPlan] = useState<{ data?: Plan; error?: unknown }>({});
  const [actionError, setActionError] = useState<unknown>(null);
  const [showResults, setShowResults] = useState(false);
  const manage = can(me, 'manage_campaigns');
  const c = campaign.data;
  const running = c?.sending?.state === 'running';

  useEffect(() => {
    const controller = new AbortController();
    post<Plan>(base + '/preview?sample=20', {}, controller.signal).then(
      (data) => setPlan({ data }),
      (error) => !isAbort(error) && setPlan({ error }),
    );
    return () => controller.abort();
  }, [id]);
  // While sending, the progress is polled every half second.
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(campaign.reload, 500);
    return () => clearTimeout(timer);
  }, [c]);

  const act = async (action: string) => {
    setActionError(null);
    try {
      await post(base + '/' + action, {});
      campaign.reload();
    } catch (e) {
      setActionError(e);
    }
  };
  if (campaign.error) return <ErrorBox error={campaign.error} />;
  if (!c) return <p class="muted">{t('common.loading')}</p>;
  const p = plan.data;
  const maxReason = Math.max(1, ...Object.values(p?.suppressed_by_reason ?? {}));
  const sending = c.sending;
  return (
    <div class="campaigns">
      <h1>
        <bdi>{c.name}</bdi>
      </h1>
      <p>
        {t(('camp.ch.' + c.channel) as MessageKey)} · <span id="campaign-status">{t(('camp.st.' + c.status) as MessageKey) || c.status}</span>
      </p>
      <p dir="ltr" class="code">
        {c.audience}
      </p>
      <Card title={t('camp.plan')} id="campaign-plan">
        <ErrorBox error={plan.error} />
        {p && c.status !== 'draft' && <p class="muted">{t('camp.plan_now')}</p>}
        {p && (
          <>
            <div class="kpis">
              <div>
                <div class="kpi-label">{t('camp.audience')}</div>
                <div class="kpi-value" id="plan-audience">{num(p.audience)}</div>
              </div>
              <div>
                <div class="kpi-label">{t('camp.targets')}</div>
                <div class="kpi-value" id="plan-targets">{num(p.targets)}</div>
              </div>
              <div>
                <div class="kpi-label">{t('camp.holdout_group')}</div>
                <div class="kpi-value">{num(p.holdout)}</div>
              </div>
              <div>
                <div class="kpi-label">{t('camp.suppressed')}</div>
                <div class="kpi-value" id="plan-suppressed">{num(p.suppressed)}</div>
              </div>
            </div>
            <h3>{t('camp.why_left_out')}</h3>
            <table id="suppression">
              <tbody>
                {[...suppressionReasons, ...Object.keys(p.suppressed_by_reason).filter((r) => !suppressionReasons.includes(r))].map((r) => (
                  <tr key={r} data-reason={r}>
                    <td>{suppressionReasons.includes(r) ? t(('camp.r.' + r) as MessageKey) : r.replace(/_/g, ' ')}</td>
                    <td class="num">{num(p.suppressed_by_reason[r] ?? 0)}</td>
                    <td class="bar-cell">
                      <progress class="bar" max={maxReason} value={p.suppressed_by_reason[r] ?? 0} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="muted">
              {t('camp.deferred', { n: p.deferred_by_quiet_hours })} ·{' '}
              {t('camp.estimated_cost', { cost: num(p.estimated_cost_minor / 100, 2), currency: p.currency })}
            </p>
            <p class="muted">
              {Object.entries(p.by_variant).map(([v, n]) => t('camp.variant') + ' ' + v + ': ' + num(n)).join(' · ')}
            </p>
          </>
        )}
      </Card>
      {p?.sample && <Preview base={base} sample={p.sample.filter((s) => s.group === 'target')} />}
      <Card title={t('camp.sending')} id="campaign-sending">
        {manage && (
          <div class="actions">
            {(c.status === 'draft' || c.status === 'scheduled') && !running && (
              <button id="send-campaign" onClick={() => act('send')}>
                {t('camp.send')}
              </button>
            )}
            {running && (
              <button class="secondary" onClick={() => act('pause')}>
                {t('camp.pause')}
              </button>
            )}
            {c.status === 'paused' && (
              <button class="secondary" onClick={() => act('resume')}>
                {t('camp.resume')}
              </button>
            )}
            {c.status !== 'cancelled' && c.status !== 'done' && c.status !== 'draft' && (
              <button class="secondary" onClick={() => act('cancel')}>
                {t('camp.cancel')}
              </button>
            )}
          </div>
        )}
        <ErrorBox error={actionError} />
        {sending && (
          <div id="send-progress">
            <progress class="bar" max={Math.max(1, sending.total)} value={sending.done} />
            <span>
              {t('camp.progress', { done: sending.done, total: sending.total })}{' '}
              {sending.state === 'finished' ? t('camp.done') : sending.state === 'failed' ? t('common.error') : ''}
            </span>
            {sending.error && <p class="error">{sending.error}</p>}
          </div>
        )}
        {c.outbox && (
          <p class="muted" id="outbox">
            {Object.entries(c.outbox)
              .map(([k, v]) => k + ': ' + num(v))
              .join(' · ')}
          </p>
        )}
        {(c.channel === 'call_list' || c.channel === 'mail_list') && c.status !== 'draft' && (
          <>
            <a href={base + '/list'} download id="download-list">
              {t('camp.download_list')}
            </a>{' '}
            <a href={base + '/list?format=xlsx'} download id="download-list-xlsx">
              {t('camp.download_xlsx')}
            </a>
          </>
        )}
      </Card>
      <button class="secondary" id="show-results" onClick={() => setShowResults(true)}>
        {t('camp.results')}
      </button>
      {showResults && <ResultsView base={base} />}
    </div>
  );
}

function Preview({ base, sample }: { base: string; sample: NonNullable<Plan['sample']> }) {
  // What is typed (`draft…`) and what is shown (`customer`, `variant`, set on
  // Enter or leaving the field) are kept apart: the first preview arriving
  // while someone types re-renders the form, and a field bound to the shown
  // value would put the old one back under their cursor.
  const first = sample[0] ? String(sample[0].customer_id) : '';
  const [draftCustomer, setDraftCustomer] = useState(first);
  const [customer, setCustomer] = useState(first);
  const [draftVariant, setDraftVariant] = useState('');
  const [variant, setVariant] = useState('');
  const rendered = useLoad(
    (s) =>
      customer
        ? get<{ subject: string; text: string; html: string; dir: string; language: string }>(
            `${base}/render?customer=${encodeURIComponent(customer)}${variant ? '&variant=' + encodeURIComponent(variant) : ''}`,
            s,
          )
        : Promise.resolve(undefined),
    [customer, variant],
  );
  const r = rendered.data;
  return (
    <Card title={t('camp.preview')} id="campaign-preview">
      <label>
        {t('camp.customer')}
        <input
          name="preview-customer"
          list="preview-customers"
          dir="ltr"
          value={draftCustomer}
          onInput={(e) => setDraftCustomer(e.currentTarget.value)}
          onChange={(e) => setCustomer(e.currentTarget.value)}
        />
        <datalist id="preview-customers">
          {sample.map((s) => (
            <option value={String(s.customer_id)}>{(s.variant ?? '') + ' ' + (s.language ?? '')}</option>
          ))}
        </datalist>
      </label>
      <label>
        {t('camp.variant')}
        <input
          name="preview-variant"
          value={draftVariant}
          onInput={(e) => setDraftVariant(e.currentTarget.value)}
          onChange={(e) => setVariant(e.currentTarget.value)}
        />
      </label>
      <ErrorBox error={rendered.error} />
      {r && (
        <div class="message-preview" dir={r.dir === 'rtl' ? 'rtl' : 'ltr'} lang={r.language}>
          <p>
            <strong>{t('camp.subject')}:</strong> <bdi id="preview-subject">{r.subject}</bdi>
          </p>
          <pre id="preview-text" class="wrap">
            {r.text}
          </pre>
          {r.html && (
            // No scripts, no same origin: the message's HTML cannot touch the application.
            <iframe id="preview-html" title={t('camp.html')} sandbox="" srcdoc={r.html} class="preview-frame" />
          )}
        </div>
      )}
    </Card>
  );
}

function ResultsView({ base }: { base: string }) {
  const results = useLoad((s) => get<Results>(base + '/results', s), [base]);
  const r = results.data;
  const groups: [string, Group][] = r ? [[t('camp.targets'), r.targets], [t('camp.holdout_group'), r.holdout], ...Object.entries(r.variants).map(([v, g]) => [t('camp.variant') + ' ' + v, g] as [string, Group])] : [];
  const cols: (keyof Group)[] = ['members', 'sent', 'delivered', 'opened', 'clicked', 'converted'];
  return (
    <Card title={t('camp.results')} id="campaign-results">
      <ErrorBox error={results.error} />
      {r && (
        <>
          <table>
            <thead>
              <tr>
                <th />
                {cols.map((k) => (
                  <th class="num">{t(('camp.g.' + k) as MessageKey)}</th>
                ))}
                <th class="num">{t('camp.g.revenue')}</th>
              </tr>
            </thead>
            <tbody>
              {groups.map(([name, g]) => (
                <tr>
                  <td>{name}</td>
                  {cols.map((k) => (
                    <td class="num">{num(g[k])}</td>
                  ))}
                  <td class="num">{num(g.revenue_minor / 100, 2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div id="lift">
            {r.lift ? (
              <>
                <p>
                  {t('camp.lift_line', {
                    target: pct(r.lift.target_rate),
                    holdout: pct(r.lift.holdout_rate),
                    difference: pct(r.lift.difference),
                    lo: pct(r.lift.ci95[0]),
                    hi: pct(r.lift.ci95[1]),
                  })}
                </p>
                <p class={r.lift.significant ? 'ok' : 'muted'} id="lift-verdict">
                  {r.lift.significant ? t('camp.significant') : t('camp.not_significant')}
                </p>
              </>
            ) : (
              <p class="muted" id="lift-verdict">
                {t('camp.no_lift')}
              </p>
            )}
            <p class="muted">
              {t('camp.cost_line', {
                cost: num(r.cost_minor / 100, 2),
                incremental: num(r.incremental_revenue_minor / 100, 2),
                currency: r.currency,
                roi: num(r.roi, 2),
              })}
            </p>
          </div>
        </>
      )}
    </Card>
  );
}

interface Policy {
  frequency_caps: Record<string, { max_messages: number; days: number }>;
  quiet_hours: { start: string; end: string };
  [k: string]: unknown;
}

// Settings: caps per channel and quiet hours (GET/PUT /api/v1/campaign-policy).
export function ContactPolicy({ me }: { me: Me }) {
  const loaded = useLoad((s) => get<Policy>('/api/v1/campaign-policy', s), []);
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [state, setState] = useState<{ ok?: boolean; error?: unknown }>({});
  useEffect(() => {
    if (loaded.data) setPolicy(loaded.data);
  }, [loaded.data]);
  if (loaded.error) return <Card title={t('camp.policy')}><ErrorBox error={loaded.error} /></Card>;
  if (!policy) return null;
  const manage = can(me, 'manage_campaigns');
  const setCap = (ch: string, k: 'max_messages' | 'days', v: string) =>
    setPolicy({ ...policy, frequency_caps: { ...policy.frequency_caps, [ch]: { ...policy.frequency_caps[ch], [k]: Number(v) } } });
  const put = async (e: Event) => {
    e.preventDefault();
    setState({});
    try {
      await request('PUT', '/api/v1/campaign-policy', { frequency_caps: policy.frequency_caps, quiet_hours: policy.quiet_hours });
      setState({ ok: true });
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <Card title={t('camp.policy')} id="contact-policy">
      <form onSubmit={put} class="editor">
        <table>
          <thead>
            <tr>
              <th>{t('camp.channel')}</th>
              <th>{t('camp.cap_max')}</th>
              <th>{t('camp.cap_days')}</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(policy.frequency_caps).map(([ch, cap]) => (
              <tr key={ch}>
                <td>{fieldName(ch)}</td>
                <td>
                  <input name={`cap-${ch}-max`} type="number" min="0" value={cap.max_messages} disabled={!manage} onInput={(e) => setCap(ch, 'max_messages', e.currentTarget.value)} />
                </td>
                <td>
                  <input name={`cap-${ch}-days`} type="number" min="1" max="366" value={cap.days} disabled={!manage} onInput={(e) => setCap(ch, 'days', e.currentTarget.value)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <label>
          {t('camp.quiet_start')}
          <input name="quiet-start" type="time" value={policy.quiet_hours.start} disabled={!manage} onInput={(e) => setPolicy({ ...policy, quiet_hours: { ...policy.quiet_hours, start: e.currentTarget.value } })} />
        </label>
        <label>
          {t('camp.quiet_end')}
          <input name="quiet-end" type="time" value={policy.quiet_hours.end} disabled={!manage} onInput={(e) => setPolicy({ ...policy, quiet_hours: { ...policy.quiet_hours, end: e.currentTarget.value } })} />
        </label>
        {manage && (
          <button type="submit" id="save-policy">
            {t('common.save')}
          </button>
        )}
        {state.ok && <span class="ok">{t('common.saved')}</span>}
        <ErrorBox error={state.error} />
      </form>
    </Card>
  );
}
