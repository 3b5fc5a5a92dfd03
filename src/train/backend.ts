// Loads the tfjs backend inside a worker: `tensorflow` (@tensorflow/tfjs-node-gpu, an
// optional dependency that may be absent), `wasm` (the embedded default) or `cpu` (plain JS).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { TENSORFLOW_PACKAGE, tensorflowInstalled, type BackendChoice, type BackendName } from './backend-choice.js';

export type { BackendChoice, BackendName };

export type Tf = typeof tf;

export interface LoadedBackend {
  tf: Tf;
  name: BackendName;
}

/** Load `choice`; `auto` means tensorflow if it loads, otherwise wasm. Throws with the reason when an explicit choice cannot load. */
export async function loadBackend(choice: BackendChoice): Promise<LoadedBackend> {
  // Prod mode skips per-op debug checks and the "install tfjs-node" banner the cpu backend prints.
  tf.enableProdMode();
  if (choice === 'tensorflow' || choice === 'auto') {
    const loaded = await tryTensorflow();
    if (loaded === true) return { tf, name: 'tensorflow' };
    if (choice === 'tensorflow') throw new Error(`backend tensorflow is not available: ${loaded}`);
  }
  const name: BackendName = choice === 'cpu' ? 'cpu' : 'wasm';
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
  return { tf, name };
}

async function tryTensorflow(): Promise<true | string> {
  if (!tensorflowInstalled()) return `${TENSORFLOW_PACKAGE} is not installed (it is an optional dependency whose install downloads libtensorflow)`;
  try {
    // require, not import(): the package is CommonJS, and require also honours NODE_PATH.
    createRequire(import.meta.url)(TENSORFLOW_PACKAGE);
    if (!(await tf.setBackend('tensorflow'))) return 'the tensorflow backend did not initialise';
    await tf.ready();
    return true;
  } catch (error) {
    return `${TENSORFLOW_PACKAGE} failed to load: ${(error as Error).message.split('\n')[0]}`;
  }
}
