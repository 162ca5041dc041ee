//! The handler in-process, on real scans and the real fp32 checkpoint: requests are
//! Lambda function URL events parsed by lambda_http, as in AWS.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use veer_lambda::{App, Cors, FileSource, ModelSource, Server, Unavailable, MAX_BODY_BYTES};

/// A real checkpoint file, its reads counted (and optionally slowed, so that
/// concurrent first requests really overlap the load).
struct Counted {
    inner: FileSource,
    reads: Arc<AtomicUsize>,
    delay: Duration,
}

impl ModelSource for Counted {
    fn read(&self) -> Result<Vec<u8>, Unavailable> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        self.inner.read()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

fn app() -> App<FileSource> {
    App::new(FileSource::new(model_path()), Cors::parse("https://logs.example.org", false), Server::Lambda)
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("veer-lambda-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_is_digitised_cold_then_warm() {
    let app = app();
    let scan = case("gr-linear-png/scan.png");
    let (status, cold, headers) = parts(app.handle(gr_request(&scan)).await);
    assert_eq!(status, 200, "{cold}");
    assert_eq!(
        headers.get("access-control-allow-origin").map(|v| v.as_bytes()),
        Some(&b"https://logs.example.org"[..])
    );
    let meta = &cold["meta"];
    assert_eq!(meta["ran"], "lambda");
    assert_eq!(meta["model"], "fp32");
    assert_eq!(meta["cold_start"], true);
    let ms = &meta["ms"];
    for k in ["model_read", "model_optimise", "decode", "infer", "trace", "total"] {
        assert!(ms[k].as_f64().is_some_and(|v| v > 0.0), "{k}: {ms}");
    }
    let sum: f64 = ["model_read", "model_optimise", "decode", "prepare", "infer", "trace", "export"]
        .iter()
        .map(|k| ms[*k].as_f64().unwrap_or(0.0))
        .sum();
    assert!(sum <= ms["total"].as_f64().unwrap_or(0.0) + 1.0, "phases add up to at most the total: {ms}");

    // The curve: depths inside the calibrated range on a 0.5 step, values inside the scale.
    let curve = cold["curve"].as_array().expect("curve");
    assert!(curve.len() > 300, "{} points", curve.len());
    for p in curve {
        let (d, v) = (p["depth"].as_f64().expect("depth"), p["value"].as_f64().expect("value"));
        assert!((4990.0..=5330.0).contains(&d), "depth {d}");
        assert!((-5.0..=155.0).contains(&v), "value {v}");
        assert!((d * 2.0 - (d * 2.0).round()).abs() < 1e-6, "depth {d} off the 0.5 step");
    }
    // The traced path in scan pixels, inside the track, for drawing.
    let path = cold["path"].as_array().expect("path");
    assert!(path.len() > 300);
    for p in path {
        let x = p[0].as_f64().expect("x");
        let y = p[1].as_f64().expect("y");
        assert!((16.0..=393.0).contains(&x) && (0.0..2400.0).contains(&y), "{x},{y}");
    }
    assert_eq!(cold["stats"]["image_width"], 793);
    assert_eq!(cold["stats"]["image_height"], 2400);

    let (status, warm, _) = parts(app.handle(gr_request(&scan)).await);
    assert_eq!(status, 200);
    assert_eq!(warm["meta"]["cold_start"], false);
    assert_eq!(warm["meta"]["ms"]["model_read"], 0.0);
    assert_eq!(warm["meta"]["ms"]["model_optimise"], 0.0);
    assert_eq!(warm["curve"], cold["curve"], "same scan, same curve");
    assert_eq!(app.loads(), 1);
}

/// A project in the query string: every curve in one request, with its mnemonic and units,
/// only the project's interval traced, in the shape of a local run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_runs_every_curve_in_one_request() {
    let app = app();
    let scan = case("full-g4/scan.tif");
    let project: veer::project::Project = veer::project::Project::from_json(
        r#"{"version":1,"depth":[[150,3050],[12750,7250]],"depth_unit":"FT","step":1,"interval":[6000,7000],
            "well":{"WELL":"UNIVERSITY 6-17"},
            "curves":[{"mnemonic":"RHOB","unit":"G/C3","track":[507,882],"scale":[1.95,2.95],"seed":[739,6112]},
                      {"mnemonic":"ILD","unit":"OHMM","track":[882,1257],"scale":[0.2,2000],"log":true,"seed":[1075,6811]}]}"#,
    )
    .expect("project");
    let query = veer::params::project_to_query(&project);
    let req = request("POST", "/digitise", &query, Some("image/tiff"), &scan);
    let (status, body, _) = parts(app.handle(req).await);
    assert_eq!(status, 200, "{body}");
    let log = &body["log"];
    assert_eq!(log["depth_unit"], "FT");
    let names: Vec<(&str, &str)> = log["curves"]
        .as_array()
        .expect("curves")
        .iter()
        .map(|c| (c["mnemonic"].as_str().unwrap_or(""), c["unit"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(names, [("RHOB", "G/C3"), ("ILD", "OHMM")]);
    let depths = log["depth"].as_array().expect("depths");
    let (first, last) = (depths[0].as_f64().unwrap_or(0.0), depths[depths.len() - 1].as_f64().unwrap_or(0.0));
    // Rows 6,000-7,000 are 5,000-5,333.7 ft.
    assert!(first >= 4999.0 && last <= 5335.0, "{first}..{last}");
    for c in body["curves"].as_array().expect("runs") {
        let path = c["path"].as_array().expect("path");
        assert!(path.len() > 500, "{}: {} points", c["mnemonic"], path.len());
        assert!(path.iter().all(|p| (6000.0..=7001.0).contains(&p[1].as_f64().unwrap_or(-1.0))));
        assert!(c["stats"]["coverage"].as_f64().is_some_and(|v| v > 0.8), "{}", c["stats"]);
        // Stretches to review, in scan rows within the traced ones, as a local run gives them.
        for u in c["uncertain"].as_array().expect("uncertain rows") {
            let (a, b) = (u[0].as_f64().unwrap_or(-1.0), u[1].as_f64().unwrap_or(-1.0));
            assert!(a <= b && b >= 5999.0 && a <= 7002.0, "{u}");
        }
    }
    for c in log["curves"].as_array().expect("log curves") {
        assert!(c["uncertain"].is_array(), "{c}");
    }
    assert!(body.get("curve").is_none(), "several curves: no single-curve fields");
    assert_eq!(body["meta"]["ran"], "lambda");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_user_error_is_its_documented_4xx_and_none_loads_the_model() {
    let app = app();
    let png = case("gr-linear-png/scan.png");
    let truncated = &png[..png.len() / 3];
    // A complete PNG whose header declares more pixels than the core's limits (the
    // decode tests' bad-input corpus, crate/tests/data/bad/README.md).
    let bomb = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../crate/tests/data/bad/huge-declared.png"))
        .expect("crate/tests/data/bad/huge-declared.png");
    let over = vec![0u8; MAX_BODY_BYTES + 1];
    let typo = format!("{GR_QUERY}&trak=1");
    // (what, body, path, content type, query, wanted status, wanted error kind, text the message contains)
    type Case<'a> = (&'a str, Vec<u8>, &'a str, Option<&'a str>, &'a str, u16, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            "missing track",
            png.clone(),
            "/digitise",
            Some("image/png"),
            "scale=0:150&depth=75=5010,2250=5300",
            400,
            "bad_parameter",
            "track=120:480",
        ),
        (
            "reversed track",
            png.clone(),
            "/digitise",
            Some("image/png"),
            "track=392:17&scale=0:150&depth=75=5010,2250=5300",
            400,
            "bad_parameter",
            "left",
        ),
        (
            "one tie point",
            png.clone(),
            "/digitise",
            Some("image/png"),
            "track=17:392&scale=0:150&depth=75=5010",
            400,
            "bad_parameter",
            "tie point",
        ),
        (
            "track off the image",
            png.clone(),
            "/digitise",
            Some("image/png"),
            "track=17:3920&scale=0:150&depth=75=5010,2250=5300",
            400,
            "bad_parameter",
            "image",
        ),
        (
            "unknown parameter",
            png.clone(),
            "/digitise",
            Some("image/png"),
            typo.as_str(),
            400,
            "bad_parameter",
            "unknown query parameter",
        ),
        ("empty body", Vec::new(), "/digitise", Some("image/png"), GR_QUERY, 400, "bad_input", "empty"),
        ("truncated PNG", truncated.to_vec(), "/digitise", Some("image/png"), GR_QUERY, 400, "bad_input", ""),
        (
            "a PDF",
            b"%PDF-1.7\n%binary".to_vec(),
            "/digitise",
            Some("image/png"),
            GR_QUERY,
            415,
            "unsupported",
            "PNG, JPEG or TIFF",
        ),
        (
            "a form upload",
            png.clone(),
            "/digitise",
            Some("multipart/form-data; boundary=x"),
            GR_QUERY,
            415,
            "unsupported",
            "raw bytes",
        ),
        ("pixel bomb", bomb, "/digitise", Some("image/png"), GR_QUERY, 413, "limits", "limit"),
        ("over 6 MB", over, "/digitise", Some("image/tiff"), GR_QUERY, 413, "payload_too_large", "1-bit CCITT G4 TIFF"),
        ("wrong path", png.clone(), "/digitize", Some("image/png"), GR_QUERY, 404, "not_found", "/digitise"),
    ];
    for (what, body, path, ct, query, want_status, want_kind, needle) in cases {
        let (status, json, _) = parts(app.handle(request("POST", path, query, ct, &body)).await);
        assert_eq!(status, want_status, "{what}: {json}");
        assert_eq!(json["error"]["kind"], want_kind, "{what}: {json}");
        let msg = json["error"]["message"].as_str().expect("message");
        assert!(msg.contains(needle), "{what}: {msg}");
        assert!(!msg.contains('\n'), "{what}: one line: {msg}");
        assert_eq!(json.as_object().map(|o| o.len()), Some(1), "{what}: only the error: {json}");
    }
    let (status, json, headers) = parts(app.handle(request("GET", "/digitise", GR_QUERY, None, b"")).await);
    assert_eq!((status, json["error"]["kind"].as_str()), (405, Some("method_not_allowed")));
    assert_eq!(headers.get("allow").map(|v| v.as_bytes()), Some(&b"POST, OPTIONS"[..]));
    assert_eq!(app.loads(), 0, "cheap checks answer before the model is read");

    // Decodes, but the track is blank: nothing to trace (this one needs the model).
    let blank = blank_png(400, 1200);
    let (status, json, _) = parts(
        app.handle(request(
            "POST",
            "/digitise",
            "track=20:380&scale=0:150&depth=0=1000,1199=1100",
            Some("image/png"),
            &blank,
        ))
        .await,
    );
    assert_eq!(status, 422, "{json}");
    assert_eq!(json["error"]["kind"], "no_curve");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_requests_load_the_model_once() {
    let reads = Arc::new(AtomicUsize::new(0));
    let source =
        Counted { inner: FileSource::new(model_path()), reads: reads.clone(), delay: Duration::from_millis(300) };
    let app = Arc::new(App::new(source, Cors::default(), Server::Lambda));
    let scan = Arc::new(case("gr-linear-png/scan.png"));
    let mut handles = Vec::new();
    for _ in 0..4 {
        let (app, scan) = (app.clone(), scan.clone());
        handles.push(tokio::spawn(async move { parts(app.handle(gr_request(&scan)).await) }));
    }
    let mut colds = 0;
    for h in handles {
        let (status, json, _) = h.await.expect("task");
        assert_eq!(status, 200, "{json}");
        if json["meta"]["cold_start"] == true {
            colds += 1;
            assert!(json["meta"]["ms"]["model_read"].as_f64().unwrap_or(0.0) >= 300.0, "{json}");
        }
    }
    assert_eq!(reads.load(Ordering::SeqCst), 1, "one read for four concurrent first requests");
    assert_eq!(app.loads(), 1);
    assert!(colds >= 1, "the requests that waited for the load say so");
    let (_, warm, _) = parts(app.handle(gr_request(&scan)).await);
    assert_eq!(warm["meta"]["cold_start"], false);
    assert_eq!(reads.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_checkpoint_is_503_and_the_next_request_retries() {
    let dir = tmp_dir("retry");
    let path = dir.join("veernet-fp32.onnx");
    let app = App::new(FileSource::new(&path), Cors::default(), Server::Lambda);
    let scan = case("gr-linear-png/scan.png");
    let (status, json, _) = parts(app.handle(gr_request(&scan)).await);
    assert_eq!(status, 503, "{json}");
    assert_eq!(json["error"]["kind"], "model");
    assert!(json["error"]["message"].as_str().unwrap_or("").contains("MODEL_PATH"), "{json}");
    assert!(!app.is_warm());
    // The EFS copy finishes: the same instance recovers without a restart.
    std::fs::copy(model_path(), &path).expect("copy checkpoint");
    let (status, json, _) = parts(app.handle(gr_request(&scan)).await);
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["meta"]["cold_start"], true);
    assert_eq!(app.loads(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_checkpoint_is_a_500_model_error() {
    let dir = tmp_dir("corrupt");
    let path = dir.join("veernet-fp32.onnx");
    std::fs::write(&path, b"this is not an ONNX file").expect("write");
    let app = App::new(FileSource::new(&path), Cors::default(), Server::Lambda);
    let scan = case("gr-linear-png/scan.png");
    let (status, json, _) = parts(app.handle(gr_request(&scan)).await);
    assert_eq!(status, 500, "{json}");
    assert_eq!(json["error"]["kind"], "model");
    assert!(json["error"]["message"].as_str().unwrap_or("").contains("ONNX"), "{json}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn preflight_answers_only_configured_origins() {
    let app = app();
    let mut ev = event("OPTIONS", "/digitise", "", None, b"");
    ev["headers"]["access-control-request-method"] = "POST".into();
    let req = lambda_http::request::from_str(&ev.to_string()).expect("event");
    let (status, _, h) = parts(app.handle(req).await);
    assert_eq!(status, 204);
    assert_eq!(h.get("access-control-allow-origin").map(|v| v.as_bytes()), Some(&b"https://logs.example.org"[..]));
    assert!(h.get("access-control-allow-methods").is_some_and(|v| v.to_str().unwrap_or("").contains("POST")));
    ev["headers"]["origin"] = "https://elsewhere.example".into();
    let req = lambda_http::request::from_str(&ev.to_string()).expect("event");
    let (status, _, h) = parts(app.handle(req).await);
    assert_eq!(status, 204);
    assert!(h.get("access-control-allow-origin").is_none());
    assert_eq!(app.loads(), 0);
}
