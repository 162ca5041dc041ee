// The run policy, one for the page and the widget: where a project runs and what
// happens when that fails. `auto` asks the core's planner (and the embedding page's
// pixel limit); a scan over the cloud's request limit is re-saved compactly by the
// core first; a device that runs out of memory, or whose worker dies, hands the run
// to the cloud. Both answer in the shape of the core's `runProject`:
// {log, curves: [{mnemonic, path, rows_per_track_row, stats, uncertain?}]}.

import { VeerClient, deviceBudget, recordSpeed } from './client.js';

const veerError = (kind, message) => Object.assign(new Error(message), { kind });

/**
 * Digitises `project` (the core's project object) on `scan` ({bytes, type, name, header?}).
 *
 * opts:
 * - `mode`: 'auto' | 'local' | 'cloud'
 * - `withClient(fn)`: runs `fn(client)` holding a worker client (`VeerClient`) alone
 * - `fallbackUrl`: the cloud fallback's POST address; without it nothing goes to the cloud
 * - `memoryBytes`, `maxLocalPixels`: the embedding page's limits for the device
 * - `plan`: the planner's answer the caller has already (with `cloud`, a file over the request
 *   limit is then re-saved before it is sent, instead of after the fallback refuses it)
 * - `signal`: an AbortSignal that cancels the cloud request
 * - `onProgress({stage, done, total, curve?})`, `onOpened({header, pixels})` (the scan decoded
 *   for drawing: asked only when given), `onRoute({where: 'device' | 'cloud' | 'shrink', why})`
 *
 * Resolves to {ran: 'device' | 'cloud', log, curves, meta (the cloud's, or null), plan, why,
 * shrunk (how the scan was re-saved, or null), memory (wasm bytes after a device run)}.
 *
 * @typedef {import('./client.js').VeerClient} VeerClient_
 * @typedef {{ran: 'device' | 'cloud', log: import('./client.js').Log, curves: import('./client.js').CurveRun[],
 *   meta: object | null, plan: import('./client.js').Plan | null, why: string | null,
 *   shrunk: import('./client.js').Shrunk | null, memory: number | null}} RunOutcome
 * @param {{bytes: Uint8Array, type: string, name: string, header?: import('./client.js').ScanHeader}} scan
 * @param {object} project the core's project object
 * @param {{mode?: 'auto' | 'local' | 'cloud', withClient: <T>(fn: (client: VeerClient_) => Promise<T>) => Promise<T>,
 *   fallbackUrl?: string | URL | null, memoryBytes?: number, maxLocalPixels?: number, plan?: import('./client.js').Plan | null,
 *   signal?: AbortSignal, onProgress?: (p: import('./client.js').Progress) => void,
 *   onOpened?: (opened: {header: import('./client.js').ScanHeader, pixels?: Uint8Array}) => void,
 *   onRoute?: (r: {where: 'device' | 'cloud' | 'shrink', why: string | null, shrunk?: import('./client.js').Shrunk | null}) => void}} opts
 * @returns {Promise<RunOutcome>}
 */
