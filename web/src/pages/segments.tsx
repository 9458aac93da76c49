// Segments: the segment language in a text editor with a live count as you
// type (debounced; a newer text cancels the older request), clause-by-clause
// counts, errors at their line and column with the server's hint, a preview,
// saving, and a small builder that writes clauses of the language.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, can, get, post, request, type Me } from '../api';
import { date, fieldName, num, t } from '../i18n';
import { useRoute } from '../router';
import { Card, ErrorBox, isAbort, useDebounced, useLoad } from '../ui';
import type { CustomerBrief, SavedSegment } from './types';

interface Explain {
  count: number;
  customers: number;
  clauses: { clause: string; matched: number; remaining: number; ms: number }[];
  ms: number;
}

// "line 1, column 21: unknown function ..." -> position and the rest.
export function errorPosition(message: string): { line: number; column: number; text: string } | null {
  const m = /^line (\d+), column (\d+): (.*)$/s.exec(message);
  return m ? { line: Number(m[1]), column: Number(m[2]), text: m[3] } : null;
}

export function Segments({ me }: { me: Me }) {
  const route = useRoute();
  const saved = useLoad((s) => get<{ segments: SavedSegment[] }>('/api/v1/segments', s), []);
  const [definition, setDefinition] = useState('');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const debounced = useDebounced(definition, 300);
  const [live, setLive] = useState<{ result?: Explain; error?: unknown; busy?: boolean }>({});
  const [preview, setPreview] = useState<{ rows?: CustomerBrief[]; error?: unknown }>({});
  const [saveState, setSaveState] = useState<{ ok?: boolean; error?: unknown }>({});

  // #/segments/NAME opens a saved segment.
  useEffect(() => {
    const wanted = route[1];
    const s = wanted && saved.data?.segments.find((x) => x.name === wanted);
    if (s) {
      setDefinition(s.definition);
      setName(s.name);
      setDescription(s.description);
    }
  }, [route[1], saved.data]);

  useEffect(() => {
    if (!debounced.trim()) {
      setLive({});
      return;
    }
    const controller = new AbortController();
    setLive((l) => ({ ...l, busy: true }));
    post<Explain>('/api/v1/segments/explain', { definition: debounced }, controller.signal).then(
      (result) => setLive({ result }),
      (error) => !isAbort(error) && setLive({ error }),
    );
    return () => controller.abort();
  }, [debounced]);

  const runPreview = async () => {
    try {
      const r = await post<{ count: number; customers: CustomerBrief[] }>('/api/v1/segments/preview?limit=20', { definition });
      setPreview({ rows: r.customers });
    } catch (error) {
      setPreview({ error });
    }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      await request('PUT', '/api/v1/segments/' + encodeURIComponent(name), { definition, description });
      setSaveState({ ok: true });
      saved.reload();
    } catch (error) {
      setSaveState({ error });
    }
  };
  const remove = async (segment: string) => {
    await request('DELETE', '/api/v1/segments/' + encodeURIComponent(segment)).catch(() => {});
    saved.reload();
  };

  const position = live.error instanceof ApiError ? errorPosition(live.error.message) : null;
  const errorLine = position ? definition.split('\n')[position.line - 1] ?? '' : '';
  return (
    <div class="segments">
      <h1>{t('seg.title')}</h1>
      <div class="grid2 wide-first">
        <Card>
          <label for="definition">{t('seg.definition')}</label>
          <textarea
            id="definition"
            name="definition"
            dir="ltr"
            rows={5}
            spellcheck={false}
            value={definition}
            onInput={(e) => setDefinition(e.currentTarget.value)}
          />
          <Builder onAdd={(clause) => setDefinition((d) => (d.trim() ? d.trim() + ' and ' + clause : clause))} />
          {position ? (
            <div class="error" role="alert" id="segment-error">
              <div>{t('seg.at', { line: position.line, column: position.column })}</div>
              <pre dir="ltr">
                {errorLine}
                {'\n' + ' '.repeat(Math.max(0, position.column - 1)) + '^'}
              </pre>
              <div>{position.text}</div>
            </div>
          ) : (
            <ErrorBox error={live.error} />
          )}
        </Card>
        <Card>
          <div class="live-count" aria-live="polite">
            <div class="kpi-label">{t('seg.count')}</div>
            <div class="kpi-value" id="segment-count">
              {live.result ? num(live.result.count) : '—'}
            </div>
            <div class="muted">
              {live.busy ? t('seg.counting') : live.result ? t('seg.of', { total: live.result.customers }) : ''}
            </div>
          </div>
        </Card>
      </div>
      {live.result && (
        <Card title={t('seg.clauses')} id="clauses">
          <table>
            <thead>
              <tr>
                <th>{t('seg.clause')}</th>
                <th class="num">{t('seg.matched')}</th>
                <th class="num">{t('seg.remaining')}</th>
              </tr>
            </thead>
            <tbody>
              {live.result.clauses.map((c) => (
                <tr>
                  <td dir="ltr" class="code">
                    {c.clause}
                  </td>
                  <td class="num">{num(c.matched)}</td>
                  <td class="num">{num(c.remaining)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      <div class="grid2">
        <Card title={t('seg.preview')}>
          <button onClick={runPreview} disabled={!live.result || !can(me, 'read_personal_data')}>
            {t('seg.preview')}
          </button>
          <ErrorBox error={preview.error} />
          <ul class="preview">
            {preview.rows?.map((c) => (
              <li>
                <a href={'#/customers/' + c.id}>
                  <bdi>{c.name ?? '#' + c.id}</bdi>
                </a>{' '}
                <bdi class="muted">{c.city}</bdi>
              </li>
            ))}
          </ul>
        </Card>
        {can(me, 'manage_segments') && (
          <Card title={t('seg.save')}>
            <form onSubmit={save} class="editor">
              <label>
                {t('seg.name')}
                <input name="segment-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
              </label>
              <label>
                {t('seg.description')}
                <input name="segment-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
              </label>
              <button type="submit" disabled={!live.result || !name.trim()}>
                {t('common.save')}
              </button>
              {saveState.ok && <span class="ok">{t('common.saved')}</span>}
              <ErrorBox error={saveState.error} />
            </form>
          </Card>
        )}
      </div>
      {route[1] && <History name={route[1]} />}
      <Card title={t('seg.saved_list')} id="saved-segments">
        <ErrorBox error={saved.error} />
        <table>
          <thead>
            <tr>
              <th>{t('common.name')}</th>
              <th>{t('seg.definition')}</th>
              <th class="num">{t('seg.members')}</th>
              <th>{fieldName('updated_at')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {saved.data?.segments.map((s) => (
              <tr key={s.name}>
                <td>
                  <a href={'#/segments/' + encodeURIComponent(s.name)}>{s.name}</a>
                  <div class="muted">{s.description}</div>
                </td>
                <td dir="ltr" class="code">
                  {s.definition}
                </td>
                <td class="num">{num(s.last_count)}</td>
                <td>{date(s.updated_at)}</td>
                <td>
                  {can(me, 'manage_segments') && (
                    <button class="link" onClick={() => remove(s.name)}>
                      {t('common.delete')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </div>
  );
}

type ClauseKind = 'attr' | 'bought' | 'reachable' | 'did';
const attributeFields = ['city', 'country', 'gender', 'age', 'language', 'lifecycle_stage', 'best_channel'];

// Writes one clause of the segment language from a few fields.
export function clauseText(kind: ClauseKind, field: string, op: string, value: string, days: string): string {
  const quoted = (s: string) => JSON.stringify(s);
  const isNumber = /^-?\d+(\.\d+)?$/.test(value.trim());
  switch (kind) {
    case 'attr':
      return `${field} ${op} ${isNumber ? value.trim() : quoted(value)}`;
    case 'bought':
      return `bought(within ${Number(days) || 365} days)`;
    case 'reachable':
      return `reachable(${value || 'email'})`;
    case 'did':
      return `did(${quoted(value)}, within ${Number(days) || 30} days)`;
  }
}

function Builder({ onAdd }: { onAdd: (clause: string) => void }) {
  const [kind, setKind] = useState<ClauseKind>('attr');
  const [field, setField] = useState('city');
  const [op, setOp] = useState('=');
  const [value, setValue] = useState('');
  const [days, setDays] = useState('365');
  return (
    <fieldset class="builder">
      <legend>{t('seg.builder')}</legend>
      <select name="builder-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as ClauseKind)}>
        <option value="attr">{t('seg.b.attr')}</option>
        <option value="bought">{t('seg.b.bought')}</option>
        <option value="reachable">{t('seg.b.reachable')}</option>
        <option value="did">{t('seg.b.did')}</option>
      </select>
      {kind === 'attr' && (
        <>
          <select name="builder-field" value={field} onChange={(e) => setField(e.currentTarget.value)}>
            {attributeFields.map((f) => (
              <option value={f}>{f}</option>
            ))}
          </select>
          <select name="builder-op" value={op} onChange={(e) => setOp(e.currentTarget.value)}>
            {['=', '!=', '>', '>=', '<', '<='].map((o) => (
              <option value={o}>{o}</option>
            ))}
          </select>
        </>
      )}
      {kind === 'reachable' ? (
        <select name="builder-value" value={value} onChange={(e) => setValue(e.currentTarget.value)}>
          {['email', 'sms', 'phone', 'mail'].map((c) => (
            <option value={c}>{c}</option>
          ))}
        </select>
      ) : (
        kind !== 'bought' && <input name="builder-value" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      )}
      {(kind === 'bought' || kind === 'did') && (
        <input name="builder-days" type="number" min="1" value={days} onInput={(e) => setDays(e.currentTarget.value)} />
      )}
      <button type="button" class="secondary" onClick={() => onAdd(clauseText(kind, field, op, value, days))}>
        {t('seg.add')}
      </button>
    </fieldset>
  );
}

interface HistoryDay {
  day: string;
  members: number;
  entered: number;
  left: number;
}

// Membership over time of a saved segment: one bar per recorded day.
function History({ name }: { name: string }) {
  const history = useLoad(
    (s) => get<{ days: HistoryDay[] }>(`/api/v1/segments/${encodeURIComponent(name)}/history`, s),
    [name],
  );
  const days = history.data?.days ?? [];
  const max = Math.max(1, ...days.map((d) => d.members));
  return (
    <Card title={t('seg.history')} id="segment-history">
      <ErrorBox error={history.error} />
      {days.length === 0 && !history.loading && <p class="muted">{t('seg.no_history')}</p>}
      {days.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>{t('seg.day')}</th>
              <th class="num">{t('seg.members')}</th>
              <th class="num">{t('seg.entered')}</th>
              <th class="num">{t('seg.left')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <td>{date(d.day)}</td>
                <td class="num">{num(d.members)}</td>
                <td class="num">+{num(d.entered)}</td>
                <td class="num">−{num(d.left)}</td>
                <td class="bar-cell">
                  <progress class="bar" max={max} value={d.members} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
