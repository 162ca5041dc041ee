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

use std::convert::Infallible;
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

const USAGE: &str = "usage: veer-local [--models DIR] [--port PORT] [--host ADDR] [--allowed-origins LIST]\n\
  --models DIR            folder holding veernet-fp32.onnx, standing in for the EFS mount (env VEER_MODELS; default: the repository's models/)\n\
  --port PORT             TCP port, 0 for any free one (env VEER_LOCAL_PORT; default 9090)\n\
  --host ADDR             address to listen on (default 127.0.0.1)\n\
  --allowed-origins LIST  comma-separated origins allowed by CORS besides http://localhost:* (env ALLOWED_ORIGINS)\n\
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
}

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
    };
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
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
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
    req: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
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
    Ok(to_hyper(app.handle(request_from(parts, body)).await))
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
    println!("veer-local: listening on http://{bound}/digitise (model {model}, read on the first request)");
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("veer-local: accept failed: {e}");
                continue;
            }
        };
        let (app, cors) = (app.clone(), cors.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req| serve(app.clone(), cors.clone(), req));
            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await {
                if !e.is_incomplete_message() {
                    eprintln!("veer-local: connection error: {e}");
                }
            }
        });
    }
}
