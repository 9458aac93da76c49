// Settings: the user's language, calendar and digits; users and roles, API
// keys, sources, consent purposes, channels (with a test send) and backups for
// those whose role manages them (the server refuses everyone else).
import { useEffect, useState } from 'preact/hooks';
import { can, get, post, request, type Me } from '../api';
import { date, fieldName, locales, num, preferences, t, type Calendar, type Digits, type Locale, type Preferences } from '../i18n';
import { Card, ErrorBox, useLoad } from '../ui';
import { ContactPolicy } from './campaigns';

const roles = ['admin', 'marketer', 'analyst', 'support', 'collector'];

export function Settings({ me, onPreferences }: { me: Me; onPreferences: (p: Partial<Preferences>) => void }) {
  const p = preferences();
  return (
    <div>
      <h1>{t('set.title')}</h1>
      <Card title={t('set.preferences')} id="preferences">
        <form class="editor inline" onSubmit={(e) => e.preventDefault()}>
          <label>
            {t('set.language')}
            <select name="locale" value={p.locale} onChange={(e) => onPreferences({ locale: e.currentTarget.value as Locale })}>
              {locales.map((l) => (
                <option value={l.id}>{l.name}</option>
              ))}
            </select>
          </label>
          <label>
            {t('set.calendar')}
            <select name="calendar" value={p.calendar} onChange={(e) => onPreferences({ calendar: e.currentTarget.value as Calendar })}>
              {(['gregory', 'persian', 'islamic-umalqura'] as const).map((c) => (
                <option value={c}>{t(`set.cal.${c}`)}</option>
              ))}
            </select>
          </label>
          <label>
            {t('set.digits')}
            <select name="digits" value={p.digits} onChange={(e) => onPreferences({ digits: e.currentTarget.value as Digits })}>
              {(['latn', 'arabext', 'arab'] as const).map((d) => (
                <option value={d}>{t(`set.dig.${d}`)}</option>
              ))}
            </select>
          </label>
        </form>
        <p class="muted">{date(new Date().toISOString(), true)}</p>
      </Card>
      {can(me, 'manage_users') && <Users me={me} />}
      {can(me, 'manage_keys') && <Keys />}
      {can(me, 'read_reports') && <ContactPolicy me={me} />}
      {can(me, 'read_reports') && <Sources />}
      {can(me, 'read_reports') && <Survivorship me={me} />}
      {can(me, 'read_reports') && <Purposes me={me} />}
      {can(me, 'manage_users') && <Channels />}
      {can(me, 'manage_users') && <Backups />}
    </div>
  );
}

interface User {
  id: number;
  name: string;
  role: string;
  created_at: string;
  last_login_at: string | null;
  disabled: boolean;
}

