// The one writer of output files and directories: what it refuses, and that a failure leaves no half file.
import fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputError, writeOutputDir, writeOutputFile } from '../../src/output/write-output.js';
import { tempDir } from '../helpers/sweep-text.js';

const listing = (dir: string) => fs.readdirSync(dir).sort();

describe('writeOutputFile', () => {
  it('writes a new file, and refuses an existing one unless forced', () => {
    const dir = tempDir();
    const target = join(dir, 'out.csv');
    writeOutputFile(target, 'a,b\n');
    expect(fs.readFileSync(target, 'utf8')).toBe('a,b\n');
    expect(() => writeOutputFile(target, 'c\n')).toThrow(/already exists; give a new path, or add --force/);
    expect(fs.readFileSync(target, 'utf8')).toBe('a,b\n');
    writeOutputFile(target, ['c', new Uint8Array([10])], { force: true });
    expect(fs.readFileSync(target, 'utf8')).toBe('c\n');
    expect(listing(dir)).toEqual(['out.csv']);
  });

  it('never writes over a protected file, its -wal, or through a link to it, even with force', () => {
    const dir = tempDir();
    const db = join(dir, 'results.db');
    fs.writeFileSync(db, 'the results');
    fs.writeFileSync(`${db}-wal`, 'wal');
    fs.symlinkSync(db, join(dir, 'link.db'));
    for (const target of [db, `${db}-wal`, join(dir, 'link.db'), join(dir, '.', 'results.db')]) {
      expect(() => writeOutputFile(target, 'csv', { force: true, protect: [db] })).toThrow(OutputError);
    }
    expect(() => writeOutputFile(db, 'csv', { force: true, protect: [db] })).toThrow(/which this command reads/);
    expect(fs.readFileSync(db, 'utf8')).toBe('the results');
    expect(fs.readFileSync(`${db}-wal`, 'utf8')).toBe('wal');
  });

  it('refuses a directory, a device and a missing parent directory with one sentence each', () => {
    const dir = tempDir();
    expect(() => writeOutputFile(dir, 'x')).toThrow(/is a directory; give the path of a file/);
    expect(() => writeOutputFile('/dev/null', 'x', { force: true })).toThrow(/is not a plain file/);
    expect(() => writeOutputFile(join(dir, 'no', 'such', 'out.csv'), 'x')).toThrow(/does not exist; create it first/);
  });

  it('leaves the old file and no temp file behind when writing fails part-way', () => {
    const dir = tempDir();
    const target = join(dir, 'out.csv');
    fs.writeFileSync(target, 'old');
    function* failing() {
      yield 'half of the new';
      throw new Error('the producer failed');
    }
    expect(() => writeOutputFile(target, failing(), { force: true })).toThrow('the producer failed');
    expect(fs.readFileSync(target, 'utf8')).toBe('old');
    expect(listing(dir)).toEqual(['out.csv']);
  });
});

describe('writeOutputDir', () => {
  const files = new Map<string, string | Uint8Array>([
    ['model.json', '{}'],
    ['weights.bin', new Uint8Array([1, 2, 3])],
  ]);

  it('creates a new directory or fills an empty one; a non-empty one only with force, replaced whole', () => {
    const parent = tempDir();
    const out = join(parent, 'model');
    writeOutputDir(out, files);
    expect(listing(out)).toEqual(['model.json', 'weights.bin']);
    fs.writeFileSync(join(out, 'notes.txt'), 'mine');
    expect(() => writeOutputDir(out, files)).toThrow(/is not empty \(it holds .*notes\.txt.*\); give a new or empty directory, or add --force/);
    expect(listing(out)).toEqual(['model.json', 'notes.txt', 'weights.bin']);
    writeOutputDir(out, files, { force: true });
    expect(listing(out)).toEqual(['model.json', 'weights.bin']);
    expect(listing(parent)).toEqual(['model']);
    const empty = join(parent, 'empty');
    fs.mkdirSync(empty);
    writeOutputDir(empty, files);
    expect(listing(empty)).toEqual(['model.json', 'weights.bin']);
  });

  it('never replaces a directory that holds a protected file, even with force', () => {
    const parent = tempDir();
    const db = join(parent, 'results', 'sweep.db');
    fs.mkdirSync(join(parent, 'results'));
    fs.writeFileSync(db, 'the results');
    expect(() => writeOutputDir(join(parent, 'results'), files, { force: true, protect: [db] })).toThrow(/holds .*sweep\.db, which this command reads/);
    expect(() => writeOutputDir(parent, files, { force: true, protect: [db] })).toThrow(/which this command reads/);
    expect(fs.readFileSync(db, 'utf8')).toBe('the results');
  });

  it('refuses a file where the directory should be', () => {
    const parent = tempDir();
    fs.writeFileSync(join(parent, 'model'), 'a file');
    expect(() => writeOutputDir(join(parent, 'model'), files, { force: true })).toThrow(/exists and is not a directory/);
  });
});
