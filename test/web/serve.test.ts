// `sweepdeck serve` and `sweepdeck report` over a real sweep's DB, through the built CLI: the
// routes, what they refuse (files outside the assets, unknown trials, writes), that the DB is
// never changed, and that the report is one self-contained file.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepdeck } from '../helpers/cli.js';
import { makeSweepDb } from './fixtures.js';
import { request, serve, type Served } from './serve-process.js';

let fixture: ReturnType<typeof makeSweepDb>;
let served: Served;
let dbHashBefore: string;
const hashOf = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

beforeAll(async () => {
  fixture = makeSweepDb();
  dbHashBefore = hashOf(fixture.db);
  served = await serve(fixture.db);
}, 120_000);

afterAll(async () => {
  if (served) expect(await served.stop()).toBe(0);
});

describe('sweepdeck serve', () => {
  it('listens on 127.0.0.1 by default and says it is read-only', () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(served.stdout()).toContain('(read-only)');
  });

  it('serves the page, its two assets and the sweep as JSON', async () => {
    const page = await request(served.port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="/assets/app.js">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const script = await request(served.port, '/assets/app.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
    expect(script.body.length).toBeGreaterThan(100_000);
    const api = await request(served.port, '/api/sweep');
    const view = JSON.parse(api.body) as { sweep: { name: string }; trials: { state: string }[]; curves: Record<string, unknown> };
    expect(view.sweep.name).toBe('webtiny');
    expect(view.trials).toHaveLength(10);
    expect(view.trials.some((t) => t.state === 'pruned')).toBe(true);
    expect(Object.keys(view.curves)).toHaveLength(10);
  });

  it('answers a trial page and its data, and 404 (a page, not a stack trace) for an unknown trial', async () => {
    expect((await request(served.port, '/trial/3')).status).toBe(200);
    const data = JSON.parse((await request(served.port, '/api/trial/3')).body) as { trial: { number: number }; curves: Record<string, unknown>; rerun: { command: string } };
    expect(data.trial.number).toBe(3);
    expect(Object.keys(data.curves)).toEqual(expect.arrayContaining(['rel_l1', 'train_loss', 'lr']));
    expect(data.rerun.command).toBe('sweepdeck run webtiny-trial-3.yaml --db results/webtiny-trial-3.db');

    const missing = await request(served.port, '/trial/999');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toContain('text/html');
    expect(missing.body).toContain('this sweep has no trial 999');
    expect(missing.body).not.toMatch(/at .*\.js:\d+/);
    const missingApi = await request(served.port, '/api/trial/999');
    expect(missingApi.status).toBe(404);
    expect(JSON.parse(missingApi.body)).toEqual({ error: 'this sweep has no trial 999' });
    expect((await request(served.port, '/trial/-1')).status).toBe(404);
    expect((await request(served.port, '/trial/99999999999999999999')).status).toBe(404);
  });

  it.each([
    '/../package.json',
    '/assets/../package.json',
    '/assets/../../package.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/..%2F..%2Fpackage.json',
    '/assets%2fapp.js',
    '/assets/app.js%00.css',
    '//etc/passwd',
    '/etc/passwd',
    '/%2fetc%2fpasswd',
    '/assets//etc/passwd',
    '/assets/C:%5cWindows%5cwin.ini',
    '/assets/app.js/..',
    '/dist/cli.js',
    '/src/web/server.ts',
    '/LONG',
  ])('serves nothing outside its own assets: %s', async (path) => {
    const response = await request(served.port, path === '/LONG' ? `/${'x'.repeat(5000)}` : path);
    expect(response.status).toBe(404);
    expect(response.body).not.toContain('"name": "sweepdeck"');
    expect(response.body).not.toContain('root:');
  });

  it('refuses every method but GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await request(served.port, '/api/sweep', { method });
      expect(response.status).toBe(405);
      expect(response.headers['allow']).toBe('GET, HEAD');
    }
  });

  it('refuses a foreign Host header (a DNS name rebound to 127.0.0.1)', async () => {
    expect((await request(served.port, '/api/sweep', { host: 'evil.example:80' })).status).toBe(421);
    expect((await request(served.port, '/api/sweep', { host: `localhost:${served.port}` })).status).toBe(200);
  });

  it('announces DB changes as server-sent events', async () => {
    const response = await fetch(`${served.url}api/events`);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/event: changed\ndata: \S+\n\n/);
    await reader.cancel();
  });

  it('never changes the DB it serves', () => {
    expect(hashOf(fixture.db)).toBe(dbHashBefore);
    expect(fs.existsSync(`${fixture.db}-wal`) ? fs.statSync(`${fixture.db}-wal`).size : 0).toBe(0);
  });
});

describe('sweepdeck serve refuses at start', () => {
  it('a file that is not a sweepdeck DB: one clear line, exit 2', { timeout: 30_000 }, () => {
    const other = join(fixture.dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE users (id INTEGER)');
    db.close();
    const result = sweepdeck(['serve', other, '--port', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`error: ${other} is not a sweepdeck results DB: it holds other tables (users)`);
  });

  it('a DB that does not exist, and a bad port', { timeout: 30_000 }, () => {
    const missing = sweepdeck(['serve', join(fixture.dir, 'nope.db')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.db does not exist');
    const port = sweepdeck(['serve', fixture.db, '--port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port expects a whole number from 0 to 65535');
  });

  it('a port that is in use', { timeout: 30_000 }, () => {
    const result = sweepdeck(['serve', fixture.db, '--port', String(served.port)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`port ${served.port} on 127.0.0.1 is in use`);
  });
});

describe('sweepdeck report', () => {
  it('writes one self-contained HTML file: every script, style and datum inline', { timeout: 60_000 }, () => {
    const out = join(fixture.dir, 'report.html');
    const result = sweepdeck(['report', fixture.db, '-o', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^wrote .*report\.html: sweep webtiny, 10 trials \(10 with full pages\)/);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('<script type="application/json" id="sweepdeck-data">');
    // No reference to anything outside the file: no src/href to a URL or path, no CDN.
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href="(?!data:)/);
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|fastly|jsdelivr)/);
    const data = JSON.parse(/<script type="application\/json" id="sweepdeck-data">(.*?)<\/script>/s.exec(html)![1]!) as { sweep: { trials: unknown[] }; trials: Record<string, unknown> };
    expect(data.sweep.trials).toHaveLength(10);
    expect(Object.keys(data.trials)).toHaveLength(10);
    expect(hashOf(fixture.db)).toBe(dbHashBefore);
  });

  it('refuses to replace an existing file without --force, and never writes over the DB', { timeout: 60_000 }, () => {
    const out = join(fixture.dir, 'exists.html');
    fs.writeFileSync(out, 'keep me');
    const refused = sweepdeck(['report', fixture.db, '-o', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(`error: -o ${out} already exists; give a new path, or add --force to replace it`);
    expect(fs.readFileSync(out, 'utf8')).toBe('keep me');
    expect(sweepdeck(['report', fixture.db, '-o', out, '--force']).code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/);

    const overDb = sweepdeck(['report', fixture.db, '-o', fixture.db, '--force']);
    expect(overDb.code).toBe(2);
    expect(overDb.stderr).toContain('which this command reads');
    expect(hashOf(fixture.db)).toBe(dbHashBefore);
    const noDir = sweepdeck(['report', fixture.db, '-o', join(fixture.dir, 'no/such/dir/r.html')]);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain('does not exist');
    expect(fs.readdirSync(fixture.dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});
