// Runs the built CLI (dist/cli.js) as a user would, capturing exit code and output.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function sweepdeck(args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Lets vitest's worker take its RPC replies between synchronous CLI runs: a test whose event loop
 * stays blocked for over 60 s (many spawnSync calls in a row on a loaded machine) fails the whole
 * run with "Timeout calling onTaskUpdate", though every test passed.
 */
export const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
