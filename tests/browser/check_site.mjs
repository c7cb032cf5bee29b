// Proves a documentation site written by `schemac docs` in a real browser
// (headless Chromium through playwright-core), over file:// as a reader opens it.
//
//   node check_site.mjs <site-dir> <expected-entities.json> <screenshot.png> [column]
//
// <expected-entities.json> is a JSON array of entity names. [column] (or the
// SCHEMAC_SEARCH_COLUMN environment variable) is what to type into the search
// box, as `column` or `Entity.column`; by default the first column of the first
// expected entity's page. Prints a report and exits 1 on any failure (2 on a
// usage error). CHROMIUM overrides the browser (default /usr/bin/chromium).
//
// The site contract it checks: every page has <html lang>, a <title>, one <h1>,
// a labelled <input id="search"> with <ul id="search-results">, and a
// <nav aria-label="Entities"> linking every entity page; entities/<Name>.html
// per entity with rows <tr id="column-<field>">; index.html holds
// <svg id="er-diagram" role="img" aria-label> whose entities are
// <a href><g class="entity" data-entity><rect class="entity-box"/>…</g></a>,
// with #zoom-in, #zoom-out, #zoom-reset, wheel zoom and drag pan; no request
// leaves the site; migrations.html (when present) lists .migration elements.
//
// Beyond the contract's shape it checks what a reader would see: no broken
// link or fragment anywhere, no console error, entity boxes that do not
// overlap, and (measured at the diagram's natural size) labels that stay in
// their box, edge labels and group titles that neither hide under a box nor
// overprint each other, and edges that do not run through a box.

import { launch } from './chromium.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const USAGE = 'usage: node check_site.mjs <site-dir> <expected-entities.json> <screenshot.png> [column | Entity.column]';
const TIMEOUT_MS = Number(process.env.CHECK_SITE_TIMEOUT_MS || 15 * 60 * 1000);
const LIST_LIMIT = 25; // failures listed per check before "… and N more"

const [siteArg, expectedArg, screenshotArg, columnArgRaw] = process.argv.slice(2);
if (!siteArg || !expectedArg || !screenshotArg) {
  console.error(USAGE);
  process.exit(2);
}
const siteDir = path.resolve(siteArg);
const siteUrl = pathToFileURL(siteDir + path.sep).href;
const screenshotPath = path.resolve(screenshotArg);
const columnArg = columnArgRaw || process.env.SCHEMAC_SEARCH_COLUMN || '';

