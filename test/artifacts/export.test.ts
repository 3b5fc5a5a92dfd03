// export-model: a standard tfjs layers model that tf.loadLayersModel loads (over HTTP, as a browser
// does, and from memory, as plain tfjs in Node does) and that computes the same net as sweepdeck.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactError, exportTfjsLayers, forwardNet } from '../../src/artifacts/index.js';
import { loadBackend, type LoadedBackend } from '../../src/train/backend.js';
import { tempDir } from '../helpers/sweep-text.js';
import { artifactOf, loglinearSpec, randomModel, trialConfig } from './fixtures.js';
import type * as tfTypes from '@tensorflow/tfjs';

const spec = loglinearSpec();
const config = trialConfig(spec, { 'model.depth': 2 });
const MODEL = randomModel([3, 6, 6, 1], ['tanh', 'elu'], 21);
const ROWS = 64;
const FEATURES = Float32Array.from({ length: ROWS * 3 }, (_, i) => Math.cos(i * 0.61) * 1.5);

/** Serves a directory over HTTP, like a static web server would. */
async function serve(dir: string): Promise<{ url: string; close(): void }> {
  const server = http.createServer((request, response) => {
    const file = join(dir, new URL(request.url!, 'http://x').pathname);
    if (!fs.existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe('exportTfjsLayers', () => {
  let backend: LoadedBackend;
  let dir: string;
  beforeAll(async () => {
    backend = await loadBackend('wasm');
    dir = join(tempDir(), 'model');
    await exportTfjsLayers(backend, artifactOf(spec, config, MODEL), dir, 'sweepdeck test');
  });
  afterAll(() => fs.rmSync(join(dir, '..'), { recursive: true, force: true }));

  const predictWith = (model: tfTypes.LayersModel) => {
    const { tf } = backend;
    const out = tf.tidy(() => model.predict(tf.tensor2d(FEATURES, [ROWS, 3])) as tfTypes.Tensor);
    expect(out.shape).toEqual([ROWS, 1]);
    const values = Float64Array.from(out.dataSync());
    out.dispose();
    return values;
  };

  it('writes model.json, weights.bin and sweepdeck.json, and nothing else', () => {
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'sweepdeck.json', 'weights.bin']);
    expect(fs.readdirSync(join(dir, '..'))).toEqual(['model']);
    const modelJson = JSON.parse(fs.readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(modelJson).toMatchObject({ format: 'layers-model', generatedBy: 'sweepdeck test', weightsManifest: [{ paths: ['weights.bin'] }] });
    expect(fs.statSync(join(dir, 'weights.bin')).size).toBe(4 * (3 * 6 + 6 + 6 * 6 + 6 + 6 + 1));
  });

  it('loads with tf.loadLayersModel over HTTP and computes the same net as sweepdeck', async () => {
    const server = await serve(dir);
    try {
      const model = await backend.tf.loadLayersModel(`${server.url}/model.json`);
      expect(model.layers.map((l) => (l.getConfig() as { activation: string }).activation)).toEqual(['tanh', 'elu', 'linear']);
      const ours = forwardNet(backend, MODEL, FEATURES, ROWS);
      const theirs = predictWith(model);
      theirs.forEach((v, i) => expect(Math.abs(v - ours[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ours[i]!))));
      model.dispose();
    } finally {
      server.close();
    }
  });

  it('loads from memory (plain tfjs in Node) with the same result', async () => {
    const { tf } = backend;
    const json = JSON.parse(fs.readFileSync(join(dir, 'model.json'), 'utf8'));
    const weights = fs.readFileSync(join(dir, 'weights.bin'));
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length) }),
    );
    const ours = forwardNet(backend, MODEL, FEATURES, ROWS);
    predictWith(model).forEach((v, i) => expect(Math.abs(v - ours[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ours[i]!))));
    model.dispose();
  });

  it('writes what the layers model does not hold into sweepdeck.json', () => {
    const side = JSON.parse(fs.readFileSync(join(dir, 'sweepdeck.json'), 'utf8'));
    expect(side).toMatchObject({
      format: 'sweepdeck-export/1',
      sweep: 'loglinear',
      features: { set: 'log', formulas: ['log(a)', 'log(b)', 'log(c)'] },
      normalization: { mode: 'standardize', mean: MODEL.norm.mean, std: MODEL.norm.std },
      head: 'exp(net)',
      target: '3 * a^2 / b',
      variables: { b: { min: 1, max: 'a + 10', trained_range: 'uniform in [1, a + 10]' } },
    });
  });

  it('replaces an earlier export only with force, and refuses a non-empty directory without it', async () => {
    const other = randomModel([3, 6, 6, 1], ['tanh', 'elu'], 22);
    await expect(exportTfjsLayers(backend, artifactOf(spec, config, other), dir, 'sweepdeck test')).rejects.toThrow(/is not empty .*--force/);
    await exportTfjsLayers(backend, artifactOf(spec, config, other), dir, 'sweepdeck test', { force: true });
    const weights = fs.readFileSync(join(dir, 'weights.bin'));
    expect(new Float32Array(weights.buffer, weights.byteOffset, 3 * 6)).toEqual(other.kernels[0]);
    expect(fs.readdirSync(join(dir, '..'))).toEqual(['model']);

    const busy = tempDir();
    fs.writeFileSync(join(busy, 'notes.txt'), 'mine');
    await expect(exportTfjsLayers(backend, artifactOf(spec, config, MODEL), busy, 'x')).rejects.toThrow(/is not empty \(it holds notes\.txt\)/);
    expect(fs.readdirSync(busy)).toEqual(['notes.txt']);
  });

  it('refuses a network with the exp activation, which tf.layers does not have', async () => {
    const out = join(tempDir(), 'never');
    const withExp = artifactOf(spec, trialConfig(spec, { 'model.depth': 1, 'model.activation': 'exp' }), randomModel([3, 4, 1], ['exp']));
    await expect(exportTfjsLayers(backend, withExp, out, 'x')).rejects.toThrow(ArtifactError);
    await expect(exportTfjsLayers(backend, withExp, out, 'x')).rejects.toThrow(/hidden layer 1 uses the exp activation, which tf.layers does not have/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
