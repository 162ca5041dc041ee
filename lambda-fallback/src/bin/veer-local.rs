//! `veer-local`: the Lambda's handler on localhost, with no AWS account.
//!
//! ```text
//! veer-local [--models DIR] [--port 9090] [--host 127.0.0.1] [--allowed-origins LIST]
//! ```
//! The checkpoint is `DIR/veernet-fp32.onnx` (DIR stands in for the EFS mount;
//! default: the repository's `models/`), or `MODEL_PATH` when set, read on the first
//! request as in the Lambda. Bodies over the Lambda's request limit get the same 413,
//! refused from `Content-Length` (the body is read and dropped first, so a client still sending it sees the answer). Any `http://localhost:PORT`
//! origin may call it (CORS), plus `--allowed-origins`.
//!
//! `--auth ACCESS_KEY:SECRET_KEY` (env `VEER_LOCAL_AUTH`) stands in for a function URL
//! deployed with IAM auth: every request but a CORS preflight must carry an AWS Signature
//! Version 4 by that key, made within 5 minutes, or it gets a 403 before any work is done.
//!
//! `--faults RATE` (a fraction, for testing clients such as `veer batch --cloud`) makes
//! that share of requests fail after their body is read, in turn: a 503, a dropped
//! connection, a 504 after a one-second wait; and half as many more answer correctly
//! after a one-second wait. Which requests fail follows the request count, so a run is
//! repeatable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::http::{self, header};
use lambda_http::Body;
use tokio::net::TcpListener;
use veer_lambda::{request_from, too_large_response, App, Cors, FileSource, Server, MAX_BODY_BYTES};

const USAGE: &str = "usage: veer-local [--models DIR] [--port PORT] [--host ADDR] [--allowed-origins LIST] [--auth KEY:SECRET] [--faults RATE]\n\
  --models DIR            folder holding veernet-fp32.onnx, standing in for the EFS mount (env VEER_MODELS; default: the repository's models/)\n\
  --port PORT             TCP port, 0 for any free one (env VEER_LOCAL_PORT; default 9090)\n\
  --host ADDR             address to listen on (default 127.0.0.1)\n\
  --allowed-origins LIST  comma-separated origins allowed by CORS besides http://localhost:* (env ALLOWED_ORIGINS)\n\
  --auth KEY:SECRET       require requests signed (AWS SigV4) by this access key, as IAM auth does (env VEER_LOCAL_AUTH)\n\
  --faults RATE           fail this fraction of requests (503, dropped connection, slow 504), for testing clients (env VEER_LOCAL_FAULTS)\n\
  MODEL_PATH              full checkpoint path, overrides --models";

/// Largest refused body that is still read (and dropped) so the client gets the 413;
/// past it the connection is closed after the answer.
const DRAIN_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Longest wait for the next piece of a refused body before answering anyway.
const DRAIN_IDLE: std::time::Duration = std::time::Duration::from_secs(2);

struct Options {
    models: PathBuf,
    port: u16,
    host: String,
    origins: String,
    faults: f64,
    /// Access key and secret key requests must be signed with.
    auth: Option<(String, String)>,
}

/// Injected failures (`--faults`).
struct Faults {
    rate: f64,
    count: std::sync::atomic::AtomicU64,
}

/// What an injected fault does to a request.
enum Fault {
    Unavailable,
    Drop,
    SlowTimeout,
    Slow,
}

impl Faults {
    fn next(&self) -> Option<Fault> {
        if self.rate <= 0.0 {
            return None;
        }
        let n = self.count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A fixed mix of the request number: repeatable, and spread over the run.
        let mut x = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let u = (x ^ (x >> 31)) as f64 / u64::MAX as f64;
        if u < self.rate {
            Some(match n % 3 {
                0 => Fault::Unavailable,
                1 => Fault::Drop,
                _ => Fault::SlowTimeout,
            })
        } else if u < self.rate * 1.5 {
            Some(Fault::Slow)
        } else {
            None
        }
    }
}

/// A connection closed on purpose (`--faults`).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose (--faults)")
    }
}

impl std::error::Error for Dropped {}

fn options() -> Result<Options, String> {
    let mut o = Options {
        models: std::env::var_os("VEER_MODELS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")),
        port: match std::env::var("VEER_LOCAL_PORT") {
            Ok(p) => p.parse().map_err(|_| format!("VEER_LOCAL_PORT={p:?} is not a port number (0-65535)"))?,
            Err(_) => 9090,
        },
        host: "127.0.0.1".into(),
        origins: std::env::var("ALLOWED_ORIGINS").unwrap_or_default(),
        faults: 0.0,
        auth: None,
    };
    let mut auth = std::env::var("VEER_LOCAL_AUTH").ok();
    let mut faults = std::env::var("VEER_LOCAL_FAULTS").ok();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        match a.as_str() {
            "--models" => o.models = PathBuf::from(value("--models")?),
            "--port" => {
                let p = value("--port")?;
                o.port = p.parse().map_err(|_| format!("--port {p:?} is not a port number (0-65535)"))?;
            }
            "--host" => o.host = value("--host")?,
            "--allowed-origins" => o.origins = value("--allowed-origins")?,
            "--faults" => faults = Some(value("--faults")?),
            "--auth" => auth = Some(value("--auth")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if let Some(a) = auth {
        let (k, s) = a
            .split_once(':')
            .filter(|(k, s)| !k.is_empty() && !s.is_empty())
            .ok_or_else(|| "--auth needs ACCESS_KEY:SECRET_KEY".to_string())?;
        o.auth = Some((k.to_string(), s.to_string()));
    }
    if let Some(f) = faults {
        o.faults = f
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| format!("--faults {f:?} is not a fraction between 0 and 1 (e.g. 0.1)"))?;
    }
    Ok(o)
}

