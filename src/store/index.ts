// The results store: the only place that knows the SQL schema. Everything else imports from here.
export { StoreError, checkWritable, openReadStore, openSweepStore, openWriteStore, useReadStore } from './open.js';
export { isCorruption, salvageAdvice } from './damage.js';
export { isPostgresUrl, redactUrl } from './pg/connection.js';
export { listPgSweeps, type SweepListing } from './pg/open.js';
export type { StoreErrorCode, SweepRecord } from './open.js';
export { WriteStore, FLUSH_ROWS } from './write.js';
export type { NewTrial } from './write.js';
export type { ClaimRequest, ClaimedTrial, LedgerDelta, Liveness, MetricPoint, PlannedTrial, StoredTrial, SweepStore, TrialEnd, TrialOwner } from './types.js';
export { SqliteReadStore, TRIAL_STATES } from './read.js';
export type { ReadStore } from './read.js';
export type { CurvePoint, TrialState, TrialSummary } from './read.js';
export { exportRows, toCsv } from './export.js';
export type { ExportRow, ExportValue } from './export.js';
export { SCHEMA_VERSION } from './schema.js';
export { DEFAULT_KEEP_MODELS } from './models.js';
export type { KeepModels, KeptModel, ModelBlob } from './models.js';
export { copySweep, type CopyResult } from './copy.js';
