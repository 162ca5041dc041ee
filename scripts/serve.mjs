// Serves the browser app (web/www) and forwards POST /digitise to the local
// cloud fallback (lambda-fallback's veer-local), so page and fallback share one
// origin. Used by scripts/serve and by the browser tests (import startServer).
//
//   node scripts/serve.mjs [--port 8080] [--fallback http://127.0.0.1:9090]

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../web/www');
// Served beside the app: the example portal and the widget's built package
// (scripts/build-widget), at the paths a portal would use.
export const MOUNTS = {
  '/examples/': path.resolve(here, '../web/examples'),
  '/veer-digitiser/': path.resolve(here, '../web/widget/dist'),
};

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.svg': 'image/svg+xml',
  '.d.ts': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

// What a portal would send: wasm may compile, nothing else is loosened.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; object-src 'none'";

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Starts the server. Resolves to {url, port, close(), requests} where
 * `requests` lists every request's path (the tests count model downloads).
 * `mounts` maps URL prefixes (ending in '/') to folders served instead of `root`.
 */
export function startServer({ root = ROOT, port = 8080, host = '127.0.0.1', fallback = 'http://127.0.0.1:9090', quiet = true, mounts = MOUNTS } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    if (!quiet) console.log(`${req.method} ${url.pathname}`);
    if (url.pathname === '/digitise' || url.pathname.endsWith('/digitise')) return proxy(req, res, url, fallback);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: { kind: 'bad_parameter', message: `${req.method} is not served here` } });
    let rel = decodeURIComponent(url.pathname);
    let base = root;
    const mount = Object.keys(mounts).find((prefix) => rel.startsWith(prefix));
    if (mount) {
      base = mounts[mount];
      rel = rel.slice(mount.length - 1);
    }
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(base, `.${rel}`);
    if (!file.startsWith(base + path.sep)) return sendJson(res, 403, { error: { kind: 'bad_parameter', message: 'outside the app' } });
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        const hint = mount ? ' (run scripts/build-widget)' : rel.startsWith('/pkg/') || rel.startsWith('/models/') ? ' (run scripts/build-web)' : '';
        return res.end(`not found: ${url.pathname}${hint}`);
      }
      const ext = rel.endsWith('.d.ts') ? '.d.ts' : path.extname(file).toLowerCase();
      res.writeHead(200, {
        'content-type': TYPES[ext] || 'application/octet-stream',
        'content-length': st.size,
        'cache-control': 'no-cache',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
      });
      if (req.method === 'HEAD') return res.end();
      fs.createReadStream(file).pipe(res);
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        url: `http://${host}:${actual}/`,
        port: actual,
        requests,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

function proxy(req, res, url, fallback) {
  const target = new URL(`/digitise${url.search}`, fallback);
  const headers = { ...req.headers, host: target.host };
  const up = http.request(target, { method: req.method, headers }, (upRes) => {
    res.writeHead(upRes.statusCode, upRes.headers);
    upRes.pipe(res);
  });
  up.on('error', (e) => {
    if (res.headersSent) return res.destroy();
    req.resume();
    sendJson(res, 503, {
      error: {
        kind: 'cloud_unreachable',
        message: `the cloud fallback (${target.origin}) is not answering (${e.code || e.message}); your scan and calibration are kept: start it with scripts/serve, or run on this device`,
      },
    });
  });
  req.pipe(up);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const s = await startServer({
    port: Number(opt('--port', process.env.PORT || 8080)),
    host: opt('--host', '127.0.0.1'),
    fallback: opt('--fallback', process.env.VEER_FALLBACK_URL || 'http://127.0.0.1:9090'),
    quiet: !args.includes('--verbose'),
  });
  console.log(`veer: the app is at ${s.url} (Ctrl+C to stop)`);
}
