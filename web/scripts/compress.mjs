// Writes NAME.gz and NAME.br beside every compressible file of the build, which
// `patron serve` sends as they are to browsers that accept them, and prints the
// first-load size (index.html plus the assets it names, compressed).
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const root = process.argv[2];
if (!root) throw new Error('usage: compress.mjs BUILD_DIR');
const compressible = /\.(js|mjs|css|html|svg|json|txt)$/;
const sizes = new Map();

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { walk(path); continue; }
    if (!compressible.test(name)) continue;
    const data = readFileSync(path);
    const gz = gzipSync(data, { level: 9 });
    const br = brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
    writeFileSync(path + '.gz', gz);
    writeFileSync(path + '.br', br);
    sizes.set(path.slice(root.length).replace(/^\/+/, ''), { raw: data.length, gz: gz.length, br: br.length });
  }
}
walk(root);

const index = readFileSync(join(root, 'index.html'), 'utf8');
const firstLoad = ['index.html', ...[...index.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1])];
let raw = 0, gz = 0, br = 0;
for (const f of firstLoad) {
  const s = sizes.get(f);
  if (!s) continue;
  raw += s.raw; gz += s.gz; br += s.br;
}
const kb = (n) => (n / 1024).toFixed(1) + ' KB';
console.log(`web: first load ${kb(raw)} (gzip ${kb(gz)}, brotli ${kb(br)}) in ${firstLoad.length} files`);
if (gz > 300 * 1024) { console.error('web: first load is over the 300 KB budget'); process.exit(1); }
