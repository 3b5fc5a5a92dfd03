// Faults injected into chosen trials, for the reliability tests that drive the real CLI: a trial
// that throws, a worker thread that dies, a backend that runs out of memory. Off unless
// SWEEPDECK_FAULTS is set, e.g.
//   SWEEPDECK_FAULTS="2:throw@20,5:crash@40,7:oom@20,9:hang@20"
// (trial 2 throws at its eval at step 20, trial 5's thread exits at step 40, trial 7 allocates
// backend memory until the backend fails — on wasm that aborts the module for good — and trial 9
// blocks for good, like a trial stuck in a native call that never checks for a stop request.)
// Nothing in a sweep file can trigger these; they exist so the failure paths are tested for real.

import { writeSync } from 'node:fs';
import type { Tf } from './backend.js';
import type * as tfTypes from '@tensorflow/tfjs';

export type FaultKind = 'throw' | 'crash' | 'oom' | 'hang';

export interface InjectedFault {
  /** Called at each evaluation of the trial, before it is reported. */
  atEval(step: number): void;
}

export function parseFaults(text: string | undefined): Map<number, { kind: FaultKind; step: number }> {
  const faults = new Map<number, { kind: FaultKind; step: number }>();
  for (const part of (text ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(\d+):(throw|crash|oom|hang)@(\d+)$/.exec(part);
    if (!match) throw new Error(`SWEEPDECK_FAULTS: expected TRIAL:KIND@STEP with KIND throw, crash, oom or hang, got "${part}"`);
    faults.set(Number(match[1]), { kind: match[2] as FaultKind, step: Number(match[3]) });
  }
  return faults;
}

const faults = parseFaults(process.env.SWEEPDECK_FAULTS);

export function injectedFault(trialNumber: number, tf: Tf): InjectedFault | undefined {
  const fault = faults.get(trialNumber);
  if (!fault) return undefined;
  return {
    atEval(step) {
      if (step < fault.step) return;
      if (fault.kind === 'throw') throw new Error(`injected fault at step ${step}`);
      if (fault.kind === 'oom') exhaustBackendMemory(tf);
      if (fault.kind === 'hang') {
        // Said synchronously on fd 2, so a test knows the trial is really stuck before it acts.
        writeSync(2, `injected fault: trial ${trialNumber} hangs at step ${step}\n`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      }
      // In a worker thread this ends the thread, not the process: what a native crash in a worker looks like to the pool.
      process.exit(70);
    },
  };
}

/** Allocates 256 MB tensors until the backend refuses (wasm's memory ends at 4 GB), then frees them and rethrows. */
function exhaustBackendMemory(tf: Tf): never {
  const held: tfTypes.Tensor[] = [];
  try {
    for (;;) held.push(tf.zeros([8192, 8192]));
  } finally {
    for (const t of held) t.dispose();
  }
}
