//! A small S3 client for the batch path ([`crate::batch`]): GET, HEAD and PUT of one
//! object, signed with AWS Signature Version 4 ([`veer::sigv4`]) from the function's
//! environment credentials, and retried with backoff on what may pass on a second try
//! (429, 5xx, a dropped or refused connection, a timeout).
//!
//! Addressing: virtual-hosted style on AWS (`https://BUCKET.s3.REGION.amazonaws.com/KEY`,
//! which the VPC's S3 gateway endpoint serves); path style (`ENDPOINT/BUCKET/KEY`) when
//! `S3_ENDPOINT` names another endpoint, such as the tests' local S3.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Tries of one request before it counts as failed: the first and three retries. With
/// [`S3_BACKOFF`] that waits 0.2 + 0.4 + 0.8 s, enough for S3's brief 503 "SlowDown"
/// bursts; a longer outage fails the invocation, and Lambda's own retries of the S3
/// event (two, minutes apart) redeliver it.
pub const S3_TRIES: u32 = 4;

/// Wait before the first retry, doubled before each further one.
pub const S3_BACKOFF: Duration = Duration::from_millis(200);

/// Longest one request may take, body included. A 100 MB scan over the gateway
/// endpoint takes about a second; the slack covers a slow start.
pub const S3_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Largest object read ([`S3::get`]); the batch path refuses bigger scans before the GET.
pub const MAX_OBJECT_BYTES: u64 = 128 * 1024 * 1024;

/// Longest error answer kept for a message.
const MAX_ERROR_TEXT: usize = 300;

/// An object as read: its bytes (empty for a HEAD), its ETag without quotes and its
/// user metadata (`x-amz-meta-*`, names without the prefix, lower-case).
#[derive(Debug, Clone, Default)]
pub struct Object {
    pub bytes: Vec<u8>,
    pub etag: Option<String>,
    pub meta: Vec<(String, String)>,
}

impl Object {
    /// A user metadata value.
    pub fn meta(&self, name: &str) -> Option<&str> {
        self.meta.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why an S3 request failed. Either way the invocation fails (and is redelivered): the
/// scan itself is not at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Error {
    /// Still failing after [`S3_TRIES`] tries (429, 5xx, connection or timeout).
    Transient(String),
    /// Refused in a way a retry does not change (403, 400, ...): a permission or
    /// configuration problem.
    Refused(String),
}

impl std::fmt::Display for S3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            S3Error::Transient(m) | S3Error::Refused(m) => f.write_str(m),
        }
    }
}

/// AWS credentials, as the Lambda runtime puts them in the environment.
#[derive(Clone)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret or the token.
        write!(f, "Credentials({})", self.access_key)
    }
}

/// Where requests go.
#[derive(Debug, Clone)]
enum Endpoint {
    /// `https://BUCKET.s3.REGION.amazonaws.com/KEY`.
    Aws,
    /// `BASE/BUCKET/KEY` (`BASE` as `http[s]://host[:port]`).
    Path(String),
}

/// The client: one per function instance (its connections are reused).
pub struct S3 {
    agent: ureq::Agent,
    endpoint: Endpoint,
    region: String,
    creds: Credentials,
}

impl std::fmt::Debug for S3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S3({:?}, {}, {:?})", self.endpoint, self.region, self.creds)
    }
}

