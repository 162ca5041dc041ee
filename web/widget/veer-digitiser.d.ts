// Type declarations for <veer-digitiser> (widget/veer-digitiser.js).

/** A track's calibration: the core's `Calibration`, the JSON `veer batch` and the page save. */
export interface VeerCalibration {
  /** Pixel columns of the track's left and right edges. */
  track: [number, number];
  /** Values at those edges (left may be greater than right). */
  scale: [number, number];
  /** Logarithmic value axis. */
  log?: boolean;
  /** Two or more tie points: [pixel row, depth]; piecewise linear between them. */
  depth: Array<[number, number]>;
  /** A pixel [x, y] on the wanted curve, when the track holds several curves. */
  seed?: [number, number];
  /** Output depth step; about one value per track row when omitted. */
  step?: number;
  mnemonic?: string;
  unit?: string;
  depth_unit?: string;
}

/** Every curve of one print (README "The project", format version 1): what `veer digitise --project`, the page and the cloud read. */
export interface VeerProject {
  version: 1;
  /** Two or more tie points [pixel row, depth], shared by every curve. */
  depth: Array<[number, number]>;
  depth_unit?: 'M' | 'FT' | string;
  step?: number;
  /** Only these scan rows are traced and written: [top, bottom]. */
  interval?: [number, number];
  /** Scan row ranges never traced (a repeat section, its header, a stamp). */
  exclude?: Array<[number, number]>;
  /** LAS ~W values by mnemonic: WELL, COMP, FLD, LOC, CNTY, STAT, CTRY, SRVC, DATE, UWI, API. */
  well?: Partial<Record<'WELL' | 'COMP' | 'FLD' | 'LOC' | 'CNTY' | 'STAT' | 'CTRY' | 'SRVC' | 'DATE' | 'UWI' | 'API', string>>;
  curves: Array<{
    mnemonic: string;
    unit?: string;
    track: [number, number];
    scale: [number, number];
    log?: boolean;
    seed?: [number, number];
    /** A path corrected by hand: used as it is instead of tracing the curve again. */
    edited?: { rows_per_track_row: number; path: Array<[number, number]> };
  }>;
}

/** Every curve of a project on one depth index (the core's `Log`). */
export interface VeerLog {
  depth_unit: string;
  step: number;
  depth: number[];
  curves: Array<{ mnemonic: string; unit: string; value: Array<number | null>; [key: string]: unknown }>;
}

/** How one curve of a project was found (the core's `CurveRun`). */
export interface VeerCurveRun {
  mnemonic: string;
  /** The trace over the scan, [x, y] in pixels, one point per traced row. */
  path: Array<[number, number]>;
  rows_per_track_row: number;
  /** The run's figures (coverage, tiles, image size, model), or null for an `edited` curve. */
  stats: { coverage: number; tiles: number; image_width: number; image_height: number; model: string; [key: string]: unknown } | null;
  /** Scan row ranges [top, bottom] where the trace is unsure, when the core marks them. */
  uncertain?: Array<[number, number]>;
}

/** The `veer-result` detail of a project run: every curve, in the shape of a local run of the page. */
export interface VeerProjectResult {
  log: VeerLog;
  curves: VeerCurveRun[];
  meta: Omit<VeerResultMeta, 'mnemonic' | 'unit' | 'depth_unit' | 'step'> & { [key: string]: unknown };
}

/** One sample of the digitised curve (the HTTP contract's `curve` element). */
export interface VeerCurvePoint {
  depth: number;
  value: number;
}

/** Where and how a result was made. */
export interface VeerResultMeta {
  /** "browser": wasm on this device (int8 model); "lambda": the cloud fallback (fp32). */
  ran: 'browser' | 'lambda';
  /** Model precision: "int8" or "fp32". */
  model: string;
  /** Why it ran there (the planner's reason, the page's limit, or the mode asked for). */
  reason: string | null;
  /** Phase timings in ms; `total` is the whole run (the fallback's own, for "lambda"). */
  ms: { total: number; [phase: string]: number };
  /** Wall time in the browser from the call to the result, in ms. */
  elapsed_ms: number;
  /** Fraction of track rows where a curve was found. */
  coverage: number;
  /** Scan size, [width, height] in pixels. */
  image: [number, number];
  tiles: number;
  mnemonic: string;
  unit: string;
  depth_unit: string;
  step: number;
  /** The scan's file name. */
  source: string;
  /** Cloud only: whether the fallback had to load its model first. */
  cold_start?: boolean;
  /** Cloud only: how the scan was re-saved to fit the request limit, or null. */
  uploaded?: string | null;
  [key: string]: unknown;
}

/** The `veer-result` event's detail and what `digitise()` resolves to. */
export interface VeerResult {
  curve: VeerCurvePoint[];
  meta: VeerResultMeta;
}

