// Journeys: the list with entered/active/completed counts, a journey's steps
// with how many reached and are waiting at each (and their outcomes), enable
// and disable, and creating one from a shipped template (docs/journeys.md).
// The page's words live here (journey terms in four languages); the shell's in i18n.ts.
import { useState } from 'preact/hooks';
import { can, get, post, type Me } from '../api';
import { num, pct, preferences } from '../i18n';
import { go, useRoute } from '../router';
import { Card, ErrorBox, useLoad } from '../ui';

interface StepStats {
  id: string;
  kind: string;
  reached: number;
  waiting: number;
  outcomes: Record<string, number>;
}
interface Journey {
  id: number;
  name: string;
  status: string;
  description?: string;
  trigger: { kind: string; [k: string]: unknown };
  steps: Step[];
  stats: {
    entered: number;
    active: number;
    completed: number;
    exited: number;
    exit_reasons: Record<string, number>;
    converted: number;
    conversion: number;
    call_tasks: number;
    steps: StepStats[];
  };
}
interface Template {
  name: string;
  title: string;
  description: string;
}

const words = {
  en: {
    title: 'Journeys', none: 'No journeys yet.', create: 'Create from template', template: 'Template', name: 'Name',
    trigger: 'Trigger', status: 'Status', entered: 'Entered', active: 'Active', completed: 'Completed', exited: 'Exited',
    step: 'Step', kind: 'Kind', reached: 'Reached', waiting: 'Waiting', outcomes: 'Outcomes', enable: 'Enable',
    disable: 'Disable', conversion: 'Conversion', back: 'All journeys', details: 'Details',
    draft: 'Draft', enabled: 'Enabled', disabled: 'Disabled',
    event: 'An event', purchase: 'A purchase', segment_enter: 'Entering a segment', segment_leave: 'Leaving a segment',
    date_attribute: 'A date of the customer', calendar_date: 'A calendar date', schedule: 'A schedule',
    wait: 'Wait', branch: 'Branch', send: 'Send', call_task: 'Call task', add_tag: 'Add tag', remove_tag: 'Remove tag',
    set_attribute: 'Set attribute', webhook: 'Webhook', exit: 'Exit', then: 'then', else: 'else', until: 'until',
  },
  fa: {
    title: 'سفرها', none: 'هنوز سفری نیست.', create: 'ساختن از الگو', template: 'الگو', name: 'نام', trigger: 'آغازگر',
    status: 'وضعیت', entered: 'ورود', active: 'فعال', completed: 'پایان‌یافته', exited: 'خروج', step: 'گام', kind: 'نوع',
    reached: 'رسیده', waiting: 'در انتظار', outcomes: 'نتیجه‌ها', enable: 'فعال کردن', disable: 'غیرفعال کردن',
    conversion: 'تبدیل', back: 'همه سفرها', details: 'جزئیات',
    draft: 'پیش‌نویس', enabled: 'فعال', disabled: 'غیرفعال',
    event: 'یک رویداد', purchase: 'یک خرید', segment_enter: 'ورود به بخش', segment_leave: 'خروج از بخش',
    date_attribute: 'تاریخی از مشتری', calendar_date: 'تاریخی در تقویم', schedule: 'زمان‌بندی',
    wait: 'انتظار', branch: 'انشعاب', send: 'ارسال', call_task: 'تماس', add_tag: 'افزودن برچسب', remove_tag: 'حذف برچسب',
    set_attribute: 'تنظیم ویژگی', webhook: 'وب‌هوک', exit: 'خروج', then: 'آنگاه', else: 'وگرنه', until: 'تا',
  },
  ar: {
    title: 'الرحلات', none: 'لا توجد رحلات بعد.', create: 'إنشاء من قالب', template: 'القالب', name: 'الاسم',
    trigger: 'المُشغِّل', status: 'الحالة', entered: 'دخل', active: 'نشط', completed: 'اكتمل', exited: 'خرج', step: 'الخطوة',
    kind: 'النوع', reached: 'وصل', waiting: 'في الانتظار', outcomes: 'النتائج', enable: 'تفعيل', disable: 'إيقاف',
    conversion: 'التحويل', back: 'كل الرحلات', details: 'التفاصيل',
    draft: 'مسودة', enabled: 'مفعّلة', disabled: 'موقوفة',
    event: 'حدث', purchase: 'عملية شراء', segment_enter: 'دخول شريحة', segment_leave: 'مغادرة شريحة',
    date_attribute: 'تاريخ للعميل', calendar_date: 'تاريخ في التقويم', schedule: 'جدول زمني',
    wait: 'انتظار', branch: 'تفرّع', send: 'إرسال', call_task: 'مهمة اتصال', add_tag: 'إضافة وسم', remove_tag: 'إزالة وسم',
    set_attribute: 'تعيين سمة', webhook: 'Webhook', exit: 'خروج', then: 'ثم', else: 'وإلا', until: 'حتى',
  },
  sv: {
    title: 'Kundresor', none: 'Inga kundresor ännu.', create: 'Skapa från mall', template: 'Mall', name: 'Namn',
    trigger: 'Utlösare', status: 'Status', entered: 'Gick in', active: 'Aktiva', completed: 'Klara', exited: 'Lämnade',
    step: 'Steg', kind: 'Typ', reached: 'Nådde', waiting: 'Väntar', outcomes: 'Utfall', enable: 'Aktivera',
    disable: 'Stäng av', conversion: 'Konvertering', back: 'Alla kundresor', details: 'Detaljer',
    draft: 'Utkast', enabled: 'Aktiv', disabled: 'Avstängd',
    event: 'En händelse', purchase: 'Ett köp', segment_enter: 'In i ett segment', segment_leave: 'Ut ur ett segment',
    date_attribute: 'Ett datum för kunden', calendar_date: 'Ett kalenderdatum', schedule: 'Ett schema',
    wait: 'Vänta', branch: 'Förgrening', send: 'Skicka', call_task: 'Samtalsuppgift', add_tag: 'Lägg till tagg',
    remove_tag: 'Ta bort tagg', set_attribute: 'Sätt attribut', webhook: 'Webhook', exit: 'Avsluta', then: 'då',
    else: 'annars', until: 'tills',
  },
};
type Word = keyof typeof words.en;
const w = (key: Word) => ((words as Record<string, Record<Word, string>>)[preferences().locale] ?? words.en)[key];
// A status, trigger or step kind in the user's language (a kind added later shows as its key).
const term = (key: string) => (key in words.en ? w(key as Word) : key);

