// `sweepdeck export-model DB [--trial N] --out DIR`: a kept model as a standard tfjs layers model
// (model.json + weights.bin, for tf.loadLayersModel in Node or a browser) and sweepdeck.json with
// the feature formulas, the standardisation, the head and the variables' trained ranges.
import { backendFor, exportTfjsLayers, loadArtifactFromDb, EXPORT_FILES } from '../artifacts/index.js';
import { formatMetric } from '../format.js';
import { isPostgresUrl } from '../store/index.js';
import { EXIT_OK } from './errors.js';

type Print = (text: string) => void;

export async function exportModelCommand(dbPath: string, options: { trial?: number; sweep?: string; out: string; force?: boolean }, print: Print, generatedBy: string): Promise<number> {
  const artifact = await loadArtifactFromDb(dbPath, options.trial, options.sweep);
  const { backend } = await backendFor(artifact.trial.backend);
  const result = await exportTfjsLayers(backend, artifact, options.out, generatedBy, { force: options.force ?? false, protect: isPostgresUrl(dbPath) ? [] : [dbPath] });
  const { trial, spec, model } = artifact;
  const hidden = model.activations.length ? ` (${model.activations.join(', ')})` : '';
  print(
    [
      `trial ${trial.number} of sweep ${artifact.sweep.name} (${spec.metric.name} ${formatMetric(trial.value)}): layers ${model.layerSizes.slice(0, -1).join(' → ')}${hidden} → ${model.outputs ? `${model.outputs.length} outputs (${model.outputs.join(', ')})` : '1'}`,
      `wrote ${result.files.join(', ')}`,
      `  ${EXPORT_FILES.model} + ${EXPORT_FILES.weights}: a tfjs layers model, standardised features → net`,
      `  ${EXPORT_FILES.side}: the feature formulas, their normalization, the head (net → prediction) and the variables' trained ranges`,
      `load it with tf.loadLayersModel('<url>/${EXPORT_FILES.model}'), or in Node without tfjs-node through tf.io.fromMemory (README: Models)`,
    ].join('\n'),
  );
  return EXIT_OK;
}
