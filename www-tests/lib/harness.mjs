// Shared helpers for the browser tests: Debian's Chromium through playwright-core,
// the app server, page-error capture, and UI actions a user would do.

import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import path from 'node:path';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../scripts/serve.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CASES = path.join(REPO, 'crate/tests/cases');
export const SHOTS = path.join(REPO, 'target/www-tests');

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--enable-precise-memory-info',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

export async function launch() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: run scripts/setup-web (apt-get install chromium chromium-driver)`);
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

export async function serve(opts = {}) {
  return startServer({ port: 0, ...opts });
}

/**
 * A page that records uncaught page errors and console errors; `assertClean()`
 * fails the test on any of them.
 */
export async function openPage(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker console: ${m.text()}`)));
  page.assertClean = (allow = []) => {
    const bad = errors.filter((e) => !allow.some((a) => e.includes(a)));
    if (bad.length) throw new Error(`page errors:\n${bad.join('\n')}`);
  };
  page.errors = errors;
  await page.goto(url);
  return page;
}

/** Drops a file on the page the way a user's drag-and-drop does. */
export async function dropFile(page, file, type) {
  const b64 = fs.readFileSync(file).toString('base64');
  const name = path.basename(file);
  const dt = await page.evaluateHandle(({ b64, name, type }) => {
    const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const d = new DataTransfer();
    d.items.add(new File([bin], name, { type }));
    return d;
  }, { b64, name, type });
  await page.dispatchEvent('main', 'drop', { dataTransfer: dt });
}

/** Waits until the open scan is drawn. */
export async function waitForScan(page) {
  await page.waitForFunction(() => window.veer?.state.image && document.body.classList.contains('has-scan'), null, { timeout: 60_000 });
}

/** Client coordinates of a scan pixel, scrolling it into view first. */
export async function scanPoint(page, x, y) {
  return page.evaluate(([x, y]) => {
    const v = window.veer.viewer;
    const r = v.canvas.getBoundingClientRect();
    const p = v.toClient(x, y);
    if (p.y < r.top + 20 || p.y > r.bottom - 20 || p.x < r.left || p.x > r.right) v.centreOn(x, y);
    return v.toClient(x, y);
  }, [x, y]);
}

/** Clicks a tool button, then the scan at pixel (x, y). */
export async function pickAt(page, button, x, y) {
  await page.click(button);
  const p = await scanPoint(page, x, y);
  await page.mouse.click(p.x, p.y);
}

/**
 * Calibrates through the UI: clicks the track edges and depth lines on the scan
 * and types their values, as a user does.
 */
export async function calibrate(page, cal) {
  await pickAt(page, '#pick-left', cal.track[0], 400);
  await page.fill('#left', String(cal.scale[0]));
  await pickAt(page, '#pick-right', cal.track[1], 400);
  await page.fill('#right', String(cal.scale[1]));
  if (cal.log) await page.check('#log');
  for (const [row, depth] of cal.depth) {
    await pickAt(page, '#pick-depth', (cal.track[0] + cal.track[1]) / 2, row);
    // The page focuses the new tie point's depth field.
    await page.locator('.tie-depth:focus').fill(String(depth));
  }
  if (cal.seed) await pickAt(page, '#pick-seed', cal.seed[0], cal.seed[1]);
  if (cal.mnemonic) await page.fill('#mnemonic', cal.mnemonic);
  if (cal.unit !== undefined) await page.fill('#unit', cal.unit);
  if (cal.depth_unit) await page.selectOption('#depth-unit', cal.depth_unit);
  if (cal.step) await page.fill('#step', String(cal.step));
}

/** Median of a list of numbers (the benchmarks' summary statistic). */
/**
 * Reads a LAS file with lasio, its warnings (and lasio's logged ones) as errors, and returns
 * what the Python `body` prints as JSON; `las` is the file read, `math` and `json` imported.
 */