interface Step {
  id: string;
  kind: string;
  [k: string]: unknown;
}

// What a step does, in a few words (the wait, the message, the branch's
// targets): the page's words around the step's own values, each value isolated
// (<bdi>) so that ids and durations keep their order in right-to-left text.
function StepDetail({ step }: { step: Step | undefined }) {
  if (!step) return null;
  const parts: [string, string][] = [];
  const str = (k: string) => (typeof step[k] === 'string' || typeof step[k] === 'number' ? String(step[k]) : '');
  const add = (label: string, value: string) => value && parts.push([label, value]);
  if (step.kind === 'wait') {
    add('', str('duration'));
    add(w('until'), str('until_time'));
    add(w('until'), str('until_event'));
    add('', str('timeout'));
  } else if (step.kind === 'send') add('', str('campaign'));
  else if (step.kind === 'branch') {
    add('', str('condition') || str('response'));
    add(w('then'), str('then'));
    add(w('else'), str('else'));
  } else if (step.kind === 'call_task') {
    add('', str('discount_percent') && str('discount_percent') + ' %');
    add('', str('note'));
  } else if (step.kind === 'add_tag' || step.kind === 'remove_tag') add('', str('tag'));
  else if (step.kind === 'set_attribute') add('', str('attribute') + ' = ' + str('value'));
  else if (step.kind === 'webhook') add('', str('url'));
  return (
    <>
      {parts.map(([label, value], i) => (
        <span key={i}>
          {i > 0 && ' · '}
          {label && label + ' '}
          <bdi>{value}</bdi>
        </span>
      ))}
    </>
  );
}

export function Journeys({ me }: { me: Me }) {
  const route = useRoute();
  return route[1] ? <JourneyView me={me} id={route[1]} /> : <JourneyList me={me} />;
}

