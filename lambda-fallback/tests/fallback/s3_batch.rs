//! The S3 batch path in-process: the handler driven by S3 event JSON against the fake
//! S3 (tests/fallback/support/fake_s3.rs, which checks every request's SigV4 signature),
//! on real scans and the real fp32 checkpoint.

use serde_json::Value;

use crate::support::fake_s3::*;
use crate::support::*;
use veer_lambda::batch::{is_s3_event, records};
use veer_lambda::s3::{decode_event_key, Credentials, S3};
use veer_lambda::{App, Batch, BatchConfig, Cors, FileSource, Server};

const BUCKET: &str = "veer-scans-123456789012-eu-west-1";

fn client(fake: &FakeS3, secret: &str) -> S3 {
    let creds = Credentials {
        access_key: ACCESS_KEY.into(),
        secret_key: secret.into(),
        session_token: Some(SESSION_TOKEN.into()),
    };
    S3::new(Some(&fake.endpoint()), REGION, creds)
}

fn app() -> App<FileSource> {
    App::new(FileSource::new(model_path()), Cors::parse("", false), Server::Lambda)
}

fn json_of(fake: &FakeS3, key: &str) -> Value {
    let o = fake.object(BUCKET, key).unwrap_or_else(|| panic!("{key} was not written: {:?}", fake.keys(BUCKET, "")));
    serde_json::from_slice(&o.bytes).unwrap_or_else(|e| panic!("{key} is not JSON: {e}"))
}

