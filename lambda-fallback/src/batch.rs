//! The S3 batch path: a scan uploaded under the input prefix (`scans/` by default)
//! triggers the function with an S3 event, and its log is written under the output
//! prefix (`results/`) with the same relative name:
//!
//! | written | when |
//! |---|---|
//! | `results/REL/STEM.las` | the log (written last: its presence means done) |
//! | `results/REL/STEM.json` | the HTTP path's JSON answer for the same scan and project |
//! | `results/REL/STEM.error.json` | the scan failed: `{"error": {"kind", "message"}, "scan", ...}` |
//!
//! The project for `scans/REL/STEM.EXT` is `scans/REL/STEM.veer.json` when there is one,
//! else the default project key (`BATCH_DEFAULT_PROJECT`, `scans/project.veer.json`).
//!
//! Each output carries the scan's ETag as user metadata (`x-amz-meta-source-etag`).
//! Before any work the function HEADs the LAS and the error file: one that exists with
//! the event's ETag means the scan is done (or failed the same way), so a redelivered
//! event reads and writes nothing; a new upload under the same key (a new ETag) is done
//! again. S3 problems (after [`crate::s3::S3_TRIES`]) and a checkpoint that cannot be
//! read fail the invocation once the other records are done, so that Lambda retries it;
//! what is the scan's own fault becomes its error file.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use tokio::sync::OnceCell;

use veer::export::{write_log, Format, LasInfo};
use veer::project::Project;

use crate::s3::{decode_event_key, Object, S3Error, S3};
use crate::{answer, ms, App, Failure, ModelSource, Ms};

/// Largest scan the batch path reads, in bytes. A 26,000 px G4 print is about 2 MB and
/// an uncompressed 8-bit one 65 MB; what is bigger is refused before it is downloaded
/// (its error file says so) rather than held in the function's memory.
pub const MAX_SCAN_BYTES: u64 = 100 * 1024 * 1024;

/// User metadata on every output naming the scan version it came from.
pub const SOURCE_ETAG: &str = "source-etag";

/// Where scans are read and results written, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchConfig {
    /// `BATCH_INPUT_PREFIX`, default `scans/`.
    pub input_prefix: String,
    /// `BATCH_OUTPUT_PREFIX`, default `results/`.
    pub output_prefix: String,
    /// `BATCH_DEFAULT_PROJECT`, default `scans/project.veer.json`: the project of a scan
    /// without its own `STEM.veer.json`.
    pub default_project: String,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            input_prefix: "scans/".into(),
            output_prefix: "results/".into(),
            default_project: "scans/project.veer.json".into(),
        }
    }
}

impl BatchConfig {
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let d = BatchConfig::default();
        BatchConfig {
            input_prefix: var("BATCH_INPUT_PREFIX").unwrap_or(d.input_prefix),
            output_prefix: var("BATCH_OUTPUT_PREFIX").unwrap_or(d.output_prefix),
            default_project: var("BATCH_DEFAULT_PROJECT").unwrap_or(d.default_project),
        }
    }

    /// The keys for scan `key`: `(project beside it, LAS, JSON, error)`.
    pub fn keys(&self, key: &str) -> Keys {
        let (dir, name) = key.rsplit_once('/').map_or(("", key), |(d, n)| (d, n));
        let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
        let beside = if dir.is_empty() { stem.to_string() } else { format!("{dir}/{stem}") };
        let rel = beside.strip_prefix(self.input_prefix.as_str()).unwrap_or(&beside);
        let out = format!("{}{rel}", self.output_prefix);
        Keys {
            project: format!("{beside}.veer.json"),
            las: format!("{out}.las"),
            json: format!("{out}.json"),
            error: format!("{out}.error.json"),
            stem: stem.to_string(),
            name: name.to_string(),
        }
    }
}

/// The keys that belong to one scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub project: String,
    pub las: String,
    pub json: String,
    pub error: String,
    pub stem: String,
    pub name: String,
}

/// The S3 side of the function: where things go, and the client, made on the first
/// S3 event (an HTTP-only deployment needs neither).
pub struct Batch {
    pub config: BatchConfig,
    s3: OnceCell<Arc<S3>>,
}

impl Batch {
    /// From the environment ([`BatchConfig::from_env`], [`S3::from_env`]).
    pub fn from_env() -> Self {
        Batch { config: BatchConfig::from_env(), s3: OnceCell::new() }
    }

    /// With a given config and client (tests).
    pub fn new(config: BatchConfig, s3: S3) -> Self {
        Batch { config, s3: OnceCell::new_with(Some(Arc::new(s3))) }
    }

    async fn client(&self) -> Result<Arc<S3>, String> {
        self.s3.get_or_try_init(|| async { S3::from_env().map(Arc::new) }).await.cloned()
    }
}

/// Whether `event` is an S3 notification (every record's `eventSource` is `aws:s3`).
pub fn is_s3_event(event: &Value) -> bool {
    event["Records"].as_array().is_some_and(|r| !r.is_empty() && r.iter().all(|r| r["eventSource"] == "aws:s3"))
}

