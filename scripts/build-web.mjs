// Bundles the web view's browser code (src/web/client/) with ECharts from node_modules into
// dist/web/assets/: app.js (one ES module, minified) and app.css. Run by `npm run build`.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/web/assets');
fs.mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(root, 'src/web/client/main.ts')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: !process.env.SWEEPDECK_WEB_DEBUG,
  legalComments: 'none',
  logLevel: 'warning',
});
fs.copyFileSync(path.join(root, 'src/web/client/style.css'), path.join(out, 'app.css'));
