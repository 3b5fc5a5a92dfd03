// Loads the tfjs backend inside a worker: `tensorflow` (@tensorflow/tfjs-node-gpu, an
// optional dependency that may be absent), `wasm` (the embedded default) or `cpu` (plain JS).
import type * as tfUnion from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { TENSORFLOW_PACKAGE, tensorflowInstalled, type BackendChoice, type BackendName } from './backend-choice.js';

export type { BackendChoice, BackendName };

export type Tf = typeof tfUnion;

const require = createRequire(import.meta.url);

export interface LoadedBackend {
  tf: Tf;
  name: BackendName;
}

/** Load `choice`; `auto` means tensorflow if it loads, otherwise wasm. Throws with the reason when an explicit choice cannot load. */
export async function loadBackend(choice: BackendChoice, options: { layers?: boolean } = {}): Promise<LoadedBackend> {
  const tf = tfModule(options.layers ?? true, choice === 'cpu');
  // Prod mode skips per-op debug checks and the "install tfjs-node" banner the cpu backend prints.
  tf.enableProdMode();
  if (choice === 'tensorflow' || choice === 'auto') {
    const loaded = await tryTensorflow(tf);
    if (loaded === true) return { tf, name: 'tensorflow' };
    if (choice === 'tensorflow') throw new Error(`backend tensorflow is not available: ${loaded}`);
  }
  const name: BackendName = choice === 'cpu' ? 'cpu' : 'wasm';
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
  return { tf, name };
}

/**
 * The tfjs module: the union package (`layers: true`: tf.layers and tf.io, what export-model
 * needs), or tfjs-core with the wasm and cpu backends alone, for a worker thread that only
 * trains (and the cpu backend only for `cpu`). Both are the same tfjs-core instance with the same kernels, so a model trained in a
 * worker is recomputed bit for bit by predict; the core alone takes about 28 MiB less per thread
 * (63 against 35 MiB over bare node, wasm backend ready). Loaded with require: the packages
 * are CommonJS, and one require cache keeps one instance.
 */
function tfModule(layers: boolean, cpu: boolean): Tf {
  if (layers) {
    const tf = require('@tensorflow/tfjs') as Tf;
    require('@tensorflow/tfjs-backend-wasm');
    return tf;
  }
  const core = require('@tensorflow/tfjs-core') as unknown as Tf;
  // The cpu backend only when it is the one asked for (the union registers it itself).
  if (cpu) require('@tensorflow/tfjs-backend-cpu');
  require('@tensorflow/tfjs-backend-wasm');
  return core;
}

async function tryTensorflow(tf: Tf): Promise<true | string> {
  if (!tensorflowInstalled()) return `${TENSORFLOW_PACKAGE} is not installed (it is an optional dependency whose install downloads libtensorflow)`;
  try {
    // require, not import(): the package is CommonJS, and require also honours NODE_PATH.
    require(TENSORFLOW_PACKAGE);
    if (!(await tf.setBackend('tensorflow'))) return 'the tensorflow backend did not initialise';
    await tf.ready();
    return true;
  } catch (error) {
    return `${TENSORFLOW_PACKAGE} failed to load: ${(error as Error).message.split('\n')[0]}`;
  }
}
