//! The real `bootstrap` binary, run against a stand-in for the Lambda Runtime API
//! (tests/fallback/support/runtime_api.rs): cold then warm invocations, a 400 in between,
//! and one JSON log line per request on stdout (what CloudWatch receives).

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
