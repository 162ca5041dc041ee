//! veer's cloud fallback: `POST /digitise` (shared/DESIGN.md section 5).
//!
//! | piece | what it does |
//! |---|---|
//! | [`App`] | the handler: request checks, the lazily loaded model, the run, the JSON answer, one log line |
//! | [`source`] | where the checkpoint comes from ([`ModelSource`]: a file on EFS or in a folder) |
//! | [`cors`] | the configured origins and the preflight answer |
//! | [`batch`] | the S3 batch path: an upload under the input prefix digitised into the output prefix |
//! | [`s3`] | the signed, retrying S3 client of the batch path |
//! | `bin/bootstrap.rs` | the Lambda (provided.al2023): [`App::handle_event`], HTTP or S3 events |
//! | `bin/veer-local.rs` | the same [`App`] behind a small hyper server on localhost |
//!
//! The model is read and optimised on the first request that needs it (never in the
//! init phase, which Lambda cuts at 10 s), once, even when several first requests
//! arrive together; a failed load is retried by the next request. Requests that fail
//! their cheap checks (size, type, parameters, header) are answered before the model
//! is touched.

pub mod batch;
pub mod cors;
pub mod s3;
pub mod source;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use lambda_http::http::{self, header, HeaderValue, Method, StatusCode};
use lambda_http::lambda_runtime::Diagnostic;
use lambda_http::request::LambdaRequest;
use lambda_http::{service_fn, Adapter, Body, LambdaEvent, Request, RequestExt, Response, Service};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use veer::limits::Limits;
use veer::model::Model;
use veer::params::project_from_query;
use veer::pipeline::{digitise_project, DigitisedProject, Progress, Stage};
use veer::preprocess::TILE_ROWS;
use veer::project::Project;
use veer::MODEL_WIDTH;

pub use batch::{Batch, BatchConfig};
pub use cors::Cors;
pub use source::{FileSource, ModelSource, Unavailable};

/// Largest request body accepted, in bytes: Lambda's synchronous payload limit
/// (6 MB) holds the base64 of the body plus the event around it. The same number
/// drives the planner and the local server.
pub const MAX_BODY_BYTES: usize = veer::plan::CLOUD_MAX_BODY_BYTES as usize;

/// Content types accepted for the body (the bytes are sniffed either way).
const ACCEPTED_TYPES: &[&str] = &["image/png", "image/tiff", "image/jpeg", "image/jpg", "application/octet-stream"];

/// Which front the handler sits behind, reported as `meta.server`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// AWS Lambda (`bootstrap`).
    Lambda,
    /// `veer-local` on this machine.
    Local,
}

impl Server {
    fn name(self) -> &'static str {
        match self {
            Server::Lambda => "aws",
            Server::Local => "local",
        }
    }
}

/// The loaded model and what loading it cost.
pub struct Loaded {
    pub model: Model,
    pub read_ms: f64,
    pub optimise_ms: f64,
    pub file_bytes: usize,
}

/// Why a request failed; each becomes a status and a stable `kind`.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// An error from the core, by whose fault it is.
    Core(veer::Error),
    /// The body is over [`MAX_BODY_BYTES`].
    PayloadTooLarge(usize),
    /// A Content-Type that is not an image.
    MediaType(String),
    /// The checkpoint cannot be read right now.
    ModelUnavailable(String),
    NotFound(String),
    MethodNotAllowed(String),
    /// A bug: the run panicked or its thread vanished.
    Internal(String),
}