fn to_hyper(res: http::Response<Body>) -> http::Response<Full<Bytes>> {
    let (parts, body) = res.into_parts();
    let bytes = match body {
        Body::Text(s) => Bytes::from(s),
        Body::Binary(b) => Bytes::from(b),
        other => Bytes::copy_from_slice(other.as_ref()),
    };
    http::Response::from_parts(parts, Full::new(bytes))
}

async fn serve(
    app: Arc<App<FileSource>>,
    cors: Cors,
    faults: Arc<Faults>,
    auth: Arc<Option<(String, String)>>,
    req: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Dropped> {
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if let Some(n) = declared.filter(|n| *n > MAX_BODY_BYTES) {
        // Read and drop the body before answering: a client still sending it would
        // otherwise see the connection reset instead of the 413 and its advice.
        // A client that sends nothing more (or trickles) is answered after DRAIN_IDLE.
        if n <= DRAIN_MAX_BYTES {
            let mut body = req.into_body();
            while let Ok(Some(Ok(_))) = tokio::time::timeout(DRAIN_IDLE, body.frame()).await {}
        }
        return Ok(to_hyper(too_large_response(&cors, origin.as_deref(), n)));
    }
    let (parts, body) = req.into_parts();
    // A chunked body without Content-Length: read at most one byte past the limit.
    let body = match Limited::new(body, MAX_BODY_BYTES + 1).collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return Ok(to_hyper(too_large_response(&cors, origin.as_deref(), MAX_BODY_BYTES + 1)));
        }
        Err(e) => {
            let res = http::Response::builder()
                .status(http::StatusCode::BAD_REQUEST)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::Text(
                    serde_json::json!({"error": {"kind": "bad_input", "message": format!("the request body could not be read ({e}); send the scan again")}})
                        .to_string(),
                ))
                .unwrap_or_default();
            return Ok(to_hyper(res));
        }
    };
    if let (Some((key, secret)), false) = (auth.as_ref(), parts.method == http::Method::OPTIONS) {
        let headers: Vec<(String, String)> = parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).to_string()))
            .collect();
        let signed = veer::sigv4::Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body: &body,
        };
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        if let Err(refusal) = veer::sigv4::verify(&signed, |k| (k == key).then(|| secret.clone()), now) {
            println!(
                "{}",
                serde_json::json!({"msg": "digitise", "server": "local", "status": 403, "kind": "forbidden"})
            );
            return Ok(injected_kind(
                403,
                "forbidden",
                &format!("{refusal}; sign requests with the credentials of an identity allowed to invoke the function"),
            ));
        }
    }
    let wait = std::time::Duration::from_secs(1);
    match faults.next() {
        None => {}
        Some(Fault::Unavailable) => return Ok(injected(503, "service unavailable (injected by --faults)")),
        Some(Fault::Drop) => return Err(Dropped),
        Some(Fault::SlowTimeout) => {
            tokio::time::sleep(wait).await;
            return Ok(injected(504, "timed out (injected by --faults)"));
        }
        Some(Fault::Slow) => tokio::time::sleep(wait).await,
    }
    Ok(to_hyper(app.handle(request_from(parts, body)).await))
}

/// An injected failure's answer.
fn injected(status: u16, message: &str) -> http::Response<Full<Bytes>> {
    injected_kind(status, "injected", message)
}

/// A JSON error answer of this server's own (not the handler's).
fn injected_kind(status: u16, kind: &str, message: &str) -> http::Response<Full<Bytes>> {
    let res = http::Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(serde_json::json!({"error": {"kind": kind, "message": message}}).to_string()))
        .unwrap_or_default();
    to_hyper(res)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("veer-local: error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let o = options()?;
    let source = match std::env::var_os("MODEL_PATH") {
        Some(p) => FileSource::new(p),
        None => FileSource::new(o.models.join("veernet-fp32.onnx")),
    };
    if !source.path.is_file() {
        // Not fatal (the Lambda also starts without it and answers 503), but say so now.
        eprintln!(
            "veer-local: warning: {} does not exist yet; requests get 503 until it does (pass --models DIR)",
            source.path.display()
        );
    }
    let cors = Cors::parse(&o.origins, true);
    let addr: SocketAddr = format!("{}:{}", o.host, o.port)
        .parse()
        .or_else(|_| format!("[{}]:{}", o.host, o.port).parse())
        .map_err(|_| format!("--host {:?} is not an IP address; use e.g. 127.0.0.1", o.host))?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} ({e}); pick another port with --port"))?;
    let bound = listener.local_addr().map_err(|e| format!("cannot read the bound address ({e})"))?;
    let model = source.path.display().to_string();
    let app = Arc::new(App::new(source, cors.clone(), Server::Local));
    let faults = Arc::new(Faults { rate: o.faults, count: std::sync::atomic::AtomicU64::new(0) });
    if let Some((key, _)) = &o.auth {
        println!("veer-local: requests must be signed (AWS SigV4) by access key {key} (--auth)");
    }
    let auth = Arc::new(o.auth);
    if o.faults > 0.0 {
        println!("veer-local: failing {:.0} % of requests on purpose (--faults)", o.faults * 100.0);
    }
    println!("veer-local: listening on http://{bound}/digitise (model {model}, read on the first request)");
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("veer-local: accept failed: {e}");
                continue;
            }
        };
        let (app, cors, faults, auth) = (app.clone(), cors.clone(), faults.clone(), auth.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req| serve(app.clone(), cors.clone(), faults.clone(), auth.clone(), req));
            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await {
                if !e.is_incomplete_message() {
                    eprintln!("veer-local: connection error: {e}");
                }
            }
        });
    }
}
