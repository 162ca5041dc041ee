// The web worker that owns the wasm instance, the model and the open scan.
// One job at a time; the page cancels a job by terminating this worker.
// The same script runs as a tile worker (client.js's pool): it holds the model only
// and infers the tiles of staged runs ('tileInit', 'infer').
//
// Messages in:  {id, type: 'init', modelUrl, manifestUrl, wasmUrl, share}
//                 -> {precision, fromCache, modelBytes, sha256, model?} (`model`: the bytes, with `share`,
//                 for the tile workers: the model is downloaded and cached once)
//               {id, type: 'tileInit', wasmUrl, model} -> {precision, tileMs}: a tile worker, the model from its
//                 bytes, prepared for a full tile; `tileMs`: its warm-up run of one full tile
//               {id, type: 'infer', rows, cols, input} -> the tile's output (Float32Array), on a tile worker
//               {id, type: 'startRun', calibration} | {id, type: 'startProject', project}
//                 -> {tracks: [{curve, cols, rows: [rows of each tile]}], inputs: [[Float32Array per tile]]}
//                 (a staged run: the core prepares the tracks and plans their tiles)
//               {id, type: 'giveTile', track, tile, output} -> {curve, done, total}: the core blends a tile's output
//               {id, type: 'finishRun'}              -> as 'run' or 'runProject': the core traces on the blended maps
//               {id, type: 'loadDigits', digitsUrl, digitsManifestUrl} -> {fromCache, bytes}
//                 (the depth-number reader, loaded once and cached like the model)
//               {id, type: 'propose'}                -> the core's proposal for the open scan
//               {id, type: 'projectFromProposal', proposal, input} -> the core's project
//               {id, type: 'open', bytes, pixels}    -> {header, pixels?}
//               {id, type: 'run', calibration}       -> {curve, path, stats, memory}
//               {id, type: 'runProject', project}    -> {log, curves: [{mnemonic, path, rows_per_track_row, stats, uncertain?}], memory}
//                 (progress messages carry `curve`, the curve's index in the project)
//               {id, type: 'straightened', degrees}  -> {pixels}: the open scan turned back by a project's rotation
//               {id, type: 'parseProject', project}  -> the core's project (checked)
//               {id, type: 'parseBackup', text, log}  -> [[left, right], ...]: a curve's backup scales as typed (checked)
//               {id, type: 'exportProject', format, project, height, info} -> {text}
//               {id, type: 'export', format, path, calibration, rowsPerTrackRow, info} -> {text}
//               {id, type: 'shrink', maxBytes}       -> {bytes, content_type, lossless, description}
//               {id, type: 'plan', header, budget, trackPx} -> {decision, reason, estimate, cloud_fits}
// Messages out: {id, type: 'progress', stage, done, total}
//               {id, type: 'done', result} | {id, type: 'error', error: {kind, message}}

import init, * as veer from '../pkg/veer_web.js';
import { loadModel } from './model-cache.js';

let digitiser = null;
let ready = null;
let digits = null; // the digit reader's loading, once

function serialiseError(e) {
  // Errors cross the worker boundary as plain data, on purpose: kind + message.
  return {
    kind: (e && e.kind) || (e instanceof RangeError ? 'memory' : 'internal'),
    message: (e && e.message) || String(e),
  };
}

async function initialise(msg, post) {
  await init({ module_or_path: msg.wasmUrl });
  const model = await loadModel(msg.modelUrl, msg.manifestUrl, (loaded, total) =>
    post({ type: 'progress', stage: 'model', done: loaded, total }),
  );
  digitiser = new veer.Digitiser(model.bytes);
  const info = { precision: digitiser.precision, fromCache: model.fromCache, modelBytes: model.bytes.byteLength, sha256: model.sha256 };
  return msg.share ? { ...info, model: model.bytes } : info;
}

/** A progress callback for the core: `(stage, done, total)`, or `(curve, stage, done, total)` for a project. */
function progressTo(post) {
  return (...a) =>
    a.length === 4
      ? post({ type: 'progress', curve: a[0], stage: a[1], done: a[2], total: a[3] })
      : post({ type: 'progress', stage: a[0], done: a[1], total: a[2] });
}

