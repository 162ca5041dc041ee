//! `veer batch --cloud URL`: a folder of scans through the cloud fallback.
//!
//! Scans go to the fallback's `digitise` endpoint (the Lambda's function URL, or
//! `veer-local`) with the project in the query (`project=<JSON>`, as the page sends it),
//! on `--concurrency` threads at once. A scan over the request limit is re-encoded
//! first, as the page does (`veer::encode::shrink`). Refusals that may pass on a second
//! try (429, 500, 502, 503, 504, a dropped connection, a timeout) are retried with
//! exponential backoff and jitter, honouring `Retry-After`; any other refusal is the
//! scan's failure, with the fallback's message.
//!
//! Requests are signed with AWS Signature Version 4 (service `lambda`) when the
//! environment holds AWS credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! optional `AWS_SESSION_TOKEN`; region from `AWS_REGION`, `AWS_DEFAULT_REGION` or the
//! function URL's host), as a function URL deployed with IAM auth requires; `--unsigned`
//! sends them bare.
//!
//! A manifest in the output folder (`veer-manifest.jsonl`, one line per scan written)
//! makes a re-run resume: a scan whose bytes, project and format match a line, and whose
//! output is still there, is skipped. An output is written to a temporary file and
//! renamed before its line is added, so a run killed at any point leaves no half file
//! and no scan marked done that was not.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use veer::decode::decode;
use veer::export::{write_log, Format, LasInfo, Log};
use veer::limits::Limits;
use veer::params::project_to_query;
use veer::plan::CLOUD_MAX_BODY_BYTES;
use veer::project::Project;

/// The manifest's file name in the output folder.
pub const MANIFEST: &str = "veer-manifest.jsonl";
/// First backoff; each retry doubles it, up to [`MAX_BACKOFF`], times a random 0.5-1.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Longest answer read (a 25,000 px scan's paths and log are a few MB).
const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;

/// How to reach the fallback.
pub struct Cloud {
    /// The `digitise` endpoint, e.g. `https://....lambda-url.eu-west-1.on.aws/digitise`.
    pub url: String,
    /// Scans in flight at once.
    pub concurrency: usize,
    /// Further tries of a scan after a retryable refusal.
    pub retries: u32,
    /// Longest wait for one answer.
    pub timeout: Duration,
    /// Sign requests with the environment's AWS credentials, when it has them.
    pub sign: bool,
}

/// AWS credentials and region for signing, from the environment.
struct Signer {
    access_key: String,
    secret_key: String,
    session_token: Option<String>,
    region: String,
}

impl Signer {
    fn from_env(host: &str) -> Option<Signer> {
        let var = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .or_else(|| veer::sigv4::function_url_region(host).map(str::to_string))
            .unwrap_or_else(|| "us-east-1".into());
        Some(Signer {
            access_key: var("AWS_ACCESS_KEY_ID")?,
            secret_key: var("AWS_SECRET_ACCESS_KEY")?,
            session_token: var("AWS_SESSION_TOKEN"),
            region,
        })
    }

    /// The headers that sign a POST of `body` to `path?query` on `host`, now.
    fn headers(&self, host: &str, path: &str, query: &str, content_type: &str, body: &[u8]) -> Vec<(String, String)> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let base = vec![("host".to_string(), host.to_string()), ("content-type".to_string(), content_type.to_string())];
        let req = veer::sigv4::Request { method: "POST", path, query, headers: &base, body };
        let creds = veer::sigv4::Credentials {
            access_key: &self.access_key,
            secret_key: &self.secret_key,
            session_token: self.session_token.as_deref(),
        };
        veer::sigv4::sign(&req, &creds, &self.region, "lambda", &veer::sigv4::amz_date(now))
    }
}