function Users({ me }: { me: Me }) {
  const users = useLoad((s) => get<{ users: User[] }>('/api/v1/users', s), []);
  const [form, setForm] = useState({ name: '', role: 'analyst', password: '' });
  const [error, setError] = useState<unknown>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await post('/api/v1/users', form);
      setForm({ name: '', role: 'analyst', password: '' });
      users.reload();
    } catch (err) {
      setError(err);
    }
  };
  const update = async (u: User, change: { role?: string; disabled?: boolean }) => {
    setError(null);
    try {
      await request('PATCH', '/api/v1/users/' + u.id, change);
      users.reload();
    } catch (err) {
      setError(err);
    }
  };
  const self = me.actor.replace(/^user:/, '');
  return (
    <Card title={t('set.users')} id="users">
      <ErrorBox error={users.error} />
      <table>
        <thead>
          <tr>
            <th>{t('common.name')}</th>
            <th>{t('common.role')}</th>
            <th>{t('common.created')}</th>
            <th>{t('set.last_login')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.data?.users.map((u) => (
            <tr key={u.id} data-user={u.name}>
              <td class={u.disabled ? 'disabled' : ''}>{u.name}</td>
              <td>
                {u.name === self ? (
                  fieldName(u.role)
                ) : (
                  <select name="role" aria-label={t('common.role')} value={u.role} onChange={(e) => update(u, { role: e.currentTarget.value })}>
                    {roles.map((r) => (
                      <option value={r}>{fieldName(r)}</option>
                    ))}
                  </select>
                )}
              </td>
              <td>{date(u.created_at)}</td>
              <td>{date(u.last_login_at, true)}</td>
              <td>
                {u.disabled && <span class="badge invalid">{t('set.disabled')}</span>}{' '}
                {u.name !== self && (
                  <button class="link" name={u.disabled ? 'enable' : 'disable'} onClick={() => update(u, { disabled: !u.disabled })}>
                    {t(u.disabled ? 'set.enable' : 'set.disable')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="editor inline" onSubmit={create}>
        <h3>{t('set.new_user')}</h3>
        <label>
          {t('common.name')}
          <input name="user-name" value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} required />
        </label>
        <label>
          {t('common.role')}
          <select name="user-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
            {roles.map((r) => (
              <option value={r}>{fieldName(r)}</option>
            ))}
          </select>
        </label>
        <label>
          {t('login.password')}
          <input
            name="user-password"
            type="password"
            autocomplete="new-password"
            minLength={10}
            value={form.password}
            onInput={(e) => setForm({ ...form, password: e.currentTarget.value })}
            required
          />
        </label>
        <button type="submit">{t('common.save')}</button>
      </form>
      <ErrorBox error={error} />
    </Card>
  );
}

interface Key {
  id: number;
  name: string;
  role: string;
  prefix: string;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked: boolean;
}

function Keys() {
  const keys = useLoad((s) => get<{ keys: Key[] }>('/api/v1/keys', s), []);
  const [form, setForm] = useState({ name: '', role: 'collector' });
  const [created, setCreated] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await post<{ key: string }>('/api/v1/keys', form);
      setCreated(r.key);
      setForm({ name: '', role: 'collector' });
      keys.reload();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (id: number) => {
    try {
      await request('DELETE', '/api/v1/keys/' + id);
      keys.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Card title={t('set.keys')} id="keys">
      <ErrorBox error={keys.error} />
      {created && (
        <div class="once" role="status">
          <p>{t('set.key_once')}</p>
          <code dir="ltr" id="new-key">
            {created}
          </code>
        </div>
      )}
      <table>
        <thead>
          <tr>
            <th>{t('common.name')}</th>
            <th>{t('common.role')}</th>
            <th>{t('set.prefix')}</th>
            <th>{t('common.created')}</th>
            <th>{t('set.last_used')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.data?.keys.map((k) => (
            <tr key={k.id} class={k.revoked ? 'disabled' : ''}>
              <td>{k.name}</td>
              <td>{fieldName(k.role)}</td>
              <td dir="ltr" class="code">
                {k.prefix}…
              </td>
              <td>{date(k.created_at)}</td>
              <td>{date(k.last_used_at, true)}</td>
              <td>
                {k.revoked ? (
                  t('set.revoked')
                ) : (
                  <button class="link" onClick={() => revoke(k.id)}>
                    {t('set.revoke')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="editor inline" onSubmit={create}>
        <h3>{t('set.new_key')}</h3>
        <label>
          {t('common.name')}
          <input name="key-name" value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} required />
        </label>
        <label>
          {t('common.role')}
          <select name="key-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
            {roles.map((r) => (
              <option value={r}>{fieldName(r)}</option>
            ))}
          </select>
        </label>
        <button type="submit">{t('common.save')}</button>
      </form>
      <ErrorBox error={error} />
    </Card>
  );
}

interface Source {
  id: number;
  name: string;
  kind: string;
  vendor: string | null;
  cost_minor: number | null;
  currency: string | null;
  consent_basis: string | null;
  created_at: string;
  customers: number;
  accounts: number;
  orders: number;
  events: number;
  last_import_at: string | null;
}

function Sources() {
  const sources = useLoad((s) => get<{ sources: Source[] }>('/api/v1/sources', s), []);
  return (
    <Card title={t('set.sources')} id="sources">
      <ErrorBox error={sources.error} />
      <table>
        <thead>
          <tr>
            <th>{t('common.name')}</th>
            <th>{t('set.kind')}</th>
            <th class="num">{t('dash.customers')}</th>
            <th class="num">{t('dash.accounts')}</th>
            <th class="num">{t('dash.orders')}</th>
            <th class="num">{t('dash.events')}</th>
            <th>{t('set.last_import')}</th>
          </tr>
        </thead>
        <tbody>
          {sources.data?.sources.map((s) => (
            <tr key={s.id}>
              <td>
                {s.name}
                {s.vendor && <span class="muted"> · {s.vendor}</span>}
                {s.consent_basis && <div class="proof">{s.consent_basis}</div>}
              </td>
              <td>{fieldName(s.kind)}</td>
              <td class="num">{num(s.customers)}</td>
              <td class="num">{num(s.accounts)}</td>
              <td class="num">{num(s.orders)}</td>
              <td class="num">{num(s.events)}</td>
              <td>{date(s.last_import_at, true)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

interface SurvivorshipAnswer {
  fields: { field: string; rule: string; default: string; configured: boolean }[];
  sources: { source: string; kind: string; trust: number; configured: boolean }[];
  golden_records_stale_since?: string | null;
}
// The golden records' background rewrite, from GET /api/v1/identity/status.
interface GoldenRewriteStatus {
  golden_records_stale_since: string | null;
  golden_rewrite: { enabled: boolean; running: boolean; done: number; total: number; last_error: string | null };
}
const survivalRules = ['most_frequent', 'source_trust', 'most_recent', 'most_recently_verified', 'longest'];

// Golden records: the survivorship rule of each field and the trust of each
// source (admins change them; the server then rewrites every golden record in
// the background, and the card follows its progress).
function Survivorship({ me }: { me: Me }) {
  const manage = can(me, 'manage_users');
  const loaded = useLoad((s) => get<SurvivorshipAnswer>('/api/v1/identity/survivorship', s), []);
  const [rules, setRules] = useState<Record<string, string>>({});
  const [trust, setTrust] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<SurvivorshipAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [rewrite, setRewrite] = useState<GoldenRewriteStatus | null>(null);
  const data = saved ?? loaded.data;
  // After a save, the rewrite's progress until no golden record waits.
  const waiting = saved !== null && (rewrite === null || rewrite.golden_records_stale_since !== null);
  useEffect(() => {
    if (!waiting || (rewrite !== null && !rewrite.golden_rewrite.enabled)) return;
    const timer = setTimeout(
      () => get<GoldenRewriteStatus>('/api/v1/identity/status').then(setRewrite, setError),
      rewrite === null ? 0 : 500,
    );
    return () => clearTimeout(timer);
  }, [saved, rewrite]);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    const body: { rules: Record<string, string>; trust: Record<string, number | null> } = { rules: {}, trust: {} };
    // A field's default rule chosen again is stored as "the default", not as a setting.
    for (const [field, rule] of Object.entries(rules)) {
      body.rules[field] = data?.fields.find((f) => f.field === field)?.default === rule ? 'default' : rule;
    }
    // An emptied rank goes back to the kind's default.
    for (const [source, value] of Object.entries(trust)) body.trust[source] = value.trim() === '' ? null : Number(value);
    try {
      setRewrite(null);
      setSaved(await request<SurvivorshipAnswer>('PUT', '/api/v1/identity/survivorship', body));
      setRules({});
      setTrust({});
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('set.survivorship')} id="survivorship">
      <p class="muted">{t('set.survivorship_help')}</p>
      <ErrorBox error={loaded.error ?? error} />
      {data && (
        <form onSubmit={save}>
          <div class="grid2">
            <table>
              <thead>
                <tr>
                  <th>{t('cust.golden_field')}</th>
                  <th>{t('set.rule')}</th>
                </tr>
              </thead>
              <tbody>
                {data.fields.map((f) => (
                  <tr data-field={f.field}>
                    <td>{fieldName(f.field)}</td>
                    <td>
                      {manage ? (
                        <select
                          name={'rule-' + f.field}
                          value={rules[f.field] ?? f.rule}
                          onChange={(e) => setRules({ ...rules, [f.field]: (e.target as HTMLSelectElement).value })}
                        >
                          {survivalRules.map((r) => (
                            <option value={r}>
                              {fieldName(r)}
                              {r === f.default ? ' ' + t('set.default_mark') : ''}
                            </option>
                          ))}
                        </select>
                      ) : (
                        fieldName(f.rule)
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <table>
              <thead>
                <tr>
                  <th>{t('set.sources')}</th>
                  <th>{t('set.kind')}</th>
                  <th class="num">{t('set.trust')}</th>
                </tr>
              </thead>
              <tbody>
                {data.sources.map((s) => (
                  <tr data-source={s.source}>
                    <td>{s.source}</td>
                    <td>{fieldName(s.kind)}</td>
                    <td class="num">
                      {manage ? (
                        <input
                          type="number"
                          name={'trust-' + s.source}
                          min={-1000}
                          max={1000}
                          step={1}
                          value={trust[s.source] ?? String(s.trust)}
                          onInput={(e) => setTrust({ ...trust, [s.source]: (e.target as HTMLInputElement).value })}
                        />
                      ) : (
                        num(s.trust)
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {manage && (
            <button type="submit" name="save-survivorship" disabled={busy}>
              {t('common.save')}
            </button>
          )}
          {saved && !waiting && (
            <p class="saved" role="status">
              {t('set.survivorship_saved')}
            </p>
          )}
          {saved && waiting && (
            <p class="rewriting" role="status">
              {rewrite && !rewrite.golden_rewrite.enabled ? t('set.survivorship_no_scheduler') : t('set.survivorship_rewriting')}
              {rewrite && rewrite.golden_rewrite.total > 0 && (
                <progress max={rewrite.golden_rewrite.total} value={rewrite.golden_rewrite.done} />
              )}
            </p>
          )}
          {rewrite?.golden_rewrite.last_error && <ErrorBox error={new Error(rewrite.golden_rewrite.last_error)} />}
        </form>
      )}
    </Card>
  );
}

interface Purpose {
  purpose: string;
  channel: string;
  granted: number;
  withdrawn: number;
  double_opt_in: number;
  with_proof: number;
  last_recorded_at: string | null;
}
export interface PurposeDefinition {
  name: string;
  title: string;
  description: string;
  described: boolean;
  created_at: string | null;
  updated_at: string | null;
  retired_at: string | null;
}

// Consent purposes: each key consents and campaigns record, with the title and
// description people read (admins add, rename, describe and retire them; the
// server refuses everyone else), then how many customers grant each by channel.
function Purposes({ me }: { me: Me }) {
  const purposes = useLoad((s) => get<{ purposes: Purpose[]; definitions: PurposeDefinition[] }>('/api/v1/consent-purposes', s), []);
  const manage = can(me, 'manage_users');
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState({ title: '', description: '' });
  const [added, setAdded] = useState({ name: '', title: '', description: '' });
  const [error, setError] = useState<unknown>(null);
  const [addError, setAddError] = useState<unknown>(null);
  const granted = new Map<string, number>();
  for (const p of purposes.data?.purposes ?? []) granted.set(p.purpose, (granted.get(p.purpose) ?? 0) + p.granted);
  const change = async (name: string, body: Record<string, unknown>) => {
    setError(null);
    try {
      await request('PATCH', '/api/v1/consent-purposes/' + encodeURIComponent(name), body);
      setEditing(null);
      purposes.reload();
    } catch (e) {
      setError(e);
    }
  };
  const add = async (e: Event) => {
    e.preventDefault();
    setAddError(null);
    try {
      await post('/api/v1/consent-purposes', added);
      setAdded({ name: '', title: '', description: '' });
      purposes.reload();
    } catch (err) {
      setAddError(err);
    }
  };
  return (
    <Card title={t('set.purposes')} id="purposes">
      <ErrorBox error={purposes.error} />
      <p class="muted">{t('set.purposes_help')}</p>
      <table id="purpose-definitions">
        <thead>
          <tr>
            <th>{t('set.purpose_key')}</th>
            <th>{t('set.purpose_title')}</th>
            <th>{t('set.purpose_description')}</th>
            <th class="num">{t('set.granted')}</th>
            <th>{t('common.status')}</th>
            {manage && <th />}
          </tr>
        </thead>
        <tbody>
          {purposes.data?.definitions.map((d) =>
            editing === d.name ? (
              <tr key={d.name} data-purpose={d.name}>
                <td>
                  <code>{d.name}</code>
                </td>
                <td>
                  <input name="purpose-title" value={draft.title} dir="auto" onInput={(e) => setDraft({ ...draft, title: e.currentTarget.value })} />
                </td>
                <td colSpan={3}>
                  <textarea name="purpose-description" rows={2} dir="auto" value={draft.description} onInput={(e) => setDraft({ ...draft, description: e.currentTarget.value })} />
                </td>
                <td class="actions">
                  <button type="button" class="save-purpose" onClick={() => change(d.name, draft)}>
                    {t('common.save')}
                  </button>
                  <button type="button" class="secondary" onClick={() => setEditing(null)}>
                    {t('common.cancel')}
                  </button>
                </td>
              </tr>
            ) : (
              <tr key={d.name} data-purpose={d.name} class={d.retired_at ? 'retired' : ''}>
                <td>
                  <code>{d.name}</code>
                </td>
                <td class="purpose-title" dir="auto">{d.title}</td>
                <td class="purpose-description muted" dir="auto">{d.description}</td>
                <td class="num">{num(granted.get(d.name) ?? 0)}</td>
                <td class="purpose-status">
                  {d.retired_at ? (
                    <span class="badge withdrawn" title={date(d.retired_at, true)}>{t('set.retired')}</span>
                  ) : d.described ? (
                    <span class="badge granted">{t('set.active')}</span>
                  ) : (
                    <span class="badge">{t('set.undescribed')}</span>
                  )}
                </td>
                {manage && (
                  <td class="actions">
                    <button
                      type="button"
                      class="secondary edit-purpose"
                      onClick={() => {
                        setDraft({ title: d.title, description: d.description });
                        setEditing(d.name);
                      }}
                    >
                      {t('common.edit')}
                    </button>
                    <button type="button" class="secondary retire-purpose" onClick={() => change(d.name, { retired: !d.retired_at })}>
                      {d.retired_at ? t('set.unretire') : t('set.retire')}
                    </button>
                  </td>
                )}
              </tr>
            ),
          )}
        </tbody>
      </table>
      <ErrorBox error={error} />
      {manage && (
        <form class="editor inline" id="purpose-form" onSubmit={add}>
          <h3>{t('set.purpose_add')}</h3>
          <label>
            {t('set.purpose_key')}
            <input name="purpose-name" value={added.name} required placeholder="product_updates" onInput={(e) => setAdded({ ...added, name: e.currentTarget.value })} />
          </label>
          <label>
            {t('set.purpose_title')}
            <input name="purpose-new-title" value={added.title} dir="auto" onInput={(e) => setAdded({ ...added, title: e.currentTarget.value })} />
          </label>
          <label class="grow">
            {t('set.purpose_description')}
            <input name="purpose-new-description" value={added.description} dir="auto" onInput={(e) => setAdded({ ...added, description: e.currentTarget.value })} />
          </label>
          <button type="submit">{t('set.purpose_add')}</button>
          <ErrorBox error={addError} />
        </form>
      )}
      <h3>{t('set.purpose_usage')}</h3>
      <table>
        <thead>
          <tr>
            <th>{t('cust.purpose')}</th>
            <th>{t('cust.channel')}</th>
            <th class="num">{t('set.granted')}</th>
            <th class="num">{t('set.withdrawn')}</th>
            <th class="num">{t('set.double_opt_in')}</th>
            <th class="num">{t('set.with_proof')}</th>
            <th>{t('set.last_recorded')}</th>
          </tr>
        </thead>
        <tbody>
          {purposes.data?.purposes.map((p) => (
            <tr>
              <td>{p.purpose}</td>
              <td>{fieldName(p.channel)}</td>
              <td class="num">{num(p.granted)}</td>
              <td class="num">{num(p.withdrawn)}</td>
              <td class="num">{num(p.double_opt_in)}</td>
              <td class="num">{num(p.with_proof)}</td>
              <td>{date(p.last_recorded_at, true)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

interface ChannelsAnswer {
  email: { configured: boolean; error?: string; [k: string]: unknown };
  sms: { configured: boolean; error?: string; [k: string]: unknown };
  public_url: string;
}
interface TestOutcome {
  accepted: boolean;
  outcome: string;
  code: number;
  detail: string;
}

function Channels() {
  const channels = useLoad((s) => get<ChannelsAnswer>('/api/v1/channels', s), []);
  return (
    <Card title={t('set.channels')} id="channels">
      <ErrorBox error={channels.error} />
      {channels.data && (
        <div class="grid2">
          <Channel id="email" title={t('cust.email')} settings={channels.data.email} placeholder="you@example.com" />
          <Channel id="sms" title="SMS" settings={channels.data.sms} placeholder="+46701234567" />
        </div>
      )}
    </Card>
  );
}

function Channel({ id, title, settings, placeholder }: { id: string; title: string; settings: ChannelsAnswer['email']; placeholder: string }) {
  const [to, setTo] = useState('');
  const [outcome, setOutcome] = useState<TestOutcome | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const test = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      setOutcome(await post<TestOutcome>(`/api/v1/channels/${id}/test`, { to }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const shown = Object.entries(settings).filter(([k]) => k !== 'configured' && k !== 'error');
  return (
    <div id={'channel-' + id}>
      <h3>{title}</h3>
      {!settings.configured ? (
        <p class="muted">{t('set.not_configured')}</p>
      ) : (
        <>
          {settings.error && <p class="error">{settings.error}</p>}
          <dl class="fields" dir="ltr">
            {shown.map(([k, v]) => (
              <>
                <dt>{k}</dt>
                <dd>{String(v)}</dd>
              </>
            ))}
          </dl>
          <form class="editor inline" onSubmit={test}>
            <label>
              {t('set.test_to')}
              <input name={'test-' + id} dir="ltr" value={to} placeholder={placeholder} onInput={(e) => setTo(e.currentTarget.value)} required />
            </label>
            <button type="submit" disabled={busy}>
              {t('set.test_send')}
            </button>
          </form>
          <ErrorBox error={error} />
          {outcome && (
            <p class={outcome.accepted ? 'ok' : 'error'} role="status" data-outcome={outcome.outcome}>
              {outcome.accepted ? t('set.test_ok') + ' ' : t('set.test_failed') + ': '}
              <span dir="ltr">
                {outcome.code ? outcome.code + ' ' : ''}
                {outcome.detail}
              </span>
            </p>
          )}
        </>
      )}
    </div>
  );
}

interface Backup {
  name: string;
  bytes: number;
  written_at: string;
}

function Backups() {
  const backups = useLoad((s) => get<{ directory: string; backups: Backup[] }>('/api/v1/backups', s), []);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const backUp = async () => {
    setBusy(true);
    setError(null);
    try {
      await post('/api/v1/backups', {});
      backups.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('set.backups')} id="backups">
      <ErrorBox error={backups.error ?? error} />
      {backups.data && (
        <p class="muted" dir="ltr">
          {backups.data.directory}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>{t('common.name')}</th>
            <th class="num">{t('set.size')}</th>
            <th>{t('common.created')}</th>
          </tr>
        </thead>
        <tbody>
          {backups.data?.backups.map((b) => (
            <tr key={b.name}>
              <td dir="ltr" class="code">
                {b.name}
              </td>
              <td class="num">{num(b.bytes / 1048576, 1)} MB</td>
              <td>{date(b.written_at, true)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button name="backup" onClick={backUp} disabled={busy}>
        {t('set.backup_now')}
      </button>
    </Card>
  );
}