impl Failure {
    /// HTTP status and `error.kind`.
    ///
    /// | kind | status | when |
    /// |---|---|---|
    /// | `bad_parameter` | 400 | the query string's calibration or project is missing or wrong |
    /// | `bad_input` | 400 | the body is empty, truncated or corrupt |
    /// | `unsupported` | 415 | not PNG/JPEG/TIFF, an unsupported TIFF feature, or a non-image Content-Type |
    /// | `payload_too_large` | 413 | the body is over the 6 MB request limit (shrink it, or use the CLI) |
    /// | `limits` | 413 | the image is over a pixel or memory limit of the core |
    /// | `no_curve` | 422 | the image decodes but no curve can be traced in the track |
    /// | `model` | 503 | the checkpoint cannot be read (retry) |
    /// | `model` | 500 | the checkpoint is not a usable model, or the model failed |
    /// | `not_found` / `method_not_allowed` | 404 / 405 | another path, another method |
    /// | `internal` | 500 | a bug |
    pub fn status_kind(&self) -> (StatusCode, &'static str) {
        use veer::Error as E;
        match self {
            Failure::Core(e) => (
                match e {
                    E::BadParameter(_) | E::BadInput(_) => StatusCode::BAD_REQUEST,
                    E::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    E::Limits(_) => StatusCode::PAYLOAD_TOO_LARGE,
                    E::NoCurve(_) => StatusCode::UNPROCESSABLE_ENTITY,
                    E::Model(_) => StatusCode::INTERNAL_SERVER_ERROR,
                },
                e.kind(),
            ),
            Failure::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Failure::MediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported"),
            Failure::ModelUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "model"),
            Failure::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Failure::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Failure::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The one-line message: what went wrong and what to do.
    pub fn message(&self) -> String {
        match self {
            Failure::Core(e) => e.to_string(),
            Failure::PayloadTooLarge(n) => too_large_message(*n),
            Failure::MediaType(m)
            | Failure::ModelUnavailable(m)
            | Failure::NotFound(m)
            | Failure::MethodNotAllowed(m)
            | Failure::Internal(m) => m.clone(),
        }
    }
}

/// The 413 message for a body of `bytes` bytes.
pub fn too_large_message(bytes: usize) -> String {
    format!(
        "the scan is {:.1} MB, over the cloud fallback's request limit of {:.1} MB (Lambda's 6 MB payload, base64 included); \
         re-save it as a 1-bit CCITT G4 TIFF or an 8-bit grayscale PNG and retry, or digitise it with the veer CLI",
        bytes as f64 / 1e6,
        MAX_BODY_BYTES as f64 / 1e6
    )
}

/// Milliseconds per phase of one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Ms {
    /// Reading the checkpoint (cold requests only).
    pub model_read: f64,
    /// Parsing, decluttering and optimising it for the full tile (cold requests only).
    pub model_optimise: f64,
    pub decode: f64,
    /// Crop, resize and tiling.
    pub prepare: f64,
    pub infer: f64,
    pub trace: f64,
    /// Calibration and resampling.
    pub export: f64,
    /// From the request's arrival to its answer.
    pub total: f64,
}

/// The handler, generic over where the model comes from.
pub struct App<S: ModelSource> {
    source: Arc<S>,
    model: OnceCell<Arc<Loaded>>,
    cors: Cors,
    server: Server,
    limits: Limits,
    loads: AtomicUsize,
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

impl<S: ModelSource> App<S> {
    pub fn new(source: S, cors: Cors, server: Server) -> Self {
        App {
            source: Arc::new(source),
            model: OnceCell::new(),
            cors,
            server,
            limits: Limits::default(),
            loads: AtomicUsize::new(0),
        }
    }

    /// How many times the model has been loaded (1 for a healthy warm instance).
    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    /// Whether the model is loaded.
    pub fn is_warm(&self) -> bool {
        self.model.initialized()
    }