let expected;
try {
  expected = JSON.parse(fs.readFileSync(expectedArg, 'utf8'));
} catch (e) {
  console.error(`cannot read the expected entities ${expectedArg}: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (!Array.isArray(expected) || expected.length === 0 || !expected.every((n) => typeof n === 'string' && n)) {
  console.error(`${expectedArg} must be a non-empty JSON array of entity names`);
  process.exit(2);
}
if (!fs.existsSync(path.join(siteDir, 'index.html'))) {
  console.error(`FAIL: ${siteDir}/index.html does not exist: not a schemac docs site`);
  process.exit(1);
}

// ---------------------------------------------------------------- reporting

const failures = []; // { check, message }
const warnings = [];
let currentCheck = 'setup';

function section(name) {
  currentCheck = name;
  console.log(`\n== ${name}`);
}
function pass(message) {
  console.log(`  ok    ${message}`);
}
function fail(message) {
  failures.push({ check: currentCheck, message });
  console.log(`  FAIL  ${message}`);
}
function warn(message) {
  warnings.push({ check: currentCheck, message });
  console.log(`  warn  ${message}`);
}
/** One failure line listing `items` (shortened), or a pass line when empty. */
function failList(items, what, okMessage) {
  items = [...new Set(items)];
  if (items.length === 0) {
    if (okMessage) pass(okMessage);
    return;
  }
  const shown = items.slice(0, LIST_LIMIT).map((s) => `\n          - ${s}`).join('');
  const more = items.length > LIST_LIMIT ? `\n          … and ${items.length - LIST_LIMIT} more` : '';
  fail(`${items.length} ${what}:${shown}${more}`);
}

/** A site-relative name for a file: URL, e.g. `entities/User.html#column-id`. */
function rel(url) {
  if (!url.startsWith('file:')) return url;
  const u = new URL(url);
  const hash = u.hash;
  u.hash = '';
  u.search = '';
  const r = path.relative(siteDir, fileURLToPath(u.href)).split(path.sep).join('/');
  return r + hash;
}
function pageUrl(relPath) {
  return new URL(relPath, siteUrl).href;
}
function stripHash(url) {
  const u = new URL(url);
  u.hash = '';
  u.search = '';
  return u.href;
}
function fileOf(url) {
  return fileURLToPath(stripHash(url));
}
function insideSite(file) {
  const r = path.relative(siteDir, file);
  return r !== '' && !r.startsWith('..') && !path.isAbsolute(r);
}
const entityPageUrl = (name) => pageUrl(`entities/${name}.html`);

// ---------------------------------------------------------------- browser

const watchdog = setTimeout(() => {
  console.error(`\nFAIL: check_site.mjs did not finish within ${TIMEOUT_MS} ms (CHECK_SITE_TIMEOUT_MS)`);
  process.exit(1);
}, TIMEOUT_MS);
watchdog.unref();

const browser = await launch();

const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
context.setDefaultTimeout(10_000);
const page = await context.newPage();

// Nothing may leave the site: only file:, data:, about: (and blob:, which is
// in-page) requests are let through; anything else is recorded and aborted.
const LOCAL_SCHEMES = new Set(['file:', 'data:', 'about:', 'blob:']);
const networkRequests = []; // { from, url }
const consoleErrors = []; // { from, text }
const failedLoads = []; // { from, url, error }
let here = 'index.html';
await context.route('**/*', (route) => {
  const url = route.request().url();
  if (LOCAL_SCHEMES.has(new URL(url).protocol)) return route.continue();
  networkRequests.push({ from: here, url });
  return route.abort('blockedbyclient');
});
page.on('request', (request) => {
  const url = request.url();
  let scheme;
  try {
    scheme = new URL(url).protocol;
  } catch {
    scheme = url;
  }
  if (!LOCAL_SCHEMES.has(scheme) && !networkRequests.some((r) => r.url === url && r.from === here)) {
    networkRequests.push({ from: here, url });
  }
});
page.on('requestfailed', (request) => {
  const url = request.url();
  if (url.startsWith('file:')) failedLoads.push({ from: here, url, error: request.failure()?.errorText });
});
page.on('websocket', (ws) => networkRequests.push({ from: here, url: ws.url() }));
page.on('console', (message) => {
  if (message.type() === 'error') {
    const where = message.location();
    const at = where?.url ? ` (${rel(where.url)}:${where.lineNumber})` : '';
    consoleErrors.push({ from: here, text: message.text() + at });
  }
});
page.on('pageerror', (error) => consoleErrors.push({ from: here, text: `uncaught ${error.name}: ${error.message}` }));
page.on('dialog', (dialog) => {
  consoleErrors.push({ from: here, text: `unexpected ${dialog.type()} dialog: ${dialog.message()}` });
  dialog.dismiss().catch(() => {});
});

async function open(relPathOrUrl) {
  const url = relPathOrUrl.startsWith('file:') ? relPathOrUrl : pageUrl(relPathOrUrl);
  here = rel(url);
  const response = await page.goto(url, { waitUntil: 'load' });
  return response;
}

// What one page holds, read after it loaded (scripts have run).
function inspectPage() {
  const XLINK = 'http://www.w3.org/1999/xlink';
  const text = (el) => (el?.textContent || '').replace(/\s+/g, ' ').trim();
  const links = [];
  for (const a of document.querySelectorAll('a')) {
    const svg = a instanceof SVGElement;
    const raw = a.getAttribute('href') ?? (svg ? a.getAttributeNS(XLINK, 'href') : null);
    if (raw === null) continue;
    let resolved = null;
    try {
      resolved = new URL(raw, document.baseURI).href;
    } catch {}
    const inNav = !!a.closest('nav[aria-label="Entities"]');
    links.push({ raw, resolved, svg, inNav, text: text(a).slice(0, 60) });
  }
  const resources = [];
  const resource = (el, attr) => {
    const raw = el.getAttribute(attr);
    if (raw === null || raw === '') return;
    let resolved = null;
    try {
      resolved = new URL(raw, document.baseURI).href;
    } catch {}
    resources.push({ tag: el.tagName.toLowerCase(), raw, resolved });
  };
  document.querySelectorAll('script[src]').forEach((el) => resource(el, 'src'));
  document.querySelectorAll('link[href]').forEach((el) => resource(el, 'href'));
  document.querySelectorAll('img[src], iframe[src], source[src], video[src], audio[src]').forEach((el) => resource(el, 'src'));

  const idCounts = new Map();
  for (const el of document.querySelectorAll('[id]')) idCounts.set(el.id, (idCounts.get(el.id) || 0) + 1);
  const describe = (el) => {
    const id = el.id ? `#${el.id}` : '';
    const cls = el.getAttribute('class') ? `.${el.getAttribute('class').trim().split(/\s+/).join('.')}` : '';
    return `<${el.tagName.toLowerCase()}${id}${cls}>`;
  };
  const named = (el) => {
    if (el.getAttribute('aria-hidden') === 'true') return true;
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const by = el.getAttribute('aria-labelledby');
    if (by && by.split(/\s+/).some((id) => text(document.getElementById(id)))) return true;
    return false;
  };
  const unnamedImages = [];
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt') && !named(img) && img.getAttribute('role') !== 'presentation') unnamedImages.push(describe(img));
  }
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.parentElement?.closest('svg')) continue; // only outermost <svg>
    const title = [...svg.children].find((c) => c.tagName.toLowerCase() === 'title');
    if (!named(svg) && !text(title)) unnamedImages.push(describe(svg));
  }
  const search = document.getElementById('search');
  let searchLabel = '';
  if (search) {
    searchLabel = (search.getAttribute('aria-label') || '').trim();
    const by = search.getAttribute('aria-labelledby');
    if (!searchLabel && by) searchLabel = by.split(/\s+/).map((id) => text(document.getElementById(id))).join(' ').trim();
    if (!searchLabel && search.labels) searchLabel = [...search.labels].map(text).join(' ').trim();
  }
  return {
    url: location.href,
    lang: document.documentElement.getAttribute('lang'),
    title: document.title.trim(),
    h1: [...document.querySelectorAll('h1')].map(text),
    search: search ? { tag: search.tagName.toLowerCase(), type: search.getAttribute('type'), label: searchLabel } : null,
    searchResults: !!document.getElementById('search-results'),
    nav: !!document.querySelector('nav[aria-label="Entities"]'),
    links,
    resources,
    ids: [...idCounts.keys()],
    duplicateIds: [...idCounts].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`),
    unnamedImages,
    migrations: document.querySelectorAll('.migration').length,
  };
}

/** Runs one check; an exception (a timeout, a missing element) fails it instead of the run. */
async function guard(body) {
  try {
    await body();
  } catch (e) {
    const message = String(e.message || e).replace(/\x1b\[[0-9;]*m/g, '');
    fail(`the check stopped: ${message.split('\n').slice(0, 3).join(' | ')}`);
  }
}

// ---------------------------------------------------------------- crawl

const pages = new Map(); // page URL (no hash) -> inspection
const loadProblems = []; // string
const EXTERNAL_OK = /^(https?|mailto|tel):/i;

async function visit(url) {
  const key = stripHash(url);
  if (pages.has(key)) return pages.get(key);
  let info;
  try {
    const response = await open(key);
    if (response && !response.ok()) loadProblems.push(`${rel(key)}: status ${response.status()}`);
    info = await page.evaluate(inspectPage);
  } catch (e) {
    loadProblems.push(`${rel(key)}: ${e.message.split('\n')[0]}`);
    info = null;
  }
  pages.set(key, info);
  return info;
}

section('crawl from index.html');
const started = Date.now();
const queue = [pageUrl('index.html')];
const linkProblems = [];
const externalLinks = new Set();
const pendingFragments = []; // { from, raw, target, fragment }
while (queue.length) {
  const url = queue.shift();
  if (pages.has(stripHash(url))) continue;
  const info = await visit(url);
  if (!info) continue;
  const from = rel(stripHash(url));
  for (const link of info.links) {
    const raw = link.raw.trim();
    if (raw === '') {
      linkProblems.push(`${from}: empty href on "${link.text}"`);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('//')) {
      if (raw.startsWith('//') || !EXTERNAL_OK.test(raw)) {
        linkProblems.push(`${from}: non-relative link ${raw}`);
      } else {
        externalLinks.add(raw);
      }
      continue;
    }
    if (!link.resolved) {
      linkProblems.push(`${from}: unparsable href ${raw}`);
      continue;
    }
    const file = fileOf(link.resolved);
    if (!insideSite(file) && file !== siteDir) {
      linkProblems.push(`${from}: ${raw} points outside the site (${file})`);
      continue;
    }
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      linkProblems.push(`${from}: ${raw} -> missing file ${rel(stripHash(link.resolved))}`);
      continue;
    }
    const fragment = new URL(link.resolved).hash.slice(1);
    if (fragment) pendingFragments.push({ from, raw, target: stripHash(link.resolved), fragment });
    if (/\.html?$/i.test(file)) queue.push(stripHash(link.resolved));
  }
  for (const resource of info.resources) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(resource.raw) || resource.raw.startsWith('//')) {
      if (!/^data:/i.test(resource.raw)) linkProblems.push(`${from}: <${resource.tag}> loads ${resource.raw} from outside the site`);
      continue;
    }
    const file = resource.resolved && fileOf(resource.resolved);
    if (!file || !fs.existsSync(file)) linkProblems.push(`${from}: <${resource.tag}> ${resource.raw} -> missing file`);
  }
}
// Expected entity pages are checked even if nothing links to them.
for (const name of expected) {
  if (!pages.has(entityPageUrl(name)) && fs.existsSync(fileOf(entityPageUrl(name)))) await visit(entityPageUrl(name));
}
for (const { from, raw, target, fragment } of pendingFragments) {
  const info = pages.get(target);
  if (!info) continue; // not an HTML page, or it failed to load (reported already)
  let id = fragment;
  try {
    id = decodeURIComponent(fragment);
  } catch {}
  if (!info.ids.includes(id)) linkProblems.push(`${from}: ${raw} -> no element with id="${id}" on ${rel(target)}`);
}
const crawled = [...pages.keys()].filter((k) => pages.get(k));
pass(`${crawled.length} pages loaded, ${[...pages.values()].reduce((n, p) => n + (p ? p.links.length : 0), 0)} links followed, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
failList(loadProblems, 'pages failed to load');
failList(linkProblems, 'broken links', 'every relative link and fragment resolves');
if (externalLinks.size) warn(`${externalLinks.size} external links (not followed): ${[...externalLinks].slice(0, 5).join(', ')}`);
const htmlOnDisk = [];
(function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (/\.html?$/i.test(entry.name)) htmlOnDisk.push(full);
  }
})(siteDir);
const orphans = htmlOnDisk.filter((f) => !pages.has(pathToFileURL(f).href)).map((f) => path.relative(siteDir, f));
if (orphans.length) warn(`${orphans.length} pages no link reaches: ${orphans.slice(0, 10).join(', ')}`);

