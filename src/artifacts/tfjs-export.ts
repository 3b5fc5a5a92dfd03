// Exports a stored model as a standard TensorFlow.js layers model (model.json + weights.bin, what
// tf.loadLayersModel loads in Node or a browser) plus sweepdeck.json: what the network does not
// hold — the variables and their trained ranges, the feature formulas, the standardisation, the
// head and the target. The layers model maps standardised float32 features to net.
//
// tfjs itself writes the topology and the weight manifest (a tf.sequential of dense layers saved
// through an in-memory handler), so the files are exactly what tf.loadLayersModel expects.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ArtifactError, type TrialArtifact } from './load.js';
import { describeColumnRanges, describeRange } from './ranges.js';
import type { Activation } from '../spec/schema.js';
import type { LoadedBackend } from '../train/backend.js';
import type * as tfTypes from '@tensorflow/tfjs';

export const EXPORT_FILES = { model: 'model.json', weights: 'weights.bin', side: 'sweepdeck.json' } as const;
/** The side file's format; bump it when its fields change meaning. */
export const SIDE_FORMAT = 'sweepdeck-export/1';

/** Our activations by their tf.layers names; `exp` has none (tf.layers has no exponential activation). */
const LAYERS_ACTIVATIONS: Record<Activation, string | undefined> = {
  linear: 'linear',
  relu: 'relu',
  tanh: 'tanh',
  elu: 'elu',
  selu: 'selu',
  sigmoid: 'sigmoid',
  softplus: 'softplus',
  exp: undefined,
};

export interface ExportResult {
  dir: string;
  files: string[];
}

/** Writes the three files into `outDir` (created if absent) all at once: a crash leaves the old set or the new one. */
export async function exportTfjsLayers(backend: LoadedBackend, artifact: TrialArtifact, outDir: string, generatedBy: string): Promise<ExportResult> {
  const { model } = artifact;
  model.activations.forEach((activation, i) => {
    if (!LAYERS_ACTIVATIONS[activation]) {
      throw new ArtifactError(
        `trial ${artifact.trial.number} cannot be exported as a tfjs layers model: hidden layer ${i + 1} uses the ${activation} activation, ` +
          'which tf.layers does not have (its activations: elu, hardSigmoid, linear, relu, relu6, selu, sigmoid, softmax, softplus, softsign, tanh, swish, mish, gelu); ' +
          'sweepdeck predict still uses the model',
      );
    }
  });
  checkOutDir(outDir);
  const { topology, weightSpecs, weightData } = await layersArtifacts(backend.tf, artifact);
  const modelJson = {
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
    modelTopology: topology,
    weightsManifest: [{ paths: [EXPORT_FILES.weights], weights: weightSpecs }],
  };
  const files = new Map<string, Uint8Array | string>([
    [EXPORT_FILES.model, `${JSON.stringify(modelJson, null, 2)}\n`],
    [EXPORT_FILES.weights, new Uint8Array(weightData)],
    [EXPORT_FILES.side, `${JSON.stringify(sideJson(artifact), null, 2)}\n`],
  ]);
  writeDirAtomically(outDir, files);
  return { dir: outDir, files: [...files.keys()].map((name) => path.join(outDir, name)) };
}

/** The network as tf.layers: one dense layer per sweepdeck layer, the stored weights set, saved in memory. */
async function layersArtifacts(tf: LoadedBackend['tf'], artifact: TrialArtifact): Promise<{ topology: object; weightSpecs: tfTypes.io.WeightsManifestEntry[]; weightData: ArrayBuffer }> {
  const { model } = artifact;
  const sizes = model.layerSizes;
  const network = tf.sequential({ name: `sweepdeck_trial_${artifact.trial.number}` });
  for (let layer = 0; layer < sizes.length - 1; layer++) {
    const isOutput = layer === sizes.length - 2;
    network.add(
      tf.layers.dense({
        units: sizes[layer + 1]!,
        activation: (isOutput ? 'linear' : LAYERS_ACTIVATIONS[model.activations[layer]!]!) as 'linear',
        useBias: true,
        kernelInitializer: 'zeros',
        name: isOutput ? 'net' : `hidden_${layer + 1}`,
        ...(layer === 0 ? { inputShape: [sizes[0]!] } : {}),
      }),
    );
  }
  const weights = model.kernels.flatMap((kernel, layer) => [tf.tensor2d(kernel, [sizes[layer]!, sizes[layer + 1]!]), tf.tensor1d(model.biases[layer]!)]);
  network.setWeights(weights);
  for (const w of weights) w.dispose();
  let saved: tfTypes.io.ModelArtifacts | undefined;
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  network.dispose();
  if (!saved?.modelTopology || !saved.weightSpecs || !saved.weightData) throw new Error('tfjs saved no topology or weights');
  return { topology: saved.modelTopology as object, weightSpecs: saved.weightSpecs, weightData: tf.io.CompositeArrayBuffer.join(saved.weightData) };
}

function sideJson(artifact: TrialArtifact) {
  const { spec, config, model, trial, sweep } = artifact;
  return {
    format: SIDE_FORMAT,
    sweep: sweep.name,
    trial: trial.number,
    metric: { name: spec.metric.name, goal: spec.metric.goal, value: trial.value, formula: spec.problem.metrics[spec.metric.name] },
    variables: spec.problem.data
      ? describeColumnRanges(spec.problem.data)
      : Object.fromEntries(Object.entries(spec.problem.variables).map(([name, v]) => [name, { ...v, trained_range: describeRange(v) }])),
    features: { set: config.features, formulas: config.featureFormulas },
    input: `model input: one row per point, the features in this order, each standardised as (feature - mean) / std, as float32`,
    normalization: { mode: config.model.input_norm, mean: model.norm.mean, std: model.norm.std },
    output: 'net: the layers model output, shape [n, 1]',
    head: config.model.head,
    head_names: 'net: the model output; scale: the scale formula below; any variable',
    scale: spec.problem.scale ?? null,
    target: spec.problem.target,
    network: { layer_sizes: model.layerSizes, activations: model.activations },
    trained_on: trial.backend,
  };
}

const OURS = new Set<string>(Object.values(EXPORT_FILES));

function checkOutDir(outDir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(outDir);
  } catch {
    return; // created on write
  }
  if (!stat.isDirectory()) throw new ArtifactError(`--out ${outDir} exists and is not a directory`);
  const others = fs.readdirSync(outDir).filter((name) => !OURS.has(name));
  if (others.length) {
    throw new ArtifactError(`--out ${outDir} holds other files (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}); give a new or empty directory, or one from an earlier export`);
  }
}

/**
 * Writes the files into a fresh sibling directory, then swaps it in for `outDir` with renames, so
 * model.json never points at another export's weights.bin. An earlier export in `outDir` is replaced.
 */
function writeDirAtomically(outDir: string, files: Map<string, Uint8Array | string>): void {
  const parent = path.dirname(path.resolve(outDir));
  fs.mkdirSync(parent, { recursive: true });
  // mkdirSync (not mkdtempSync, which makes it private) so the directory gets the usual permissions.
  const staging = path.join(parent, `.${path.basename(outDir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(staging);
  let old: string | undefined;
  try {
    for (const [name, content] of files) {
      const fd = fs.openSync(path.join(staging, name), 'w');
      try {
        fs.writeFileSync(fd, content);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    if (fs.existsSync(outDir)) {
      old = `${staging}-old`;
      fs.renameSync(outDir, old);
    }
    fs.renameSync(staging, outDir);
  } catch (error) {
    if (old && !fs.existsSync(outDir)) fs.renameSync(old, outDir);
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
}
