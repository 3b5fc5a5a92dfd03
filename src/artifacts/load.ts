// Loads one trial's kept model together with everything needed to use it, from the results DB
// alone: the normalised sweep (variables and their ranges, target, scale, metrics) from the sweep
// row, the trial's resolved configuration (feature formulas, head) from its row, and the weights
// from the models table. The sweep file is never read.
import { decodeModel, ModelFormatError } from './blob.js';
import { DEFAULT_KEEP_MODELS, useReadStore, type ReadStore, type SweepRecord, type TrialSummary } from '../store/index.js';
import type { SweepSpec, TrialConfig } from '../spec/types.js';
import type { TrainedModel } from '../train/model.js';

/** Bad input to predict/explain/export-model (unknown trial, no kept model, bad CSV): exit code 2. */
export class ArtifactError extends Error {
  override name = 'ArtifactError';
}

export interface TrialArtifact {
  dbPath: string;
  sweep: SweepRecord;
  spec: SweepSpec;
  trial: TrialSummary;
  config: TrialConfig;
  model: TrainedModel;
}

/** loadArtifact on a DB opened (read-only) for the call. */
export async function loadArtifactFromDb(location: string, number?: number, sweep?: string): Promise<TrialArtifact> {
  return useReadStore(location, (store) => loadArtifact(store, store.location, number), sweep !== undefined ? { sweep } : {});
}

/** Trial `number`'s kept model, or (no number) the best trial's. */
export async function loadArtifact(store: ReadStore, dbPath: string, number?: number): Promise<TrialArtifact> {
  const sweep = store.sweep();
  const kept = await store.keptModels();
  const keptList = () => (kept.length ? `kept: trial${kept.length === 1 ? '' : 's'} ${kept.map((k) => k.number).join(', ')}` : 'none is kept');
  if (number === undefined) {
    if (kept.length === 0) {
      const complete = (await store.counts()).complete;
      throw new ArtifactError(
        complete === 0
          ? `${dbPath} has no complete trial yet, so no trained model`
          : `${dbPath} keeps no trained model (its sweep ran with keep_models: 0, or before sweepdeck kept models)`,
      );
    }
    number = kept[0]!.number;
  }
  const trial = await store.trial(number);
  if (!trial) {
    const total = Object.values(await store.counts()).reduce((a, b) => a + b, 0);
    throw new ArtifactError(`${dbPath} has no trial ${number} (it holds ${total} trial${total === 1 ? '' : 's'}, numbered from 0); ${keptList()}`);
  }
  if (trial.state !== 'complete') {
    throw new ArtifactError(`trial ${number} is ${trial.state}: only complete trials have a trained model; ${keptList()}`);
  }
  const blob = await store.modelBlob(number);
  if (!blob) {
    throw new ArtifactError(`trial ${number}'s model is not kept (the sweep keeps the models of ${keepWords(sweep)}); ${keptList()}`);
  }
  let model: TrainedModel;
  try {
    model = decodeModel(blob.data);
  } catch (error) {
    if (error instanceof ModelFormatError) throw new ArtifactError(`trial ${number}'s stored model cannot be read: ${error.message}`);
    throw error;
  }
  const spec = JSON.parse(sweep.specJson) as SweepSpec;
  const config = trial.config as TrialConfig;
  if (config.featureFormulas.length !== model.layerSizes[0]) {
    throw new ArtifactError(`trial ${number}'s stored model takes ${model.layerSizes[0]} inputs, but its feature set ${config.features} has ${config.featureFormulas.length} formulas`);
  }
  return { dbPath, sweep, spec, trial, config, model };
}

function keepWords(sweep: SweepRecord): string {
  const keep = (JSON.parse(sweep.specJson) as SweepSpec).keepModels;
  if (keep === 'all') return 'all its complete trials';
  return `its best ${keep ?? DEFAULT_KEEP_MODELS} complete trials${keep === undefined ? ', the keep_models default' : ''}`;
}
