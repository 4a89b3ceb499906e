// Builds the web UI into one self-contained HTML page: the app bundled by esbuild (Preact,
// no runtime downloads) and its styles inlined, allowed by a Content-Security-Policy that
// names their hashes and lets the page talk to its own origin only. Run by `npm start` and
// by the CDK stack at synth, which copies the page next to the submissions function.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export function buildUiPage(): string {
  const { outputFiles } = buildSync({
    entryPoints: [here('./app.tsx')],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
  });
  // A `</script>` inside the bundle would end the element early.
  const script = (outputFiles[0]?.text ?? '').replaceAll('</script', '<\\/script');
  const style = readFileSync(here('./style.css'), 'utf8');
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="icon" href="data:,">
<title>Spark Master</title>
<style>${style}</style>
</head>
<body>
<header><span class="brand">sparkplane</span> Spark standalone master</header>
<main id="root"></main>
<script type="module">${script}</script>
</body>
</html>
`;
}
