// Data: upload a file and watch its import, and the data-quality report.
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
      <Card title={t('data.quality')} id="quality">
        <ErrorBox error={quality.error} />
        {quality.data && (
          <>
            <p class="muted">{date(quality.data.as_of, true)}</p>
            <QualitySummary q={quality.data} />
            <h3>Completeness</h3>
            <table>
              <thead>
                <tr>
                  <th>{t('data.source')}</th>
                  <th class="num">Σ</th>
                  {Object.keys(quality.data.completeness[0]?.filled ?? {}).map((f) => (
                    <th class="num">{f}</th>
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
            <h3>Invalid values</h3>
            <table>
              <tbody>
                {quality.data.invalid_values.map((v) => (
                  <tr>
                    <td>{v.field}</td>
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

function ImportForm() {
  const [kind, setKind] = useState('customers');
  const [source, setSource] = useState('upload');
  const [format, setFormat] = useState('csv');
  const [file, setFile] = useState<File | null>(null);
  const [job, setJob] = useState<ImportJob | null>(null);
  const [error, setError] = useState<unknown>(null);

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

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setJob(null);
    const q = new URLSearchParams({ kind, source, format });
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
        <button type="submit" disabled={!file || job?.status === 'running'}>
          {t('data.upload')}
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
          <div class={'kpi ' + (k === 'rejected' && report[k] > 0 ? 'bad' : '')} key={k}>
            <div class="kpi-value">{num(report[k])}</div>
            <div class="kpi-label">{fieldName(k)}</div>
          </div>
        ))}
      </div>
      {Array.isArray(report.mapping) && (
        <>
          <h3>{t('data.mapping')}</h3>
          <ul dir="ltr" class="code">
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
          <ul dir="ltr" class="examples">
            {(report.examples ?? []).map((e: string) => (
              <li>{e}</li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
