//! A small stand-in for Amazon S3, enough for the batch path: GET, HEAD and PUT of
//! path-style keys (`/BUCKET/KEY`) on 127.0.0.1, served by hyper on its own thread.
//! Every request's AWS Signature Version 4 is checked with the core's verifier
//! (`veer::sigv4::verify`), for service `s3` and the session token given: an unsigned
//! or wrongly signed request gets 403 AccessDenied, as from S3. Faults can be queued
//! per method and key: a status (503 SlowDown) or a dropped connection (no answer).
//! Every request is recorded with the status it got (0: dropped).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

pub const ACCESS_KEY: &str = "ASIATESTBATCHKEY";
pub const SECRET_KEY: &str = "batch/secret+key/for/the/fake/s3";
pub const SESSION_TOKEN: &str = "session-token-of-the-function-role";
pub const REGION: &str = "eu-west-1";

/// A stored object.
#[derive(Debug, Clone)]
pub struct Stored {
    pub bytes: Vec<u8>,
    pub etag: String,
    pub content_type: String,
    /// `x-amz-meta-*` headers, names without the prefix.
    pub meta: BTreeMap<String, String>,
}

/// What to do to the next matching requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status with an S3 error document.
    Status(u16),
    /// Close the connection without an answer.
    Drop,
}

/// One request as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub bucket: String,
    pub key: String,
    /// 0 when the connection was dropped.
    pub status: u16,
}

#[derive(Default)]
struct State {
    objects: BTreeMap<(String, String), Stored>,
    faults: Vec<(String, String, Fault, usize)>,
    seen: Vec<Seen>,
}

pub struct FakeS3 {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FakeS3 {
    /// Starts serving on a free port (on its own thread and runtime, so that sync and
    /// async tests can use it alike).
    pub fn start() -> FakeS3 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the fake S3 on loopback");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("address");
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    let Ok((stream, _)) = listener.accept().await else { continue };
                    let state = shared.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| serve(req, state.clone()));
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        FakeS3 { addr, state }
    }

    /// The endpoint for `S3_ENDPOINT` / `S3::new`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stores an object directly (an upload by someone else); returns its ETag.
    pub fn insert(&self, bucket: &str, key: &str, bytes: &[u8]) -> String {
        let etag = etag_of(bytes);
        let stored = Stored {
            bytes: bytes.to_vec(),
            etag: etag.clone(),
            content_type: "application/octet-stream".into(),
            meta: BTreeMap::new(),
        };
        self.state.lock().expect("state").objects.insert((bucket.into(), key.into()), stored);
        etag
    }

    pub fn object(&self, bucket: &str, key: &str) -> Option<Stored> {
        self.state.lock().expect("state").objects.get(&(bucket.to_string(), key.to_string())).cloned()
    }

    /// The keys stored under `prefix`.
    pub fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let state = self.state.lock().expect("state");
        state.objects.keys().filter(|(b, k)| b == bucket && k.starts_with(prefix)).map(|(_, k)| k.clone()).collect()
    }

    /// The next `times` requests `method key` get `fault`.
    pub fn fault(&self, method: &str, key: &str, fault: Fault, times: usize) {
        self.state.lock().expect("state").faults.push((method.into(), key.into(), fault, times));
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().expect("state").seen.clone()
    }
}

/// A stand-in ETag: a hash of the bytes, hex (S3's is their MD5; any content hash does).
pub fn etag_of(bytes: &[u8]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    format!("{:016x}{:08x}", h.finish(), bytes.len())
}

fn decode(s: &str) -> String {
    String::from_utf8_lossy(&veer::sigv4::decode(s)).into_owned()
}

fn error(status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(Full::new(Bytes::from(xml)))
        .expect("response")
}