/// One object of an S3 event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub bucket: String,
    /// Decoded (`+` is a space, `%XX` a byte).
    pub key: String,
    pub etag: Option<String>,
    pub size: Option<u64>,
}

/// The records of an S3 event.
pub fn records(event: &Value) -> Result<Vec<Record>, String> {
    let list = event["Records"].as_array().map(Vec::as_slice).unwrap_or_default();
    list.iter()
        .map(|r| {
            let s3 = &r["s3"];
            let bucket = s3["bucket"]["name"].as_str();
            let key = s3["object"]["key"].as_str();
            match (bucket, key) {
                (Some(b), Some(k)) if !b.is_empty() && !k.is_empty() => Ok(Record {
                    bucket: b.to_string(),
                    key: decode_event_key(k),
                    etag: s3["object"]["eTag"].as_str().map(|e| e.trim_matches('"').to_string()),
                    size: s3["object"]["size"].as_u64(),
                }),
                _ => Err(format!(
                    "an S3 event record without s3.bucket.name or s3.object.key ({}); \
                     the function expects S3 ObjectCreated notifications",
                    r.to_string().chars().take(200).collect::<String>()
                )),
            }
        })
        .collect()
}

/// What became of one scan.
enum Outcome {
    Done { project: String, cold: bool, ms: Ms, curves: usize },
    Skipped(&'static str),
    Failed { kind: &'static str, message: String, project: Option<String> },
}

/// Runs an S3 call on a blocking thread (the client waits on the network and sleeps
/// between retries).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, S3Error> + Send + 'static) -> Result<T, S3Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| S3Error::Transient(format!("an S3 call crashed ({e}); this is a bug, report it")))?
}

/// Whether an output exists for this version of the scan.
fn is_current(out: &Option<Object>, etag: Option<&str>) -> bool {
    match (out, etag) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(o), Some(e)) => o.meta(SOURCE_ETAG) == Some(e),
    }
}

fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let stamp = veer::sigv4::amz_date(secs);
    format!("{}-{}-{}", &stamp[0..4], &stamp[4..6], &stamp[6..8])
}

impl<S: ModelSource> App<S> {
    /// Handles an S3 event: each record's scan digitised into the output prefix (or its
    /// error file written), one log line per scan. Fails (for Lambda to retry the event)
    /// when S3 or the checkpoint failed for any record, after trying all of them.
    pub async fn handle_s3(&self, event: &Value, batch: &Batch) -> Result<Value, String> {
        let records = records(event)?;
        let s3 = batch.client().await?;
        let (mut done, mut skipped, mut failed) = (0usize, 0usize, 0usize);
        let mut retry: Vec<String> = Vec::new();
        for record in &records {
            let t0 = Instant::now();
            let keys = batch.config.keys(&record.key);
            let mut log = json!({"msg": "digitise_s3", "server": self.server.name(), "bucket": record.bucket,
                                 "key": record.key});
            match self.one_scan(record, &keys, &batch.config, &s3).await {
                Ok(Outcome::Done { project, cold, ms, curves }) => {
                    done += 1;
                    log["outcome"] = json!("done");
                    log["output"] = json!(keys.las);
                    log["project"] = json!(project);
                    log["curves"] = json!(curves);
                    log["cold_start"] = json!(cold);
                    log["ms"] = json!(ms);
                }
                Ok(Outcome::Skipped(why)) => {
                    skipped += 1;
                    log["outcome"] = json!("skipped");
                    log["why"] = json!(why);
                }
                Ok(Outcome::Failed { kind, message, project }) => {
                    failed += 1;
                    log["outcome"] = json!("failed");
                    log["output"] = json!(keys.error);
                    log["project"] = json!(project);
                    log["kind"] = json!(kind);
                    log["message"] = json!(message);
                }
                Err(e) => {
                    log["outcome"] = json!("retry");
                    log["message"] = json!(e);
                    retry.push(format!("s3://{}/{}: {e}", record.bucket, record.key));
                }
            }
            log["ms_total"] = json!(ms(t0));
            println!("{log}");
        }
        if !retry.is_empty() {
            return Err(format!(
                "{} of {} scans could not be done for now (done {done}, skipped {skipped}, failed {failed}): {}",
                retry.len(),
                records.len(),
                retry.join("; ")
            ));
        }
        Ok(json!({"scans": records.len(), "done": done, "skipped": skipped, "failed": failed}))
    }

