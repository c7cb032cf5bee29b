// Proves Mermaid diagrams written by `schemac diagram --as mermaid` with the real
// Mermaid (node_modules/mermaid, the browser bundle) in headless Chromium:
// each file must parse, and render to an SVG that shows its entities.
//
//   node check_mermaid.mjs <file.mmd>...
//
// Prints one line per file and exits 1 if any file fails (with Mermaid's own
// message), 2 on a usage error. CHROMIUM overrides the browser (default
// /usr/bin/chromium).

import { launch } from './chromium.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';


const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node check_mermaid.mjs <file.mmd>...');
  process.exit(2);
}

const TIMEOUT_MS = Number(process.env.CHECK_MERMAID_TIMEOUT_MS || 5 * 60 * 1000);
const watchdog = setTimeout(() => {
  console.error(`FAIL: check_mermaid.mjs did not finish within ${TIMEOUT_MS} ms (CHECK_MERMAID_TIMEOUT_MS)`);
  process.exit(1);
}, TIMEOUT_MS);
watchdog.unref();

const require = createRequire(import.meta.url);
const mermaidDir = path.dirname(require.resolve('mermaid/package.json'));
const mermaidVersion = JSON.parse(fs.readFileSync(path.join(mermaidDir, 'package.json'), 'utf8')).version;
const bundle = path.join(mermaidDir, 'dist', 'mermaid.min.js');

/**
 * The names the diagram should show: declared entities (`Name {`, `Name["Label"] {`)
 * and both ends of relationships (`A ||--o{ B : label`), by their label if aliased.
 */
function entityLabels(text) {
  const labels = new Set();
  const name = String.raw`("[^"]+"|[A-Za-z_][\w-]*)`;
  const alias = String.raw`(?:\[\s*("[^"]*"|[^\]]*)\s*\])?`;
  const card = String.raw`[|}o][|o]|[|o][|{o]`;
  const unquote = (s) => s.replace(/^"(.*)"$/, '$1').trim();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/%%.*$/, '').trim();
    let m = line.match(new RegExp(`^${name}\\s*${alias}\\s*\\{`));
    if (m) {
      labels.add(unquote(m[2] ?? m[1]));
      continue;
    }
    m = line.match(new RegExp(`^${name}\\s+(?:${card})(?:--|\\.\\.)(?:${card})\\s+${name}`));
    if (m) {
      labels.add(unquote(m[1]));
      labels.add(unquote(m[2]));
    }
  }
  // An aliased entity's id also appears in relationship lines; keep labels only.
  for (const raw of text.split('\n')) {
    const m = raw.trim().match(new RegExp(`^${name}\\s*\\[\\s*("[^"]*"|[^\\]]*)\\s*\\]`));
    if (m) labels.delete(unquote(m[1]));
  }
  return [...labels].filter(Boolean);
}

const browser = await launch();
const page = await browser.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
await page.route('**/*', (route) => {
  const url = route.request().url();
  if (/^(data|about|file|blob):/.test(url)) return route.continue();
  pageErrors.push(`network request to ${url}`);
  return route.abort('blockedbyclient');
});
await page.goto('data:text/html,<!doctype html><html lang="en"><body><div id="host"></div></body></html>');
await page.addScriptTag({ path: bundle });
await page.evaluate(() => {
  if (!window.mermaid) throw new Error('the Mermaid bundle did not define window.mermaid');
  window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
});

let failed = 0;
console.log(`mermaid ${mermaidVersion}, Chromium ${browser.version()}`);
for (const [i, file] of files.entries()) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    console.log(`FAIL  ${file}: ${e.message}`);
    failed++;
    continue;
  }
  const expectedLabels = entityLabels(text);
  const result = await page.evaluate(
    async ({ text, id }) => {
      let type;
      try {
        const parsed = await window.mermaid.parse(text);
        type = parsed && parsed.diagramType;
      } catch (e) {
        return { stage: 'parse', error: String((e && (e.message || e.str)) || e) };
      }
      let svg;
      try {
        ({ svg } = await window.mermaid.render(id, text));
      } catch (e) {
        return { stage: 'render', type, error: String((e && (e.message || e.str)) || e) };
      }
      const host = document.getElementById('host');
      host.innerHTML = svg;
      const el = host.querySelector('svg');
      const box = el ? el.getBoundingClientRect() : { width: 0, height: 0 };
      const shown = (el ? el.textContent : '').replace(/\s+/g, ' ');
      const syntaxError = /Syntax error in text/i.test(svg);
      host.innerHTML = '';
      return { type, length: svg.length, width: box.width, height: box.height, shown, syntaxError };
    },
    { text, id: `d${i}` },
  );
  const problems = [];
  if (result.error) problems.push(`${result.stage} error: ${result.error}`);
  else {
    if (result.syntaxError) problems.push('Mermaid rendered its "Syntax error in text" picture');
    if (!(result.width > 0 && result.height > 0)) problems.push(`the rendered SVG is ${result.width}×${result.height} px`);
    if (expectedLabels.length === 0) problems.push('found no entity in the text (no `Name {` block or relationship line)');
    const missing = expectedLabels.filter((l) => !result.shown.includes(l));
    if (missing.length) problems.push(`the rendered SVG does not show ${missing.length} of ${expectedLabels.length} entities: ${missing.slice(0, 10).join(', ')}`);
  }
  if (pageErrors.length) problems.push(`page errors: ${pageErrors.splice(0).join('; ')}`);
  if (problems.length) {
    failed++;
    console.log(`FAIL  ${file}${result.type ? ` (${result.type})` : ''}:\n      ${problems.join('\n      ')}`);
  } else {
    console.log(`ok    ${file}: ${result.type} diagram, ${expectedLabels.length} entities shown, ${result.width.toFixed(0)}×${result.height.toFixed(0)} px`);
  }
}
await browser.close();
if (failed) {
  console.log(`FAILED: ${failed} of ${files.length} Mermaid file(s)`);
  process.exit(1);
}
console.log(`PASSED: ${files.length} Mermaid file(s)`);