// ---------------------------------------------------------------- entity pages

section(`entity pages (${expected.length} expected)`);
{
  const problems = [];
  for (const name of expected) {
    const url = entityPageUrl(name);
    const info = pages.get(url);
    if (!fs.existsSync(fileOf(url))) problems.push(`entities/${name}.html does not exist`);
    else if (!info) problems.push(`entities/${name}.html did not load`);
    else if (!info.h1.some((h) => h.includes(name))) problems.push(`entities/${name}.html: <h1> is ${JSON.stringify(info.h1)}, not containing "${name}"`);
  }
  failList(problems, 'entity pages missing or wrong', `every expected entity has a page whose <h1> names it`);
  const entitiesDir = path.join(siteDir, 'entities');
  const extra = fs.existsSync(entitiesDir)
    ? fs.readdirSync(entitiesDir).filter((f) => f.endsWith('.html')).map((f) => f.slice(0, -5)).filter((n) => !expected.includes(n))
    : [];
  if (extra.length) warn(`${extra.length} entity pages for entities not expected: ${extra.slice(0, 10).join(', ')}`);
}

// ---------------------------------------------------------------- accessibility

section('accessibility basics and page frame (every page)');
{
  const problems = [];
  const navProblems = [];
  const expectedPages = new Set(expected.map(entityPageUrl));
  for (const [url, info] of pages) {
    if (!info) continue;
    const p = rel(url);
    if (!info.lang || !info.lang.trim()) problems.push(`${p}: <html> has no lang`);
    if (!info.title) problems.push(`${p}: no (or empty) <title>`);
    if (info.h1.length !== 1) problems.push(`${p}: ${info.h1.length} <h1> elements (want exactly one)`);
    if (!info.search) problems.push(`${p}: no #search input`);
    else {
      if (info.search.tag !== 'input') problems.push(`${p}: #search is a <${info.search.tag}>, not an <input>`);
      if (!info.search.label) problems.push(`${p}: #search has no accessible label (aria-label, aria-labelledby or <label for>)`);
    }
    if (!info.searchResults) problems.push(`${p}: no #search-results`);
    for (const what of info.unnamedImages) problems.push(`${p}: ${what} has no accessible name (alt, aria-label, <title> or aria-hidden)`);
    if (info.duplicateIds.length) problems.push(`${p}: duplicate ids ${info.duplicateIds.slice(0, 5).join(', ')}`);
    if (!info.nav) navProblems.push(`${p}: no <nav aria-label="Entities">`);
    else {
      // Site-level pages list every entity; an entity page lists its own
      // module (a site of 10,000 entities would repeat 10,000 links per page)
      // and links back to the overview's module list.
      const linked = new Set(info.links.filter((l) => l.inNav && l.resolved).map((l) => stripHash(l.resolved)));
      const entityPage = expectedPages.has(stripHash(url));
      const wanted = entityPage ? [stripHash(url), new URL('../index.html', url).href] : [...expectedPages];
      const missing = wanted.filter((u) => !linked.has(u));
      if (missing.length) navProblems.push(`${p}: the Entities nav does not link ${missing.length} pages it should (${missing.slice(0, 5).map(rel).join(', ')})`);
    }
  }
  failList(problems, 'accessibility problems', `${crawled.length} pages: lang, title, one <h1>, labelled #search, named images/svg, unique ids`);
  failList(navProblems, 'pages without a complete Entities nav', 'site pages link every entity page; entity pages link their own module and the overview');
}