    /// The source the model is read from.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The model, loading it if needed; `true` when this request found it not loaded.
    async fn model(&self) -> Result<(Arc<Loaded>, bool), Failure> {
        if let Some(m) = self.model.get() {
            return Ok((m.clone(), false));
        }
        let loaded = self
            .model
            .get_or_try_init(|| async {
                let source = self.source.clone();
                let (bytes, read_ms) = tokio::task::spawn_blocking(move || {
                    let t = Instant::now();
                    source.read().map(|b| (b, ms(t)))
                })
                .await
                .map_err(|e| Failure::Internal(format!("reading the model crashed ({e}); this is a bug, report it")))?
                .map_err(|e| Failure::ModelUnavailable(e.0))?;
                let t = Instant::now();
                let file_bytes = bytes.len();
                let model = tokio::task::spawn_blocking(move || -> Result<Model, veer::Error> {
                    // Tiles run on every vCPU the function has, or on VEER_THREADS.
                    let threads = std::env::var("VEER_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok());
                    let model = Model::from_bytes(&bytes)?;
                    let model = match threads {
                        Some(n) => model.with_threads(n),
                        None => model,
                    };
                    // Scans taller than one tile run full tiles only: optimise that plan now.
                    model.prepare(TILE_ROWS, MODEL_WIDTH)?;
                    Ok(model)
                })
                .await
                .map_err(|e| Failure::Internal(format!("loading the model crashed ({e}); this is a bug, report it")))?
                .map_err(Failure::Core)?;
                self.loads.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Failure>(Arc::new(Loaded { model, read_ms, optimise_ms: ms(t), file_bytes }))
            })
            .await?;
        Ok((loaded.clone(), true))
    }

    /// Answers one Lambda invocation: an S3 notification goes to the batch path
    /// ([`App::handle_s3`]); any other event is an HTTP request (function URL or HTTP API)
    /// for [`App::handle`], through lambda_http's adapter (what `lambda_http::run` wraps),
    /// so its answer is exactly what `lambda_http::run` would send. An S3 event that must
    /// be retried fails with `errorType` `veer.S3Retry`.
    pub async fn handle_event(&self, event: LambdaEvent<Value>, batch: &Batch) -> Result<Value, Diagnostic> {
        let LambdaEvent { payload, context } = event;
        if batch::is_s3_event(&payload) {
            return self
                .handle_s3(&payload, batch)
                .await
                .map_err(|m| Diagnostic { error_type: "veer.S3Retry".into(), error_message: m });
        }
        let request: LambdaRequest = serde_json::from_value(payload).map_err(|e| Diagnostic {
            error_type: "veer.UnknownEvent".into(),
            error_message: format!(
                "the event is neither an HTTP request (function URL, HTTP API) nor an S3 notification ({e})"
            ),
        })?;
        let mut adapter = Adapter::from(service_fn(|req: Request| async move {
            Ok::<_, std::convert::Infallible>(self.handle(req).await)
        }));
        let response = match adapter.call(LambdaEvent::new(request, context)).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        serde_json::to_value(response).map_err(|e| Diagnostic {
            error_type: "veer.Internal".into(),
            error_message: format!("the answer could not be serialised ({e}); this is a bug, report it"),
        })
    }

    /// Answer one request. Never fails: every problem becomes a JSON error answer.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let t0 = Instant::now();
        let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let request_id = req.lambda_context_ref().map(|c| c.request_id.clone());

        if req.method() == Method::OPTIONS {
            let mut res = Response::builder().status(StatusCode::NO_CONTENT).body(Body::Empty).unwrap_or_default();
            res.headers_mut().extend(self.cors.headers(origin.as_deref(), true));
            return res;
        }

        let mut log = json!({"msg": "digitise", "server": self.server.name(), "request_id": request_id});
        let mut ms_out = Ms::default();
        let mut cold = false;
        let outcome = self.run(req, &mut ms_out, &mut cold, &mut log).await;
        ms_out.total = ms(t0);

        let (status, body) = match outcome {
            Ok((out, precision)) => {
                let stats: Vec<_> = out.curves.iter().filter_map(|c| c.stats.as_ref()).collect();
                if let Some(s) = stats.first() {
                    log["image"] = json!([s.image_width, s.image_height]);
                }
                log["tiles"] = json!(stats.iter().map(|s| s.tiles).sum::<usize>());
                log["curves"] = json!(out.curves.len());
                (StatusCode::OK, answer(&out, self.run_meta(precision, cold, &ms_out)))
            }
            Err(f) => {
                let (status, kind) = f.status_kind();
                log["kind"] = json!(kind);
                (status, json!({"error": {"kind": kind, "message": f.message()}}))
            }
        };
        log["status"] = json!(status.as_u16());
        log["cold_start"] = json!(cold);
        log["ms"] = json!(ms_out);
        println!("{log}");

        let mut res = Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::Text(body.to_string()))
            .unwrap_or_default();
        if status == StatusCode::METHOD_NOT_ALLOWED {
            res.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST, OPTIONS"));
        }
        res.headers_mut().extend(self.cors.headers(origin.as_deref(), false));
        res
    }

