// The web view's HTML page and its two assets (the bundled browser code and its stylesheet, built
// into dist/web/assets/ by scripts/build-web.mjs). The server links the assets; `report` inlines them.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Every file the server may send, by its URL path: a fixed list, so no request names a file on disk. */
export const ASSETS: Readonly<Record<string, { file: string; type: string }>> = Object.freeze({
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
});

const cache = new Map<string, string>();

export function readAsset(file: string): string {
  let text = cache.get(file);
  if (text === undefined) {
    const url = new URL(`./assets/${file}`, import.meta.url);
    try {
      text = fs.readFileSync(fileURLToPath(url), 'utf8');
    } catch (error) {
      throw new Error(`the web view's ${file} is missing from ${fileURLToPath(new URL('./assets/', import.meta.url))}: run npm run build (${(error as Error).message})`);
    }
    cache.set(file, text);
  }
  return text;
}

const escapeText = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON that is safe inside a <script> element: no "</script", no "<!--". */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export interface PageOptions {
  title: string;
  /** Report: the data and the assets inline. Absent: the served page, which links /assets and fetches /api. */
  inline?: { data: unknown };
}

export function pageHtml(options: PageOptions): string {
  const head = options.inline
    ? `<style>${readAsset('app.css')}</style>`
    : // The sweep's data is fetched while the script loads, not after.
      '<link rel="stylesheet" href="/assets/app.css">\n<link rel="preload" href="/api/sweep" as="fetch" crossorigin="anonymous">';
  const script = options.inline
    ? `<script type="application/json" id="sweepdeck-data">${scriptJson(options.inline.data)}</script>\n<script type="module">${readAsset('app.js').replace(/<\/script/gi, '<\\/script')}</script>`
    : '<script type="module" src="/assets/app.js"></script>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeText(options.title)}</title>
${head}
</head>
<body>
<header id="header"></header>
<main><div id="overview"></div><div id="trial" hidden></div></main>
${script}
</body>
</html>
`;
}

/** A page for a URL that names nothing: a plain 404, never a stack trace. */
export function notFoundHtml(message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not found · sweepdeck</title>
<style>body{font-family:system-ui,sans-serif;margin:40px;color:#1d2330}a{color:#3b6fd4}</style></head>
<body><h1>404 · not found</h1><p>${escapeText(message)}</p><p><a href="/">the sweep</a></p></body></html>
`;
}
