//! Cold start and warm latency of the real `bootstrap`, run against a stand-in for the
//! Lambda Runtime API on loopback (the one the tests use).
//!
//! ```text
//! cargo run --release -p veer-lambda --example cold_start -- [--runs 5] [--warm 5]
//!     [--scan crate/tests/cases/full-g4/scan.tif] [--calibration crate/tests/cases/full-g4/track1-gr.json]
//!     [--model models/veernet-fp32.onnx] [--bootstrap PATH] [--runner "PROGRAM ARGS"]
//! ```
//! `--bootstrap` runs another build of the bootstrap (default: target/release/bootstrap beside
//! this example); `--runner` starts it through a program, e.g. the arm64 package under user-mode
//! QEMU: `--bootstrap target/lambda/bootstrap/bootstrap --runner "qemu-aarch64 -L /usr/aarch64-linux-gnu"`
//! (`lambda-fallback/deploy/check-package`).
//! Each run starts a fresh process (a cold instance), times process start to the first
//! response and the handler's phases (`meta.ms`), then sends `--warm` more requests to
//! the same process. Prints the medians as a Markdown table.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../tests/fallback/support/runtime_api.rs"]
mod runtime_api;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use runtime_api::RuntimeApi;
use serde_json::{json, Value};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn query(cal: &Value) -> String {
    let pair = |k: &str| format!("{}:{}", cal[k][0], cal[k][1]);
    let mut q = format!("track={}&scale={}", pair("track"), pair("scale"));
    let depth: Vec<String> =
        cal["depth"].as_array().into_iter().flatten().map(|p| format!("{}={}", p[0], p[1])).collect();
    q += &format!("&depth={}", depth.join(","));
    if cal["log"] == true {
        q += "&log=1";
    }
    if cal["seed"].is_array() {
        q += &format!("&seed={},{}", cal["seed"][0], cal["seed"][1]);
    }
    if let Some(s) = cal["step"].as_f64() {
        q += &format!("&step={s}");
    }
    q
}

fn event(q: &str, content_type: &str, body: &[u8]) -> String {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/digitise", "rawQueryString": q,
        "headers": {"content-type": content_type, "host": "local.lambda-url.eu-west-1.on.aws"},
        "requestContext": {"accountId": "anonymous", "apiId": "local", "domainName": "local.lambda-url.eu-west-1.on.aws",
            "domainPrefix": "local", "http": {"method": "POST", "path": "/digitise", "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1", "userAgent": "cold_start"}, "requestId": "cold-start", "routeKey": "$default",
            "stage": "$default", "time": "22/Nov/2026:10:00:00 +0000", "timeEpoch": 0},
        "body": base64::engine::general_purpose::STANDARD.encode(body), "isBase64Encoded": true
    })
    .to_string()
}