function JourneyList({ me }: { me: Me }) {
  const list = useLoad((signal) => get<{ journeys: Journey[] }>('/api/v1/journeys', signal), []);
  const templates = useLoad((signal) => get<{ templates: Template[] }>('/api/v1/journey-templates', signal), []);
  const [template, setTemplate] = useState('post_purchase');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const j = await post<Journey>('/api/v1/journeys', { template, name: name || undefined });
      go('journeys/' + j.id);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div>
      <h1>{w('title')}</h1>
      <Card>
        <ErrorBox error={list.error} />
        {list.data && list.data.journeys.length === 0 && <p class="muted">{w('none')}</p>}
        {list.data && list.data.journeys.length > 0 && (
          <table>
            <thead>
              <tr>
                <th>{w('name')}</th>
                <th>{w('trigger')}</th>
                <th>{w('status')}</th>
                <th>{w('entered')}</th>
                <th>{w('active')}</th>
                <th>{w('completed')}</th>
                <th>{w('exited')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.journeys.map((j) => (
                <tr key={j.id}>
                  <td>
                    <a href={'#/journeys/' + j.id}>{j.name}</a>
                  </td>
                  <td>{term(j.trigger.kind)}</td>
                  <td>{term(j.status)}</td>
                  <td>{num(j.stats.entered)}</td>
                  <td>{num(j.stats.active)}</td>
                  <td>{num(j.stats.completed)}</td>
                  <td>{num(j.stats.exited)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {can(me, 'manage_campaigns') && templates.data && (
        <Card title={w('create')}>
          <form onSubmit={create}>
            <label>
              {w('template')}
              <select value={template} onChange={(e) => setTemplate((e.target as HTMLSelectElement).value)}>
                {templates.data.templates.map((t) => (
                  <option key={t.name} value={t.name} title={t.description}>
                    {t.title}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {w('name')}
              <input value={name} placeholder={template} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </label>
            <button type="submit">{w('create')}</button>
            <ErrorBox error={error} />
          </form>
        </Card>
      )}
    </div>
  );
}

function JourneyView({ me, id }: { me: Me; id: string }) {
  const j = useLoad((signal) => get<Journey>('/api/v1/journeys/' + encodeURIComponent(id), signal), [id]);
  const [error, setError] = useState<unknown>(null);
  const toggle = async (action: 'enable' | 'disable') => {
    setError(null);
    try {
      await post('/api/v1/journeys/' + encodeURIComponent(id) + '/' + action, {});
      j.reload();
    } catch (err) {
      setError(err);
    }
  };
  if (j.error) return <ErrorBox error={j.error} />;
  if (!j.data) return null;
  const s = j.data.stats;
  return (
    <div>
      <p>
        <a href="#/journeys">{w('back')}</a>
      </p>
      <h1>{j.data.name}</h1>
      {j.data.description && <p class="muted">{j.data.description}</p>}
      <Card>
        <p>
          {w('status')}: <strong>{term(j.data.status)}</strong> · {w('trigger')}: {term(j.data.trigger.kind)} · {w('entered')}{' '}
          {num(s.entered)} · {w('active')} {num(s.active)} · {w('completed')} {num(s.completed)} · {w('exited')}{' '}
          {num(s.exited)} · {w('conversion')} {pct(s.conversion, 1)}
        </p>
        {can(me, 'manage_campaigns') &&
          (j.data.status === 'enabled' ? (
            <button onClick={() => toggle('disable')}>{w('disable')}</button>
          ) : (
            <button onClick={() => toggle('enable')}>{w('enable')}</button>
          ))}
        <ErrorBox error={error} />
      </Card>
      <Card>
        <table>
          <thead>
            <tr>
              <th>{w('step')}</th>
              <th>{w('kind')}</th>
              <th>{w('reached')}</th>
              <th>{w('waiting')}</th>
              <th>{w('outcomes')}</th>
              <th>{w('details')}</th>
            </tr>
          </thead>
          <tbody>
            {s.steps.map((st) => (
              <tr key={st.id}>
                <td>{st.id}</td>
                <td>{term(st.kind)}</td>
                <td>{num(st.reached)}</td>
                <td>{num(st.waiting)}</td>
                <td>
                  {Object.entries(st.outcomes)
                    .map(([o, n]) => o + ' ' + num(n))
                    .join(' · ')}
                </td>
                <td class="muted">
                  <StepDetail step={j.data!.steps?.find((x) => x.id === st.id)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </div>
  );
}
