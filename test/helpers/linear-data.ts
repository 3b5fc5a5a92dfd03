// The exactly linear data problem the data-file tests share: y = 2·a + 3·b − 1 on a grid-free
// scatter of (a, b), its sweep file (an affine model that learns it), and the trials a run recorded.
import Database from 'better-sqlite3';

/** Row i of the scatter (`seedShift` moves a along, for a second, different file). */
export function linearPoint(i: number, seedShift = 0): { a: number; b: number; y: number } {
  const a = 1 + ((i * 37 + seedShift) % 101) / 10;
  const b = 1 + ((i * 53 + 7) % 89) / 10;
  return { a, b, y: 2 * a + 3 * b - 1 };
}

/** A grid of one trial on the data file `data` (a, b → y); `extra` goes inside `problem:` after `data:`. */
export const linearDataSweep = (name: string, data: string, extra = '') => `name: ${name}
method: grid
metric: { name: l1, goal: minimize }
seed: 1
parameters:
  training.lr: { values: [0.3] }
problem:
  data:
    path: ${data}
    inputs: [a, b]
    targets: y
${extra}features:
  raw: [a, b]
model: { depth: 0 }
training: { batch_size: 32, steps: 400, eval_every: 100, optimizer: adam, schedule: cosine }
`;

/** The trials of a SQLite results DB, by number. */
export function recordedTrials(db: string): { number: number; state: string; value: number | null; step: number | null }[] {
  const sql = new Database(db, { readonly: true });
  try {
    return sql.prepare('SELECT number, state, value, step FROM trials ORDER BY number').all() as never;
  } finally {
    sql.close();
  }
}