/// The HTTP path's answer for the same scan and project (the project in the query, as
/// the page and `veer batch --cloud` send it).
async fn over_http(app: &App<FileSource>, scan: &[u8], case_json: &[u8]) -> Value {
    let project = veer::project::Project::from_json(std::str::from_utf8(case_json).unwrap()).unwrap();
    let query = veer::params::project_to_query(&project);
    let (status, body, _) = parts(app.handle(request("POST", "/digitise", &query, None, scan)).await);
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_archive_is_digitised_once_each_with_faults_retried() {
    let fake = FakeS3::start();
    let gr = case("gr-linear-png/scan.png");
    let res = case("res-log-g4/scan.tif");
    let jpeg = case("jpeg-gr/scan.jpg");
    let broken = gr[..400].to_vec(); // a PNG cut off in its first chunk
    let gr_project = case("gr-linear-png/case.json");
    let res_project = case("res-log-g4/case.json");
    let default_project = case("jpeg-gr/case.json");

    // `aws s3 sync` of a folder: two scans with their own projects (one in a subfolder
    // with a space in its name), one on the default project, one broken.
    let e_gr = fake.insert(BUCKET, "scans/gr-linear.png", &gr);
    fake.insert(BUCKET, "scans/gr-linear.veer.json", &gr_project);
    let e_res = fake.insert(BUCKET, "scans/res log/res-log-g4.tif", &res);
    fake.insert(BUCKET, "scans/res log/res-log-g4.veer.json", &res_project);
    let e_jpeg = fake.insert(BUCKET, "scans/jpeg-gr.jpg", &jpeg);
    let e_broken = fake.insert(BUCKET, "scans/broken.png", &broken);
    fake.insert(BUCKET, "scans/project.veer.json", &default_project);
    // S3 encodes keys in events as a form would: the space is '+'.
    let event = s3_event(&[
        (BUCKET, "scans/gr-linear.png", &e_gr, gr.len()),
        (BUCKET, "scans/res+log/res-log-g4.tif", &e_res, res.len()),
        (BUCKET, "scans/jpeg-gr.jpg", &e_jpeg, jpeg.len()),
        (BUCKET, "scans/broken.png", &e_broken, broken.len()),
    ]);
    // A 503 on the first GET of a scan, a dropped connection on the first PUT of a LAS.
    fake.fault("GET", "scans/gr-linear.png", Fault::Status(503), 1);
    fake.fault("PUT", "results/jpeg-gr.las", Fault::Drop, 1);

    let app = app();
    let batch = Batch::new(BatchConfig::default(), client(&fake, SECRET_KEY));
    let t = std::time::Instant::now();
    let summary = app.handle_s3(&event, &batch).await.expect("the batch succeeds");
    eprintln!("s3 batch: 4 scans in {:.1} s (model load included)", t.elapsed().as_secs_f64());
    assert_eq!(summary, serde_json::json!({"scans": 4, "done": 3, "skipped": 0, "failed": 1}));

    // Each scan's outputs, with the HTTP path's curves for the same scan and project.
    for (stem, scan, project, etag) in [
        ("gr-linear", &gr, &gr_project, &e_gr),
        ("res log/res-log-g4", &res, &res_project, &e_res),
        ("jpeg-gr", &jpeg, &default_project, &e_jpeg),
    ] {
        let result = json_of(&fake, &format!("results/{stem}.json"));
        let http = over_http(&app, scan, project).await;
        assert_eq!(result["log"], http["log"], "{stem}: the S3 path's log is the HTTP path's");
        assert_eq!(result["curve"], http["curve"], "{stem}");
        assert!(result["curve"].as_array().is_some_and(|c| c.len() > 100), "{stem}: {}", result["curve"]);
        assert_eq!(result["meta"]["scan"], format!("s3://{BUCKET}/scans/{stem}.{}", &fake_ext(stem)));
        let las_key = format!("results/{stem}.las");
        let las = fake.object(BUCKET, &las_key).expect("LAS written");
        let text = String::from_utf8(las.bytes).expect("LAS text");
        let rows = text.split("~A").nth(1).expect("~A section").lines().skip(1).count();
        assert_eq!(rows, http["log"]["depth"].as_array().map_or(0, Vec::len), "{stem}: one LAS row per depth");
        assert_eq!(las.meta.get("source-etag"), Some(etag), "{stem}: the LAS names the scan version");
        assert!(fake.object(BUCKET, &format!("results/{stem}.error.json")).is_none());
    }
    // The project used: its own where there is one, else the default.
    assert_eq!(
        json_of(&fake, "results/gr-linear.json")["meta"]["project"],
        format!("s3://{BUCKET}/scans/gr-linear.veer.json")
    );
    assert_eq!(
        json_of(&fake, "results/jpeg-gr.json")["meta"]["project"],
        format!("s3://{BUCKET}/scans/project.veer.json")
    );

    // The broken scan: its error file with the core's kind and message, no LAS.
    let error = json_of(&fake, "results/broken.error.json");
    assert_eq!(error["error"]["kind"], "bad_input", "{error}");
    assert!(error["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(error["scan"], format!("s3://{BUCKET}/scans/broken.png"));
    assert!(fake.object(BUCKET, "results/broken.las").is_none());

    // The faults were retried: each faulted request was sent again and went through.
    let seen = fake.seen();
    let tries =
        |m: &str, k: &str| seen.iter().filter(|s| s.method == m && s.key == k).map(|s| s.status).collect::<Vec<_>>();
    assert_eq!(tries("GET", "scans/gr-linear.png"), vec![503, 200]);
    assert_eq!(tries("PUT", "results/jpeg-gr.las"), vec![0, 200]);
    // Every output written once (the dropped PUT never arrived).
    let puts: Vec<_> = seen.iter().filter(|s| s.method == "PUT" && s.status == 200).map(|s| s.key.clone()).collect();
    let mut unique = puts.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(puts.len(), unique.len(), "an output written twice: {puts:?}");
    assert_eq!(puts.len(), 7, "3 x (JSON, LAS) and one error file: {puts:?}");
    assert!(seen.iter().all(|s| s.status != 403), "every request is signed: {seen:?}");

    // Redelivered (S3 and Lambda deliver at least once): nothing read, nothing written.
    let before = fake.seen().len();
    let again = app.handle_s3(&event, &batch).await.expect("the redelivery succeeds");
    assert_eq!(again, serde_json::json!({"scans": 4, "done": 0, "skipped": 4, "failed": 0}));
    let after = &fake.seen()[before..];
    assert!(after.iter().all(|s| s.method == "HEAD"), "a redelivered event only looks: {after:?}");

    // A new upload under the same key (a new ETag) is digitised again.
    let e_new = fake.insert(BUCKET, "scans/gr-linear.png", &jpeg);
    fake.insert(BUCKET, "scans/gr-linear.veer.json", &default_project);
    let newer = s3_event(&[(BUCKET, "scans/gr-linear.png", &e_new, jpeg.len())]);
    let redone = app.handle_s3(&newer, &batch).await.expect("the new version is done");
    assert_eq!(redone["done"], 1, "{redone}");
    let las = fake.object(BUCKET, "results/gr-linear.las").expect("LAS");
    assert_eq!(las.meta.get("source-etag"), Some(&e_new));
    assert_eq!(json_of(&fake, "results/gr-linear.json")["log"], json_of(&fake, "results/jpeg-gr.json")["log"]);
}

fn fake_ext(stem: &str) -> &'static str {
    match stem {
        "gr-linear" => "png",
        "jpeg-gr" => "jpg",
        _ => "tif",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_refusals_and_outages_fail_the_invocation_and_write_nothing() {
    let fake = FakeS3::start();
    let scan = case("gr-linear-png/scan.png");
    let etag = fake.insert(BUCKET, "scans/a.png", &scan);
    let event = s3_event(&[(BUCKET, "scans/a.png", &etag, scan.len())]);
    let app = app();

    // The fake refuses what is not signed, as S3 does.
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let res = agent.get(format!("{}/{BUCKET}/scans/a.png", fake.endpoint())).call().expect("an answer");
    assert_eq!(res.status().as_u16(), 403);

    // Signed with the wrong secret: refused, the invocation fails naming the problem.
    let wrong = Batch::new(BatchConfig::default(), client(&fake, "not-the-secret"));
    let err = app.handle_s3(&event, &wrong).await.expect_err("a refused request fails the invocation");
    assert!(err.contains("403 Forbidden") && err.contains("s3:GetObject"), "{err}");
    assert!(fake.seen().iter().all(|s| s.method != "HEAD" || s.status == 403));

    // S3 unavailable for longer than the retries: the invocation fails for Lambda to
    // redeliver, after all tries.
    fake.fault("HEAD", "results/a.las", Fault::Status(503), 100);
    let batch = Batch::new(BatchConfig::default(), client(&fake, SECRET_KEY));
    let err = app.handle_s3(&event, &batch).await.expect_err("an outage fails the invocation");
    assert!(err.contains("503") && err.contains("after 4 tries") && err.contains("redeliver"), "{err}");
    let heads = fake.seen().iter().filter(|s| s.method == "HEAD" && s.key == "results/a.las").count();
    assert_eq!(heads, 1 + veer_lambda::s3::S3_TRIES as usize, "1 refused + S3_TRIES tries");
    assert!(fake.keys(BUCKET, "results/").is_empty(), "nothing written");
    assert_eq!(app.loads(), 0, "the model was never needed");

    // A scan without a project anywhere: its error file says what to upload.
    let fresh = FakeS3::start();
    let etag = fresh.insert(BUCKET, "scans/b.png", &scan);
    let batch = Batch::new(BatchConfig::default(), client(&fresh, SECRET_KEY));
    let done = app.handle_s3(&s3_event(&[(BUCKET, "scans/b.png", &etag, scan.len())]), &batch).await.unwrap();
    assert_eq!(done["failed"], 1, "{done}");
    let error = json_of(&fresh, "results/b.error.json");
    assert_eq!(error["error"]["kind"], "bad_parameter");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("scans/b.veer.json") && message.contains("scans/project.veer.json"), "{message}");
}

#[test]
fn s3_events_keys_and_outputs() {
    let event = s3_event(&[(BUCKET, "scans/res+log/a%2Bb%C3%A9.TIF", "abc", 10)]);
    assert!(is_s3_event(&event));
    assert!(!is_s3_event(&crate::support::event("POST", "/digitise", "", None, b"x")));
    let r = records(&event).unwrap();
    assert_eq!(r[0].key, "scans/res log/a+bé.TIF");
    assert_eq!(r[0].etag.as_deref(), Some("abc"));
    assert_eq!(decode_event_key("a+b%20c"), "a b c");
    let keys = BatchConfig::default().keys("scans/well 1/run.2.tif");
    assert_eq!(keys.project, "scans/well 1/run.2.veer.json");
    assert_eq!(keys.las, "results/well 1/run.2.las");
    assert_eq!(keys.json, "results/well 1/run.2.json");
    assert_eq!(keys.error, "results/well 1/run.2.error.json");
    assert_eq!(keys.stem, "run.2");
    let bad = serde_json::json!({"Records": [{"eventSource": "aws:s3", "s3": {}}]});
    assert!(records(&bad).unwrap_err().contains("s3.object.key"));
}
