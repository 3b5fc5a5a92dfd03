// `run` on a data sweep: its identity is its spec and the content of its data files. The spec hash covers each
// file's size and sha256 but not where it lay (a moved checkout is the same sweep); a DB created
// on other data is refused with what changed, before anything is written.
import { existsSync } from 'node:fs';
import { openReadStore } from '../store/index.js';
import { changedMessage } from '../data/problem-table.js';
import type { DataFileIdentity } from '../data/read-table.js';
import { UsageError } from './errors.js';
import type { SweepSpec } from '../spec/types.js';

/** The spec as its hash sees it: the data files' absolute paths and the packing setting (how, not what, trials compute) left out. */
export function identityOf(withPack: SweepSpec): SweepSpec {
  const { pack: _pack, ...spec } = withPack;
  if (!spec.problem.data) return spec;
  const withoutPath = ({ path: _path, ...rest }: DataFileIdentity) => rest as DataFileIdentity;
  const validation = spec.problem.validation;
  return {
    ...spec,
    problem: {
      ...spec.problem,
      data: { ...spec.problem.data, file: withoutPath(spec.problem.data.file) },
      validation: 'file' in validation ? { ...validation, file: withoutPath(validation.file) } : validation,
    },
  };
}

/** Refuses to continue `dbPath` when it holds this sweep on different data (a clearer message than "the spec has changed"). */
export async function refuseChangedData(dbPath: string, spec: SweepSpec, who: string): Promise<void> {
  if (!spec.problem.data || !existsSync(dbPath)) return;
  let stored: SweepSpec;
  try {
    const reader = await openReadStore(dbPath);
    try {
      stored = JSON.parse((await reader.sweep()).specJson) as SweepSpec;
    } finally {
      await reader.close();
    }
  } catch {
    return; // not a readable sweep DB: opening it for writing says why
  }
  if (stored.name !== spec.name || !stored.problem.data) return;
  const pairs: [string, DataFileIdentity | undefined, DataFileIdentity | undefined][] = [
    ['data file', stored.problem.data.file, spec.problem.data.file],
    ['validation file', fileOf(stored.problem.validation), fileOf(spec.problem.validation)],
  ];
  for (const [role, was, now] of pairs) {
    if (was && now && was.sha256 !== now.sha256) throw new UsageError(`${dbPath} holds sweep "${spec.name}" trained on other data: ${changedMessage(who, role, was, now)}`);
  }
}

function fileOf(validation: SweepSpec['problem']['validation']): DataFileIdentity | undefined {
  return 'file' in validation ? validation.file : undefined;
}
