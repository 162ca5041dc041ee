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
}

export type VeerErrorKind =
  | 'bad_input' | 'unsupported' | 'limits' | 'bad_parameter' | 'no_curve' | 'model'
  | 'network' | 'memory' | 'worker_crashed' | 'cloud_unreachable' | 'cloud_error'
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
  /** The last result, or null. */
  readonly result: VeerResult | null;
  /** True while a run is in progress (also the `busy` attribute). */
  readonly busy: boolean;
  /**
   * Digitises `file` (the open scan when omitted) with `calibration` (the widget's
   * when omitted). Fires `veer-progress` events and `veer-result` or `veer-error`.
   * A call while a run is in progress cancels that run.
   */
  digitise(file?: VeerScanInput | null, calibration?: VeerCalibration | string | null): Promise<VeerResult>;
  /** Stops the run in progress; its promise rejects with kind "cancelled". */
  cancel(): void;

  addEventListener<K extends keyof VeerDigitiserEventMap>(type: K, listener: (this: VeerDigitiser, ev: VeerDigitiserEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof VeerDigitiserEventMap>(type: K, listener: (this: VeerDigitiser, ev: VeerDigitiserEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

export interface VeerDigitiserEventMap extends HTMLElementEventMap {
  'veer-progress': CustomEvent<VeerProgressDetail>;
  'veer-result': CustomEvent<VeerResult>;
  'veer-error': CustomEvent<VeerErrorDetail>;
}

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
    'veer-result': CustomEvent<VeerResult>;
    'veer-error': CustomEvent<VeerErrorDetail>;
  }
}