// ---------------------------------------------------------------- search

/** Types `query` into #search on the current page; returns the result links. */
async function search(query) {
  if (!(await page.$('#search'))) throw new Error(`${here} has no #search input`);
  const input = page.locator('#search');
  await input.fill('');
  await input.pressSequentially(query, { delay: 15 });
  try {
    await page.waitForFunction(() => document.querySelectorAll('#search-results li a').length > 0, null, { timeout: 5000 });
  } catch {
    return [];
  }
  await page.waitForTimeout(150); // let a debounced search settle
  return page.$$eval('#search-results li a', (as) =>
    as.map((a) => ({ text: (a.textContent || '').replace(/\s+/g, ' ').trim(), raw: a.getAttribute('href'), href: a.href })),
  );
}

/** Searches for the column on the current page; the result matching Entity.column or null. */
async function findColumn(entity, column) {
  const pick = (results) =>
    results.find((r) => (entity ? r.text.includes(`${entity}.${column}`) : new RegExp(`\\b\\w+\\.${column}\\b`).test(r.text)));
  let results = await search(column);
  let hit = pick(results);
  let note = '';
  if (!hit && entity) {
    const first = results;
    results = await search(`${entity}.${column}`);
    hit = pick(results);
    if (hit) note = ` (only when typing "${entity}.${column}": "${column}" gave ${first.length} results without it)`;
  }
  return { hit, results, note };
}

section('search');
await guard(async () => {
  let entity = '';
  let column = columnArg;
  if (column.includes('.')) [entity, column] = column.split('.', 2);
  if (!column) {
    entity = expected[0];
    const info = pages.get(entityPageUrl(entity));
    column = info?.ids.find((id) => id.startsWith('column-'))?.slice('column-'.length) || '';
    // ids come in document order; make sure it is a row of the columns table.
    if (info) {
      await open(entityPageUrl(entity));
      const first = await page.$eval('tr[id^="column-"]', (tr) => tr.id).catch(() => null);
      column = first ? first.slice('column-'.length) : '';
    }
    if (!column) fail(`entities/${entity}.html has no <tr id="column-…"> row to search for`);
  }
  if (column) {
    await open('index.html');
    const { hit, results, note } = await findColumn(entity, column);
    const label = entity ? `${entity}.${column}` : `<Entity>.${column}`;
    if (!hit) {
      fail(`typing "${column}" into #search on index.html gives no result containing "${label}"; results: ${JSON.stringify(results.slice(0, 8).map((r) => r.text))}`);
    } else {
      if (note) warn(`search for ${label}${note}`);
      const target = entity || hit.text.match(new RegExp(`(\\w+)\\.${column}\\b`))[1];
      const want = pageUrl(`entities/${target}.html#column-${column}`);
      if (hit.href !== want) fail(`result "${hit.text}" links ${hit.raw}, not entities/${target}.html#column-${column}`);
      else pass(`"${column}" finds "${hit.text}" -> ${hit.raw}`);
      // Every result the query shows must lead somewhere real.
      const bad = [];
      for (const r of results) {
        const key = stripHash(r.href);
        const info = pages.get(key) ?? (fs.existsSync(fileOf(r.href)) ? await visit(r.href) : null);
        const fragment = decodeURIComponent(new URL(r.href).hash.slice(1));
        if (!info) bad.push(`"${r.text}" -> ${r.raw}: no such page`);
        else if (fragment && !info.ids.includes(fragment)) bad.push(`"${r.text}" -> ${r.raw}: no id="${fragment}" there`);
      }
      await open('index.html');
      const again = await findColumn(entity, column);
      failList(bad, 'search results that lead nowhere', `all ${results.length} results for "${column}" lead to existing pages and ids`);
      if (again.hit) {
        const link = page.locator('#search-results li a').nth(again.results.indexOf(again.hit));
        await Promise.all([page.waitForURL((u) => u.href === want, { timeout: 5000 }).catch(() => {}), link.click()]);
        const arrived = page.url();
        here = rel(arrived);
        const row = await page.evaluate((id) => {
          const el = document.getElementById(id);
          if (!el) return null;
          const r = el.getBoundingClientRect();
          return { tag: el.tagName.toLowerCase(), target: document.querySelector(':target') === el, visible: r.bottom > 0 && r.top < innerHeight };
        }, `column-${column}`);
        if (arrived !== want) fail(`clicking "${again.hit.text}" went to ${rel(arrived)}, not ${rel(want)}`);
        else if (!row) fail(`clicking "${again.hit.text}" reached ${rel(arrived)}, which has no element id="column-${column}"`);
        else {
          pass(`clicking it opens ${rel(arrived)} at <${row.tag} id="column-${column}">${row.target ? ' (:target)' : ''}`);
          if (!row.visible) warn(`the column-${column} row is not scrolled into view`);
        }
      }
      // The same search from an entity page (its links are relative to entities/).
      await open(`entities/${target}.html`);
      const fromEntity = await findColumn(target, column);
      if (!fromEntity.hit) fail(`on entities/${target}.html, searching "${column}" gives no "${target}.${column}" result`);
      else if (fromEntity.hit.href !== want) fail(`on entities/${target}.html, the result links ${fromEntity.hit.raw} (-> ${rel(fromEntity.hit.href)}), not ${rel(want)}`);
      else pass(`from entities/${target}.html the result links ${fromEntity.hit.raw}`);
      // And an entity hit.
      await open('index.html');
      const entityResults = await search(target);
      const entityHit = entityResults.find((r) => r.href === entityPageUrl(target) && r.text.includes(target));
      if (!entityHit) fail(`searching "${target}" gives no result linking entities/${target}.html; results: ${JSON.stringify(entityResults.slice(0, 8).map((r) => `${r.text} -> ${r.raw}`))}`);
      else pass(`"${target}" finds the entity: "${entityHit.text}" -> ${entityHit.raw}`);
    }
  }
});

