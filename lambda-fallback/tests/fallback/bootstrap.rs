//! The real `bootstrap` binary, run against a stand-in for the Lambda Runtime API
//! (tests/fallback/support/runtime_api.rs): cold then warm invocations, a 400 in between,
//! and one JSON log line per request on stdout (what CloudWatch receives); S3 events too.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::runtime_api::RuntimeApi;
use crate::support::*;
use serde_json::Value;

#[test]
fn bootstrap_serves_invocations_from_the_runtime_api() {
    let mut api = RuntimeApi::start();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "veer-digitise")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("MODEL_PATH", model_path())
        .env("ALLOWED_ORIGINS", "https://logs.example.org")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bootstrap");

    let scan = case("gr-linear-png/scan.png");
    let good = event("POST", "/digitise", GR_QUERY, Some("image/png"), &scan).to_string();
    let bad = event("POST", "/digitise", "track=17:392&scale=0:150", Some("image/png"), &scan).to_string();
    let mut answers = Vec::new();
    for ev in [good.clone(), bad, good] {
        let id = api.push(ev);
        let posted = api.wait(Duration::from_secs(240)).expect("the function answers");
        assert_eq!(posted.request_id, id);
        assert_eq!(posted.outcome, "response", "{}", posted.body);
        let res: Value = serde_json::from_str(&posted.body).expect("API Gateway v2 response JSON");
        let body: Value = serde_json::from_str(res["body"].as_str().expect("text body")).expect("JSON body");
        answers.push((res, body));
    }
    api.close();
    let _ = child.kill();
    let _ = child.wait();
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }

    let (res, body) = &answers[0];
    assert_eq!(res["statusCode"], 200, "{body}");
    assert_eq!(res["headers"]["content-type"], "application/json");
    assert_eq!(res["headers"]["access-control-allow-origin"], "https://logs.example.org");
    assert_eq!(body["meta"]["cold_start"], true);
    assert_eq!(body["meta"]["server"], "aws");
    assert!(body["curve"].as_array().is_some_and(|c| c.len() > 300));
    let (res, body) = &answers[1];
    assert_eq!(res["statusCode"], 400);
    assert_eq!(body["error"]["kind"], "bad_parameter");
    let (res, body) = &answers[2];
    assert_eq!(res["statusCode"], 200);
    assert_eq!(body["meta"]["cold_start"], false);
    assert_eq!(body["curve"], answers[0].1["curve"]);

    let logs: Vec<Value> =
        out.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).filter(|v| v["msg"] == "digitise").collect();
    assert_eq!(logs.len(), 3, "one JSON log line per request:\n{out}");
    let statuses: Vec<_> = logs.iter().map(|l| l["status"].as_u64()).collect();
    assert_eq!(statuses, vec![Some(200), Some(400), Some(200)]);
    assert_eq!(logs[0]["cold_start"], true);
    assert_eq!(logs[2]["cold_start"], false);
    assert!(logs[0]["ms"]["model_read"].as_f64().is_some_and(|v| v > 0.0));
    assert_eq!(logs[1]["kind"], "bad_parameter");
    assert!(logs.iter().all(|l| l["request_id"].as_str().is_some_and(|s| s.starts_with("00000000-"))), "{out}");
}

/// The same binary on S3 events (the batch path), its S3 requests going to the fake S3
/// through `S3_ENDPOINT` and signed with the credentials Lambda puts in the environment:
/// a scan is digitised into results/, and an event S3 cannot serve fails the invocation
/// with `veer.S3Retry`, for Lambda to retry.
#[test]
fn bootstrap_digitises_an_s3_upload_and_fails_an_outage_for_retry() {
    use crate::support::fake_s3::*;
    let fake = FakeS3::start();
    let bucket = "veer-scans-123456789012-eu-west-1";
    let scan = case("gr-linear-png/scan.png");
    let etag = fake.insert(bucket, "scans/well 7.png", &scan);
    fake.insert(bucket, "scans/project.veer.json", &case("gr-linear-png/case.json"));
    let other = fake.insert(bucket, "scans/down.png", &scan);
    fake.fault("HEAD", "results/down.las", Fault::Status(500), 100);

    let mut api = RuntimeApi::start();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "veer-digitise")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("MODEL_PATH", model_path())
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("AWS_REGION", REGION)
        .env("S3_ENDPOINT", fake.endpoint())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bootstrap");

    let id = api.push(s3_event(&[(bucket, "scans/well+7.png", &etag, scan.len())]).to_string());
    let done = api.wait(Duration::from_secs(240)).expect("the function answers");
    let id2 = api.push(s3_event(&[(bucket, "scans/down.png", &other, scan.len())]).to_string());
    let down = api.wait(Duration::from_secs(240)).expect("the function answers");
    api.close();
    let _ = child.kill();
    let _ = child.wait();
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }

    assert_eq!((done.request_id.as_str(), done.outcome.as_str()), (id.as_str(), "response"), "{}", done.body);
    let summary: Value = serde_json::from_str(&done.body).expect("JSON");
    assert_eq!(summary, serde_json::json!({"scans": 1, "done": 1, "skipped": 0, "failed": 0}));
    let result: Value = serde_json::from_slice(&fake.object(bucket, "results/well 7.json").expect("JSON result").bytes)
        .expect("result JSON");
    assert!(result["curve"].as_array().is_some_and(|c| c.len() > 300));
    assert_eq!(result["meta"]["server"], "aws");
    assert!(fake.object(bucket, "results/well 7.las").is_some_and(|o| o.bytes.starts_with(b"~V")));

    assert_eq!((down.request_id.as_str(), down.outcome.as_str()), (id2.as_str(), "error"), "{}", down.body);
    let error: Value = serde_json::from_str(&down.body).expect("error JSON");
    assert_eq!(error["errorType"], "veer.S3Retry");
    assert!(
        error["errorMessage"].as_str().is_some_and(|m| m.contains("500") && m.contains("after 4 tries")),
        "{error}"
    );

    let logs: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["msg"] == "digitise_s3")
        .collect();
    let outcomes: Vec<_> = logs.iter().map(|l| (l["key"].as_str(), l["outcome"].as_str())).collect();
    assert_eq!(
        outcomes,
        vec![(Some("scans/well 7.png"), Some("done")), (Some("scans/down.png"), Some("retry"))],
        "{out}"
    );
    assert_eq!(logs[0]["output"], "results/well 7.las");
    assert_eq!(logs[0]["cold_start"], true);
}
