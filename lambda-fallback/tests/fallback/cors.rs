//! Which origins get CORS headers.

use veer_lambda::Cors;

#[test]
fn exact_origins_wildcard_and_loopback() {
    let c = Cors::parse(" https://a.example/ , https://b.example,", false);
    assert_eq!(c.origins, vec!["https://a.example", "https://b.example"]);
    assert!(c.allows("https://a.example"));
    assert!(!c.allows("https://evil.example"));
    assert!(!c.allows("http://localhost:8080"));
    let l = Cors::parse("", true);
    assert!(l.allows("http://localhost:8080"));
    assert!(l.allows("http://127.0.0.1:5173"));
    assert!(l.allows("http://[::1]:9000"));
    assert!(!l.allows("http://localhost.evil.example"));
    assert!(!l.allows("https://127.0.0.1.evil.example:80"));
    assert!(Cors::parse("*", false).allows("https://anything.example"));
}

#[test]
fn headers_only_for_allowed_origins() {
    let c = Cors::parse("https://a.example", false);
    let h = c.headers(Some("https://a.example"), true);
    assert_eq!(h.get("access-control-allow-origin").map(|v| v.as_bytes()), Some(&b"https://a.example"[..]));
    assert!(h.contains_key("access-control-allow-methods"));
    assert!(c.headers(Some("https://b.example"), true).is_empty());
    assert!(c.headers(None, false).is_empty());
}
