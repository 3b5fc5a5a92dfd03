// The model blob: an exact round trip of weights and standardisation, and strict refusal of
// anything that is not a complete blob of a known format.
import { describe, expect, it } from 'vitest';
import { MODEL_FORMAT, ModelFormatError, decodeModel, encodeModel } from '../../src/artifacts/index.js';
import { randomModel } from './fixtures.js';

describe('model blob', () => {
  it('round-trips every weight bit for bit, and the float64 standardisation exactly', () => {
    const model = randomModel([5, 7, 7, 1], ['tanh', 'linear'], 3);
    model.kernels[0]![0] = -0; // signed zero and extremes survive too
    model.kernels[1]![2] = 3.4028234663852886e38;
    model.biases[0]![1] = 1.401298464324817e-45;
    const decoded = decodeModel(encodeModel(model));
    expect(decoded.layerSizes).toEqual([5, 7, 7, 1]);
    expect(decoded.activations).toEqual(['tanh', 'linear']);
    expect(decoded.norm).toEqual(model.norm);
    decoded.kernels.forEach((k, i) => expect(Buffer.from(k.buffer)).toEqual(Buffer.from(model.kernels[i]!.buffer)));
    decoded.biases.forEach((b, i) => expect(Buffer.from(b.buffer)).toEqual(Buffer.from(model.biases[i]!.buffer)));
    expect(Object.is(decoded.kernels[0]![0], -0)).toBe(true);
  });

  it('handles depth 0 (no hidden layers, no activations)', () => {
    const model = randomModel([3, 1], [], 4);
    expect(decodeModel(encodeModel(model))).toEqual(model);
  });

  it('starts with the magic and the format version', () => {
    const blob = encodeModel(randomModel([2, 1], []));
    expect(Buffer.from(blob.subarray(0, 4)).toString()).toBe('SDKM');
    // A one-target model is still format 1, byte for byte what earlier builds wrote and read.
    expect(new DataView(blob.buffer).getUint32(4, true)).toBe(1);
  });

  it('refuses blobs that would half-load: truncated, padded, another format, a broken header', () => {
    const blob = encodeModel(randomModel([4, 3, 1], ['relu'], 5));
    const refuse = (bytes: Uint8Array, message: RegExp) => expect(() => decodeModel(bytes)).toThrow(message);
    refuse(blob.subarray(0, blob.length - 4), /model blob is \d+ bytes; layers 4→3→1 need \d+/);
    refuse(Buffer.concat([blob, new Uint8Array(4)]), /layers 4→3→1 need/);
    refuse(new Uint8Array(8), /not a sweepdeck model blob/);
    refuse(Buffer.from('{"layerSizes":[4,1]}'), /not a sweepdeck model blob/);
    const newer = Uint8Array.from(blob);
    new DataView(newer.buffer).setUint32(4, MODEL_FORMAT + 1, true);
    refuse(newer, /model format 3 is newer than this sweepdeck reads/);
    const garbled = Uint8Array.from(blob);
    garbled[14] = 0x7b; // inside the JSON header
    expect(() => decodeModel(garbled)).toThrow(ModelFormatError);
  });

  it('refuses a header whose activations do not match its layers', () => {
    const model = randomModel([2, 3, 1], ['tanh']);
    const text = Buffer.from(encodeModel(model)).toString('latin1').replace('"tanh"', '"swsh"');
    expect(() => decodeModel(Buffer.from(text, 'latin1'))).toThrow(/expected 1 hidden activations from relu/);
  });

  it('refuses to encode a model whose arrays do not match its layer sizes', () => {
    const model = randomModel([2, 3, 1], ['tanh']);
    model.biases[0] = new Float32Array(2);
    expect(() => encodeModel(model)).toThrow(/model shapes do not match its layer sizes 2→3→1/);
  });

  it('writes a model with named outputs as format 2 and reads the names back; refuses names that do not match the outputs', () => {
    const model = { ...randomModel([4, 6, 3], ['tanh'], 5), outputs: ['y1', 'y2', 'y3'] };
    const blob = encodeModel(model);
    expect(new DataView(blob.buffer).getUint32(4, true)).toBe(MODEL_FORMAT);
    expect(MODEL_FORMAT).toBe(2);
    const decoded = decodeModel(blob);
    expect(decoded.outputs).toEqual(['y1', 'y2', 'y3']);
    expect(decoded).toEqual(model);
    // Three output units and two names: refused when writing, and when a blob says so.
    expect(() => encodeModel({ ...model, outputs: ['y1', 'y2'] })).toThrow(/do not match/);
    const tampered = Uint8Array.from(blob);
    const at = Buffer.from(tampered).indexOf('"y3"');
    tampered.set(new TextEncoder().encode('"y1"'), at);
    expect(() => decodeModel(tampered)).toThrow(/3 distinct target names/);
    // A format-1 blob with several outputs is not a format-1 blob.
    const multi = encodeModel(model);
    new DataView(multi.buffer).setUint32(4, 1, true);
    expect(() => decodeModel(multi)).toThrow(ModelFormatError);
  });
});