/// Host (with a port other than the scheme's), path and query of an http(s) URL.
fn url_parts(url: &str) -> (String, String, String) {
    let (https, rest) = match url.strip_prefix("https://") {
        Some(r) => (true, r),
        None => (false, url.trim_start_matches("http://")),
    };
    let (authority, rest) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let host = match authority.rsplit_once(':') {
        Some((h, "443")) if https => h.to_string(),
        Some((h, "80")) if !https => h.to_string(),
        _ => authority.to_string(),
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    (host, if path.is_empty() { "/".into() } else { path.to_string() }, query.to_string())
}

/// What a cloud batch did.
pub struct Summary {
    pub written: usize,
    pub skipped: usize,
    pub failed: Vec<(PathBuf, String)>,
    /// Requests sent, retries included.
    pub requests: usize,
}

/// One line of the manifest.
#[derive(Serialize, Deserialize, PartialEq, Eq, Hash, Clone)]
struct Done {
    scan: String,
    /// FNV-1a of the scan's bytes, hex.
    bytes: String,
    /// FNV-1a of the project's query, hex.
    project: String,
    format: String,
    output: String,
}

/// The part of the fallback's answer that is written out.
#[derive(Deserialize)]
struct Answer {
    log: Log,
    #[serde(default)]
    meta: serde_json::Value,
}

/// Digitise `scans` through the fallback into `out_dir`, one output per scan, skipping
/// the scans the manifest there holds as done.
pub fn run(
    cloud: &Cloud,
    scans: &[PathBuf],
    project: &Project,
    format: Format,
    out_dir: &Path,
    bar: &ProgressBar,
) -> Result<Summary> {
    if !(cloud.url.starts_with("http://") || cloud.url.starts_with("https://")) {
        bail!("--cloud {:?} is not an http(s) URL; give the fallback's digitise URL", cloud.url);
    }
    let query = project_to_query(project);
    let project_hash = hex(fnv1a(query.as_bytes()));
    let manifest_path = out_dir.join(MANIFEST);
    let done = read_manifest(&manifest_path)?;
    let mut manifest = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&manifest_path)
        .with_context(|| format!("cannot open the manifest {}", manifest_path.display()))?;

    // What is left to do, with each scan's bytes hashed once.
    let mut todo = Vec::new();
    let mut skipped = 0;
    for scan in scans {
        let bytes = std::fs::read(scan).with_context(|| format!("cannot read {}", scan.display()))?;
        let entry = Done {
            scan: file_name(scan),
            bytes: hex(fnv1a(&bytes)),
            project: project_hash.clone(),
            format: format.name().to_string(),
            output: format!("{}.{}", stem(scan), format.name()),
        };
        if done.contains(&entry) && out_dir.join(&entry.output).is_file() {
            skipped += 1;
            bar.inc(1);
        } else {
            todo.push((scan.clone(), entry));
        }
    }

    let url = format!("{}{}{query}", cloud.url, if cloud.url.contains('?') { "&" } else { "?" });
    let signer = if cloud.sign { Signer::from_env(&url_parts(&url).0) } else { None };
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(cloud.timeout)).build().into();
    let next = AtomicUsize::new(0);
    let requests = AtomicUsize::new(0);
    let mut summary = Summary { written: 0, skipped, failed: Vec::new(), requests: 0 };
    std::thread::scope(|scope| -> Result<()> {
        let (send, receive) = mpsc::channel();
        for _ in 0..cloud.concurrency.clamp(1, todo.len().max(1)) {
            let send = send.clone();
            let (todo, next, requests, agent, url, signer) = (&todo, &next, &requests, &agent, &url, &signer);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((scan, entry)) = todo.get(i) else { break };
                let to = Target { agent, url, signer: signer.as_ref(), cloud, requests };
                let result = one_scan(&to, scan, project, format, out_dir, &entry.output, i);
                if send.send((i, result)).is_err() {
                    break;
                }
            });
        }
        drop(send);
        for (i, result) in receive {
            let (scan, entry) = &todo[i];
            match result {
                Ok(()) => {
                    let line = serde_json::to_string(entry)?;
                    writeln!(manifest, "{line}")
                        .and_then(|_| manifest.flush())
                        .with_context(|| format!("cannot add to the manifest {}", manifest_path.display()))?;
                    summary.written += 1;
                }
                Err(e) => summary.failed.push((scan.clone(), format!("{e:#}").replace('\n', " "))),
            }
            bar.set_message(entry.scan.clone());
            bar.inc(1);
        }
        Ok(())
    })?;
    summary.requests = requests.load(Ordering::Relaxed);
    Ok(summary)
}

/// Where requests go and how.
struct Target<'a> {
    agent: &'a ureq::Agent,
    url: &'a str,
    signer: Option<&'a Signer>,
    cloud: &'a Cloud,
    /// Requests sent so far, retries included.
    requests: &'a AtomicUsize,
}

/// Sends one scan (retrying what may pass on a second try) and writes its output.
fn one_scan(
    to: &Target<'_>,
    scan: &Path,
    project: &Project,
    format: Format,
    out_dir: &Path,
    output: &str,
    salt: usize,
) -> Result<()> {
    let (body, content_type) = request_body(scan)?;
    let (host, path, query) = url_parts(to.url);
    let mut attempt = 0u32;
    let answer = loop {
        to.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = to.agent.post(to.url).header("content-type", content_type);
        // Signed afresh for each try: a signature is valid for 5 minutes.
        if let Some(s) = to.signer {
            for (k, v) in s.headers(&host, &path, &query, content_type, &body) {
                request = request.header(k, v);
            }
        }
        let sent = request.send(&body[..]);
        let (retry, why, wait) = match sent {
            Ok(mut res) => {
                let status = res.status().as_u16();
                let text = res
                    .body_mut()
                    .with_config()
                    .limit(MAX_ANSWER_BYTES)
                    .read_to_string()
                    .unwrap_or_else(|e| format!("(the answer could not be read: {e})"));
                if status == 200 {
                    match serde_json::from_str::<Answer>(&text) {
                        Ok(a) => break a,
                        // A cut-off answer is a transport failure: try again.
                        Err(e) => (true, format!("the answer is not a digitised log ({e})"), None),
                    }
                } else {
                    let wait = res
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    (matches!(status, 429 | 500 | 502 | 503 | 504), refusal(status, &text), wait)
                }
            }
            Err(e) => (true, format!("the request failed: {e}"), None),
        };
        if !retry {
            bail!("{why}");
        }
        if attempt >= to.cloud.retries {
            bail!("{why} (after {} tries; raise --retries or lower --concurrency)", attempt + 1);
        }
        std::thread::sleep(wait.unwrap_or_else(|| backoff(attempt, salt)).min(MAX_BACKOFF));
        attempt += 1;
    };

    let mut meta = answer.meta;
    meta["scan"] = serde_json::json!(file_name(scan));
    let info = LasInfo {
        well: project.well_header(&stem(scan)),
        source: file_name(scan),
        model: format!("VeerNet {}", meta["model"].as_str().unwrap_or("fp32")),
        date: super::today(),
        calibration_json: project.settings_json(),
    };
    let text = write_log(&answer.log, format, &info, &meta);
    let dest = out_dir.join(output);
    let part = out_dir.join(format!("{output}.part"));
    std::fs::write(&part, text).with_context(|| format!("cannot write {}", part.display()))?;
    std::fs::rename(&part, &dest).with_context(|| format!("cannot write {}", dest.display()))?;
    Ok(())
}