// ---------------------------------------------------------------- diagram

/** Reads `fn` until it gives the same value three times running (animations settle). */
async function settled(fn, { changedFrom, timeout = 3000 } = {}) {
  const until = Date.now() + timeout;
  let last = await fn();
  let same = 0;
  while (Date.now() < until) {
    await page.waitForTimeout(50);
    const now = await fn();
    if (now === last && (changedFrom === undefined || Math.abs(now - changedFrom) > 1e-6)) {
      if (++same >= 3) return now;
    } else same = 0;
    last = now;
  }
  return last;
}
const close = (a, b) => Math.abs(a - b) <= Math.max(0.5, 0.005 * Math.abs(b));

section('ER diagram on index.html');
let diagram = null;
let boxes = [];
await guard(async () => {
  await open('index.html');
  diagram = await page.evaluate(() => {
    const svg = document.querySelector('svg#er-diagram');
    if (!svg) return null;
    const r = svg.getBoundingClientRect();
    return {
      width: r.width,
      height: r.height,
      role: svg.getAttribute('role'),
      label: (svg.getAttribute('aria-label') || '').trim(),
      labelledBy: (svg.getAttribute('aria-labelledby') || '')
        .split(/\s+/)
        .map((id) => (document.getElementById(id)?.textContent || '').trim())
        .join(' ')
        .trim(),
      buttons: ['zoom-in', 'zoom-out', 'zoom-reset'].filter((id) => !document.getElementById(id)),
    };
  });
  if (!diagram) {
    fail('index.html has no <svg id="er-diagram">');
  } else {
    if (diagram.width > 0 && diagram.height > 0) pass(`svg#er-diagram is ${diagram.width.toFixed(0)}×${diagram.height.toFixed(0)} px`);
    else fail(`svg#er-diagram renders ${diagram.width}×${diagram.height} px`);
    if (diagram.role !== 'img' || !(diagram.label || diagram.labelledBy)) {
      fail(`svg#er-diagram has role=${JSON.stringify(diagram.role)} aria-label=${JSON.stringify(diagram.label)} (want role="img" and a label)`);
    } else if (!diagram.label) {
      pass(`svg#er-diagram is role="img", named by aria-labelledby (the contract says aria-label): "${diagram.labelledBy}"`);
    } else pass(`svg#er-diagram is role="img" aria-label="${diagram.label}"`);
    failList(diagram.buttons.map((id) => `#${id}`), 'zoom buttons missing');
    if (!diagram.buttons.includes('zoom-reset')) {
      await page.click('#zoom-reset');
      await page.waitForTimeout(100);
    }

    const readBoxes = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('svg#er-diagram g.entity')].map((g) => {
          const rect = g.querySelector(':scope > rect.entity-box');
          const r = rect?.getBoundingClientRect();
          const texts = [...g.querySelectorAll('text')].map((t) => {
            const b = t.getBoundingClientRect();
            return { text: (t.textContent || '').trim(), left: b.left, top: b.top, right: b.right, bottom: b.bottom };
          });
          const link = g.closest('a');
          return {
            name: g.getAttribute('data-entity'),
            box: r ? { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height } : null,
            texts,
            href: link ? link.getAttribute('href') ?? link.getAttributeNS('http://www.w3.org/1999/xlink', 'href') : null,
          };
        }),
      );
    boxes = await readBoxes();

    // One box per expected entity.
    const names = boxes.map((b) => b.name);
    const counts = new Map();
    names.forEach((n) => counts.set(n, (counts.get(n) || 0) + 1));
    const problems = [];
    for (const name of expected) if (!counts.has(name)) problems.push(`no g.entity[data-entity="${name}"]`);
    for (const [name, n] of counts) {
      if (name === null) problems.push(`${n} g.entity without data-entity`);
      else if (!expected.includes(name)) problems.push(`unexpected entity "${name}" in the diagram`);
      if (n > 1 && name !== null) problems.push(`"${name}" is drawn ${n} times`);
    }
    for (const b of boxes) {
      if (!b.box) problems.push(`"${b.name}" has no direct child rect.entity-box`);
      else if (!(b.box.width > 0 && b.box.height > 0)) problems.push(`"${b.name}" box renders ${b.box.width}×${b.box.height}`);
      if (b.href === null) problems.push(`"${b.name}" is not inside an <a href>`);
      else if (new URL(b.href, pageUrl('index.html')).href !== entityPageUrl(b.name)) problems.push(`"${b.name}" links ${b.href}, not entities/${b.name}.html`);
    }
    failList(problems, 'diagram entity problems', `${boxes.length} entity boxes, one per expected entity, each linking its page`);

    // No two boxes overlap (touching is fine). Sweep by left edge.
    const drawn = boxes.filter((b) => b.box && b.box.width > 0 && b.box.height > 0).sort((a, b) => a.box.left - b.box.left);
    const overlaps = [];
    const EPS = 0.01; // px: float noise between boxes laid edge to edge
    for (let i = 0; i < drawn.length; i++) {
      const a = drawn[i].box;
      for (let j = i + 1; j < drawn.length && drawn[j].box.left < a.right - EPS; j++) {
        const b = drawn[j].box;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > EPS && h > EPS) overlaps.push(`${drawn[i].name} and ${drawn[j].name} overlap by ${w.toFixed(1)}×${h.toFixed(1)} px`);
      }
    }
    failList(overlaps, 'overlapping entity boxes', `no two of the ${drawn.length} boxes overlap`);

    // Readability, read off what Chromium drew at the diagram's natural size
    // (one user unit per pixel: fitted into the page, text in a big diagram is
    // rendered at a rounded-up font size and would seem to overlap): labels stay
    // inside their box, text outside the boxes (edge labels, group titles)
    // neither hides under a box nor lies on other text, text inside a box does
    // not overprint itself, and no edge runs through a box.
    const layout = await page.evaluate(() => {
      const svg = document.querySelector('svg#er-diagram');
      const vb = svg.viewBox && svg.viewBox.baseVal;
      const style = svg.getAttribute('style');
      if (vb && vb.width && vb.height) {
        svg.style.width = `${vb.width}px`;
        svg.style.height = `${vb.height}px`;
        svg.style.maxWidth = 'none';
        svg.style.maxHeight = 'none';
      }
      const scale = vb && vb.width ? svg.getBoundingClientRect().width / vb.width : 1;
      const rectOf = (el) => {
        const r = el.getBoundingClientRect();
        return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
      };
      const ignored = (el) => el.closest('defs, marker, symbol, clipPath, mask, pattern');
      const overlap = (a, b) => {
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        // Text bounding boxes include line spacing: demand a real overprint.
        return w > Math.max(1, 1.5 * scale) && h > 0.3 * Math.min(a.height, b.height) ? { w, h } : null;
      };
      const describe = (t) => {
        const owner = t.closest('[data-from], [data-module], g[class]');
        const from = owner?.getAttribute('data-from');
        const where = from ? `edge ${from}→${owner.getAttribute('data-to')}` : owner?.getAttribute('data-module') ? `group ${owner.getAttribute('data-module')}` : owner ? `g.${owner.getAttribute('class')}` : 'svg';
        return `"${(t.textContent || '').trim().slice(0, 30)}" (${t.getAttribute('class') || 'text'}, ${where})`;
      };
      const boxes = [...svg.querySelectorAll('g.entity > rect.entity-box')].map((r) => ({ name: r.parentNode.getAttribute('data-entity'), b: rectOf(r) }));
      const loose = [...svg.querySelectorAll('text')].filter((t) => !t.closest('g.entity') && !ignored(t) && (t.textContent || '').trim()).map((t) => ({ t, b: rectOf(t) })).filter((x) => x.b.width > 0);
      const textOnBox = [];
      for (const x of loose) {
        for (const box of boxes) {
          const o = overlap(x.b, box.b);
          if (o) textOnBox.push(`${describe(x.t)} lies on the ${box.name} box (${o.w.toFixed(1)}×${o.h.toFixed(1)} px)`);
        }
      }
      const textOnText = [];
      for (let i = 0; i < loose.length; i++) {
        for (let j = i + 1; j < loose.length; j++) {
          const o = overlap(loose[i].b, loose[j].b);
          if (o) textOnText.push(`${describe(loose[i].t)} and ${describe(loose[j].t)} overprint (${o.w.toFixed(1)}×${o.h.toFixed(1)} px)`);
        }
      }
      const inside = [];
      for (const g of svg.querySelectorAll('g.entity')) {
        const texts = [...g.querySelectorAll('text')].filter((t) => (t.textContent || '').trim()).map((t) => ({ t, b: rectOf(t) })).filter((x) => x.b.width > 0);
        for (let i = 0; i < texts.length; i++) {
          for (let j = i + 1; j < texts.length; j++) {
            const o = overlap(texts[i].b, texts[j].b);
            if (o) inside.push(`${g.getAttribute('data-entity')}: "${texts[i].t.textContent.trim().slice(0, 30)}" and "${texts[j].t.textContent.trim().slice(0, 30)}" overprint (${o.w.toFixed(1)}×${o.h.toFixed(1)} px)`);
          }
        }
      }
      const crossings = [];
      const inset = Math.max(0.5, 3 * scale);
      for (const path of svg.querySelectorAll('path, line, polyline')) {
        if (path.closest('g.entity') || ignored(path) || !path.getTotalLength) continue;
        const length = path.getTotalLength();
        const m = path.getScreenCTM();
        if (!m || !(length > 0)) continue;
        const step = Math.max(length / 400, 1);
        const hit = new Set();
        for (let l = 0; l <= length; l += step) {
          const p = path.getPointAtLength(l).matrixTransform(m);
          for (const box of boxes) {
            const b = box.b;
            if (p.x > b.left + inset && p.x < b.right - inset && p.y > b.top + inset && p.y < b.bottom - inset) hit.add(box.name);
          }
        }
        if (hit.size) {
          const owner = path.closest('[data-from]');
          const what = owner ? `edge ${owner.getAttribute('data-from')}→${owner.getAttribute('data-to')}` : `<${path.tagName} class="${path.getAttribute('class') || ''}">`;
          crossings.push(`${what} runs through ${[...hit].join(', ')}`);
        }
      }
      // Labels stay inside their box (a layout that under-estimates text width spills).
      const spills = [];
      const fmt = (r) => `[${r.left.toFixed(0)}–${r.right.toFixed(0)}] × [${r.top.toFixed(0)}–${r.bottom.toFixed(0)}]`;
      for (const g of svg.querySelectorAll('g.entity')) {
        const rect = g.querySelector(':scope > rect.entity-box');
        if (!rect) continue;
        const b = rectOf(rect);
        const tol = Math.max(1, scale);
        for (const t of g.querySelectorAll('text')) {
          const r = rectOf(t);
          if (!(r.width > 0) || !(t.textContent || '').trim()) continue;
          if (r.left < b.left - tol || r.right > b.right + tol || r.top < b.top - tol || r.bottom > b.bottom + tol) {
            spills.push(`${g.getAttribute('data-entity')}: "${t.textContent.trim().slice(0, 40)}" ${fmt(r)} outside its box ${fmt(b)} (px at natural size)`);
          }
        }
      }
      if (style === null) svg.removeAttribute('style');
      else svg.setAttribute('style', style);
      return { spills, textOnBox, textOnText, inside, crossings, loose: loose.length, scale };
    });
    if (await page.$('#zoom-reset')) await page.click('#zoom-reset');
    failList(layout.spills, 'labels drawn outside their entity box', 'every label inside its entity box');
    failList(layout.textOnBox, 'labels outside the boxes drawn on an entity box', `none of the ${layout.loose} labels outside the boxes lies on a box`);
    failList(layout.textOnText, 'labels outside the boxes overprinting each other', 'no two labels outside the boxes overprint');
    failList(layout.inside, 'texts overprinting inside an entity box', 'no text overprints another inside a box');
    failList(layout.crossings, 'edges drawn through entity boxes', 'no edge runs through an entity box');

    const svgRect = await page.$eval('svg#er-diagram', (s) => {
      const r = s.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    });
    const outside = drawn.filter((b) => b.box.left < svgRect.left - 1 || b.box.right > svgRect.right + 1 || b.box.top < svgRect.top - 1 || b.box.bottom > svgRect.bottom + 1);
    if (outside.length) warn(`after #zoom-reset ${outside.length} of ${drawn.length} boxes are (partly) outside the visible diagram, e.g. ${outside.slice(0, 3).map((b) => b.name).join(', ')}`);
    else pass('after #zoom-reset the whole diagram is in view');
  }
});

