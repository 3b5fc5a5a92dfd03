// The rows of a stored sweep for commands that start from a DB (resume, explain): a sampled
// problem regenerates them from its seeds; a data problem reads its recorded files again, and
// refuses them when they are gone or have changed.
import { reloadProblemTable } from './problem-table.js';
import { tableSource } from '../problem/data-source.js';
import { ProblemData } from '../train/data.js';
import type { SweepSpec } from '../spec/types.js';
import type { DataValidationSpec, ProblemTable } from './problem-table.js';

/** A data problem's shared table, read again from its files; undefined for a sampled problem. */
export async function storedTable(spec: SweepSpec, who: string): Promise<ProblemTable | undefined> {
  if (!spec.problem.data) return undefined;
  return (await reloadProblemTable(spec.problem.data, spec.problem.validation as DataValidationSpec, who)).table;
}

/** The held-out set and training rows of a stored sweep, as its workers had them. */
export async function problemData(spec: SweepSpec, who: string): Promise<ProblemData> {
  const table = await storedTable(spec, who);
  return new ProblemData(spec, table ? () => tableSource(spec, table) : undefined);
}
