// The results store: the only place that knows the SQL schema. Everything else imports from here.
export { StoreError, checkWritable, openReadStore, openWriteStore, useReadStore } from './open.js';
export { isCorruption, salvageAdvice } from './damage.js';
export type { StoreErrorCode, SweepRecord } from './open.js';
export { WriteStore, FLUSH_ROWS } from './write.js';
export type { NewTrial, StoredTrial, TrialEnd } from './write.js';
export { ReadStore, TRIAL_STATES } from './read.js';
export type { CurvePoint, TrialState, TrialSummary } from './read.js';
export { exportRows, toCsv } from './export.js';
export type { ExportRow, ExportValue } from './export.js';
export { SCHEMA_VERSION } from './schema.js';
export { DEFAULT_KEEP_MODELS } from './models.js';
export type { KeepModels, KeptModel, ModelBlob } from './models.js';