// ---------------------------------------------------------------- zoom and pan

// An entity whose box centre is visible inside the svg and the viewport.
async function visibleEntity() {
  return page.evaluate((names) => {
    const svg = document.querySelector('svg#er-diagram').getBoundingClientRect();
    for (const name of names) {
      const g = document.querySelector(`svg#er-diagram g.entity[data-entity="${CSS.escape(name)}"]`);
      const r = g?.querySelector(':scope > rect.entity-box')?.getBoundingClientRect();
      if (!r) continue;
      const x = (r.left + r.right) / 2;
      const y = (r.top + r.bottom) / 2;
      if (x > svg.left && x < svg.right && y > svg.top && y < svg.bottom && x > 0 && y > 0 && x < innerWidth && y < innerHeight) return name;
    }
    return null;
  }, expected);
}
const boxOf = (name) =>
  page.$eval(`svg#er-diagram g.entity[data-entity="${name}"] > rect.entity-box`, (r) => {
    const b = r.getBoundingClientRect();
    return { left: b.left, top: b.top, width: b.width, height: b.height };
  });

let probe = null;
if (diagram && boxes.length) {
  section('zoom and pan');
  probe = await visibleEntity();
  if (!probe) fail('no entity box is visible in the diagram after #zoom-reset (nothing to click or measure)');
}
if (probe) await guard(async () => {
  const width = async () => (await boxOf(probe)).width;
  const w0 = await width();
  // Clicks a zoom button; `check(before, after)` gets the box width around it.
  const buttons = async (id, check) => {
    if (!(await page.$(`#${id}`))) return;
    const before = await width();
    await page.click(`#${id}`);
    check(before, await settled(width, { changedFrom: id === 'zoom-reset' ? undefined : before }));
  };
  const px = (w) => `${w.toFixed(1)} px`;
  await buttons('zoom-in', (b, w) => (w > b + 0.5 ? pass(`#zoom-in: the ${probe} box grows ${px(b)} -> ${px(w)}`) : fail(`#zoom-in: the ${probe} box does not grow (${px(b)} -> ${px(w)})`)));
  await buttons('zoom-reset', (b, w) => (close(w, w0) ? pass(`#zoom-reset restores ${px(w)}`) : fail(`#zoom-reset: the ${probe} box is ${px(w)}, not back to ${px(w0)}`)));
  await buttons('zoom-out', (b, w) => (w < b - 0.5 ? pass(`#zoom-out: the box shrinks ${px(b)} -> ${px(w)}`) : fail(`#zoom-out: the ${probe} box does not shrink (${px(b)} -> ${px(w)})`)));
  await buttons('zoom-reset', (b, w) => (close(w, w0) ? null : fail(`#zoom-reset after #zoom-out gives ${px(w)}, not ${px(w0)}`)));

  // A point on the diagram's background (no entity under it), to wheel and drag from.
  const background = await page.evaluate(() => {
    const svg = document.querySelector('svg#er-diagram');
    const r = svg.getBoundingClientRect();
    const top = Math.max(r.top, 0);
    const bottom = Math.min(r.bottom, innerHeight);
    for (let fy = 0.5; fy < 1; fy += 0.05) {
      for (const sign of [1, -1]) {
        const y = top + (bottom - top) * (sign > 0 ? fy : 1 - fy);
        for (let fx = 0.1; fx < 0.95; fx += 0.05) {
          const x = r.left + r.width * fx;
          const el = document.elementFromPoint(x, y);
          if (el && el.closest('svg#er-diagram') && !el.closest('a, g.entity')) return { x, y };
        }
      }
    }
    return null;
  });
  if (!background) {
    warn('no background point found on the diagram to wheel or drag on; skipped wheel zoom and drag pan');
  } else {
    const before = page.url();
    const scroll0 = await page.evaluate(() => scrollY);
    const wb = await width();
    await page.mouse.move(background.x, background.y);
    await page.mouse.wheel(0, -300);
    const ww = await settled(width, { changedFrom: wb });
    if (ww > wb + 0.5) pass(`wheel up over the diagram zooms in (${wb.toFixed(1)} -> ${ww.toFixed(1)} px)`);
    else fail(`wheel up over the diagram does not zoom in (the ${probe} box ${wb.toFixed(1)} -> ${ww.toFixed(1)} px)`);
    if ((await page.evaluate(() => scrollY)) !== scroll0) warn('the wheel over the diagram also scrolls the page');
    await page.evaluate(() => scrollTo(0, 0));
    const hasReset = !!(await page.$('#zoom-reset'));
    if (hasReset) await page.click('#zoom-reset');
    else await open('index.html');
    await settled(width);

    const b0 = await boxOf(probe);
    const dx = 80;
    const dy = 40;
    await page.mouse.move(background.x, background.y);
    await page.mouse.down();
    for (let i = 1; i <= 8; i++) await page.mouse.move(background.x + (dx * i) / 8, background.y + (dy * i) / 8);
    await page.mouse.up();
    await page.waitForTimeout(200);
    const b1 = await boxOf(probe);
    const mx = b1.left - b0.left;
    const my = b1.top - b0.top;
    if (page.url() !== before) fail(`dragging the diagram navigated to ${rel(page.url())}`);
    else if (mx > 5 && my > 2) {
      pass(`dragging ${dx},${dy} px pans the diagram by ${mx.toFixed(1)},${my.toFixed(1)} px`);
      if (Math.abs(mx - dx) > 0.2 * dx || Math.abs(my - dy) > 0.2 * dy) warn(`the pan does not follow the pointer (moved ${mx.toFixed(1)},${my.toFixed(1)} for a ${dx},${dy} drag)`);
    } else fail(`dragging the diagram background by ${dx},${dy} px moves the ${probe} box by ${mx.toFixed(1)},${my.toFixed(1)} px`);
    if (hasReset) {
      await page.click('#zoom-reset');
      const wr = await settled(width);
      const br = await boxOf(probe);
      if (!close(wr, w0)) fail(`#zoom-reset after wheel and drag gives ${wr.toFixed(1)} px, not ${w0.toFixed(1)}`);
      else if (!close(br.left, b0.left) || !close(br.top, b0.top)) fail(`#zoom-reset does not undo the pan (box at ${br.left.toFixed(1)},${br.top.toFixed(1)}, was ${b0.left.toFixed(1)},${b0.top.toFixed(1)})`);
      else pass('#zoom-reset undoes wheel zoom and pan');
    }
  }
});

