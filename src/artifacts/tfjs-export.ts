// Exports a stored model as a standard TensorFlow.js layers model (model.json + weights.bin, what
// tf.loadLayersModel loads in Node or a browser) plus sweepdeck.json: what the network does not
// hold — the variables and their trained ranges, the feature formulas, the standardisation, the
// head and the target. The layers model maps standardised float32 features to net.
//
// tfjs itself writes the topology and the weight manifest (a tf.sequential of dense layers saved
// through an in-memory handler), so the files are exactly what tf.loadLayersModel expects.
import path from 'node:path';
import { ArtifactError, type TrialArtifact } from './load.js';
import { describeColumnRanges, describeRange } from './ranges.js';
import { trialTargets } from '../spec/resolve.js';
import type { Activation } from '../spec/schema.js';
import type { LoadedBackend } from '../train/backend.js';
import type * as tfTypes from '@tensorflow/tfjs';
import { writeOutputDir, type WriteOutputOptions } from '../output/write-output.js';

export const EXPORT_FILES = { model: 'model.json', weights: 'weights.bin', side: 'sweepdeck.json' } as const;
/** The side file's format; bump it when its fields change meaning. /2: several outputs (outputs, targets with a head each). */
export const SIDE_FORMAT = 'sweepdeck-export/1';
export const SIDE_FORMAT_SEVERAL = 'sweepdeck-export/2';

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

/**
 * Writes the three files into `outDir` all at once (write-output.ts: a crash leaves the old set or
 * the new one; an existing non-empty directory is replaced only with `output.force`).
 */
export async function exportTfjsLayers(
  backend: LoadedBackend,
  artifact: TrialArtifact,
  outDir: string,
  generatedBy: string,
  output: WriteOutputOptions = {},
): Promise<ExportResult> {
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
  writeOutputDir(outDir, files, output);
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
    format: model.outputs ? SIDE_FORMAT_SEVERAL : SIDE_FORMAT,
    sweep: sweep.name,
    trial: trial.number,
    metric: { name: spec.metric.name, goal: spec.metric.goal, value: trial.value, formula: spec.problem.metrics[spec.metric.name] },
    variables: spec.problem.data
      ? describeColumnRanges(spec.problem.data)
      : Object.fromEntries(Object.entries(spec.problem.variables).map(([name, v]) => [name, { ...v, trained_range: describeRange(v) }])),
    features: { set: config.features, formulas: config.featureFormulas },
    input: `model input: one row per point, the features in this order, each standardised as (feature - mean) / std, as float32`,
    normalization: { mode: config.model.input_norm, mean: model.norm.mean, std: model.norm.std },
    ...(model.outputs
      ? {
          // Several targets: output column j is target outputs[j]; each has its own head, target and scale.
          output: `net: the layers model output, shape [n, ${model.outputs.length}]; column j is the net of target outputs[j]`,
          outputs: model.outputs,
          shared: config.model.shared !== false,
          targets: Object.fromEntries(
            trialTargets(spec, config).map((t) => [t.name, { head: t.head, target: t.definition.formula, scale: t.definition.scale ?? null, output: model.outputs!.indexOf(t.name) }]),
          ),
          head_names: "net: this target's column of the model output; scale: this target's scale; any variable",
        }
      : {
          output: 'net: the layers model output, shape [n, 1]',
          head: config.model.head,
          head_names: 'net: the model output; scale: the scale formula below; any variable',
          scale: spec.problem.scale ?? null,
          target: spec.problem.target,
        }),
    network: { layer_sizes: model.layerSizes, activations: model.activations },
    trained_on: trial.backend,
  };
}
