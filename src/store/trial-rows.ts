// A trial row as both stores' SQL returns it (the `trials` table's columns), and the one mapping
// from it to what the read API hands out: SQLite and PostgreSQL give the same answers by construction.
import type { TrialListing, TrialState, TrialSummary } from './read.js';

export interface TrialRow {
  id: number;
  number: number;
  state: TrialState;
  value: number | null;
  params: string;
  config: string | null;
  step: number | null;
  steps: number | null;
  worker: number | null;
  backend: string | null;
  host: string | null;
  agent: string | null;
  retries: number;
  error: string | null;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** The columns trialListing reads: no config, queue time or retries (polling reads them every tick). */
export type ListingRow = Omit<TrialRow, 'config' | 'queued_at' | 'retries'>;

export function listingFromRow(row: ListingRow): TrialListing {
  return {
    id: row.id,
    number: row.number,
    state: row.state,
    value: row.value,
    params: JSON.parse(row.params) as Record<string, unknown>,
    step: row.step,
    steps: row.steps,
    worker: row.worker,
    backend: row.backend,
    host: row.host,
    agent: row.agent,
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export function summaryFromRow(row: TrialRow, metrics: Record<string, number | null>): TrialSummary {
  // Written out, not spread from listingFromRow: the key order is the JSON that `best --json` prints.
  return {
    id: row.id,
    number: row.number,
    state: row.state,
    value: row.value,
    params: JSON.parse(row.params) as Record<string, unknown>,
    config: row.config === null ? null : (JSON.parse(row.config) as unknown),
    step: row.step,
    steps: row.steps,
    worker: row.worker,
    backend: row.backend,
    host: row.host,
    agent: row.agent,
    retries: row.retries,
    error: row.error,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    metrics,
  };
}