async function handle(msg, post) {
  switch (msg.type) {
    case 'init':
      if (!ready) ready = initialise(msg, post);
      try {
        return await ready;
      } catch (e) {
        ready = null; // let the next init retry (e.g. after a network failure)
        throw e;
      }
    case 'tileInit':
      if (!ready) {
        ready = (async () => {
          await init({ module_or_path: msg.wasmUrl });
          digitiser = new veer.Digitiser(msg.model);
          const [rows, cols] = veer.fullTileShape();
          // The plan of a full tile, and one run of it: the browser compiles the wasm's hot code
          // for speed once it has run, so the first scan's tiles do not run on the first-tier code.
          digitiser.prepareTile(rows, cols);
          const started = performance.now();
          digitiser.inferTile(new Float32Array(rows * cols), rows, cols);
          return { precision: digitiser.precision, tileMs: performance.now() - started };
        })();
      }
      return ready;
    case 'infer': {
      await ready;
      const output = digitiser.inferTile(msg.input, msg.rows, msg.cols);
      return { result: output, transfer: [output.buffer] };
    }
    case 'startRun':
    case 'startProject': {
      await ready;
      const plan =
        msg.type === 'startRun'
          ? digitiser.startRun(msg.calibration, progressTo(post))
          : digitiser.startProject(msg.project, progressTo(post));
      const inputs = plan.tracks.map((t, track) => t.rows.map((_, tile) => digitiser.tileInput(track, tile)));
      return { result: { tracks: plan.tracks, inputs }, transfer: inputs.flat().map((a) => a.buffer) };
    }
    case 'giveTile':
      await ready;
      return digitiser.giveTile(msg.track, msg.tile, msg.output);
    case 'finishRun': {
      await ready;
      // Prepare and infer were reported as they happened: the finish reports the trace and the export.
      const report = progressTo((m) => (m.stage === 'prepare' || m.stage === 'infer' ? undefined : post(m)));
      const out = digitiser.finishRun(report);
      out.memory = veer.wasmMemoryBytes();
      return out;
    }
    case 'open': {
      await ready;
      post({ type: 'progress', stage: 'decode', done: 0, total: 1 });
      const header = digitiser.open(new Uint8Array(msg.bytes));
      post({ type: 'progress', stage: 'decode', done: 1, total: 1 });
      if (!msg.pixels) return { header };
      const pixels = digitiser.pixels();
      return { result: { header, pixels }, transfer: [pixels.buffer] };
    }
    case 'loadDigits':
      await ready;
      if (!digits) {
        digits = loadModel(msg.digitsUrl, msg.digitsManifestUrl).then((m) => {
          digitiser.setDigitReader(m.bytes);
          return { fromCache: m.fromCache, bytes: m.bytes.byteLength };
        });
        digits.catch(() => (digits = null)); // let the next call retry
      }
      return digits;
    case 'propose': {
      await ready;
      post({ type: 'progress', stage: 'propose', done: 0, total: 1 });
      const out = digitiser.propose();
      post({ type: 'progress', stage: 'propose', done: 1, total: 1 });
      return out;
    }
    case 'projectFromProposal':
      await ready;
      return veer.projectFromProposal(msg.proposal, msg.input);
    case 'run': {
      await ready;
      const out = digitiser.run(msg.calibration, (stage, done, total) => post({ type: 'progress', stage, done, total }));
      out.memory = veer.wasmMemoryBytes();
      return out;
    }
    case 'runProject': {
      await ready;
      const out = digitiser.runProject(msg.project, (curve, stage, done, total) =>
        post({ type: 'progress', curve, stage, done, total }),
      );
      out.memory = veer.wasmMemoryBytes();
      return out;
    }
    case 'straightened': {
      await ready;
      const pixels = digitiser.straightenedPixels(msg.degrees);
      return { result: { pixels }, transfer: [pixels.buffer] };
    }
    case 'parseProject':
      await ready;
      return veer.parseProject(msg.project);
    case 'parseBackup':
      await ready;
      return veer.parseBackup(msg.text, msg.log);
    case 'exportProject':
      await ready;
      return { text: veer.exportProject(msg.format, msg.project, msg.height, msg.info) };
    case 'export':
      await ready;
      return { text: veer.exportCurve(msg.format, msg.path, msg.calibration, msg.rowsPerTrackRow, msg.info) };
    case 'shrink': {
      await ready;
      const out = digitiser.shrink(msg.maxBytes ?? veer.cloudMaxBodyBytes());
      return { result: out, transfer: [out.bytes.buffer] };
    }
    case 'plan':
      await ready;
      return veer.plan(msg.header, msg.budget, msg.trackPx ?? undefined);
    case 'probe':
      await init({ module_or_path: msg.wasmUrl });
      return veer.probe(new Uint8Array(msg.bytes));
    default:
      throw Object.assign(new Error(`unknown message type ${msg.type}`), { kind: 'internal' });
  }
}

let queue = Promise.resolve();
self.onmessage = (event) => {
  const msg = event.data;
  const post = (m, transfer) => self.postMessage({ id: msg.id, ...m }, transfer || []);
  // One job at a time, in order.
  queue = queue.then(async () => {
    try {
      const out = await handle(msg, post);
      if (out && out.transfer) post({ type: 'done', result: out.result }, out.transfer);
      else post({ type: 'done', result: out });
    } catch (e) {
      post({ type: 'error', error: serialiseError(e) });
    }
  });
};
