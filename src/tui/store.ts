// The dashboard's one store, outside React: producers (the orchestrator's events, the watch poller)
// replace its state and bump a version; the UI samples it on a timer, so events never cause renders.
import { reduceEvent, type DashboardState } from './state.js';
import type { SweepEvent } from '../run/events.js';

export class DashboardStore {
  private current: DashboardState;
  private changes = 0;

  constructor(initial: DashboardState) {
    this.current = initial;
  }

  /** The latest state (an immutable value). */
  get state(): DashboardState {
    return this.current;
  }

  /** Increases on every change: the UI re-renders only when it differs from what it last drew. */
  get version(): number {
    return this.changes;
  }

  dispatch(event: SweepEvent, now = Date.now()): void {
    this.update((state) => reduceEvent(state, event, now));
  }

  update(change: (state: DashboardState) => DashboardState): void {
    const next = change(this.current);
    if (next === this.current) return;
    this.current = next;
    this.changes++;
  }
}
