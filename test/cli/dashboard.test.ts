// End to end: the real CLI's dashboard in a real terminal (tmux), read back with capture-pane.
// tmux must be installed (CI has /usr/bin/tmux): without it these tests fail, they do not skip.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { CLI, REPO, sweepdeck } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';
import { startPostgres } from '../helpers/postgres.js';

const dir = tempDir('sweepdeck-tmux-');
const socket = join(dir, 'tmux.sock');
const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });

/**
 * Starts `sweepdeck ARGS` in a new tmux window of the given size. The environment is a clean one:
 * in CI (CI=true) ink would only draw the last frame. After the CLI exits, the pane shows EXIT=<code>.
 */
function start(name: string, args: string[], size = { columns: 100, rows: 40 }): void {
  const env = [`PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, `HOME=${dir}`, 'TERM=xterm-256color', 'LANG=C.UTF-8'];
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const command = `cd '${REPO}' && env -i ${env.map((e) => `'${e}'`).join(' ')} ${quoted}; echo EXIT=$?; sleep 600`;
  tmux('new-session', '-d', '-s', name, '-x', String(size.columns), '-y', String(size.rows), command);
}

const screen = (name: string) => tmux('capture-pane', '-p', '-t', name);

/** Polls the pane until `expected` (a pattern, or a test of the screen) holds, or fails with what the screen shows. */
async function waitFor(name: string, expected: RegExp | ((text: string) => boolean), timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const holds = typeof expected === 'function' ? expected : (text: string) => expected.test(text);
  for (;;) {
    const text = screen(name);
    if (holds(text)) return text;
    if (Date.now() > deadline) throw new Error(`the screen never showed ${String(expected)}; it shows:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const keys = (name: string, ...names: string[]) => tmux('send-keys', '-t', name, ...names);

beforeAll(() => {
  // Fails loudly when tmux is missing: the dashboard must be checked in a real terminal.
  expect(execFileSync('tmux', ['-V'], { encoding: 'utf8' })).toMatch(/^tmux \d/);
});

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
});