async fn serve(req: Request<Incoming>, state: Arc<Mutex<State>>) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = req.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
    let rest = path.trim_start_matches('/');
    let (bucket, key) = rest.split_once('/').map_or((decode(rest), String::new()), |(b, k)| (decode(b), decode(k)));

    let mut st = state.lock().map_err(|_| std::io::Error::other("state poisoned"))?;
    let record = |st: &mut State, status: u16| {
        st.seen.push(Seen { method: method.clone(), bucket: bucket.clone(), key: key.clone(), status })
    };
    // Injected faults first (they hit signed and unsigned requests alike, as outages do).
    if let Some(f) = st.faults.iter_mut().find(|(m, k, _, n)| *m == method && *k == key && *n > 0) {
        f.3 -= 1;
        let fault = f.2;
        match fault {
            Fault::Drop => {
                record(&mut st, 0);
                // An error from the service: hyper closes the connection without an answer.
                return Err(std::io::Error::other("injected: connection dropped"));
            }
            Fault::Status(s) => {
                record(&mut st, s);
                return Ok(error(s, "SlowDown", "Please reduce your request rate."));
            }
        }
    }

    // The signature, as S3 checks it.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let signed = veer::sigv4::Request { method: &method, path: &path, query: &query, headers: &headers, body: &body };
    let header = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
    let refusal = match veer::sigv4::verify(&signed, |k| (k == ACCESS_KEY).then(|| SECRET_KEY.to_string()), now) {
        Err(r) => Some(r.to_string()),
        Ok(()) if !header("authorization").is_some_and(|a| a.contains(&format!("/{REGION}/s3/aws4_request"))) => {
            Some("the request is not signed for S3 in this region".into())
        }
        Ok(()) if header("x-amz-security-token") != Some(SESSION_TOKEN) => {
            Some("the request's security token is missing or not the session's".into())
        }
        Ok(()) if header("x-amz-content-sha256").is_none() => Some("no x-amz-content-sha256 header".into()),
        Ok(()) => None,
    };
    if let Some(why) = refusal {
        record(&mut st, 403);
        return Ok(error(403, "AccessDenied", &why));
    }

    let id = (bucket.clone(), key.clone());
    let response = match method.as_str() {
        "GET" | "HEAD" => match st.objects.get(&id) {
            Some(o) => {
                let mut b = Response::builder()
                    .status(200)
                    .header("etag", format!("\"{}\"", o.etag))
                    .header("content-type", o.content_type.clone())
                    .header("content-length", o.bytes.len());
                for (n, v) in &o.meta {
                    b = b.header(format!("x-amz-meta-{n}"), v.clone());
                }
                let bytes = if method == "GET" { o.bytes.clone() } else { Vec::new() };
                b.body(Full::new(Bytes::from(bytes))).expect("response")
            }
            None if method == "HEAD" => Response::builder().status(404).body(Full::default()).expect("response"),
            None => error(404, "NoSuchKey", "The specified key does not exist."),
        },
        "PUT" => {
            let etag = etag_of(&body);
            let meta = headers
                .iter()
                .filter_map(|(n, v)| Some((n.strip_prefix("x-amz-meta-")?.to_string(), v.clone())))
                .collect();
            let content_type = header("content-type").unwrap_or("binary/octet-stream").to_string();
            st.objects.insert(id, Stored { bytes: body, etag: etag.clone(), content_type, meta });
            Response::builder()
                .status(200)
                .header("etag", format!("\"{etag}\""))
                .body(Full::default())
                .expect("response")
        }
        _ => error(405, "MethodNotAllowed", "The specified method is not allowed against this resource."),
    };
    record(&mut st, response.status().as_u16());
    Ok(response)
}

/// An S3 ObjectCreated event for `(bucket, key as S3 encodes it, etag, size)` records.
pub fn s3_event(records: &[(&str, &str, &str, usize)]) -> serde_json::Value {
    let records: Vec<serde_json::Value> = records
        .iter()
        .map(|(bucket, key, etag, size)| {
            serde_json::json!({
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2026-12-07T19:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "veer-scans",
                    "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
                    "object": {"key": key, "size": size, "eTag": etag, "sequencer": "0055AED6DCD90281E5"}
                }
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}
