//! `veer-local` over loopback: it prints its URL, digitises a real scan, refuses an
//! oversized body with the same 413 as the Lambda before reading it, and answers CORS
//! preflights from a page on another localhost port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::*;
use serde_json::Value;
use veer_lambda::MAX_BODY_BYTES;

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_veer-local"))
        .args(["--port", "0", "--models"])
        .arg(root().join("models"))
        .env_remove("MODEL_PATH")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start veer-local");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    reader.read_line(&mut line).expect("the URL line");
    // Keep draining the log lines so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL").to_string();
    assert!(url.ends_with("/digitise"), "{line}");
    let addr = url.trim_start_matches("http://").trim_end_matches("/digitise").to_string();
    Server { child, addr }
}

/// One HTTP/1.1 exchange; returns status, headers (lower-cased) and body.
fn exchange(addr: &str, head: &str, body: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(240))).expect("timeout");
    s.write_all(head.as_bytes()).expect("write head");
    // The server may answer and close before reading an oversized body: ignore write errors.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status");
    (status, head.to_ascii_lowercase(), body.to_string())
}

#[test]
fn local_mode_answers_over_loopback_like_the_lambda() {
    let server = start();
    let scan = case("gr-linear-png/scan.png");
    let head = format!(
        "POST /digitise?{GR_QUERY} HTTP/1.1\r\nHost: {}\r\nContent-Type: image/png\r\nOrigin: http://localhost:8080\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.addr,
        scan.len()
    );
    let (status, headers, body) = exchange(&server.addr, &head, &scan);
    assert_eq!(status, 200, "{body}");
    assert!(headers.contains("access-control-allow-origin: http://localhost:8080"), "{headers}");
    let json: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["meta"]["ran"], "lambda");
    assert_eq!(json["meta"]["server"], "local");
    assert_eq!(json["meta"]["cold_start"], true);
    assert!(json["curve"].as_array().is_some_and(|c| c.len() > 300));
    assert!(json["path"].as_array().is_some_and(|c| c.len() > 300));

    // Over the limit by Content-Length: refused without the body (answered once the
    // client has sent nothing for 2 s; a client that sends the body has it read and dropped).
    let n = MAX_BODY_BYTES + 1;
    let head = format!(
        "POST /digitise?{GR_QUERY} HTTP/1.1\r\nHost: x\r\nContent-Type: image/tiff\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n"
    );
    let (status, _, body) = exchange(&server.addr, &head, &vec![0u8; 64 * 1024]);
    assert_eq!(status, 413, "{body}");
    let json: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["error"]["kind"], "payload_too_large");
    assert!(json["error"]["message"].as_str().unwrap_or("").contains("G4"), "{json}");

    // Over the limit without Content-Length (chunked): cut off at the limit.
    let chunk = vec![b'0'; 1 << 20];
    let mut chunked = Vec::new();
    for _ in 0..(MAX_BODY_BYTES >> 20) + 2 {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = format!(
        "POST /digitise?{GR_QUERY} HTTP/1.1\r\nHost: x\r\nContent-Type: image/tiff\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let (status, _, body) = exchange(&server.addr, &head, &chunked);
    assert_eq!(status, 413, "{body}");

    // A second request is warm; a preflight from another localhost port is allowed.
    let head = format!(
        "POST /digitise?{GR_QUERY} HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        scan.len()
    );
    let (status, _, body) = exchange(&server.addr, &head, &scan);
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).expect("JSON")["meta"]["cold_start"], false);
    let head = "OPTIONS /digitise HTTP/1.1\r\nHost: x\r\nOrigin: http://127.0.0.1:5173\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n";
    let (status, headers, _) = exchange(&server.addr, head, b"");
    assert_eq!(status, 204);
    assert!(headers.contains("access-control-allow-origin: http://127.0.0.1:5173"), "{headers}");
    assert!(headers.contains("access-control-allow-methods: post, options"), "{headers}");
}

#[test]
fn local_mode_says_what_is_wrong_with_its_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_veer-local")).args(["--port", "http"]).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--port \"http\" is not a port number"), "{err}");
}
