// Trained models as artifacts: the stored blob format, loading a trial's model from the DB alone,
// predictions on raw inputs with range flags, the learned formula of affine networks, and the
// export to a standard tfjs layers model.
export { MODEL_FORMAT, ModelFormatError, decodeModel, encodeModel } from './blob.js';
export { ArtifactError, loadArtifact, loadArtifactFromDb, type TrialArtifact } from './load.js';
export { readInputCsv, type InputRows, type InputVariable } from './csv.js';
export { readInputTable } from './input-table.js';
export { forwardNet, forwardOutputs } from './forward.js';
export { makePredictor, predictRows, type Predictions, type Predictor } from './predict.js';
export { describeRange, flagRows, rangeChecks } from './ranges.js';
export { collapseAffine, type AffineNet, type Collapsed } from './affine.js';
export { compareOnHeldOut, explainModel, explainTargets, outputModel, roundedText, type ClosedForm, type Explanation, type FeatureTerm, type HeldOutComparison } from './explain.js';
export { formatRational, simpleRational, MAX_DENOMINATOR, ROUND_TOLERANCE, type Rational } from './rational.js';
export { EXPORT_FILES, SIDE_FORMAT, exportTfjsLayers, type ExportResult } from './tfjs-export.js';
export { backendFor, type ModelBackend } from './backend.js';
