// The application shell: sign-in, the navigation (only what the signed-in
// role may use) and the page for the current route.
import { useEffect, useRef, useState } from 'preact/hooks';
import { can, currentUser, signIn, signOut, whenSignedOut, type Me } from './api';
import { locales, preferences, setPreferences, t, type Locale, type MessageKey } from './i18n';
import { go, useRoute } from './router';
import { ErrorBox, Loading } from './ui';
import { Dashboard } from './pages/dashboard';
import { Customers, CustomerView } from './pages/customers';
import { Segments } from './pages/segments';
import { Data } from './pages/data';
import { Settings } from './pages/settings';
import { Campaigns } from './pages/campaigns';
import { Journeys } from './pages/journeys';
import { Reports } from './pages/reports';

interface NavItem {
  path: string;
  label: MessageKey;
  permission?: string;
}

const nav: NavItem[] = [
  { path: 'dashboard', label: 'nav.dashboard', permission: 'read_reports' },
  { path: 'customers', label: 'nav.customers', permission: 'read_personal_data' },
  { path: 'segments', label: 'nav.segments', permission: 'read_segments' },
  { path: 'campaigns', label: 'nav.campaigns', permission: 'read_reports' },
  { path: 'journeys', label: 'nav.journeys', permission: 'read_reports' },
  { path: 'reports', label: 'nav.reports', permission: 'read_reports' },
  { path: 'data', label: 'nav.data', permission: 'read_reports' },
  { path: 'settings', label: 'nav.settings' },
];

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [, setVersion] = useState(0); // re-render everything when preferences change
  const route = useRoute();

  // A 401 while signed in means the session ended (expired, signed out
  // elsewhere, or the user was disabled): back to sign-in, saying so.
  const [expired, setExpired] = useState(false);
  const signedIn = useRef(false);
  signedIn.current = !!me;
  useEffect(() => {
    whenSignedOut(() => {
      if (signedIn.current) setExpired(true);
      setMe(null);
    });
    currentUser().then(setMe, () => setMe(null));
  }, []);

  const changePreferences = (p: Parameters<typeof setPreferences>[0]) => {
    setPreferences(p);
    setVersion((v) => v + 1);
  };

  if (me === undefined) return <Loading />;
  if (me === null)
    return (
      <Login
        expired={expired}
        onSignedIn={(m) => {
          setExpired(false);
          setMe(m);
        }}
        onLocale={(locale) => changePreferences({ locale })}
      />
    );

  const allowed = nav.filter((n) => !n.permission || can(me, n.permission));
  const page = route[0] ?? allowed[0]?.path ?? 'settings';
  let content;
  if (page === 'customers' && route[1]) content = <CustomerView me={me} id={route[1]} />;
  else if (page === 'customers') content = <Customers />;
  else if (page === 'segments') content = <Segments me={me} />;
  else if (page === 'campaigns') content = <Campaigns me={me} />;
  else if (page === 'journeys') content = <Journeys me={me} />;
  else if (page === 'reports') content = <Reports me={me} />;
  else if (page === 'data') content = <Data me={me} />;
  else if (page === 'settings') content = <Settings me={me} onPreferences={changePreferences} />;
  else content = <Dashboard me={me} />;

  return (
    <div class="shell">
      <nav class="sidebar" aria-label="main">
        <div class="brand">{t('app.name')}</div>
        <ul>
          {allowed.map((n) => (
            <li key={n.path}>
              <a href={'#/' + n.path} class={page === n.path ? 'active' : ''} aria-current={page === n.path ? 'page' : undefined}>
                {t(n.label)}
              </a>
            </li>
          ))}
        </ul>
        <div class="who">
          <span>{t('set.signed_in_as', { actor: me.actor.replace(/^user:/, ''), role: me.role })}</span>
          <button
            class="link"
            onClick={async () => {
              await signOut().catch(() => {});
              setMe(null);
              go('');
            }}
          >
            {t('nav.signout')}
          </button>
        </div>
      </nav>
      <main class="content">{content}</main>
    </div>
  );
}

function Login({ expired, onSignedIn, onLocale }: { expired: boolean; onSignedIn: (me: Me) => void; onLocale: (l: Locale) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(name, password));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <form class="card" onSubmit={submit}>
        <h1>{t('app.name')}</h1>
        <h2>{t('login.title')}</h2>
        {expired && (
          <p class="notice" role="status" id="session-expired">
            {t('login.expired')}
          </p>
        )}
        <label>
          {t('login.name')}
          <input name="name" autocomplete="username" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        </label>
        <label>
          {t('login.password')}
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
        <label>
          {t('login.language')}
          <select value={preferences().locale} onChange={(e) => onLocale(e.currentTarget.value as Locale)}>
            {locales.map((l) => (
              <option value={l.id}>{l.name}</option>
            ))}
          </select>
        </label>
      </form>
    </div>
  );
}
