// The stored form of a trained network (the `models.data` column): a versioned binary blob that
// holds the layer sizes, activations, input standardisation and float32 weights, exactly.
//
// Layout of format 1 (all integers little-endian):
//   bytes 0-3   magic "SDKM"
//   bytes 4-7   uint32 format version (1)
//   bytes 8-11  uint32 H: length of the JSON header
//   H bytes     UTF-8 JSON {"layerSizes": [...], "activations": [...], "norm": {"mean": [...], "std": [...]}}
//   0-3 zero bytes, so the weights start on a multiple of 4
//   per layer:  the [in, out] kernel, row-major, then the [out] bias, as float32
// The blob's length must match the header exactly: a truncated or padded blob is refused.
//
// Format 2 (a network with several outputs, one per named target) is format 1 with one more header
// field, "outputs": the target names in output order, as many as the last layer has units. A
// model of a one-target (`target:`) problem is still written as format 1, byte for byte as before,
// so older builds read it; this build reads both.
import { ACTIVATIONS, type Activation } from '../spec/schema.js';
import type { TrainedModel } from '../train/model.js';

/** The newest format this build writes (2: with output names); decodeModel reads every format up to it. */
export const MODEL_FORMAT = 2;
/** The format of a model with one unnamed output. */
const SINGLE_OUTPUT_FORMAT = 1;

const MAGIC = 'SDKM';
const PREFIX_BYTES = 12;

/** A blob that is not a model this build can read (another format, truncated, inconsistent). */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

interface Header {
  layerSizes: number[];
  /** Format 2 only. */
  outputs?: string[];
  activations: Activation[];
  norm: { mean: number[]; std: number[] };
}

export function encodeModel(model: TrainedModel): Uint8Array {
  checkShapes(model);
  const header: Header = { layerSizes: model.layerSizes, activations: model.activations, norm: model.norm, ...(model.outputs ? { outputs: model.outputs } : {}) };
  const format = model.outputs ? MODEL_FORMAT : SINGLE_OUTPUT_FORMAT;
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const weightsStart = align4(PREFIX_BYTES + headerBytes.length);
  const floats = model.kernels.reduce((n, k, i) => n + k.length + model.biases[i]!.length, 0);
  const out = new Uint8Array(weightsStart + floats * 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(4, format, true);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, PREFIX_BYTES);
  let offset = weightsStart;
  for (let layer = 0; layer < model.kernels.length; layer++) {
    for (const array of [model.kernels[layer]!, model.biases[layer]!]) {
      for (let i = 0; i < array.length; i++, offset += 4) view.setFloat32(offset, array[i]!, true);
    }
  }
  return out;
}

/** The format version a blob written by encodeModel carries (1 for one unnamed output, 2 with output names). */
export function blobFormat(blob: Uint8Array): number {
  return new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(4, true);
}

export function decodeModel(blob: Uint8Array): TrainedModel {
  if (blob.length < PREFIX_BYTES || new TextDecoder().decode(blob.subarray(0, 4)) !== MAGIC) {
    throw new ModelFormatError('not a sweepdeck model blob (no "SDKM" header)');
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const format = view.getUint32(4, true);
  if (format !== SINGLE_OUTPUT_FORMAT && format !== MODEL_FORMAT) {
    throw new ModelFormatError(`model format ${format} is ${format > MODEL_FORMAT ? 'newer than this sweepdeck reads; upgrade sweepdeck' : 'unknown'} (this build reads format ${MODEL_FORMAT})`);
  }
  const headerLength = view.getUint32(8, true);
  if (PREFIX_BYTES + headerLength > blob.length) throw new ModelFormatError(`truncated model blob: its header needs ${headerLength} bytes, ${blob.length - PREFIX_BYTES} are there`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(blob.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength))) as Header;
  } catch (error) {
    throw new ModelFormatError(`model blob header is not JSON: ${(error as Error).message}`);
  }
  checkHeader(header, format);
  const sizes = header.layerSizes;
  const weightsStart = align4(PREFIX_BYTES + headerLength);
  const floats = sizes.slice(1).reduce((n, out, i) => n + sizes[i]! * out + out, 0);
  if (blob.length !== weightsStart + floats * 4) {
    throw new ModelFormatError(`model blob is ${blob.length} bytes; layers ${sizes.join('→')} need ${weightsStart + floats * 4}`);
  }
  let offset = weightsStart;
  const read = (count: number): Float32Array => {
    const array = new Float32Array(count);
    for (let i = 0; i < count; i++, offset += 4) array[i] = view.getFloat32(offset, true);
    return array;
  };
  const kernels: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let layer = 0; layer < sizes.length - 1; layer++) {
    kernels.push(read(sizes[layer]! * sizes[layer + 1]!));
    biases.push(read(sizes[layer + 1]!));
  }
  return {
    layerSizes: [...sizes],
    ...(header.outputs ? { outputs: [...header.outputs] } : {}),
    activations: [...header.activations],
    kernels,
    biases,
    norm: { mean: [...header.norm.mean], std: [...header.norm.std] },
  };
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

function checkHeader(header: Header, format: number): void {
  const sizes = header?.layerSizes;
  const wholeSizes = Array.isArray(sizes) && sizes.length >= 2 && sizes.every((s) => Number.isInteger(s) && s > 0);
  if (!wholeSizes) throw new ModelFormatError('model blob header: layerSizes must be 2 or more positive whole numbers');
  if (format === SINGLE_OUTPUT_FORMAT) {
    if (sizes.at(-1) !== 1) throw new ModelFormatError(`model blob header: the output layer has ${sizes.at(-1)} units, expected 1`);
    if (header.outputs !== undefined) throw new ModelFormatError('model blob header: format 1 has no output names');
  } else {
    const outputs = header.outputs;
    if (!Array.isArray(outputs) || outputs.length !== sizes.at(-1) || !outputs.every((o) => typeof o === 'string' && o.length > 0) || new Set(outputs).size !== outputs.length) {
      throw new ModelFormatError(`model blob header: format 2 needs "outputs", ${sizes.at(-1)} distinct target names (one per output unit)`);
    }
  }
  const activations = header.activations;
  if (!Array.isArray(activations) || activations.length !== sizes.length - 2 || !activations.every((a) => (ACTIVATIONS as readonly string[]).includes(a))) {
    throw new ModelFormatError(`model blob header: expected ${sizes.length - 2} hidden activations from ${ACTIVATIONS.join(', ')}`);
  }
  const norm = header.norm;
  const numbers = (list: unknown) => Array.isArray(list) && list.length === sizes[0] && list.every((v) => typeof v === 'number');
  if (!norm || !numbers(norm.mean) || !numbers(norm.std)) throw new ModelFormatError(`model blob header: norm.mean and norm.std must hold ${sizes[0]} numbers`);
}

function checkShapes(model: TrainedModel): void {
  const sizes = model.layerSizes;
  const layers = sizes.length - 1;
  const ok =
    model.kernels.length === layers &&
    model.biases.length === layers &&
    model.activations.length === layers - 1 &&
    model.kernels.every((k, i) => k.length === sizes[i]! * sizes[i + 1]!) &&
    model.biases.every((b, i) => b.length === sizes[i + 1]!) &&
    model.norm.mean.length === sizes[0] &&
    model.norm.std.length === sizes[0] &&
    (model.outputs === undefined ? sizes.at(-1) === 1 : model.outputs.length === sizes.at(-1));
  if (!ok) throw new Error(`model shapes do not match its layer sizes ${sizes.join('→')}`);
}
