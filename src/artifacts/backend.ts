// Which tfjs backend recomputes a stored model: the one that trained it, so net comes out bit for
// bit as in training. The native tensorflow backend is not loaded in the CLI's own process (its
// addon can abort the process that loads it); its models run on wasm, equal up to float32 rounding.
import type { LoadedBackend } from '../train/backend.js';
import type { BackendName } from '../train/backend-choice.js';

export interface ModelBackend {
  backend: LoadedBackend;
  /** Set when the backend differs from the one that trained the model. */
  note?: string;
}

export async function backendFor(trainedOn: string | null): Promise<ModelBackend> {
  const name: BackendName = trainedOn === 'cpu' ? 'cpu' : 'wasm';
  // Loaded on demand: tfjs takes a second to import, and the CLI's other commands never need it.
  const { loadBackend } = await import('../train/backend.js');
  const backend = await loadBackend(name);
  if (trainedOn && trainedOn !== name) {
    return { backend, note: `the model was trained on the ${trainedOn} backend and runs here on ${name}: net may differ in its last float32 bits` };
  }
  return { backend };
}