fn main() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut runs = 5usize;
    let mut warm = 5usize;
    let mut scan = root.join("crate/tests/cases/full-g4/scan.tif");
    let mut calibration = root.join("crate/tests/cases/full-g4/track1-gr.json");
    let mut model = root.join("models/veernet-fp32.onnx");
    let mut bootstrap: Option<PathBuf> = None;
    let mut runner: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().ok_or(format!("{a} needs a value"))?;
        match a.as_str() {
            "--runs" => runs = v.parse().map_err(|_| "--runs takes a count")?,
            "--warm" => warm = v.parse().map_err(|_| "--warm takes a count")?,
            "--scan" => scan = PathBuf::from(v),
            "--calibration" => calibration = PathBuf::from(v),
            "--model" => model = PathBuf::from(v),
            "--bootstrap" => bootstrap = Some(PathBuf::from(v)),
            "--runner" => runner = v.split_whitespace().map(String::from).collect(),
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let bootstrap = match bootstrap {
        Some(p) if p.is_file() => p,
        Some(p) => return Err(format!("--bootstrap {}: no such file", p.display())),
        None => std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().and_then(|d| d.parent()).map(|d| d.join("bootstrap")))
            .filter(|p| p.is_file())
            .ok_or("target/release/bootstrap is missing: cargo build --release -p veer-lambda")?,
    };
    let command = |bootstrap: &PathBuf| match runner.split_first() {
        Some((prog, args)) => {
            let mut c = Command::new(prog);
            c.args(args).arg(bootstrap);
            c
        }
        None => Command::new(bootstrap),
    };
    let body = std::fs::read(&scan).map_err(|e| format!("cannot read {}: {e}", scan.display()))?;
    let cal: Value = serde_json::from_str(
        &std::fs::read_to_string(&calibration).map_err(|e| format!("cannot read {}: {e}", calibration.display()))?,
    )
    .map_err(|e| format!("{}: {e}", calibration.display()))?;
    let ct = match scan.extension().and_then(|e| e.to_str()) {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "image/tiff",
    };
    let ev = event(&query(&cal), ct, &body);

    let keys = ["model_read", "model_optimise", "decode", "prepare", "infer", "trace", "export", "total"];
    let mut cold: Vec<Vec<f64>> = vec![Vec::new(); keys.len()];
    let (mut init, mut first, mut warm_e2e, mut warm_total) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut info = String::new();
    for run in 0..runs {
        let mut api = RuntimeApi::start();
        let t0 = Instant::now();
        let mut child = command(&bootstrap)
            .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "veer-digitise")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("MODEL_PATH", &model)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bootstrap.display()))?;
        api.push(ev.clone());
        let mut outcome = Ok(());
        for i in 0..=warm {
            let sent = Instant::now();
            if i > 0 {
                api.push(ev.clone());
            }
            let Some(p) = api.wait(Duration::from_secs(600)) else {
                outcome = Err("no answer within 600 s".to_string());
                break;
            };
            let res: Value = serde_json::from_str(&p.body).map_err(|e| e.to_string())?;
            let b: Value = serde_json::from_str(res["body"].as_str().unwrap_or("")).map_err(|e| e.to_string())?;
            if res["statusCode"] != 200 {
                outcome = Err(format!("status {}: {b}", res["statusCode"]));
                break;
            }
            let ms = &b["meta"]["ms"];
            if i == 0 {
                let poll = api.first_poll().map(|t| (t - t0).as_secs_f64() * 1e3).unwrap_or(f64::NAN);
                init.push(poll);
                first.push((p.at - t0).as_secs_f64() * 1e3);
                for (k, v) in keys.iter().zip(cold.iter_mut()) {
                    v.push(ms[*k].as_f64().unwrap_or(f64::NAN));
                }
                info = format!(
                    "{} x {} px, {} tiles, {} curve points",
                    b["stats"]["image_width"],
                    b["stats"]["image_height"],
                    b["stats"]["tiles"],
                    b["curve"].as_array().map_or(0, |c| c.len())
                );
            } else {
                warm_e2e.push((p.at - sent).as_secs_f64() * 1e3);
                warm_total.push(ms["total"].as_f64().unwrap_or(f64::NAN));
            }
        }
        api.close();
        let _ = child.kill();
        let _ = child.wait();
        outcome?;
        eprintln!(
            "run {}: first response {:.0} ms after process start",
            run + 1,
            first.last().copied().unwrap_or(f64::NAN)
        );
    }
    println!("scan: {} ({info}); {runs} cold runs, {warm} warm requests each; medians in ms\n", scan.display());
    println!("| phase | median ms |\n|---|---:|");
    println!("| process start to first poll of the Runtime API (init) | {:.0} |", median(init));
    for (k, v) in keys.iter().zip(cold) {
        println!("| cold request: {k} | {:.0} |", median(v));
    }
    println!("| **cold: process start to first response** | **{:.0}** |", median(first));
    println!("| warm request: handler total | {:.0} |", median(warm_total));
    println!("| **warm: event queued to response** | **{:.0}** |", median(warm_e2e));
    Ok(())
}