// ---------------------------------------------------------------- screenshot

section('screenshot');
await guard(async () => {
  await open('index.html');
  await page.evaluate(() => document.fonts && document.fonts.ready);
  fs.mkdirSync(path.dirname(screenshotPath), { recursive: true });
  await page.screenshot({ path: screenshotPath, fullPage: true });
  pass(`full page of index.html saved to ${screenshotPath}`);
});

// ---------------------------------------------------------------- click an entity

if (probe) await guard(async () => {
  section('clicking an entity in the diagram');
  await open('index.html');
  const want = entityPageUrl(probe);
  try {
    await Promise.all([
      page.waitForURL((u) => u.href === want, { timeout: 5000 }),
      page.locator(`svg#er-diagram g.entity[data-entity="${probe}"]`).click({ timeout: 5000 }),
    ]);
    here = rel(page.url());
    const h1 = await page.$eval('h1', (h) => h.textContent).catch(() => '');
    if (h1.includes(probe)) pass(`clicking the ${probe} box opens entities/${probe}.html`);
    else fail(`clicking the ${probe} box opened ${rel(page.url())} whose <h1> is "${h1.trim()}"`);
  } catch (e) {
    fail(`clicking the ${probe} box does not open entities/${probe}.html (now at ${rel(page.url())}): ${e.message.split('\n').slice(0, 4).join(' | ')}`);
  }
});

