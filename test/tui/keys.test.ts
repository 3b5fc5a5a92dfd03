// Keys: which actions an input event means, and what each does to the view.
import { describe, expect, it } from 'vitest';
import type { Key } from 'ink';
import { applyKeyAction, INITIAL_VIEW, keyActions, type ViewState } from '../../src/tui/keys.js';
import { visibleTrials } from '../../src/tui/derive.js';
import { busySweep } from './fixtures.js';

const noKey: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};
const key = (k: Partial<Key>): Key => ({ ...noKey, ...k });

describe('keyActions', () => {
  it('maps arrows, Enter, Esc and letters; letters typed together count one by one', () => {
    expect(keyActions('', key({ downArrow: true }))).toEqual(['down']);
    expect(keyActions('', key({ upArrow: true }))).toEqual(['up']);
    expect(keyActions('\r', key({ return: true }))).toEqual(['toggleDetails']);
    expect(keyActions('', key({ escape: true }))).toEqual(['closeDetails']);
    expect(keyActions('jjk', noKey)).toEqual(['down', 'down', 'up']);
    expect(keyActions('sfqx', noKey)).toEqual(['sort', 'filter', 'quit']);
    expect(keyActions('pp', noKey)).toEqual(['params', 'params']);
    expect(keyActions('c', key({ ctrl: true }))).toEqual(['quit']);
    expect(keyActions('s', key({ ctrl: true }))).toEqual([]);
  });
});

describe('applyKeyAction', () => {
  const rows = visibleTrials(busySweep().trials.values(), 'number', 'all', 'minimize');
  const run = (...actions: Parameters<typeof applyKeyAction>[1][]): ViewState =>
    actions.reduce((view, action) => applyKeyAction(view, action, rows, 2), INITIAL_VIEW);

  it('turns the panel’s parameter pages with p, back to the first when another trial is opened or closed', () => {
    expect(run('params', 'params').paramPage).toBe(2);
    expect(run('params', 'down', 'toggleDetails').paramPage).toBe(0);
    expect(run('down', 'toggleDetails', 'params', 'closeDetails').paramPage).toBe(0);
  });

  it('moves the selection and stays within the rows', () => {
    expect(run('down').cursor).toBe(0);
    expect(run('down', 'down', 'down').cursor).toBe(2);
    expect(run('down', 'up', 'up').cursor).toBe(0);
    expect(run('last', 'down').cursor).toBe(4);
    expect(run('down', 'pageDown').cursor).toBe(2);
    expect(run('last', 'pageUp', 'first').cursor).toBe(0);
  });

  it('opens the selected trial with Enter, closes it with Enter again or Esc', () => {
    expect(run('down', 'down', 'toggleDetails')).toMatchObject({ cursor: 1, details: 1 });
    expect(run('down', 'down', 'toggleDetails', 'toggleDetails').details).toBeNull();
    expect(run('down', 'toggleDetails', 'closeDetails').details).toBeNull();
    // Enter with nothing selected opens the first row
    expect(run('toggleDetails')).toMatchObject({ cursor: 0, details: 0 });
    // another trial selected: Enter switches the details to it
    expect(run('down', 'toggleDetails', 'down', 'toggleDetails').details).toBe(1);
  });

  it('cycles the sort and the filter', () => {
    expect(run('sort').sort).toBe('metric');
    expect(run('sort', 'sort').sort).toBe('number');
    expect(run('filter').filter).toBe('running');
    expect(run('filter', 'filter', 'filter', 'filter', 'filter', 'filter').filter).toBe('all');
  });

  it('leaves the view alone on quit and on an empty list', () => {
    expect(run('quit')).toBe(INITIAL_VIEW);
    expect(applyKeyAction(INITIAL_VIEW, 'down', [], 5)).toBe(INITIAL_VIEW);
  });
});
