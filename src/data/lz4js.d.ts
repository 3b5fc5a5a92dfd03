// lz4js ships no types: the two functions used, as its source documents them.
declare module 'lz4js' {
  /** Decompresses an LZ4 frame (the size is read from the frame, or bounded by `maxSize`). */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Compresses to an LZ4 frame (tests write compressed Arrow files with it). */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  const lz4: { decompress: typeof decompress; compress: typeof compress };
  export default lz4;
}