impl S3 {
    /// A client for `region` with `creds`; `endpoint` (`http[s]://host[:port]`) for
    /// path-style requests to another S3 than AWS's.
    pub fn new(endpoint: Option<&str>, region: &str, creds: Credentials) -> S3 {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(S3_REQUEST_TIMEOUT))
            .build()
            .into();
        let endpoint = match endpoint.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Endpoint::Path(e.trim_end_matches('/').to_string()),
            None => Endpoint::Aws,
        };
        S3 { agent, endpoint, region: region.to_string(), creds }
    }

    /// From the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN` (what Lambda sets from the function's role), `AWS_REGION`, and
    /// `S3_ENDPOINT` if set.
    pub fn from_env() -> Result<S3, String> {
        let var = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let (Some(access_key), Some(secret_key)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) else {
            return Err("no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) to read \
                        the scans from S3; Lambda sets them from the function's role: deploy with \
                        lambda-fallback/deploy/template.yaml"
                .into());
        };
        let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).ok_or_else(|| {
            "no AWS_REGION in the environment to address S3; Lambda sets it: set it when running elsewhere".to_string()
        })?;
        let creds = Credentials { access_key, secret_key, session_token: var("AWS_SESSION_TOKEN") };
        Ok(S3::new(var("S3_ENDPOINT").as_deref(), &region, creds))
    }

    /// The object, or `None` when there is none (404).
    pub fn get(&self, bucket: &str, key: &str) -> Result<Option<Object>, S3Error> {
        self.send("GET", bucket, key, &[], None)
    }

    /// The object's ETag and metadata without its bytes, or `None` when there is none.
    /// (A missing key is a 404 only with s3:ListBucket on the bucket; without it S3
    /// answers 403, which is refused here: the template grants it.)
    pub fn head(&self, bucket: &str, key: &str) -> Result<Option<Object>, S3Error> {
        self.send("HEAD", bucket, key, &[], None)
    }

    /// Writes the object with `content_type` and user metadata `meta` (names without
    /// `x-amz-meta-`).
    pub fn put(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        content_type: &str,
        meta: &[(&str, &str)],
    ) -> Result<(), S3Error> {
        let mut headers = vec![("content-type".to_string(), content_type.to_string())];
        headers.extend(meta.iter().map(|(n, v)| (format!("x-amz-meta-{}", n.to_ascii_lowercase()), v.to_string())));
        self.send("PUT", bucket, key, &headers, Some(body)).map(|_| ())
    }

    /// `(url, host as signed, path as sent)` of an object.
    fn address(&self, bucket: &str, key: &str) -> (String, String, String) {
        let key = encode_key(key);
        match &self.endpoint {
            Endpoint::Aws => {
                let host = format!("{bucket}.s3.{}.amazonaws.com", self.region);
                let path = format!("/{key}");
                (format!("https://{host}{path}"), host, path)
            }
            Endpoint::Path(base) => {
                let (https, authority) = match base.strip_prefix("https://") {
                    Some(a) => (true, a),
                    None => (false, base.trim_start_matches("http://")),
                };
                // The Host header as the client sends it: no port when it is the scheme's.
                let host = match authority.rsplit_once(':') {
                    Some((h, "443")) if https => h.to_string(),
                    Some((h, "80")) if !https => h.to_string(),
                    _ => authority.to_string(),
                };
                let path = format!("/{}/{key}", encode_key(bucket));
                (format!("{base}{path}"), host, path)
            }
        }
    }

    /// One request, retried ([`S3_TRIES`], [`S3_BACKOFF`]); `None` on 404.
    fn send(
        &self,
        method: &str,
        bucket: &str,
        key: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<Option<Object>, S3Error> {
        let (url, host, path) = self.address(bucket, key);
        let what = format!("{method} s3://{bucket}/{key}");
        let mut last = String::new();
        for attempt in 0..S3_TRIES {
            if attempt > 0 {
                std::thread::sleep(S3_BACKOFF * 2u32.pow(attempt - 1));
            }
            // Signed afresh for each try: a signature holds for 5 minutes.
            let mut all = vec![("host".to_string(), host.clone())];
            all.extend(headers.iter().cloned());
            let signed = self.sign(method, &path, &all, body.unwrap_or_default());
            let result = match method {
                "PUT" => {
                    let mut req = self.agent.put(&url);
                    for (k, v) in headers.iter().chain(&signed) {
                        req = req.header(k, v);
                    }
                    req.send(body.unwrap_or_default())
                }
                _ => {
                    let mut req = if method == "HEAD" { self.agent.head(&url) } else { self.agent.get(&url) };
                    for (k, v) in headers.iter().chain(&signed) {
                        req = req.header(k, v);
                    }
                    req.call()
                }
            };
            let mut res = match result {
                Ok(res) => res,
                Err(e) => {
                    last = format!("{what} failed: {e}");
                    continue;
                }
            };
            let status = res.status().as_u16();
            if status == 404 {
                return Ok(None);
            }
            if (200..300).contains(&status) {
                let header = |n: &str| res.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
                let etag = header("etag").map(|e| e.trim_matches('"').to_string());
                let meta = res
                    .headers()
                    .iter()
                    .filter_map(|(n, v)| {
                        let name = n.as_str().strip_prefix("x-amz-meta-")?;
                        Some((name.to_string(), v.to_str().ok()?.to_string()))
                    })
                    .collect();
                let bytes = if method == "GET" {
                    match res.body_mut().with_config().limit(MAX_OBJECT_BYTES).read_to_vec() {
                        Ok(b) => b,
                        // Cut off mid-body: a transport failure, try again.
                        Err(e) => {
                            last = format!("{what}: the object could not be read in full ({e})");
                            continue;
                        }
                    }
                } else {
                    Vec::new()
                };
                return Ok(Some(Object { bytes, etag, meta }));
            }
            let text = res.body_mut().with_config().limit(64 * 1024).read_to_string().unwrap_or_default();
            // S3's error document: `<Error><Code>..</Code><Message>..</Message>..`.
            let said = match (xml_field(&text, "Code"), xml_field(&text, "Message")) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code,
                // A HEAD's answer has no body: the status's reason alone.
                _ if text.trim().is_empty() => res.status().canonical_reason().unwrap_or_default().to_string(),
                _ => text.chars().take(MAX_ERROR_TEXT).collect(),
            };
            last = format!("{what}: S3 answered {status} {said}").trim_end().to_string();
            if !(status == 429 || status >= 500) {
                let hint = match status {
                    403 => format!(
                        "; check that the function's role may {} this key (lambda-fallback/deploy/template.yaml) \
                         and that its credentials and clock are right",
                        match method {
                            "PUT" => "s3:PutObject",
                            "HEAD" => "s3:GetObject and s3:ListBucket on",
                            _ => "s3:GetObject",
                        }
                    ),
                    _ => String::new(),
                };
                return Err(S3Error::Refused(format!("{last}{hint}")));
            }
        }
        Err(S3Error::Transient(format!(
            "{last} (after {S3_TRIES} tries; the invocation fails so that Lambda redelivers the event)"
        )))
    }

    /// The signing headers for a request of `headers` (`host` included) and `body`.
    fn sign(&self, method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Vec<(String, String)> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let req = veer::sigv4::Request { method, path, query: "", headers, body };
        let creds = veer::sigv4::Credentials {
            access_key: &self.creds.access_key,
            secret_key: &self.creds.secret_key,
            session_token: self.creds.session_token.as_deref(),
        };
        veer::sigv4::sign(&req, &creds, &self.region, "s3", &veer::sigv4::amz_date(now))
    }
}

/// A key as S3 wants it in the path: every byte but `A-Z a-z 0-9 - _ . ~ /` percent-encoded
/// (and the same text is what is signed).
pub fn encode_key(key: &str) -> String {
    key.split('/').map(|part| veer::sigv4::encode(part.as_bytes())).collect::<Vec<_>>().join("/")
}

/// An S3 event's object key as text: `+` is a space and `%XX` a byte (S3 encodes keys
/// in events as a form would; a `+` in the key itself comes as `%2B`).
pub fn decode_event_key(key: &str) -> String {
    String::from_utf8_lossy(&veer::sigv4::decode(&key.replace('+', " "))).into_owned()
}

/// The text of `<name>...</name>` in an S3 error document.
fn xml_field(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].to_string())
}