export interface VeerProgressDetail {
  done: number;
  total: number;
  /** "model" (download, in bytes), "decode", "prepare", "infer" (tiles), "trace", "export", "upload". */
  stage: 'model' | 'decode' | 'prepare' | 'infer' | 'trace' | 'export' | 'upload' | string;
  /** With a project: the index of the curve in progress. */
  curve?: number;
}

export type VeerErrorKind =
  | 'bad_input' | 'unsupported' | 'limits' | 'bad_parameter' | 'no_curve' | 'model'
  | 'network' | 'memory' | 'worker_crashed' | 'cloud_unreachable' | 'cloud_error' | 'cloud_auth'
  | 'payload_too_large' | 'cancelled' | 'internal';

export interface VeerErrorDetail {
  kind: VeerErrorKind | string;
  /** What happened and what to do, in words. */
  message: string;
}

/** The rejection of `digitise()`: an Error with the same kind. */
export interface VeerError extends Error {
  kind: VeerErrorKind | string;
}

export type VeerScanInput = File | Blob | ArrayBuffer | ArrayBufferView | string | URL;

export declare class VeerDigitiser extends HTMLElement {
  /** Reflects the `mode` attribute: "auto" (the planner decides), "local" or "cloud". */
  mode: 'auto' | 'local' | 'cloud';
  /** Reflects the `src` attribute: a scan URL opened at once. */
  src: string | null;
  /** The calibration the widget holds now (null while incomplete); set an object or JSON. */
  calibration: VeerCalibration | null;
  /** The project the widget runs (the `project` attribute, property or `digitise` argument), or null. */
  project: VeerProject | null;
  /** The last result, or null. */
  readonly result: VeerResult | VeerProjectResult | null;
  /**
   * For a fallback deployed behind a portal's JWT authoriser (`PortalIssuer`): gives the signed-in
   * user's token (fresh: it is asked for each upload), sent as `authorization: Bearer <token>`.
   * A refused or missing token rejects with kind "cloud_auth". A property only: never an attribute.
   */
  cloudToken: (() => string | null | Promise<string | null>) | null;
  /** True while a run is in progress (also the `busy` attribute). */
  readonly busy: boolean;
  /**
   * Digitises `file` (the open scan when omitted) with `calibration` (the widget's
   * when omitted). Fires `veer-progress` events and `veer-result` or `veer-error`.
   * A call while a run is in progress cancels that run.
   */
  digitise(file?: VeerScanInput | null, calibration?: VeerCalibration | null): Promise<VeerResult>;
  /** Digitises every curve of `project` (an object, or its JSON text) and resolves to all of them. */
  digitise(file: VeerScanInput | null | undefined, project: VeerProject): Promise<VeerProjectResult>;
  digitise(file?: VeerScanInput | null, calibrationOrProject?: VeerCalibration | VeerProject | string | null): Promise<VeerResult | VeerProjectResult>;
  /**
   * The last result written by veer's core: CSV, LAS 2.0 or JSON text, every curve on one depth
   * index (LAS: DEPT and one column per curve, the project's well header). Rejects with kind
   * "bad_parameter" before a result.
   */
  export(format?: 'csv' | 'las' | 'json'): Promise<string>;
  /** Stops the run in progress; its promise rejects with kind "cancelled". */
  cancel(): void;

  addEventListener<K extends keyof VeerDigitiserEventMap>(type: K, listener: (this: VeerDigitiser, ev: VeerDigitiserEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof VeerDigitiserEventMap>(type: K, listener: (this: VeerDigitiser, ev: VeerDigitiserEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

export interface VeerDigitiserEventMap extends HTMLElementEventMap {
  'veer-progress': CustomEvent<VeerProgressDetail>;
  'veer-result': CustomEvent<VeerResult | VeerProjectResult>;
  'veer-error': CustomEvent<VeerErrorDetail>;
}

/** Whether a result is a project's (every curve) rather than one calibration's. */
export declare function isProjectResult(result: VeerResult | VeerProjectResult): result is VeerProjectResult;

/**
 * Registers the element under `name` (default "veer-digitiser"). Returns false,
 * without throwing, when the name is already taken (by this module loaded
 * twice, or by another script: then a console warning says so).
 */
export declare function defineVeerDigitiser(name?: string): boolean;

declare global {
  interface HTMLElementTagNameMap {
    'veer-digitiser': VeerDigitiser;
  }
  // The events bubble and are composed: listeners on ancestors, the document and the window see them too.
  interface GlobalEventHandlersEventMap {
    'veer-progress': CustomEvent<VeerProgressDetail>;
    'veer-result': CustomEvent<VeerResult | VeerProjectResult>;
    'veer-error': CustomEvent<VeerErrorDetail>;
  }
}