export function readLas(file, body) {
  const script = `import sys, warnings, logging, math, json
warnings.simplefilter("error")
class Fail(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING:
            raise SystemExit("lasio warned: " + record.getMessage())
logging.getLogger("lasio").addHandler(Fail())
import lasio
las = lasio.read(sys.argv[1])
${body}`;
  return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }));
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Reads a `depth,value` CSV into [[depth, value], ...]. */
export function parseCsv(text) {
  return text.trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
}

/**
 * Normalised mean absolute error of `got` against `truth` (both [[depth, value]]),
 * in units of the track width (decades on a log track), and the coverage of the
 * truth's depths, as crate/tests/golden.rs scores it.
 */
export function score(got, truth, cal) {
  const f = cal.log ? Math.log10 : (v) => v;
  const width = Math.abs(f(cal.scale[1]) - f(cal.scale[0]));
  if (got.length < 2) return { nmae: Infinity, coverage: 0 };
  const start = got[0][0];
  const step = cal.step || got[1][0] - got[0][0];
  const byIndex = new Map(got.map(([d, v]) => [Math.round((d - start) / step), v]));
  let sum = 0;
  let n = 0;
  for (const [d, v] of truth) {
    const g = byIndex.get(Math.round((d - start) / step));
    if (g === undefined || !Number.isFinite(g)) continue;
    sum += Math.abs(f(g) - f(v)) / width;
    n++;
  }
  return { nmae: n ? sum / n : Infinity, coverage: n / truth.length };
}

/**
 * Starts the local cloud fallback (lambda-fallback's veer-local, fp32 model from
 * models/) on a free port. Resolves to {url, origin, stop()}.
 */
export async function startFallback() {
  const { spawn } = await import('node:child_process');
  const bin = path.join(REPO, 'target/release/veer-local');
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: build it with cargo build --release -p veer-lambda`);
  const child = spawn(bin, ['--models', path.join(REPO, 'models'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  child.stderr.on('data', (d) => log.push(String(d)));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`veer-local exited (${code}): ${out}${log.join('')}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    pid: child.pid,
    alive: () => child.exitCode === null && child.signalCode === null,
    log,
    stop: () => new Promise((r) => {
      if (child.exitCode !== null) return r();
      child.once('exit', () => r());
      child.kill();
    }),
  };
}

/** Makes the 1,500 x 25,000 px 1-bit G4 test scan (lib/tall-scan.py) once; returns its path. */
export function tallScan() {
  return generated('tall-1500x25000-g4.tif', 'tall-scan.py');
}

/** Runs a generator script of lib/ once into target/www-tests/NAME; returns the path. */
async function generated(name, script) {
  const out = path.join(SHOTS, name);
  if (!fs.existsSync(out)) {
    fs.mkdirSync(SHOTS, { recursive: true });
    const { execFileSync } = await import('node:child_process');
    execFileSync('python3', [path.join(REPO, 'www-tests/lib', script), out]);
  }
  return out;
}

/** Makes the wrapped gamma ray print of crate/tests/wrap.rs (lib/wrap-scan.py) once; returns its path. */
export function wrapScan() {
  return generated('wrap-480x4000.png', 'wrap-scan.py');
}

/** Makes the noisy 8-bit gray PNG test scan (lib/noisy-gray-scan.py) once; returns its path. */
export function noisyGrayScan() {
  return generated('noisy-gray-1300x13000.png', 'noisy-gray-scan.py');
}

/**
 * Registers the test file's before/after hooks: the app server and Chromium
 * (and, with `fallback`, the local cloud fallback behind the server). Returns an
 * object whose `srv`, `browser` and `fallback` are set once the hooks ran.
 */
export function useBrowser({ fallback = false } = {}) {
  const env = { srv: null, browser: null, fallback: null };
  before(async () => {
    if (fallback) env.fallback = await startFallback();
    env.srv = await serve(env.fallback ? { fallback: env.fallback.origin } : {});
    env.browser = await launch();
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await env.browser?.close();
    await env.srv?.close();
    await env.fallback?.stop();
  });
  return env;
}