describe('sweepdeck run on a terminal: the dashboard', () => {
  const db = join(dir, 'smoke.db');

  it('shows the header, the trials with their states, a progress bar and the best trial; keys work; q leaves a clean screen', async () => {
    start('run', ['run', 'sweeps/smoke.yaml', '--db', db, '--workers', '2', '--backend', 'wasm']);
    const done = await waitFor('run', /✓ finished/);
    const lines = done.split('\n');
    expect(lines[0]).toMatch(/^✓ finished {2}smoke {2}grid · 2 workers \(packs of 2\) · \d+:\d\d elapsed · wasm \(CPU/);
    expect(lines[1]).toMatch(/^█{10,} 4\/4 {2}▶ 0 running ✓ 4 complete ✂ 0 pruned ✗ 0 failed · 0 queued/);
    expect(done).toMatch(/trials 1–4 of 4 · sorted by number/);
    expect(done).toMatch(/#\s+state\s+features\s+lr\s+step\s+rel_l1\s+best/);
    for (const n of [0, 1, 2, 3]) expect(done).toMatch(new RegExp(`^[★ ]\\s+${n} complete (raw|log)\\s+0\\.0[15]\\s+60/60\\s+\\d`, 'm'));
    const best = /best: trial (\d) · validation rel_l1 \(log scale\)/.exec(done);
    expect(best).not.toBeNull();
    expect(done).toMatch(/[\u2801-\u28ff]/); // the chart's braille dots
    expect(done).toMatch(/step 60/);
    expect(done).toMatch(/events · last \d+ of 4|events\n/);
    expect(done).toMatch(/↑↓ select {2}enter details {2}p params {2}s sort \(number\) {2}f filter \(all\) {2}q quit/);

    // ↓ ↓ Enter: trial 1's details; Esc: back to the best trial
    keys('run', 'Down', 'Down', 'Enter');
    const details = await waitFor('run', /trial 1 · validation rel_l1 .*esc: back to best/);
    expect(details).toMatch(/complete · step 60\/60/);
    expect(details).toMatch(/training\.lr = 0\.05/);
    keys('run', 'Escape');
    await waitFor('run', new RegExp(`best: trial ${best![1]} · validation`));
    keys('run', 's');
    await waitFor('run', /sorted by rel_l1/);

    // it follows a resize to 80 columns
    tmux('resize-window', '-t', 'run', '-x', '80', '-y', '24');
    // redrawn for 24 rows: the header on the first line, the keys on the 23rd (the last one stays free)
    const narrow = await waitFor('run', (text) => {
      const lines = text.split('\n');
      return /^✓ finished {2}smoke/.test(lines[0] ?? '') && /^↑↓ select.*sort \(rel_l1\)/.test(lines[22] ?? '');
    });
    expect(narrow).toMatch(/best: trial \d/);
    expect(narrow).toMatch(/^workers · 0 busy of 2$/m);

    keys('run', 'q');
    const after = await waitFor('run', /EXIT=\d+/);
    expect(after).toMatch(/EXIT=0/);
    // The shell's screen is back, with the summary; nothing of the dashboard is left on it.
    expect(after).toMatch(/^sweep smoke: grid, 4 trials, 2 workers \(packs of up to 2 trials\), backend wasm →/m);
    expect(after).toMatch(/^done in .*: 4 complete, 0 pruned, 0 failed; best: trial \d, rel_l1=/m);
    expect(after).toMatch(/^see: npx sweepdeck best /m);
    expect(after).not.toMatch(/trials 1–4|↑↓ select|validation rel_l1|[\u2801-\u28ff]/);

    const sql = new Database(db, { readonly: true });
    try {
      expect(sql.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(sql.prepare("SELECT count(*) AS n FROM trials WHERE state = 'complete'").get()).toEqual({ n: 4 });
    } finally {
      sql.close();
    }
  }, 120_000);

  it('watch shows a finished DB read-only and leaves with q', async () => {
    start('watch', ['watch', db], { columns: 100, rows: 30 });
    const shown = await waitFor('watch', /✓ finished {2}smoke/);
    expect(shown).toMatch(/trials 1–4 of 4/);
    expect(shown).toMatch(/^[★ ]\s+3 complete/m);
    expect(shown).toMatch(/best: trial \d · validation rel_l1 \(log scale\)/);
    expect(shown).toMatch(/[\u2801-\u28ff]/);
    keys('watch', 'q');
    const after = await waitFor('watch', /EXIT=\d+/);
    expect(after).toMatch(/EXIT=0/);
    expect(after).not.toMatch(/trials 1–4|↑↓ select/);
  }, 60_000);

  it('q during a run stops it gracefully (running trials go back to the queue); watch follows it from a second terminal', async () => {
    const interrupted = join(dir, 'interrupted.db');
    // The showcase without its target, so that it cannot end by itself before q.
    const showcase = join(dir, 'seed-equation.yaml');
    writeFileSync(showcase, readFileSync(join(REPO, 'sweeps/seed-equation.yaml'), 'utf8').replace(/, target: [^ }]+/, ''));
    start('stop', ['run', showcase, '--db', interrupted, '--steps', '2000', '--backend', 'wasm', '--workers', '2']);
    await waitFor('stop', /✓ [1-9]\d* complete/);
    // watch from a second terminal while it runs
    start('live-watch', ['watch', interrupted, '--interval', '200'], { columns: 100, rows: 30 });
    const watching = await waitFor('live-watch', /◉ watching live \(pid \d+\)[\s\S]*\d+ running/);
    expect(watching).toMatch(/seed-equation {2}(random|tpe|grid) · /);
    keys('live-watch', 'q');
    await waitFor('live-watch', /EXIT=0/);

    keys('stop', 'q');
    const after = await waitFor('stop', /EXIT=\d+/);
    expect(after).toMatch(/EXIT=130/);
    expect(after).toMatch(/^stopped in .*interrupted/m);
    const sql = new Database(interrupted, { readonly: true });
    try {
      expect(sql.pragma('integrity_check', { simple: true })).toBe('ok');
      const states = Object.fromEntries(
        (sql.prepare('SELECT state, count(*) AS n FROM trials GROUP BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n]),
      );
      expect(states.running).toBeUndefined();
      expect(states.queued).toBeGreaterThanOrEqual(1);
    } finally {
      sql.close();
    }
  }, 120_000);
});

describe('sweepdeck agent on a terminal, joining a PostgreSQL sweep that others ran', () => {
  it("shows the trials finished before it joined, with the best trial's kept model", async () => {
    const server = await startPostgres();
    try {
      const url = await server.createDatabase('joined');
      // Another machine ran the whole sweep; this agent joins it with the dashboard.
      const first = sweepdeck(['run', 'sweeps/smoke.yaml', '--db', url, '--workers', '1', '--backend', 'wasm', '--no-tui']);
      expect(first.code, first.stderr).toBe(0);
      start('agent', ['agent', url, '--sweep', 'smoke', '--workers', '1', '--backend', 'wasm']);
      const done = await waitFor('agent', /✓ finished/);
      expect(done.split('\n')[1]).toMatch(/ 4\/4 {2}▶ 0 running ✓ 4 complete ✂ 0 pruned ✗ 0 failed · 0 queued/);
      expect(done).toMatch(/trials 1–4 of 4 · sorted by number/);
      for (const n of [0, 1, 2, 3]) expect(done).toMatch(new RegExp(`^[★ ]\\s+${n} complete (raw|log)\\s+0\\.0[15]\\s+60/60\\s+\\d`, 'm'));
      const best = /best: trial (\d) · validation rel_l1/.exec(done);
      expect(best).not.toBeNull();
      // The panel's line, wrapped beside the chart: "model kept: predict, explain," / "export-model --trial N".
      expect(done).toMatch(new RegExp(`model kept: predict, explain,[^\\n]*\\n\\s*export-model --trial ${best![1]}\\b`));
      keys('agent', 'q');
      expect(await waitFor('agent', /EXIT=\d+/)).toMatch(/EXIT=0/);
    } finally {
      await server.stop();
    }
  }, 180_000);
});

describe('sweepdeck watch without a terminal or a DB', () => {
  it('refuses a missing or foreign DB like best does (exit 2), and needs a terminal', () => {
    const missing = join(dir, 'missing.db');
    const watch = sweepdeck(['watch', missing]);
    expect(watch.code).toBe(2);
    expect(watch.stderr).toBe(sweepdeck(['best', missing]).stderr);
    const notDb = join(REPO, 'package.json');
    expect(sweepdeck(['watch', notDb]).code).toBe(2);
    const noTerminal = sweepdeck(['watch', join(dir, 'smoke.db')]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toMatch(/^error: watch draws a dashboard and needs a terminal; without one, use: sweepdeck best /);
  });
});
