//! Shared by the tests: paths to the repository's real scans and checkpoint, and
//! Lambda events built from the JSON fixture in `tests/data`.
#![allow(dead_code)]

pub mod fake_s3;
pub mod runtime_api;

use std::path::PathBuf;

use base64::Engine;
use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn model_path() -> PathBuf {
    root().join("models/veernet-fp32.onnx")
}

pub fn case(rel: &str) -> Vec<u8> {
    let p = root().join("crate/tests/cases").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// The gr-linear-png calibration as a query string.
pub const GR_QUERY: &str = "track=17:392&scale=0:150&depth=75=5010,2250=5300&step=0.5";

/// A function URL event (payload 2.0) for `method path?query` with `body` base64-encoded.
pub fn event(method: &str, path: &str, query: &str, content_type: Option<&str>, body: &[u8]) -> Value {
    let text =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/function-url-post.json"))
            .expect("fixture");
    let mut v: Value = serde_json::from_str(&text).expect("fixture JSON");
    v["rawPath"] = path.into();
    v["requestContext"]["http"]["path"] = path.into();
    v["requestContext"]["http"]["method"] = method.into();
    v["rawQueryString"] = query.into();
    match content_type {
        Some(ct) => v["headers"]["content-type"] = ct.into(),
        None => {
            if let Some(h) = v["headers"].as_object_mut() {
                h.remove("content-type");
            }
        }
    }
    v["body"] = base64::engine::general_purpose::STANDARD.encode(body).into();
    v["isBase64Encoded"] = true.into();
    v
}

pub fn request(method: &str, path: &str, query: &str, content_type: Option<&str>, body: &[u8]) -> lambda_http::Request {
    lambda_http::request::from_str(&event(method, path, query, content_type, body).to_string()).expect("a valid event")
}

/// `POST /digitise` of a PNG scan with the gr-linear-png calibration ([`GR_QUERY`]).
pub fn gr_request(scan: &[u8]) -> lambda_http::Request {
    request("POST", "/digitise", GR_QUERY, Some("image/png"), scan)
}

/// Status and JSON body of a handler response.
pub fn parts(res: lambda_http::Response<lambda_http::Body>) -> (u16, Value, lambda_http::http::HeaderMap) {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body: &[u8] = res.body().as_ref();
    let json = if body.is_empty() { Value::Null } else { serde_json::from_slice(body).expect("JSON body") };
    (status, json, headers)
}

/// A PNG of `w x h` white pixels (decodes, but holds no curve).
pub fn blank_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let img = image::GrayImage::from_pixel(w, h, image::Luma([255u8]));
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).expect("encode");
    out
}