    async fn run(
        &self,
        req: Request,
        ms_out: &mut Ms,
        cold: &mut bool,
        log: &mut Value,
    ) -> Result<(DigitisedProject, &'static str), Failure> {
        let path = req.uri().path();
        if !path.trim_end_matches('/').ends_with("/digitise") {
            return Err(Failure::NotFound(format!("no such path {path:?}; POST the scan to /digitise")));
        }
        if req.method() != Method::POST {
            return Err(Failure::MethodNotAllowed(format!(
                "{} is not supported on /digitise; POST the scan as the raw body",
                req.method()
            )));
        }
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if !ct.is_empty() && !ACCEPTED_TYPES.contains(&ct.as_str()) {
                return Err(Failure::MediaType(format!(
                    "Content-Type {ct:?} is not an image; send the scan's raw bytes as the body with \
                     Content-Type image/png, image/tiff or image/jpeg (not a form upload)"
                )));
            }
        }
        let query = req.uri().query().unwrap_or("").to_string();
        let body: Vec<u8> = match req.into_body() {
            Body::Text(s) => s.into_bytes(),
            Body::Binary(b) => b,
            other => other.as_ref().to_vec(),
        };
        log["bytes"] = json!(body.len());
        if body.len() > MAX_BODY_BYTES {
            return Err(Failure::PayloadTooLarge(body.len()));
        }
        let project = project_from_query(&query).and_then(|p| p.validate().map(|()| p)).map_err(Failure::Core)?;
        self.digitise(body, project, ms_out, cold, log).await
    }

    /// Digitises a scan's bytes with a validated project: the core's run, shared by the
    /// HTTP path ([`App::handle`]) and the S3 batch path ([`batch`]).
    /// The `meta` of a run answered here: where and how it ran.
    pub(crate) fn run_meta(&self, precision: &str, cold: bool, ms: &Ms) -> Value {
        json!({
            "ran": "lambda",
            "server": self.server.name(),
            "model": precision,
            "cold_start": cold,
            "ms": ms,
        })
    }

    pub(crate) async fn digitise(
        &self,
        body: Vec<u8>,
        project: Project,
        ms_out: &mut Ms,
        cold: &mut bool,
        log: &mut Value,
    ) -> Result<(DigitisedProject, &'static str), Failure> {
        // The header alone: refuse what cannot decode before paying for the model.
        let info = veer::decode::probe(&body).map_err(Failure::Core)?;
        info.check(&self.limits).map_err(Failure::Core)?;
        project.validate_for_image(info.width, info.height).map_err(Failure::Core)?;
        log["format"] = json!(info.format.name());
        // Decode before the model is needed: a damaged file never pays for a cold start.
        let limits = self.limits;
        let (image, decode_ms) = tokio::task::spawn_blocking(move || {
            let t = Instant::now();
            veer::decode::decode(&body, &limits).map(|img| (img, ms(t)))
        })
        .await
        .map_err(|e| Failure::Internal(format!("decoding crashed ({e}); this is a bug, report it with the scan")))?
        .map_err(Failure::Core)?;
        ms_out.decode = decode_ms;

        let (loaded, was_cold) = self.model().await?;
        *cold = was_cold;
        if was_cold {
            ms_out.model_read = loaded.read_ms;
            ms_out.model_optimise = loaded.optimise_ms;
            log["model_bytes"] = json!(loaded.file_bytes);
        }
        let model = loaded.clone();
        let (result, stages) = tokio::task::spawn_blocking(move || {
            let mut marks: Vec<(Stage, Instant)> = Vec::new();
            let result = digitise_project(&image, &project, &model.model, &mut |_, p: Progress| {
                if p.done == 0 && marks.last().is_none_or(|(s, _)| *s != p.stage) {
                    marks.push((p.stage, Instant::now()));
                }
            });
            marks.push((Stage::Export, Instant::now()));
            (result, marks)
        })
        .await
        .map_err(|e| Failure::Internal(format!("the run crashed ({e}); this is a bug, report it with the scan")))?;
        for w in stages.windows(2) {
            let d = (w[1].1 - w[0].1).as_secs_f64() * 1e3;
            let d = (d * 10.0).round() / 10.0;
            match w[0].0 {
                Stage::Decode => ms_out.decode = d,
                Stage::Prepare => ms_out.prepare += d,
                Stage::Infer => ms_out.infer += d,
                Stage::Trace => ms_out.trace += d,
                Stage::Export => ms_out.export += d,
            }
        }
        let out = result.map_err(Failure::Core)?;
        Ok((out, loaded.model.precision()))
    }
}

