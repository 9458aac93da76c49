// Data: upload a file, map its columns and watch its import; the identity
// review queue (pairs that may be one person, compared field by field); the
// data-quality report.
import { useEffect, useState } from 'preact/hooks';
import { can, get, request, type Me } from '../api';
import { date, fieldName, num, t } from '../i18n';
import { Card, ErrorBox, useLoad } from '../ui';
import { QualitySummary } from './dashboard';
import type { Quality } from './types';

interface ImportJob {
  id: number;
  kind: string;
  source: string;
  status: 'running' | 'finished' | 'failed';
  progress: { bytes_done: number; bytes_total: number; percent: number };
  report?: Record<string, any>;
  error?: string;
}

export function Data({ me }: { me: Me }) {
  const quality = useLoad((s) => get<Quality>('/api/v1/quality', s), []);
  return (
    <div>
      <h1>{t('data.title')}</h1>
      {can(me, 'import_data') && <ImportForm />}
      {can(me, 'read_reports') && <IdentityStatusCard />}
      {can(me, 'read_personal_data') && <ReviewQueue me={me} />}
      <Card title={t('data.quality')} id="quality">
        <ErrorBox error={quality.error} />
        {quality.data && (
          <>
            <p class="muted">{date(quality.data.as_of, true)}</p>
            <QualitySummary q={quality.data} />
            <h3>{t('data.completeness')}</h3>
            <table id="quality-completeness">
              <thead>
                <tr>
                  <th>{t('data.source')}</th>
                  <th class="num">Σ</th>
                  {Object.keys(quality.data.completeness[0]?.filled ?? {}).map((f) => (
                    <th class="num" data-field={f}>
                      {fieldName(f)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {quality.data.completeness.map((c) => (
                  <tr>
                    <td>{c.source}</td>
                    <td class="num">{num(c.records)}</td>
                    {Object.values(c.filled).map((n) => (
                      <td class="num">{num(c.records ? (100 * n) / c.records : 0)}%</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            <h3>{t('data.invalid_values')}</h3>
            <table id="quality-invalid">
              <thead>
                <tr>
                  <th>{t('data.field')}</th>
                  <th>{t('data.reason')}</th>
                  <th class="num">Σ</th>
                  <th>{t('data.examples')}</th>
                </tr>
              </thead>
              <tbody>
                {quality.data.invalid_values.map((v) => (
                  <tr data-field={v.field}>
                    <td>{fieldName(v.field.split('.').pop() ?? v.field)}</td>
                    <td>{v.reason}</td>
                    <td class="num">{num(v.count)}</td>
                    <td dir="ltr" class="muted">
                      {v.examples.join(', ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Card>
    </div>
  );
}

interface ColumnGuess {
  name: string;
  field: string;
  how: 'canonical' | 'synonym' | 'attribute' | 'unmapped';
  samples: string[];
}
interface ColumnsAnswer {
  columns: ColumnGuess[];
  fields: string[];
  delimiter: string;
}

// The first bytes of a file, cut after its last complete line: enough for the
// server to read the header and a few rows.
async function fileStart(file: File, bytes = 256 * 1024): Promise<Blob> {
  if (file.size <= bytes) return file;
  const head = new Uint8Array(await file.slice(0, bytes).arrayBuffer());
  const end = head.lastIndexOf(10);
  return new Blob([end > 0 ? head.slice(0, end + 1) : head]);
}

// Upload in two steps: the columns with the field each would go to (the
// server's suggestion, which the person may change), then the import with the
// changed columns as ?map=COLUMN=FIELD, its progress and its report.
function ImportForm() {
  const [kind, setKind] = useState('customers');
  const [source, setSource] = useState('upload');
  const [format, setFormat] = useState('csv');
  const [file, setFile] = useState<File | null>(null);
  const [columns, setColumns] = useState<ColumnsAnswer | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [job, setJob] = useState<ImportJob | null>(null);
  const [error, setError] = useState<unknown>(null);

  // Read the columns whenever the file, its kind or its format change.
  useEffect(() => {
    setColumns(null);
    setMapping({});
    if (!file) return;
    let stale = false;
    (async () => {
      try {
        const q = new URLSearchParams({ kind, format });
        const answer = await request<ColumnsAnswer>('POST', '/api/v1/imports/columns?' + q, undefined, {
          raw: await fileStart(file),
          contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
        });
        if (stale) return;
        setError(null);
        setColumns(answer);
        setMapping(Object.fromEntries(answer.columns.map((c) => [c.name, c.field])));
      } catch (err) {
        if (!stale) setError(err);
      }
    })();
    return () => {
      stale = true;
    };
  }, [file, kind, format]);

  // Poll the running import every half second.
  useEffect(() => {
    if (!job || job.status !== 'running') return;
    const timer = setTimeout(async () => {
      try {
        setJob(await get<ImportJob>('/api/v1/imports/' + job.id));
      } catch (e) {
        setError(e);
      }
    }, 500);
    return () => clearTimeout(timer);
  }, [job]);

  // One field per column: choosing a field another column had leaves that one ignored.
  const choose = (column: string, field: string) => {
    const next = { ...mapping };
    if (field) for (const c of Object.keys(next)) if (next[c] === field) next[c] = '';
    next[column] = field;
    setMapping(next);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setJob(null);
    const q = new URLSearchParams({ kind, source, format });
    for (const c of columns?.columns ?? []) {
      if ((mapping[c.name] ?? c.field) !== c.field) q.append('map', c.name + '=' + mapping[c.name]);
    }
    try {
      setJob(
        await request<ImportJob>('POST', '/api/v1/imports?' + q, undefined, {
          raw: file,
          contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
        }),
      );
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Card title={t('data.import')} id="import">
      <form class="editor inline" onSubmit={submit}>
        <label>
          {t('data.kind')}
          <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            {['customers', 'accounts', 'products', 'orders', 'events'].map((k) => (
              <option value={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          {t('data.source')}
          <input name="source" value={source} onInput={(e) => setSource(e.currentTarget.value)} required />
        </label>
        <label>
          {t('data.format')}
          <select name="format" value={format} onChange={(e) => setFormat(e.currentTarget.value)}>
            <option value="csv">CSV</option>
            <option value="jsonl">JSON Lines</option>
          </select>
        </label>
        <label>
          {t('data.file')}
          <input name="file" type="file" accept=".csv,.jsonl,.json,.txt" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} required />
        </label>
        {columns && (
          <table id="import-columns">
            <thead>
              <tr>
                <th>{t('data.column')}</th>
                <th>{t('data.maps_to')}</th>
                <th>{t('data.samples')}</th>
              </tr>
            </thead>
            <tbody>
              {columns.columns.map((c) => {
                const chosen = mapping[c.name] ?? '';
                const options = [...columns.fields];
                if (chosen && !options.includes(chosen)) options.push(chosen);
                if (!options.includes('attr.' + c.name)) options.push('attr.' + c.name);
                return (
                  <tr key={c.name} data-column={c.name}>
                    <td>
                      <bdi>{c.name}</bdi>
                    </td>
                    <td>
                      <select
                        name={'map-' + c.name}
                        aria-label={c.name}
                        value={chosen}
                        onChange={(e) => choose(c.name, e.currentTarget.value)}
                        class={chosen !== c.field ? 'changed' : ''}
                      >
                        <option value="">{t('data.ignore')}</option>
                        {options.map((f) => (
                          <option value={f}>{f.startsWith('attr.') ? `${f} (${t('data.attribute')})` : f}</option>
                        ))}
                      </select>
                    </td>
                    <td class="muted">
                      {c.samples.slice(0, 3).map((x, i) => (
                        <>
                          {i > 0 && ' · '}
                          <bdi>{x}</bdi>
                        </>
                      ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <button type="submit" disabled={!file || !columns || job?.status === 'running'}>
          {t('data.start')}
        </button>
      </form>
      <ErrorBox error={error} />
      {job && (
        <div class="job" id="import-job">
          <label>
            {t('data.progress')}: {job.status} ({num(job.progress.percent, 1)}%)
            <progress max={100} value={job.progress.percent} />
          </label>
          {job.error && <p class="error">{job.error}</p>}
          {job.report && <ImportReport report={job.report} />}
        </div>
      )}
    </Card>
  );
}

// "line 12: email: missing '@'" -> line, field, reason.
function splitExample(example: string): { line: string; field: string; reason: string } {
  const m = /^line (\d+): ([^:]+): (.*)$/.exec(example);
  return m ? { line: m[1], field: m[2], reason: m[3] } : { line: '', field: '', reason: example };
}

// The import report (docs/import.md): counts, how columns were mapped, the
// problems found and example rows with their line numbers.
function ImportReport({ report }: { report: Record<string, any> }) {
  const counts = ['records', 'inserted', 'updated', 'unchanged', 'rejected', 'customers_created'].filter((k) => k in report);
  const problems = Object.entries((report.problems ?? {}) as Record<string, number>);
  return (
    <div id="import-report">
      <h3>{t('data.report')}</h3>
      <div class="kpis">
        {counts.map((k) => (
          <div class={'kpi ' + (k === 'rejected' && report[k] > 0 ? 'bad' : '')} key={k} data-count={k}>
            <div class="kpi-value">{num(report[k])}</div>
            <div class="kpi-label">{fieldName(k)}</div>
          </div>
        ))}
      </div>
      {Array.isArray(report.mapping) && (
        <>
          <h3>{t('data.mapping')}</h3>
          <ul dir="ltr" class="code" id="import-mapping">
            {report.mapping.map((m: string) => (
              <li>{m}</li>
            ))}
            {(report.unmapped_columns ?? []).map((c: string) => (
              <li class="muted">{c} → ∅</li>
            ))}
          </ul>
        </>
      )}
      {problems.length > 0 && (
        <>
          <h3>{t('data.rejects')}</h3>
          <table id="import-problems">
            <tbody>
              {problems.map(([problem, count]) => (
                <tr>
                  <td dir="ltr">{problem}</td>
                  <td class="num">{num(count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table id="import-examples">
            <thead>
              <tr>
                <th class="num">{t('data.line')}</th>
                <th>{t('data.field')}</th>
                <th>{t('data.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {(report.examples ?? []).map((e: string) => {
                const x = splitExample(e);
                return (
                  <tr>
                    <td class="num">{x.line && num(Number(x.line))}</td>
                    <td dir="ltr">{x.field}</td>
                    <td dir="ltr">{x.reason}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

interface Review {
  id: number;
  left: number;
  right: number;
  probability: number;
  calibrated_probability: number;
  weight: number;
  status: 'pending' | 'accepted' | 'rejected';
  explanation: {
    fields: { field: string; left: string; right: string; level: number; weight: number }[];
    weight: number;
    probability: number;
    rule: string;
    run_probability: number | null;
  } | null;
}

// How the decisions so far recalibrate the model's probabilities.
interface Calibration {
  decisions: number;
  accepted: number;
  rejected: number;
  intercept: number;
  slope: number;
}

interface IdentityStatus {
  records: number;
  pending: number;
  incremental_ready: boolean;
  thresholds: { merge: number; review: number; max_expected_namesakes: number };
  golden_records_stale_since: string | null;
  golden_rewrite: { enabled: boolean; running: boolean; done: number; total: number; last_error: string | null };
  last_run: { id: number; finished_at: string; records: number; clusters: number } | null;
  automatic: {
    enabled: boolean;
    interval_seconds: number;
    running: boolean;
    stage: string | null;
    done: number;
    total: number;
    last_error: string | null;
    waiting: string | null;
  };
}

// Where identity resolution stands: the last run, the records waiting for the
// next, and the server's own runs (with their progress while one runs).
function IdentityStatusCard() {
  const status = useLoad((s) => get<IdentityStatus>('/api/v1/identity/status', s), []);
  const st = status.data;
  const running = (st?.automatic.running ?? false) || (st?.golden_rewrite.running ?? false);
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(status.reload, 500);
    return () => clearTimeout(timer);
  }, [st]);
  return (
    <Card title={t('data.identity')} id="identity-status">
      <ErrorBox error={status.error} />
      {st && (
        <dl class="fields">
          <dt>{t('data.identity_customers')}</dt>
          <dd data-value="customers">{st.last_run ? num(st.last_run.clusters) : '—'}</dd>
          <dt>{t('data.identity_records')}</dt>
          <dd data-value="records">{num(st.records)}</dd>
          <dt>{t('data.identity_pending')}</dt>
          <dd data-value="pending">{num(st.pending)}</dd>
          <dt>{t('data.identity_last_run')}</dt>
          <dd>{st.last_run ? date(st.last_run.finished_at, true) : '—'}</dd>
          <dt>{t('data.identity_thresholds')}</dt>
          <dd data-value="thresholds">
            {num(100 * st.thresholds.merge, 1)}% / {num(100 * st.thresholds.review, 1)}%
          </dd>
          <dt>{t('data.identity_golden')}</dt>
          <dd data-value="golden">
            {st.golden_records_stale_since === null
              ? t('data.identity_golden_current')
              : t('data.identity_golden_stale', { since: date(st.golden_records_stale_since, true) })}
            {st.golden_rewrite.running && st.golden_rewrite.total > 0 && (
              <progress max={st.golden_rewrite.total} value={st.golden_rewrite.done} />
            )}
          </dd>
          <dt>{t('data.identity_automatic')}</dt>
          <dd data-value="automatic">
            {st.automatic.enabled ? t('data.identity_every', { n: st.automatic.interval_seconds }) : t('data.identity_off')}
          </dd>
        </dl>
      )}
      {st && running && (
        <p>
          {t('data.identity_running')}: {st.automatic.stage ?? ''}
          {st.automatic.total > 0 && <progress max={st.automatic.total} value={st.automatic.done} />}
        </p>
      )}
      {st?.automatic.waiting && <p class="muted">{t('data.identity_waiting')}</p>}
      {st?.automatic.last_error && <ErrorBox error={new Error(st.automatic.last_error)} />}
      {st?.golden_rewrite.last_error && <ErrorBox error={new Error(st.golden_rewrite.last_error)} />}
    </Card>
  );
}

// The identity review queue: each doubtful pair with every compared field, the
// weight it added or took away, and the decision (write_customers on the server).
function ReviewQueue({ me }: { me: Me }) {
  const reviews = useLoad(
    (s) => get<{ reviews: Review[]; calibration: Calibration }>('/api/v1/identity/reviews?limit=20', s),
    [],
  );
  const learned = reviews.data?.calibration;
  const [decided, setDecided] = useState<Record<number, 'accepted' | 'rejected'>>({});
  const [error, setError] = useState<unknown>(null);
  const decide = async (id: number, accept: boolean) => {
    setError(null);
    try {
      const r = await request<{ status: 'accepted' | 'rejected' }>(
        'POST',
        `/api/v1/identity/reviews/${id}/${accept ? 'accept' : 'reject'}`,
      );
      setDecided({ ...decided, [id]: r.status });
    } catch (err) {
      setError(err);
    }
  };
  const list = reviews.data?.reviews ?? [];
  return (
    <Card title={t('data.review')} id="review">
      <p class="muted">{t('data.review_help')}</p>
      {learned && learned.decisions > 0 && (
        <p class="muted" id="review-learned">
          {t('data.review_learned', { n: learned.decisions, accepted: learned.accepted, rejected: learned.rejected })}
        </p>
      )}
      <ErrorBox error={reviews.error ?? error} />
      {reviews.data && list.length === 0 && <p>{t('data.review_none')}</p>}
      {list.map((r) => {
        const status: Review['status'] = (decided[r.id] as Review['status'] | undefined) ?? r.status;
        return (
          <div class="review" key={r.id} data-review={r.id}>
            <h3>
              <a href={'#/customers/' + r.left}>#{num(r.left)}</a> ↔ <a href={'#/customers/' + r.right}>#{num(r.right)}</a>{' '}
              <span class="muted">
                {t('data.probability')} <span class="probability">{num(100 * r.calibrated_probability, 1)}%</span>
                {learned && learned.decisions > 0 && (
                  <>
                    {' '}
                    (<span class="model-probability">{t('data.model_probability', { p: num(100 * r.probability, 1) })}</span>)
                  </>
                )}{' '}
                · {t('data.weight')} {num(r.weight, 2)}
              </span>
            </h3>
            {r.explanation && (
              <table class="explain">
                <thead>
                  <tr>
                    <th>{t('data.field')}</th>
                    <th>{t('data.record_a')}</th>
                    <th>{t('data.record_b')}</th>
                    <th class="num">{t('data.weight')}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.explanation.fields
                    .filter((f) => f.left || f.right)
                    .map((f) => (
                      <tr class={f.weight > 0 ? 'agree' : f.weight < 0 ? 'disagree' : ''}>
                        <td class="field">{fieldName(f.field)}</td>
                        <td>
                          <bdi>{f.left || '—'}</bdi>
                        </td>
                        <td>
                          <bdi>{f.right || '—'}</bdi>
                        </td>
                        <td class="num" dir="ltr">
                          {f.level < 0 ? '—' : (f.weight > 0 ? '+' : '') + num(f.weight, 2)}
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            )}
            {status === 'pending' ? (
              can(me, 'write_customers') && (
                <div class="actions">
                  <button name="accept" onClick={() => decide(r.id, true)}>
                    {t('data.accept')}
                  </button>
                  <button name="reject" class="secondary" onClick={() => decide(r.id, false)}>
                    {t('data.reject')}
                  </button>
                </div>
              )
            ) : (
              <p class="decision" role="status">
                {t(status === 'accepted' ? 'data.decided_accepted' : 'data.decided_rejected')}
              </p>
            )}
          </div>
        );
      })}
    </Card>
  );
}