/// The request body and its content type: the scan's own bytes, or re-encoded to fit
/// the request limit.
fn request_body(scan: &Path) -> Result<(Vec<u8>, &'static str)> {
    let bytes = std::fs::read(scan).with_context(|| format!("cannot read {}", scan.display()))?;
    if bytes.len() as u64 <= CLOUD_MAX_BODY_BYTES {
        let ext = scan.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).unwrap_or_default();
        let ct = match ext.as_str() {
            "tif" | "tiff" => "image/tiff",
            "png" => "image/png",
            _ => "image/jpeg",
        };
        return Ok((bytes, ct));
    }
    let image = decode(&bytes, &Limits::default())?;
    let shrunk = veer::encode::shrink(&image, CLOUD_MAX_BODY_BYTES as usize)?;
    Ok((shrunk.bytes, "image/png"))
}

/// A refusal in one line: the fallback's own message when it sent one.
fn refusal(status: u16, text: &str) -> String {
    let message = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| text.chars().take(300).collect::<String>().trim().to_string());
    let hint = match status {
        401 | 403 => {
            "; the function URL checks who calls it: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                      (and AWS_SESSION_TOKEN) for an identity allowed to invoke it"
        }
        _ => "",
    };
    format!("the fallback answered {status}: {message}{hint}")
}

/// Wait before retry `attempt` (0-based): doubling from [`FIRST_BACKOFF`], times a
/// pseudo-random 0.5-1 so that scans refused together do not come back together.
fn backoff(attempt: u32, salt: usize) -> Duration {
    let base = FIRST_BACKOFF.saturating_mul(1 << attempt.min(16));
    let mut x = (salt as u64 ^ (u64::from(attempt) << 32)).wrapping_add(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    base.mul_f64(0.5 + 0.5 * (x % 1000) as f64 / 1000.0)
}

/// The manifest's lines (none when it does not exist yet).
fn read_manifest(path: &Path) -> Result<HashSet<Done>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
        Err(e) => return Err(anyhow!(e).context(format!("cannot read the manifest {}", path.display()))),
    };
    // A line cut short by a killed run is ignored: its scan is simply done again.
    Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn hex(v: u64) -> String {
    format!("{v:016x}")
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
}

fn stem(p: &Path) -> String {
    p.file_stem().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stays_bounded() {
        for salt in 0..50 {
            for attempt in 0..5 {
                let b = backoff(attempt, salt);
                let base = FIRST_BACKOFF * (1 << attempt);
                assert!(b >= base / 2 && b <= base, "{attempt}: {b:?}");
            }
        }
        assert!(backoff(40, 1) <= FIRST_BACKOFF * (1 << 16));
    }

    #[test]
    fn url_parts_give_the_signed_host_path_and_query() {
        let (h, p, q) = url_parts("https://abc.lambda-url.eu-west-1.on.aws:443/digitise?project=%7B%7D");
        assert_eq!(
            (h.as_str(), p.as_str(), q.as_str()),
            ("abc.lambda-url.eu-west-1.on.aws", "/digitise", "project=%7B%7D")
        );
        let (h, p, q) = url_parts("http://127.0.0.1:9191?x=1");
        assert_eq!((h.as_str(), p.as_str(), q.as_str()), ("127.0.0.1:9191", "/", "x=1"));
    }

    #[test]
    fn refusals_carry_the_fallbacks_message() {
        let body = r#"{"error":{"kind":"bad_parameter","message":"track 0:9999 lies outside the image"}}"#;
        assert_eq!(refusal(400, body), "the fallback answered 400: track 0:9999 lies outside the image");
        assert_eq!(refusal(502, "Bad gateway\n"), "the fallback answered 502: Bad gateway");
    }
}
