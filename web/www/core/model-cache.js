// Fetches the model once, with download progress, and keeps it in Cache Storage
// keyed by its content hash (SHA-256 from the manifest written at build time), so
// the next visit reads it from the cache without a second download. A cached copy
// whose hash no longer matches the manifest is dropped and fetched again.

const CACHE_NAME = 'veer-models';

async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Reads a response body with progress callbacks `(loaded, total)`. */
async function readWithProgress(response, total, onProgress) {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const parts = [];
  let loaded = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.byteLength;
    onProgress(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Returns `{bytes, sha256, fromCache}` for the model at `modelUrl`.
 * `manifestUrl` names `{file, sha256, bytes}`; without a manifest (a portal
 * that points `model-src` at its own file) the file is fetched and hashed, and
 * cached under that hash for the next visit of the same URL.
 */
export async function loadModel(modelUrl, manifestUrl, onProgress = () => {}) {
  let expected = null;
  let size = 0;
  if (manifestUrl) {
    try {
      const m = await fetch(manifestUrl, { cache: 'no-cache' });
      if (m.ok) {
        const manifest = await m.json();
        expected = manifest.sha256;
        size = manifest.bytes;
      }
    } catch {
      // No manifest (offline, or a portal's own model): fall through to the URL key.
    }
  }
  const cache = 'caches' in self ? await caches.open(CACHE_NAME).catch(() => null) : null;
  const key = expected ? new URL(`sha256-${expected}`, new URL('./', new URL(modelUrl, self.location.href))).href : null;
  if (cache && key) {
    const hit = await cache.match(key);
    if (hit) {
      const bytes = new Uint8Array(await hit.arrayBuffer());
      if ((await sha256Hex(bytes)) === expected) {
        onProgress(bytes.byteLength, bytes.byteLength);
        return { bytes, sha256: expected, fromCache: true };
      }
      await cache.delete(key);
    }
  }
  let response;
  try {
    response = await fetch(modelUrl);
  } catch (e) {
    throw Object.assign(new Error(`the model (${modelUrl}) could not be downloaded: ${e.message}; check the connection and reload`), { kind: 'network' });
  }
  if (!response.ok) {
    throw Object.assign(new Error(`the model (${modelUrl}) could not be downloaded: HTTP ${response.status}; check the model-src setting`), { kind: 'network' });
  }
  const total = Number(response.headers.get('content-length')) || size || 0;
  const bytes = await readWithProgress(response, total, onProgress);
  const sha256 = await sha256Hex(bytes);
  if (expected && sha256 !== expected) {
    throw Object.assign(new Error(`the downloaded model does not match its manifest (SHA-256 ${sha256.slice(0, 12)}… vs ${expected.slice(0, 12)}…): the server holds a different file; rebuild or reload`), { kind: 'model' });
  }
  if (cache && key) {
    await cache.put(key, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })).catch(() => {});
  }
  return { bytes, sha256, fromCache: false };
}
