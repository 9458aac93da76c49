// Sends events to `patron serve` with an official SDK from npm, unchanged:
//   node send.mjs --sdk segment|rudder|legacy --target http://127.0.0.1:PORT \
//                 --write-key KEY --run RUN --count N [--faults]
// Every user is identified once (with traits), then N track calls named
// "SDK Test" carry {run, seq, sdk}; the caller checks that each seq arrived once.
//
// --faults puts a proxy between the SDK and the server that answers some
// requests itself: 503 without forwarding, 503 after the server stored the
// batch (the answer is "lost", so the SDK's retry must be de-duplicated by
// messageId), and 429 with Retry-After. The SDKs retry all of these.
import http from 'node:http';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import LegacyAnalytics from 'analytics-node';

function args() {
  const out = { faults: false, count: 1000 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--faults') out.faults = true;
    else out[a.replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase())] = argv[++i];
  }
  out.count = Number(out.count);
  return out;
}

// A fault-injecting proxy in front of `target`; resolves to its base URL.
function startFaultProxy(target, stats) {
  const upstream = new URL(target);
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      n++;
      const body = Buffer.concat(chunks);
      if (n % 7 === 3) {
        stats.tooMany++;
        res.writeHead(429, { 'Retry-After': '0', 'Content-Type': 'application/json' });
        return res.end('{"success":false}');
      }
      if (n % 4 === 1) {
        stats.unavailable++;
        res.writeHead(503, { 'Content-Type': 'application/json' });
        return res.end('{"success":false}');
      }
      const headers = { ...req.headers, host: upstream.host };
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
        (up) => {
          const answer = [];
          up.on('data', (c) => answer.push(c));
          up.on('end', () => {
            if (n % 4 === 2 && up.statusCode === 200) {
              stats.lostAnswers++;  // stored, but the SDK hears 503 and sends it again
              res.writeHead(503, { 'Content-Type': 'application/json' });
              return res.end('{"success":false}');
            }
            res.writeHead(up.statusCode, up.headers);
            res.end(Buffer.concat(answer));
          });
        });
      forward.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      forward.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, server }));
  });
}

// rudder-sdk-node and analytics-node resolve flush() when the batch it sent is
// done, not when everything queued is: flush until the queue is empty. Batches
// still being retried keep the process alive until they finish.
async function drain(a) {
  for (let i = 0; i < 100000 && a.queue.length > 0; i++) {
    try {
      await a.flush();
    } catch (e) {
      console.error('flush failed:', e.message);
    }
  }
}

function makeClient(sdk, url, writeKey) {
  if (sdk === 'segment') {
    const a = new SegmentAnalytics({
      writeKey, host: url, path: '/v1/batch', flushAt: 25, flushInterval: 100, maxRetries: 20,
      httpRequestTimeout: 20000,
    });
    a.on('error', (e) => console.error('segment sdk error:', e.code || e.message || e));
    return { send: (type, msg) => a[type](msg), close: () => a.closeAndFlush({ timeout: 120000 }) };
  }
  if (sdk === 'rudder') {
    const a = new RudderAnalytics(writeKey, {
      dataPlaneUrl: url, flushAt: 25, flushInterval: 100, retryCount: 20, gzip: true, logLevel: 'error',
      axiosRetryConfig: { retryDelay: () => 50 },
    });
    return { send: (type, msg) => a[type](msg), close: () => drain(a) };
  }
  if (sdk === 'legacy') {
    const a = new LegacyAnalytics(writeKey, {
      host: url, flushAt: 25, flushInterval: 100, retryCount: 20, errorHandler: (e) => console.error(e.message),
    });
    return { send: (type, msg) => a[type](msg), close: () => drain(a) };
  }
  throw new Error(`unknown --sdk ${sdk}`);
}

const opts = args();
const stats = { unavailable: 0, lostAnswers: 0, tooMany: 0 };
let url = opts.target;
let proxy = null;
if (opts.faults) {
  proxy = await startFaultProxy(opts.target, stats);
  url = proxy.url;
}
const client = makeClient(opts.sdk, url, opts.writeKey);
const users = Math.min(50, opts.count);
for (let u = 0; u < users; u++) {
  client.send('identify', {
    userId: `${opts.run}-u${u}`,
    traits: { email: `${opts.run}-u${u}@example.com`, firstName: `User ${u}` },
  });
}
for (let i = 0; i < opts.count; i++) {
  client.send('track', {
    userId: `${opts.run}-u${i % users}`,
    event: 'SDK Test',
    properties: { run: opts.run, seq: i, sdk: opts.sdk },
  });
}
await client.close();
// The proxy must not keep the process alive by itself, nor stop while SDK
// retries are still on their way: unref it and let pending work end the process.
if (proxy) proxy.server.unref();
process.on('exit', () => {
  console.log(JSON.stringify({ sdk: opts.sdk, sent: opts.count, identified: users, ...stats }));
});
