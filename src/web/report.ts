// `sweepdeck report`: the web view as one self-contained HTML file (script, style and data inline;
// nothing fetched when it is opened). Every trial is in the views; full trial pages (every
// metric's curve, the formula, the re-run file) are kept for the best REPORT_TRIAL_PAGES trials
// and as many failed ones, so a 10 000-trial sweep still makes a report of a few MB.
import type { ReadStore } from '../store/index.js';
import { loadSweepView, loadTrialView } from './load.js';
import { pageHtml } from './page.js';
import type { SweepView, TrialView } from './view-model.js';

export const REPORT_TRIAL_PAGES = 100;

export async function buildReport(store: ReadStore, dbPath: string): Promise<{ html: string; view: SweepView; pages: number }> {
  const view = await loadSweepView(store, dbPath);
  const trials: Record<number, TrialView> = {};
  for (const number of pageTrials(view)) {
    const page = await loadTrialView(store, dbPath, number);
    if (page) trials[number] = page;
  }
  const pages = Object.keys(trials).length;
  const trialNote =
    pages === view.trials.length
      ? ''
      : `This report keeps full pages (every metric, the re-run file) for the best ${REPORT_TRIAL_PAGES} trials and up to as many failed ones; this trial shows its row and its ${view.sweep.metric} curve. sweepdeck serve shows every trial in full.`;
  const html = pageHtml({ title: `${view.sweep.name} · sweepdeck report`, inline: { data: { sweep: view, trials, trialNote } } });
  return { html, view, pages };
}

/** The best trials by value (any state that has one), then every failed trial. */
function pageTrials(view: SweepView): number[] {
  const sign = view.sweep.goal === 'minimize' ? 1 : -1;
  const ranked = view.trials
    .filter((t) => t.value !== null)
    .sort((a, b) => sign * (a.value! - b.value!))
    .slice(0, REPORT_TRIAL_PAGES)
    .map((t) => t.number);
  const failed = view.trials.filter((t) => t.state === 'failed').slice(0, REPORT_TRIAL_PAGES).map((t) => t.number);
  return [...new Set([...ranked, ...failed])];
}
