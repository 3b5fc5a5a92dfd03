// The trials table: sortable by any column, filtered by the page filter and a text search, and
// virtualised (only the rows in view are in the DOM) so tens of thousands of rows scroll smoothly.
import type { SweepView, TrialRow } from '../view-model.js';
import { STATE_COLOURS } from './filter.js';
import * as fmt from './format.js';

const ROW_HEIGHT = 26;
const OVERSCAN = 10;

interface Column {
  title: string;
  width: string;
  text: (t: TrialRow) => string;
  sortKey: (t: TrialRow) => number | string | null;
}

export class TrialsTable {
  private rows: TrialRow[] = [];
  private shown: TrialRow[] = [];
  private sort: { column: number; descending: boolean } = { column: 0, descending: false };
  private search = '';
  private columns: Column[] = [];
  private readonly head: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly body: HTMLElement;
  private readonly count: HTMLElement;

  constructor(private readonly root: HTMLElement) {
    root.innerHTML = `<div class="table-tools"><input type="search" placeholder="search parameters, states, errors…" aria-label="search trials"><span class="table-count"></span></div>
      <div class="table-head" role="row"></div><div class="table-viewport"><div class="table-spacer"><div class="table-body"></div></div></div>`;
    this.head = root.querySelector('.table-head')!;
    this.viewport = root.querySelector('.table-viewport')!;
    this.spacer = root.querySelector('.table-spacer')!;
    this.body = root.querySelector('.table-body')!;
    this.count = root.querySelector('.table-count')!;
    root.querySelector('input')!.addEventListener('input', (e) => {
      this.search = (e.target as HTMLInputElement).value.trim().toLowerCase();
      this.refresh();
    });
    this.viewport.addEventListener('scroll', () => this.paint());
    this.head.addEventListener('click', (e) => {
      const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-column]');
      if (!cell) return;
      const column = Number(cell.dataset['column']);
      this.sort = { column, descending: this.sort.column === column ? !this.sort.descending : false };
      this.refresh();
    });
  }

  set(view: SweepView, rows: TrialRow[]): void {
    this.columns = columnsFor(view);
    this.rows = rows;
    this.root.style.setProperty('--columns', this.template());
    this.refresh();
  }

  private template(): string {
    return this.columns.map((c) => c.width).join(' ');
  }

  private refresh(): void {
    const column = this.columns[this.sort.column] ?? this.columns[0]!;
    const search = this.search;
    const matching = search
      ? this.rows.filter((t) => `${t.number} ${t.state} ${Object.values(t.params).map(fmt.param).join(' ')} ${t.error ?? ''}`.toLowerCase().includes(search))
      : this.rows.slice();
    const direction = this.sort.descending ? -1 : 1;
    matching.sort((a, b) => {
      const x = column.sortKey(a);
      const y = column.sortKey(b);
      // Missing values sort last in both directions.
      if (x === null || y === null) return x === y ? a.number - b.number : x === null ? 1 : -1;
      return (x < y ? -1 : x > y ? 1 : a.number - b.number) * direction;
    });
    this.shown = matching;
    this.count.textContent = `${matching.length} of ${this.rows.length} trials`;
    this.head.innerHTML = this.columns
      .map((c, i) => `<div class="cell${i === this.sort.column ? ' sorted' : ''}" data-column="${i}" title="sort by ${fmt.html(c.title)}">${fmt.html(c.title)}${i === this.sort.column ? (this.sort.descending ? ' ▾' : ' ▴') : ''}</div>`)
      .join('');
    this.spacer.style.height = `${matching.length * ROW_HEIGHT}px`;
    this.paint();
  }

  private paint(): void {
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.shown.length, Math.ceil((this.viewport.scrollTop + this.viewport.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    this.body.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    let markup = '';
    for (let i = first; i < last; i++) {
      const t = this.shown[i]!;
      markup += `<a class="table-row" href="#/trial/${t.number}" data-trial="${t.number}" style="--state:${STATE_COLOURS[t.state]}">${this.columns.map((c) => `<span class="cell">${fmt.html(c.text(t))}</span>`).join('')}</a>`;
    }
    this.body.innerHTML = markup;
  }
}

function columnsFor(view: SweepView): Column[] {
  const duration = (t: TrialRow) => (t.startedAt !== null && t.finishedAt !== null ? t.finishedAt - t.startedAt : null);
  return [
    { title: '#', width: '56px', text: (t) => String(t.number), sortKey: (t) => t.number },
    { title: 'state', width: '84px', text: (t) => t.state, sortKey: (t) => t.state },
    { title: view.sweep.metric, width: '96px', text: (t) => fmt.metric(t.value), sortKey: (t) => t.value },
    { title: 'step', width: '96px', text: (t) => (t.step === null ? '–' : `${t.step}/${t.steps ?? '?'}`), sortKey: (t) => t.step },
    { title: 'time', width: '72px', text: (t) => fmt.duration(duration(t)), sortKey: duration },
    ...view.parameters.map((p) => ({
      title: p.path.replace(/^(model|training)\./, ''),
      width: p.kind === 'categorical' && p.choices.some((c) => c.length > 12) ? 'minmax(160px, 2fr)' : 'minmax(72px, 1fr)',
      text: (t: TrialRow) => (p.path in t.params ? fmt.param(t.params[p.path]) : '–'),
      sortKey: (t: TrialRow) => {
        const v = t.params[p.path];
        return typeof v === 'number' ? v : v === undefined ? null : fmt.param(v);
      },
    })),
    { title: 'reason', width: 'minmax(160px, 3fr)', text: (t) => t.error ?? '', sortKey: (t) => t.error },
  ];
}