/// The JSON answer of a run: the shape of a local run (`log`: every curve on one depth
/// index, each curve with the depth ranges to review; `curves`: each curve's `path`,
/// `rows_per_track_row`, `uncertain` scan rows and `stats`) and `meta`. A run of one curve
/// also carries the single-curve fields (`curve`, `mnemonic`, `unit`, `depth_unit`,
/// `step`, `uncertain`, `path`, `stats`) that callers of the one-curve query read.
pub(crate) fn answer(out: &DigitisedProject, meta: Value) -> Value {
    let rounded = |path: &[[f64; 2]]| path.iter().map(|[x, y]| [round2(*x), round2(*y)]).collect::<Vec<_>>();
    let curves: Vec<Value> = out
        .curves
        .iter()
        .map(|c| {
            json!({
                "mnemonic": c.mnemonic,
                "path": rounded(&c.path),
                "rows_per_track_row": c.rows_per_track_row,
                "uncertain": rounded(&c.uncertain),
                "stats": c.stats,
            })
        })
        .collect();
    let mut body = json!({ "log": out.log, "curves": curves, "meta": meta });
    if let (Some(curve), [run]) = (out.log.curve(0), out.curves.as_slice()) {
        body["curve"] = json!(curve.points());
        body["mnemonic"] = json!(curve.mnemonic);
        body["unit"] = json!(curve.unit);
        body["depth_unit"] = json!(curve.depth_unit);
        body["step"] = json!(curve.step);
        body["uncertain"] = json!(curve.uncertain);
        body["path"] = json!(rounded(&run.path));
        body["stats"] = json!(run.stats);
    }
    body
}

/// Build a [`Request`] for the handler from parts and a body (used by the local server).
pub fn request_from(parts: http::request::Parts, body: Vec<u8>) -> Request {
    let body = if body.is_empty() { Body::Empty } else { Body::Binary(body) };
    http::Request::from_parts(parts, body)
}

/// The 413 answer, for a front that refuses an oversized body before reading it.
pub fn too_large_response(cors: &Cors, origin: Option<&str>, bytes: usize) -> Response<Body> {
    let f = Failure::PayloadTooLarge(bytes);
    let (status, kind) = f.status_kind();
    println!(
        "{}",
        json!({"msg": "digitise", "server": "local", "status": status.as_u16(), "kind": kind, "bytes": bytes})
    );
    let mut res = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(json!({"error": {"kind": kind, "message": f.message()}}).to_string()))
        .unwrap_or_default();
    res.headers_mut().extend(cors.headers(origin, false));
    res
}
