// The suite runs end-to-end CLI tests that train real networks on a 2-core machine: a test's
// default time limit is generous, so a busy machine slows tests down without failing them.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
