//! CORS for the configured origins (`ALLOWED_ORIGINS`, comma-separated).
//!
//! Behind a function URL or an HTTP API, AWS answers preflights and adds these
//! headers from the template's CORS settings; the handler does the same itself so
//! local mode and any other front behave alike.

use lambda_http::http::header::{HeaderMap, HeaderValue};

/// Which browser origins may call the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    /// Exact origins, e.g. `https://logs.example.org`; `*` admits any origin.
    pub origins: Vec<String>,
    /// Also admit any `http://localhost:PORT`, `http://127.0.0.1:PORT` or `http://[::1]:PORT`
    /// (local mode, where the page server's port is not known in advance).
    pub loopback: bool,
}

impl Cors {
    /// Parse a comma-separated list (`https://a.example,https://b.example`); blanks are ignored.
    pub fn parse(list: &str, loopback: bool) -> Self {
        let origins =
            list.split(',').map(|s| s.trim().trim_end_matches('/').to_string()).filter(|s| !s.is_empty()).collect();
        Cors { origins, loopback }
    }

    /// Whether `origin` may read responses.
    pub fn allows(&self, origin: &str) -> bool {
        if self.origins.iter().any(|o| o == "*" || o == origin) {
            return true;
        }
        self.loopback && is_loopback(origin)
    }

    /// The CORS headers for a response to `origin` (none when it is not allowed).
    pub fn headers(&self, origin: Option<&str>, preflight: bool) -> HeaderMap {
        let mut h = HeaderMap::new();
        let Some(origin) = origin.filter(|o| self.allows(o)) else {
            return h;
        };
        if let Ok(v) = HeaderValue::from_str(origin) {
            h.insert("access-control-allow-origin", v);
            h.insert("vary", HeaderValue::from_static("Origin"));
        }
        if preflight {
            h.insert("access-control-allow-methods", HeaderValue::from_static("POST, OPTIONS"));
            h.insert("access-control-allow-headers", HeaderValue::from_static("content-type"));
            h.insert("access-control-max-age", HeaderValue::from_static("600"));
        }
        h
    }
}

fn is_loopback(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("http://") else {
        return false;
    };
    let host = match rest.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() => h,
        _ => rest,
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}
