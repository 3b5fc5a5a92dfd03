// Generates sweeps/data/projectile.csv: simulated measurements of how far a projectile flies.
//
//   range = v² · sin(2·theta) / g        (no air drag, launch and landing at the same height, g = 9.81 m/s²)
//
// v (launch speed) is uniform in [5, 50] m/s and theta (launch angle) uniform in [0.1, 1.4] rad.
// Each measured range carries multiplicative Gaussian noise of 2 % (range · (1 + 0.02·N(0, 1))),
// as a tape measure read to a few percent would; mass (uniform in [0.1, 2] kg) is recorded too
// and has no effect, so a model that uses it learns nothing from it. Seeded: the same file every
// time. Run: node sweeps/data/make-projectile.mjs [rows] [out]
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROWS = Number(process.argv[2] ?? 2000);
const OUT = process.argv[3] ?? fileURLToPath(new URL('./projectile.csv', import.meta.url));
const G = 9.81;
const NOISE = 0.02;

// mulberry32: a small seeded generator, enough for test data.
let state = 20261202;
function uniform() {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function gaussian() {
  const u = 1 - uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}

const lines = ['v,theta,mass,range'];
for (let i = 0; i < ROWS; i++) {
  const v = 5 + 45 * uniform();
  const theta = 0.1 + 1.3 * uniform();
  const mass = 0.1 + 1.9 * uniform();
  const range = ((v * v * Math.sin(2 * theta)) / G) * (1 + NOISE * gaussian());
  lines.push([v.toFixed(4), theta.toFixed(5), mass.toFixed(3), range.toPrecision(6)].join(','));
}
writeFileSync(OUT, `${lines.join('\n')}\n`);
console.log(`${OUT}: ${ROWS} rows`);
