// Learning-rate schedules: none, cosine (with optional warm-up), step decay, reduce-on-plateau.
import type { ScheduleSpec } from '../spec/schema.js';

export class LrSchedule {
  private lr: number;
  private best = Infinity;
  private stale = 0;

  constructor(
    private readonly spec: ScheduleSpec,
    private readonly baseLr: number,
    private readonly steps: number,
  ) {
    this.lr = baseLr;
  }

  /** The learning rate to use for `step` (0-based). */
  lrAt(step: number): number {
    const spec = this.spec;
    switch (spec.type) {
      case 'none':
        return this.baseLr;
      case 'cosine': {
        if (step < spec.warmup) return (this.baseLr * (step + 1)) / spec.warmup;
        const span = Math.max(1, this.steps - spec.warmup);
        const t = Math.min(1, (step - spec.warmup) / span);
        return spec.min_lr + (this.baseLr - spec.min_lr) * 0.5 * (1 + Math.cos(Math.PI * t));
      }
      case 'step': {
        const every = spec.every ?? Math.max(1, Math.floor(this.steps / 3));
        return this.baseLr * spec.gamma ** Math.floor(step / every);
      }
      case 'reduce_on_plateau':
        return this.lr;
    }
  }

  /** Feed the training loss of a step (only reduce-on-plateau listens). */
  observe(loss: number): void {
    const spec = this.spec;
    if (spec.type !== 'reduce_on_plateau') return;
    if (loss < this.best * (1 - spec.threshold)) {
      this.best = loss;
      this.stale = 0;
      return;
    }
    this.stale++;
    const patience = spec.patience ?? Math.max(10, Math.floor(this.steps / 10));
    if (this.stale > patience) {
      this.lr = Math.max(spec.min_lr, this.lr * spec.factor);
      this.stale = 0;
    }
  }
}
