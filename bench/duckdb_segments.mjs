// DuckDB side of the segment benchmark: loads the CSV export of the benchmark
// database into an in-memory DuckDB (its npm package, @duckdb/node-api) and runs
// each segment's DuckDB SQL twice, timing the second (warm) run.
//   node bench/duckdb_segments.mjs OUT_DIR [csv|csv.zst]   (writes OUT_DIR/duckdb.json)
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const out = process.argv[2];
const csvExt = process.argv[3] || 'csv';
const schema = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), 'compare_schema.sql'), 'utf8');
// DUCKDB_PATH: a database file instead of memory (its compressed storage and
// buffer pool hold 10M / 200M in this machine's 24 GiB; the rows in memory do not).
const instance = await DuckDBInstance.create(process.env.DUCKDB_PATH || ':memory:', { threads: '2' });
const db = await instance.connect();
for (const stmt of schema.replace(/--.*$/gm, '').split(';').map((s) => s.trim()).filter(Boolean)) {
  await db.run(stmt.replace(/ PRIMARY KEY/g, ''));
}
const load0 = performance.now();
for (const table of ['sources', 'customers', 'customer_tags', 'customer_attributes', 'accounts', 'account_members',
                     'contact_points', 'consents', 'categories', 'products', 'orders', 'order_lines', 'events']) {
  const file = path.join(out, 'csv', `${table}.${csvExt}`);
  if (fs.statSync(file).size > 0) await db.run(`COPY ${table} FROM '${file}' (FORMAT csv, HEADER false)`);
}
await db.run(`CREATE VIEW current_consents AS
  SELECT id, customer_id, channel, purpose, status, recorded_at FROM (
    SELECT c.*, row_number() OVER (PARTITION BY customer_id, channel, purpose ORDER BY recorded_at DESC, id DESC) AS rn
    FROM consents c) latest WHERE rn = 1`);
const loadMs = performance.now() - load0;
const results = { load_ms: loadMs, segments: {} };
const sqlDir = path.join(out, 'sql');
for (const file of fs.readdirSync(sqlDir).filter((f) => f.endsWith('.duckdb.sql')).sort()) {
  const name = file.replace('.duckdb.sql', '');
  const sql = fs.readFileSync(path.join(sqlDir, file), 'utf8').trim().replace(/;$/, '');
  const counted = `SELECT count(*) FROM (${sql}) q`;
  try {
    let count = 0, ms = 0;
    for (let run = 0; run < 2; ++run) {
      const t0 = performance.now();
      const reader = await db.runAndReadAll(counted);
      ms = performance.now() - t0;
      count = Number(reader.getRows()[0][0]);
    }
    results.segments[name] = { count, ms };
    console.error(`duckdb ${name.padEnd(22)} ${String(count).padStart(9)} ${ms.toFixed(1)} ms`);
  } catch (e) {
    results.segments[name] = { error: String(e.message || e).slice(0, 300) };
    console.error(`duckdb ${name}: ${e.message}`);
  }
}
fs.writeFileSync(path.join(out, 'duckdb.json'), JSON.stringify(results, null, 2));