// ---------------------------------------------------------------- migrations

if (fs.existsSync(path.join(siteDir, 'migrations.html'))) await guard(async () => {
  section('migrations.html');
  const url = pageUrl('migrations.html');
  const index = pages.get(pageUrl('index.html'));
  if (index && index.links.some((l) => l.resolved && stripHash(l.resolved) === url)) pass('index.html links migrations.html');
  else fail('index.html does not link migrations.html');
  const info = pages.get(url) ?? (await visit(url));
  if (!info) fail('migrations.html does not load');
  else if (info.migrations < 1) fail('migrations.html lists no .migration elements');
  else pass(`migrations.html lists ${info.migrations} migration(s)`);
});

// ---------------------------------------------------------------- network and console

section('no network, no errors (every page visited)');
{
  const uniq = (xs) => [...new Set(xs)];
  failList(uniq(networkRequests.map((r) => `${r.from}: ${r.url}`)), 'requests leave the site', 'no request left file:/data:/about:');
  failList(uniq(failedLoads.map((r) => `${r.from}: ${rel(r.url)} (${r.error})`)), 'local files failed to load');
  failList(uniq(consoleErrors.map((r) => `${r.from}: ${r.text}`)), 'console errors or uncaught exceptions', 'no console error or uncaught exception');
}

await browser.close();

console.log('');
if (failures.length) {
  const checks = [...new Set(failures.map((f) => f.check))];
  console.log(`FAILED: ${failures.length} failure(s) in ${checks.length} check(s): ${checks.join('; ')}`);
  console.log(`  site: ${siteDir}`);
  process.exit(1);
}
console.log(`PASSED: ${crawled.length} pages, ${expected.length} entities${warnings.length ? `, ${warnings.length} warning(s)` : ''} (site: ${siteDir})`);
process.exit(0);
