// The keyboard: which actions a key press means, and what each does to the view (selection, open
// details, sort, filter). Pure, so the dashboard applies several keys that arrive in one chunk
// ("jjj", or arrows typed fast) one after another, each on the result of the last.
import type { Key } from 'ink';
import type { TrialView } from './state.js';
import { nextOf, SORT_KEYS, STATE_FILTERS, type SortKey, type StateFilter } from './derive.js';

export interface ViewState {
  sort: SortKey;
  filter: StateFilter;
  /** The selected trial (by number, so it stays on its trial as rows move), or null before any key. */
  cursor: number | null;
  /** The trial whose details the panel shows instead of the best one. */
  details: number | null;
  /** Which page of the panel's parameters is shown when they do not all fit (p turns it; the panel wraps it). */
  paramPage: number;
}

export const INITIAL_VIEW: ViewState = { sort: 'number', filter: 'all', cursor: null, details: null, paramPage: 0 };

export type KeyAction = 'up' | 'down' | 'pageUp' | 'pageDown' | 'first' | 'last' | 'toggleDetails' | 'closeDetails' | 'sort' | 'filter' | 'params' | 'quit';

const LETTERS: Record<string, KeyAction> = { k: 'up', j: 'down', g: 'first', G: 'last', s: 'sort', f: 'filter', p: 'params', q: 'quit' };

/** The actions of one input event; typed characters that arrive together are taken one by one. */
export function keyActions(input: string, key: Key): KeyAction[] {
  if (key.ctrl && input === 'c') return ['quit'];
  if (key.upArrow) return ['up'];
  if (key.downArrow) return ['down'];
  if (key.pageUp) return ['pageUp'];
  if (key.pageDown) return ['pageDown'];
  if (key.home) return ['first'];
  if (key.end) return ['last'];
  if (key.return) return ['toggleDetails'];
  if (key.escape) return ['closeDetails'];
  if (key.ctrl || key.meta) return [];
  return [...input].map((ch) => LETTERS[ch]).filter((a): a is KeyAction => a !== undefined);
}

/**
 * The view after `action`, given the rows listed under the current sort and filter. 'quit' is not
 * the view's business (the caller handles it) and leaves the view as it is.
 */
export function applyKeyAction(view: ViewState, action: KeyAction, rows: readonly TrialView[], pageSize: number): ViewState {
  const index = view.cursor === null ? -1 : rows.findIndex((t) => t.number === view.cursor);
  const select = (i: number): ViewState => {
    const row = rows[Math.max(0, Math.min(rows.length - 1, i))];
    return row ? { ...view, cursor: row.number } : view;
  };
  switch (action) {
    case 'up':
      return select(index < 0 ? 0 : index - 1);
    case 'down':
      return select(index + 1);
    case 'pageUp':
      return select(index - pageSize);
    case 'pageDown':
      return select(index + pageSize);
    case 'first':
      return select(0);
    case 'last':
      return select(rows.length - 1);
    case 'toggleDetails': {
      const target = index >= 0 ? view.cursor : (rows[0]?.number ?? null);
      return { ...view, cursor: target, details: view.details !== null && view.details === target ? null : target, paramPage: 0 };
    }
    case 'closeDetails':
      return { ...view, details: null, paramPage: 0 };
    case 'params':
      return { ...view, paramPage: view.paramPage + 1 };
    case 'sort':
      return { ...view, sort: nextOf(SORT_KEYS, view.sort) };
    case 'filter':
      return { ...view, filter: nextOf(STATE_FILTERS, view.filter) };
    case 'quit':
      return view;
  }
}
