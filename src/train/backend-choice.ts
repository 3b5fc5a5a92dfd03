// Picks the backend on the main thread, before any worker starts, without loading tfjs here:
// `auto` → tensorflow when @tensorflow/tfjs-node-gpu is installed and loads, otherwise wasm.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];
export const TENSORFLOW_PACKAGE = '@tensorflow/tfjs-node-gpu';

/** Whether the tensorflow package is installed at all (resolves it, does not load it). */
export function tensorflowInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(TENSORFLOW_PACKAGE);
    return true;
  } catch {
    return false;
  }
}

/**
 * Load tfjs-node-gpu once in a throwaway child process: its native addon can abort the process
 * that loads it (missing CUDA libraries, upstream tfjs issue 8388 with worker threads), and the
 * sweep must not be that process.
 */
export function probeTensorflow(timeoutMs = 120_000): Promise<true | string> {
  if (!tensorflowInstalled()) {
    return Promise.resolve(`${TENSORFLOW_PACKAGE} is not installed (an optional dependency; its install downloads libtensorflow)`);
  }
  const script = `const tf = require(${JSON.stringify(TENSORFLOW_PACKAGE)}); tf.tensor([1, 2]).dataSync(); console.log(tf.getBackend());`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], { timeout: timeoutMs, cwd: process.cwd() }, (error, stdout, stderr) => {
      if (!error && stdout.trim().endsWith('tensorflow')) resolve(true);
      else resolve(`${TENSORFLOW_PACKAGE} failed to load: ${(stderr || error?.message || stdout).trim().split('\n').slice(-1)[0]}`);
    });
  });
}

export interface BackendDecision {
  backend: BackendName;
  /** Why auto did not pick tensorflow, or why workers were limited. */
  note?: string;
  /** Set when the explicitly requested backend cannot be used. */
  error?: string;
}

export async function chooseBackend(choice: BackendChoice): Promise<BackendDecision> {
  if (choice === 'wasm' || choice === 'cpu') return { backend: choice };
  const probe = await probeTensorflow();
  if (probe === true) return { backend: 'tensorflow' };
  if (choice === 'tensorflow') return { backend: 'tensorflow', error: `backend tensorflow is not available: ${probe}` };
  // Not installed is the normal case for auto (wasm is the default); installed but broken is worth a word.
  return tensorflowInstalled() ? { backend: 'wasm', note: `backend: wasm, because ${probe}` } : { backend: 'wasm' };
}
