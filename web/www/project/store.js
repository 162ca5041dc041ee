// Where the page keeps a project between visits: IndexedDB, one record per scan,
// keyed by the SHA-256 of the scan's bytes (the same scan opened again, under any
// name, finds its project); the last scan opened itself, so a reload can reopen it;
// and the well headers typed before, by well name (localStorage).

const DB = 'veer';
const STORE = 'projects';
const SCANS = 'scans';
/** The largest scan kept for reopening after a reload (bytes). */
export const MAX_KEPT_SCAN_BYTES = 256 * 2 ** 20;

/**
 * SHA-256 of `bytes` as lowercase hex; null where the browser offers no `crypto.subtle` (a page
 * served over plain http from another host than localhost): then nothing is autosaved.
 */
export async function sha256Hex(bytes) {
  if (!globalThis.crypto?.subtle) return null;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let opened = null;
function db() {
  opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 2);
    req.onupgradeneeded = () => {
      const names = req.result.objectStoreNames;
      if (!names.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: 'hash' });
      if (!names.contains(SCANS)) req.result.createObjectStore(SCANS);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('the browser storage is held by another tab of this page; close it and reload'));
  });
  opened.catch(() => (opened = null));
  return opened;
}

/** The record saved for a scan: `{hash, name, saved, project, uncertain}`, or null. */
export async function loadRecord(hash) {
  const tx = (await db()).transaction(STORE, 'readonly');
  return (await request(tx.objectStore(STORE).get(hash))) ?? null;
}

/** Saves a record (replacing the scan's earlier one); resolves once it is written. */
export async function saveRecord(record) {
  const tx = (await db()).transaction(STORE, 'readwrite');
  tx.objectStore(STORE).put(record);
  await done(tx);
}

/**
 * Saves what `snapshot()` returns at most every `delayMs` after a change, and at once on
 * `flush()` or when the page is hidden (a reload or a closed tab loses nothing written
 * before it). `onSaved(record)` and `onError(error)` report each save.
 */
export class Autosave {
  /**
   * @param {() => object | null} snapshot the record to save now, or null when there is nothing to save
   * @param {{delayMs?: number, onSaved?: (record: any) => void, onError?: (e: Error) => void}} [opts]
   */
  constructor(snapshot, { delayMs = 250, onSaved = () => {}, onError = () => {} } = {}) {
    this.snapshot = snapshot;
    this.delayMs = delayMs;
    this.onSaved = onSaved;
    this.onError = onError;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.timer = null;
    /** @type {Promise<void>} */
    this.writing = Promise.resolve();
    addEventListener('pagehide', () => this.flush());
    document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && this.flush());
  }

  /** Something changed: save soon. */
  changed() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.delayMs);
  }

  /** Saves now (if there is anything to save); resolves when written. */
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    const record = this.snapshot();
    if (!record) return this.writing;
    this.writing = this.writing
      .then(() => saveRecord(record))
      .then(() => this.onSaved(record), (e) => this.onError(e));
    return this.writing;
  }

  /** Drops a pending save (a new scan is being opened). */
  discard() {
    clearTimeout(this.timer);
    this.timer = null;
  }
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('the save was aborted'));
  });
}

/** Keeps `{hash, name, type, bytes}` as the last scan opened (only that one; none over MAX_KEPT_SCAN_BYTES). */
export async function keepLastScan(scan) {
  const tx = (await db()).transaction(SCANS, 'readwrite');
  const store = tx.objectStore(SCANS);
  store.clear();
  if (scan.bytes.byteLength <= MAX_KEPT_SCAN_BYTES) {
    store.put({ hash: scan.hash, name: scan.name, type: scan.type, bytes: scan.bytes, saved: new Date().toISOString() }, 'last');
  }
  await done(tx);
}

/** The last scan opened, `{hash, name, type, bytes, saved}`, or null. */
export async function lastScan() {
  const tx = (await db()).transaction(SCANS, 'readonly');
  return (await request(tx.objectStore(SCANS).get('last'))) ?? null;
}

const WELLS_KEY = 'veer.wells';

function wells() {
  try {
    return JSON.parse(localStorage.getItem(WELLS_KEY) || '{}');
  } catch {
    return {};
  }
}

/** Remembers a well's header fields under its name (`well.WELL`). */
export function rememberWell(well) {
  const name = (well.WELL || '').trim();
  if (!name) return;
  const all = wells();
  all[name] = Object.fromEntries(Object.entries(well).filter(([, v]) => String(v).trim()));
  try {
    localStorage.setItem(WELLS_KEY, JSON.stringify(all));
  } catch {
    // No storage (sandboxed frame): the header is still in the project.
  }
}

/** The header fields remembered for a well name, or null. */
export function recallWell(name) {
  return wells()[(name || '').trim()] ?? null;
}

/** The well names remembered so far. */
export function knownWells() {
  return Object.keys(wells()).sort();
}