export async function runProject(scan, project, opts) {
  const { mode = 'auto', withClient, fallbackUrl = null, signal, onProgress = () => {}, onRoute = () => {} } = opts;
  const t0 = performance.now();
  if (mode === 'cloud') {
    if (!fallbackUrl) throw veerError('bad_parameter', 'mode="cloud" needs a fallback-url: set it to the cloud fallback\'s /digitise address');
    // A plan made already (the page's) that says the file is over the request limit: re-save it first.
    let shrunk = null;
    if (opts.plan && !opts.plan.cloud_fits) {
      onRoute({ where: 'shrink', why: null });
      shrunk = await withClient(async (client) => {
        if (client.openScan !== scan || !client.scanOpen) {
          await client.open(scan.bytes, onProgress, { pixels: false });
          client.openScan = scan;
        }
        return client.shrink();
      });
    }
    return cloud(scan, project, opts, { why: 'mode="cloud" was asked for', shrunk, plan: opts.plan ?? null });
  }
  let plan = null;
  let why = null;
  let shrunk = null;
  const local = await withClient(async (client) => {
    let header = scan.header;
    if (client.openScan !== scan || !client.scanOpen || !header) {
      const opened = await client.open(scan.bytes, onProgress, { pixels: !!opts.onOpened });
      client.openScan = scan;
      header = scan.header = opened.header;
      opts.onOpened?.(opened);
    }
    if (mode === 'auto') {
      // The widest track sets the memory a run needs (curves run one after the other).
      const widths = (project.curves || []).map((c) => Math.abs(c.track[1] - c.track[0])).filter(Number.isFinite);
      plan = await client.plan(header, deviceBudget({ memoryBytes: opts.memoryBytes }), widths.length ? Math.max(...widths) : null);
      const px = header.width * header.height;
      if (opts.maxLocalPixels > 0 && px > opts.maxLocalPixels) {
        why = `the scan has ${px.toLocaleString('en')} pixels, over this page's limit of ${opts.maxLocalPixels.toLocaleString('en')} on the device`;
      } else if (plan.decision === 'cloud') {
        why = plan.reason;
      }
      if (why && fallbackUrl) {
        // Over the cloud's request limit as it is: re-save it compactly while the scan is open here.
        if (!plan.cloud_fits) {
          onRoute({ where: 'shrink', why });
          shrunk = await client.shrink();
        }
        return null;
      }
    }
    onRoute({ where: 'device', why: plan?.reason ?? null });
    try {
      const out = await client.runProject(project, onProgress);
      const runs = out.curves.filter((c) => c.stats);
      if (runs.length) recordSpeed(runs[0].stats, (performance.now() - t0) / 1000 / runs.length);
      return out;
    } catch (e) {
      // Out of memory or a crashed worker: the cloud can still do it, the project kept.
      if (mode === 'auto' && fallbackUrl && (e.kind === 'memory' || e.kind === 'worker_crashed')) {
        why = `local run failed (${e.message})`;
        return null;
      }
      throw e;
    }
  });
  if (!local) return cloud(scan, project, opts, { why, shrunk, plan });
  return { ran: 'device', log: local.log, curves: local.curves, meta: null, plan, why: null, shrunk: null, memory: local.memory };
}

/**
 * @param {{bytes: Uint8Array, type: string, name: string}} scan
 * @param {object} project
 * @param {any} opts as `runProject`'s
 * @param {{why: string | null, shrunk: import('./client.js').Shrunk | null, plan: import('./client.js').Plan | null}} state
 * @returns {Promise<RunOutcome>}
 */
async function cloud(scan, project, opts, { why, shrunk, plan }) {
  const { withClient, fallbackUrl, cloudToken, signal, onProgress = () => {}, onRoute = () => {} } = opts;
  const sender = new VeerClient({ fallbackUrl, cloudToken });
  const send = (s) => {
    onRoute({ where: 'cloud', why, shrunk: s });
    onProgress({ stage: 'upload', done: 0, total: 1 });
    return sender.runCloud(s ? s.bytes : scan.bytes, s ? s.content_type : scan.type, project, { signal });
  };
  let body;
  try {
    body = await send(shrunk);
  } catch (e) {
    if (e.kind !== 'payload_too_large' || shrunk) throw e;
    // The fallback says the file is over its request limit: re-save it compactly (1-bit or gray PNG) and send that.
    onRoute({ where: 'shrink', why });
    shrunk = await withClient(async (client) => {
      if (client.openScan !== scan || !client.scanOpen) {
        await client.open(scan.bytes, onProgress, { pixels: false });
        client.openScan = scan;
      }
      return client.shrink();
    });
    body = await send(shrunk);
  }
  onProgress({ stage: 'upload', done: 1, total: 1 });
  if (!body.log || !Array.isArray(body.curves) || body.curves.some((c) => !c.path || !c.stats)) {
    throw veerError('cloud_error', 'the cloud fallback answered without the traced paths; update the fallback server');
  }
  return { ran: 'cloud', log: body.log, curves: body.curves, meta: body.meta ?? {}, plan, why, shrunk, memory: null };
}