    /// One scan; `Err` for what a retry of the event may mend.
    async fn one_scan(
        &self,
        record: &Record,
        keys: &Keys,
        config: &BatchConfig,
        s3: &Arc<S3>,
    ) -> Result<Outcome, String> {
        let bucket = record.bucket.clone();
        let etag = record.etag.clone();
        // Done before (a redelivered event): nothing read, nothing written.
        let (c, b, las, error) = (s3.clone(), bucket.clone(), keys.las.clone(), keys.error.clone());
        let (las_now, error_now) =
            blocking(move || Ok((c.head(&b, &las)?, c.head(&b, &error)?))).await.map_err(|e| e.to_string())?;
        if is_current(&las_now, etag.as_deref()) {
            return Ok(Outcome::Skipped("already done (its LAS exists for this version of the scan)"));
        }
        if is_current(&error_now, etag.as_deref()) {
            return Ok(Outcome::Skipped("already failed (its error file exists for this version of the scan)"));
        }

        let fail = |f: Failure, project: Option<String>| {
            let (_, kind) = f.status_kind();
            (kind, f.message(), project)
        };
        let failed: (&'static str, String, Option<String>) = 'run: {
            if let Some(size) = record.size.filter(|s| *s > MAX_SCAN_BYTES) {
                break 'run fail(
                    Failure::Core(veer::Error::Limits(format!(
                        "the scan is {:.1} MB, over the batch path's limit of {:.0} MB; re-save it as a 1-bit \
                         CCITT G4 TIFF or an 8-bit grayscale PNG and upload it again",
                        size as f64 / 1e6,
                        MAX_SCAN_BYTES as f64 / 1e6
                    ))),
                    None,
                );
            }
            // The project: the scan's own, else the default.
            let (c, b, own, default) =
                (s3.clone(), bucket.clone(), keys.project.clone(), config.default_project.clone());
            let found = blocking(move || {
                if let Some(o) = c.get(&b, &own)? {
                    return Ok(Some((own, o)));
                }
                Ok(c.get(&b, &default)?.map(|o| (default, o)))
            })
            .await
            .map_err(|e| e.to_string())?;
            let Some((project_key, project_obj)) = found else {
                break 'run fail(
                    Failure::Core(veer::Error::BadParameter(format!(
                        "no project for this scan: upload its calibration as s3://{bucket}/{} (the page's \
                         project file or a calibration JSON), or a default for all scans as s3://{bucket}/{}, \
                         then upload the scan again",
                        keys.project, config.default_project
                    ))),
                    None,
                );
            };
            let project_at = format!("s3://{bucket}/{project_key}");
            let project = match std::str::from_utf8(&project_obj.bytes)
                .map_err(|_| veer::Error::BadParameter("the project file is not UTF-8 text".into()))
                .and_then(Project::from_json)
                .and_then(|p| p.validate().map(|()| p))
            {
                Ok(p) => p,
                Err(e) => {
                    let f = Failure::Core(veer::Error::BadParameter(format!("{project_at}: {}", e)));
                    break 'run fail(f, Some(project_at));
                }
            };

            let (c, b, k) = (s3.clone(), bucket.clone(), record.key.clone());
            let Some(scan) = blocking(move || c.get(&b, &k)).await.map_err(|e| e.to_string())? else {
                return Ok(Outcome::Skipped("the scan is gone (deleted since the upload)"));
            };
            let source_etag = scan.etag.clone().or(etag.clone()).unwrap_or_default();

            let mut ms_out = Ms::default();
            let mut cold = false;
            let mut log = json!({});
            let t0 = Instant::now();
            match self.digitise(scan.bytes, project.clone(), &mut ms_out, &mut cold, &mut log).await {
                Ok((out, precision)) => {
                    ms_out.total = ms(t0);
                    let mut meta = self.run_meta(precision, cold, &ms_out);
                    meta["scan"] = json!(format!("s3://{bucket}/{}", record.key));
                    meta["project"] = json!(project_at);
                    let info = LasInfo {
                        well: project.well_header(&keys.stem),
                        source: keys.name.clone(),
                        model: format!("VeerNet {precision}"),
                        date: today(),
                        calibration_json: project.settings_json(),
                    };
                    let las = write_log(&out.log, Format::Las, &info, &meta);
                    let body = answer(&out, meta).to_string();
                    let curves = out.curves.len();
                    let (c, b, keys) = (s3.clone(), bucket.clone(), keys.clone());
                    // The JSON first, the LAS last: a LAS present means both are.
                    blocking(move || {
                        let meta = [(SOURCE_ETAG, source_etag.as_str())];
                        c.put(&b, &keys.json, body.as_bytes(), "application/json", &meta)?;
                        c.put(&b, &keys.las, las.as_bytes(), "text/plain; charset=utf-8", &meta)
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                    return Ok(Outcome::Done { project: project_at, cold, ms: ms_out, curves });
                }
                // Not the scan's fault: the checkpoint cannot be read, or is not a model.
                Err(f @ (Failure::ModelUnavailable(_) | Failure::Core(veer::Error::Model(_)))) => {
                    return Err(f.message());
                }
                Err(f) => fail(f, Some(project_at)),
            }
        };

        let (kind, message, project) = failed;
        let doc = json!({
            "error": {"kind": kind, "message": message},
            "scan": format!("s3://{bucket}/{}", record.key),
            "project": project,
        });
        let (c, b, key) = (s3.clone(), bucket.clone(), keys.error.clone());
        let source_etag = etag.unwrap_or_default();
        blocking(move || {
            c.put(&b, &key, doc.to_string().as_bytes(), "application/json", &[(SOURCE_ETAG, source_etag.as_str())])
        })
        .await
        .map_err(|e| e.to_string())?;
        Ok(Outcome::Failed { kind, message, project })
    }
}
