// The web view's entry point. Two data sources, one page: `report` inlines the data in a
// <script type="application/json" id="sweepdeck-data">; `serve` answers /api/sweep and
// /api/trial/N and announces DB changes on /api/events (server-sent events).
import type { SweepView, TrialView } from '../view-model.js';
import type { ECharts } from './echarts.js';
import { Overview } from './overview.js';
import { renderNotFound, renderTrialPage } from './trial-page.js';
import * as fmt from './format.js';
import { sweepCurve } from './charts.js';

interface Embedded {
  sweep: SweepView;
  /** Full pages for these trials; the rest are built from the sweep view (see `partialPage`). */
  trials: Record<number, TrialView>;
  trialNote: string;
}

/** What tests and the screenshot script read: every chart instance, and whether the page has drawn. */
interface PageState {
  charts: Record<string, ECharts>;
  ready: boolean;
  version: number | null;
  renders: number;
  timings: Record<string, number>;
}

declare global {
  interface Window {
    sweepdeck: PageState;
  }
}

const embeddedElement = document.getElementById('sweepdeck-data');
const parseStart = performance.now();
const embedded = embeddedElement ? (JSON.parse(embeddedElement.textContent ?? '') as Embedded) : null;
const state: PageState = { charts: {}, ready: false, version: null, renders: 0, timings: { parse: performance.now() - parseStart } };
window.sweepdeck = state;

const header = document.getElementById('header')!;
const overviewRoot = document.getElementById('overview')!;
const trialRoot = document.getElementById('trial')!;
const overview = new Overview(overviewRoot, () => state.renders++);
state.charts = overview.charts;
Object.assign(overview.timings, state.timings);
state.timings = overview.timings;
let sweep: SweepView | undefined;

function route(): { page: 'overview' } | { page: 'trial'; number: number } | { page: 'unknown' } {
  const hash = location.hash.replace(/^#/, '');
  const path = hash.startsWith('/') ? hash : location.pathname;
  if (path === '/' || path === '' || path.endsWith('.html')) return { page: 'overview' };
  const match = /^\/trial\/(\d+)$/.exec(path);
  return match ? { page: 'trial', number: Number(match[1]) } : { page: 'unknown' };
}

function renderHeader(view: SweepView): void {
  const live = view.writer ? `<span class="live" title="pid ${view.writer.pid} on ${fmt.html(view.writer.host)} since ${view.writer.since}">● live</span>` : embedded ? '<span class="static">report</span>' : '<span class="static">finished</span>';
  const total = Object.values(view.counts).reduce((a, b) => a + b, 0);
  const best = view.best === null ? 'no complete trial yet' : `best: <a href="#/trial/${view.best}">trial ${view.best}</a> ${fmt.metric(view.trials.find((t) => t.number === view.best)?.value)}`;
  header.innerHTML = `<h1><a href="#/">${fmt.html(view.sweep.name)}</a></h1>
    <div class="facts">${live} <span>${fmt.html(view.sweep.method)}</span> <span>${view.sweep.goal} ${fmt.html(view.sweep.metric)}${view.sweep.target !== null ? ` (target ${fmt.metric(view.sweep.target)})` : ''}</span>
    <span>${total} trials</span> <span>${best}</span> <span class="db">${fmt.html(view.db)}</span></div>
    <nav>${['history', 'intermediate', 'parallel', 'importance', 'slices', 'choices', 'input-error', 'trials'].map((id) => `<a href="#/" data-jump="${id}">${id.replace('-', ' ')}</a>`).join('')}</nav>`;
}

header.addEventListener('click', (e) => {
  const jump = (e.target as HTMLElement).dataset['jump'];
  if (!jump) return;
  e.preventDefault();
  if (route().page !== 'overview') location.hash = '#/';
  requestAnimationFrame(() => document.getElementById(jump)?.scrollIntoView());
});

async function trialView(number: number): Promise<{ view: TrialView; partial: string | null } | { missing: string }> {
  if (embedded) {
    const full = embedded.trials[number];
    if (full) return { view: full, partial: null };
    const row = sweep!.trials.find((t) => t.number === number);
    if (!row) return { missing: `this sweep has no trial ${number}` };
    const curve = sweepCurve(sweep!, number);
    return {
      view: {
        trial: { ...row, backend: null, metrics: {} },
        curves: curve ? { [sweep!.sweep.metric]: curve } : {},
        formula: { ok: false, reason: 'not in this report' },
        rerun: { file: '', yaml: '', command: `sweepdeck serve ${sweep!.db}  (then open /trial/${number})` },
      },
      partial: embedded.trialNote,
    };
  }
  const response = await fetch(`/api/trial/${number}`);
  if (response.status === 404) return { missing: ((await response.json()) as { error: string }).error };
  if (!response.ok) throw new Error(`/api/trial/${number}: HTTP ${response.status}`);
  return { view: (await response.json()) as TrialView, partial: null };
}

async function render(): Promise<void> {
  if (!sweep) return;
  renderHeader(sweep);
  const where = route();
  overviewRoot.hidden = where.page !== 'overview';
  trialRoot.hidden = where.page === 'overview';
  if (where.page === 'overview') {
    await overview.show(sweep);
  } else if (where.page === 'trial') {
    const result = await trialView(where.number);
    if ('missing' in result) renderNotFound(trialRoot, result.missing);
    else renderTrialPage(trialRoot, sweep, result.view, result.partial, state.charts);
    window.scrollTo(0, 0);
    state.renders++;
  } else {
    renderNotFound(trialRoot, `no page at ${location.hash || location.pathname}`);
  }
  state.version = sweep.version;
  state.timings['ready-at'] ??= performance.now();
  state.ready = true;
  document.body.dataset['ready'] = 'true';
}

async function fetchSweep(): Promise<SweepView> {
  const response = await fetch('/api/sweep');
  if (!response.ok) throw new Error(`/api/sweep: HTTP ${response.status}`);
  return (await response.json()) as SweepView;
}

/** Live: refetch when the server says the DB changed (its token differs), at most once a second. */
function followLive(): void {
  const events = new EventSource('/api/events');
  let seen: string | undefined;
  let wanted: string | undefined;
  let pending = false;
  let last = Date.now();
  const refresh = () => {
    pending = true;
    setTimeout(async () => {
      const at = wanted;
      try {
        sweep = await fetchSweep();
        seen = at;
        last = Date.now();
        await render();
      } finally {
        pending = false;
        if (wanted !== seen) refresh();
      }
    }, Math.max(0, 1000 - (Date.now() - last)));
  };
  events.addEventListener('changed', (event) => {
    wanted = (event as MessageEvent<string>).data;
    // The first token comes just after the page loaded; a live sweep may have moved on in between.
    if (seen === undefined) {
      seen = wanted;
      if (sweep?.writer) refresh();
      return;
    }
    if (wanted !== seen && !pending) refresh();
  });
}

window.addEventListener('hashchange', () => void render());

if (embedded) {
  sweep = embedded.sweep;
  void render();
} else {
  sweep = await fetchSweep();
  await render();
  followLive();
}
