// Settings: the user's language, calendar and digits; users and roles, and API
// keys for those whose role manages them.
import { useState } from 'preact/hooks';
import { can, get, post, request, type Me } from '../api';
import { date, locales, preferences, t, type Calendar, type Digits, type Locale, type Preferences } from '../i18n';
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
      {can(me, 'manage_users') && <Users />}
      {can(me, 'manage_keys') && <Keys />}
      {can(me, 'read_reports') && <ContactPolicy me={me} />}
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

function Users() {
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
          </tr>
        </thead>
        <tbody>
          {users.data?.users.map((u) => (
            <tr key={u.id} class={u.disabled ? 'disabled' : ''}>
              <td>{u.name}</td>
              <td>{u.role}</td>
              <td>{date(u.created_at)}</td>
              <td>{date(u.last_login_at, true)}</td>
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
              <option value={r}>{r}</option>
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
              <td>{k.role}</td>
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
              <option value={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit">{t('common.save')}</button>
      </form>
      <ErrorBox error={error} />
    </Card>
  );
}
