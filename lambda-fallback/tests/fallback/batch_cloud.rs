//! `veer batch --cloud` against `veer-local` failing 10 % of requests on purpose
//! (`--faults 0.1`: 503s, dropped connections, slow 504s, slow answers): 200 small scans
//! all digitised, each written once, with the same curves as a local `veer batch`; a
//! re-run skips them all, and after outputs are lost only those are sent again. And
//! `veer-local --auth` standing in for IAM auth: signed batches pass, unsigned, wrongly
//! signed and expired requests get a 403 before any work is done.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::*;

const SCANS: usize = 200;

/// A fresh folder for one test.
fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("veer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("a temporary folder");
    d
}

struct Local(Child);

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `veer-local --faults RATE` on a free port; returns it and its digitise URL.
fn start(faults: &str) -> (Local, String) {
    let (local, url, _) = start_with(&["--faults", faults]);
    (local, url)
}

/// `veer-local ARGS` on a free port: it, its digitise URL, and its log lines so far.
fn start_with(args: &[&str]) -> (Local, String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_veer-local"))
        .args(["--port", "0"])
        .args(args)
        .arg("--models")
        .arg(root().join("models"))
        .env_remove("MODEL_PATH")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start veer-local");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut url = None;
    let mut line = String::new();
    while url.is_none() {
        line.clear();
        assert!(reader.read_line(&mut line).expect("a line") > 0, "veer-local stopped before listening");
        url = line.split_whitespace().find(|w| w.starts_with("http://")).map(str::to_string);
    }
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let lines = log.clone();
    std::thread::spawn(move || {
        for l in reader.lines().map_while(Result::ok) {
            lines.lock().expect("log").push(l);
        }
    });
    (Local(child), url.expect("a URL"), log)
}

/// The `veer` CLI beside this test binary (`cargo test --workspace` builds it for the
/// core's own tests).
fn veer_cli() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let veer = dir.join(format!("veer{}", std::env::consts::EXE_SUFFIX));
    assert!(veer.is_file(), "{} is missing: build it with cargo build --release", veer.display());
    veer
}

/// `count` small scans of one wavy curve, each a little different, as PNG.
fn write_scans(dir: &Path, count: usize) {
    std::fs::create_dir_all(dir).expect("scan folder");
    let (w, h) = (200u32, 260u32);
    for i in 0..count {
        let mut img = image::GrayImage::from_pixel(w, h, image::Luma([255]));
        for y in 0..h {
            let x = 100.0 + 70.0 * ((f64::from(y) + 7.0 * i as f64) / 40.0).sin();
            for dx in -1..=1 {
                img.put_pixel((x as i64 + dx) as u32, y, image::Luma([0]));
            }
        }
        img.save(dir.join(format!("scan-{i:03}.png"))).expect("write a scan");
    }
}

fn batch(args: &[&str]) -> (bool, String) {
    batch_env(args, &[])
}

/// `veer batch ARGS` with only `env` for AWS credentials.
fn batch_env(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(veer_cli());
    for k in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"] {
        cmd.env_remove(k);
    }
    let out = cmd.arg("batch").args(args).arg("--quiet").envs(env.iter().copied()).output().expect("run veer batch");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).to_string())
}

fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("outputs")
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().to_string(), std::fs::read(e.path()).expect("an output")))
        .filter(|(n, _)| n.ends_with(".csv"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_folder_goes_through_a_failing_fallback_each_scan_once_and_resumes() {
    let dir = tmp("batch-cloud");
    let scans = dir.join("scans");
    write_scans(&scans, SCANS);
    let project = dir.join("project.json");
    std::fs::write(
        &project,
        r#"{"version":1,"depth":[[0,1000],[259,1025.9]],"depth_unit":"M",
            "curves":[{"mnemonic":"GR","unit":"GAPI","track":[0,199],"scale":[0,150],"log":false}]}"#,
    )
    .expect("project");
    let (cloud_out, local_out) = (dir.join("cloud"), dir.join("local"));
    let (_server, url) = start("0.1");
    let common = ["--project", project.to_str().expect("utf-8"), "--format", "csv"];
    let cloud = |out: &Path| {
        let mut a = vec![scans.to_str().expect("utf-8"), "--cloud", &url, "--concurrency", "8", "--out-dir"];
        a.push(out.to_str().expect("utf-8"));
        a.extend(common);
        batch(&a)
    };

    let (ok, log) = cloud(&cloud_out);
    assert!(ok, "{log}");
    assert!(log.contains(&format!("{SCANS} digitised")) && log.contains("0 failed"), "{log}");
    let requests: usize = log
        .split("; ")
        .last()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the request count");
    assert!(requests > SCANS, "10 % of requests fail, so some are sent again: {log}");

    // Each scan once: one manifest line and one output per scan, no partial files.
    let manifest = std::fs::read_to_string(cloud_out.join("veer-manifest.jsonl")).expect("manifest");
    let mut names: Vec<&str> = manifest.lines().collect();
    assert_eq!(names.len(), SCANS);
    names.sort();
    names.dedup();
    assert_eq!(names.len(), SCANS, "no scan done twice");
    let got = outputs(&cloud_out);
    assert_eq!(got.len(), SCANS);
    assert!(std::fs::read_dir(&cloud_out).expect("outputs").all(|e| !e
        .expect("entry")
        .file_name()
        .to_string_lossy()
        .ends_with(".part")));

    // The same curves as a local run.
    let mut a = vec![scans.to_str().expect("utf-8"), "--out-dir", local_out.to_str().expect("utf-8")];
    a.extend(common);
    let (ok, log) = batch(&a);
    assert!(ok, "{log}");
    assert_eq!(got, outputs(&local_out), "the cloud's curves are the local run's, byte for byte");

    // A re-run sends nothing; after outputs are lost, only those go again.
    let (ok, log) = cloud(&cloud_out);
    assert!(ok && log.contains(&format!("{SCANS} already done")) && log.contains("; 0 requests"), "{log}");
    for i in [3, 77, 150] {
        std::fs::remove_file(cloud_out.join(format!("scan-{i:03}.csv"))).expect("remove an output");
    }
    let (ok, log) = cloud(&cloud_out);
    assert!(ok && log.contains("3 digitised") && log.contains(&format!("{} already done", SCANS - 3)), "{log}");
    assert_eq!(outputs(&cloud_out), got);
}

#[test]
fn refusals_that_will_not_pass_fail_at_once_with_the_fallbacks_message() {
    let dir = tmp("batch-cloud-refused");
    write_scans(&dir.join("scans"), 2);
    let project = dir.join("project.json");
    // The track lies outside these 200 px wide scans: a 400 for each, not retried.
    std::fs::write(
        &project,
        r#"{"version":1,"depth":[[0,0],[259,25.9]],"curves":[{"mnemonic":"GR","track":[150,900],"scale":[0,150],"log":false}]}"#,
    )
    .expect("project");
    let (_server, url) = start("0");
    let scans = dir.join("scans");
    let (ok, log) = batch(&[
        scans.to_str().expect("utf-8"),
        "--cloud",
        &url,
        "--project",
        project.to_str().expect("utf-8"),
        "--out-dir",
        dir.join("out").to_str().expect("utf-8"),
    ]);
    assert!(!ok, "{log}");
    assert!(log.contains("2 failed; 2 requests"), "one request per scan, no retries: {log}");
    assert!(log.contains("the fallback answered 400") && log.contains("outside"), "{log}");
    assert!(log.contains("run the same command again"), "{log}");
}

#[test]
fn with_iam_auth_only_signed_requests_are_digitised() {
    let dir = tmp("batch-cloud-auth");
    let scans = dir.join("scans");
    write_scans(&scans, 3);
    let project = dir.join("project.json");
    std::fs::write(
        &project,
        r#"{"version":1,"depth":[[0,0],[259,25.9]],"curves":[{"mnemonic":"GR","track":[0,199],"scale":[0,150],"log":false}]}"#,
    )
    .expect("project");
    let (_server, url, log) = start_with(&["--auth", "AKIDVEERTEST:s3cret/key"]);
    let run = |out: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut a = vec![scans.to_str().expect("utf-8"), "--cloud", &url, "--project"];
        a.push(project.to_str().expect("utf-8"));
        let out = dir.join(out);
        a.extend(["--out-dir", out.to_str().expect("utf-8")]);
        a.extend(extra);
        batch_env(&a, env)
    };
    let digitised = |log: &std::sync::Mutex<Vec<String>>| {
        log.lock().expect("log").iter().filter(|l| l.contains("\"status\":200")).count()
    };

    // Unsigned (no credentials, or --unsigned with them): refused at once, nothing digitised.
    let key = [("AWS_ACCESS_KEY_ID", "AKIDVEERTEST"), ("AWS_SECRET_ACCESS_KEY", "s3cret/key")];
    for (extra, env) in [(&[][..], &[][..]), (&["--unsigned"][..], &key[..])] {
        let (ok, out) = run("unsigned", extra, env);
        assert!(!ok && out.contains("3 failed; 3 requests"), "{out}");
        assert!(
            out.contains("answered 403") && out.contains("not signed") && out.contains("AWS_ACCESS_KEY_ID"),
            "{out}"
        );
    }
    // Signed with the wrong secret.
    let (ok, out) = run("wrong", &[], &[("AWS_ACCESS_KEY_ID", "AKIDVEERTEST"), ("AWS_SECRET_ACCESS_KEY", "guess")]);
    assert!(!ok && out.contains("answered 403") && out.contains("does not match"), "{out}");
    // Signed ten minutes ago: expired.
    let addr = url.trim_start_matches("http://").trim_end_matches("/digitise").to_string();
    let body = std::fs::read(scans.join("scan-000.png")).expect("a scan");
    let headers = vec![("host".to_string(), addr.clone()), ("content-type".to_string(), "image/png".to_string())];
    let query = "track=0:199&scale=0:150&depth=0=0,259=25.9";
    let req = veer::sigv4::Request { method: "POST", path: "/digitise", query, headers: &headers, body: &body };
    let creds = veer::sigv4::Credentials { access_key: "AKIDVEERTEST", secret_key: "s3cret/key", session_token: None };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    let mut head =
        format!("POST /digitise?{query} HTTP/1.1\r\nconnection: close\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers.iter().cloned().chain(veer::sigv4::sign(
        &req,
        &creds,
        "us-east-1",
        "lambda",
        &veer::sigv4::amz_date(now - 600),
    )) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    std::io::Write::write_all(&mut s, head.as_bytes()).expect("head");
    std::io::Write::write_all(&mut s, &body).expect("body");
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut s, &mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 403") && answer.contains("expired"), "{answer}");
    assert_eq!(digitised(&log), 0, "no refused request was digitised");

    // Signed with the right key: every scan digitised.
    let (ok, out) = run("signed", &[], &key);
    assert!(ok && out.contains("3 digitised") && out.contains("3 requests"), "{out}");
    assert_eq!(digitised(&log), 3);
}
