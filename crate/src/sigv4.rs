//! AWS Signature Version 4 for calls to the cloud fallback's function URL when it is
//! deployed with IAM authentication: [`sign`] for `veer batch --cloud`, [`verify`] for
//! `veer-local --auth`, which stands in for AWS's check in tests. Pure: the caller
//! gives the time and the credentials; nothing is read from the environment here.
//!
//! The canonical request follows AWS's rules: the path as sent, the query's
//! parameters decoded and re-encoded (everything but `A-Z a-z 0-9 - _ . ~`) and sorted,
//! the signed headers lower-cased and trimmed, the body's SHA-256.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Longest clock difference accepted between a signature and the verifier (AWS: 5 min).
pub const MAX_SKEW_SECONDS: i64 = 5 * 60;

/// A request as signed: method, path (as sent, already percent-encoded), raw query
/// (without `?`), headers, and the body.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Who signs, and for what.
pub struct Credentials<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    /// Temporary credentials' session token (`x-amz-security-token`).
    pub session_token: Option<&'a str>,
}

/// Why a request is refused by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization` header, or not a SigV4 one.
    Unsigned,
    /// The header or the date cannot be read.
    Malformed(String),
    /// The access key is not known.
    UnknownKey,
    /// Signed more than [`MAX_SKEW_SECONDS`] away from now.
    Expired,
    /// The signature does not match the request.
    BadSignature,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Unsigned => f.write_str("the request is not signed; sign it with AWS Signature Version 4"),
            Refusal::Malformed(m) => write!(f, "the request's signature cannot be read ({m})"),
            Refusal::UnknownKey => f.write_str("the request is signed with an unknown access key"),
            Refusal::Expired => {
                f.write_str("the request's signature has expired (or the clock is off by over 5 minutes)")
            }
            Refusal::BadSignature => f.write_str("the request's signature does not match it"),
        }
    }
}

/// The headers to add to `req` (which must already hold `host`) to sign it:
/// `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` with a session token,
/// and `authorization`. `amz_date` is the time as `YYYYMMDDTHHMMSSZ` (UTC).
pub fn sign(
    req: &Request<'_>,
    creds: &Credentials<'_>,
    region: &str,
    service: &str,
    amz_date: &str,
) -> Vec<(String, String)> {
    let body_hash = hex(&Sha256::digest(req.body));
    let mut added = vec![("x-amz-date".to_string(), amz_date.to_string())];
    added.push(("x-amz-content-sha256".to_string(), body_hash.clone()));
    if let Some(t) = creds.session_token {
        added.push(("x-amz-security-token".to_string(), t.to_string()));
    }
    let mut headers: Vec<(String, String)> = req.headers.to_vec();
    headers.extend(added.iter().cloned());
    let names = signed_header_names(&headers);
    let date = &amz_date[..amz_date.len().min(8)];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let canonical = canonical_request(req, &headers, &names, &body_hash);
    let signature = signature(creds.secret_key, date, region, service, amz_date, &scope, &canonical);
    added.push((
        "authorization".to_string(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            creds.access_key,
            names.join(";")
        ),
    ));
    added
}

/// Checks `req`'s signature at `now` (seconds since 1970, UTC); `secret_for` gives the
/// secret key of an access key it knows.
pub fn verify(req: &Request<'_>, secret_for: impl Fn(&str) -> Option<String>, now: i64) -> Result<(), Refusal> {
    let header = |name: &str| req.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim());
    let auth = header("authorization").ok_or(Refusal::Unsigned)?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or(Refusal::Unsigned)?;
    let field = |key: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|p| p.strip_prefix(key))
            .ok_or_else(|| Refusal::Malformed(format!("no {key} in the authorization header")))
    };
    let credential = field("Credential=")?;
    let names: Vec<String> = field("SignedHeaders=")?.split(';').map(str::to_string).collect();
    let given = field("Signature=")?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, "aws4_request"] = parts[..] else {
        return Err(Refusal::Malformed(format!("credential {credential:?}")));
    };
    let amz_date = header("x-amz-date").ok_or_else(|| Refusal::Malformed("no x-amz-date header".into()))?;
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| Refusal::Malformed(format!("x-amz-date {amz_date:?}")))?;
    if !amz_date.starts_with(date) || !names.iter().any(|n| n == "host") {
        return Err(Refusal::Malformed("the credential's date or the signed headers do not fit the request".into()));
    }
    if (now - signed_at).abs() > MAX_SKEW_SECONDS {
        return Err(Refusal::Expired);
    }
    let secret = secret_for(access_key).ok_or(Refusal::UnknownKey)?;
    let body_hash = hex(&Sha256::digest(req.body));
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let canonical = canonical_request(req, req.headers, &names, &body_hash);
    let expected = signature(&secret, date, region, service, amz_date, &scope, &canonical);
    // Compared in full whatever the first difference (no early exit).
    let same =
        expected.len() == given.len() && expected.bytes().zip(given.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0;
    if same {
        Ok(())
    } else {
        Err(Refusal::BadSignature)
    }
}

/// `YYYYMMDDTHHMMSSZ` of a time in seconds since 1970 (UTC).
pub fn amz_date(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The Lambda function URL's region from its host (`ID.lambda-url.REGION.on.aws`).
pub fn function_url_region(host: &str) -> Option<&str> {
    let rest = host.split(".lambda-url.").nth(1)?;
    rest.strip_suffix(".on.aws").filter(|r| !r.is_empty() && !r.contains('.'))
}

fn signed_header_names(headers: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    names
}

fn canonical_request(req: &Request<'_>, headers: &[(String, String)], names: &[String], body_hash: &str) -> String {
    let mut out = format!(
        "{}\n{}\n{}\n",
        req.method,
        if req.path.is_empty() { "/" } else { req.path },
        canonical_query(req.query)
    );
    for name in names {
        let values: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        out.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    out.push_str(&format!("\n{}\n{body_hash}", names.join(";")));
    out
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode(&decode(k)), encode(&decode(v)))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn signature(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    amz_date: &str,
    scope: &str,
    canonical: &str,
) -> String {
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex(&Sha256::digest(canonical.as_bytes())));
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    for part in [region, service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    hex(&hmac(&key, to_sign.as_bytes()))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Percent-encodes all but AWS's unreserved characters (`A-Z a-z 0-9 - _ . ~`), as
/// SigV4's canonical request and S3's object keys want them.
pub fn encode(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decodes `s`: each `%XX` is a byte, everything else (a broken escape too) is
/// kept as it is.
pub fn decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex_at = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex_at(i + 1), hex_at(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// AWS's published example (Amazon S3 API reference, "Example: GET Object").
    #[test]
    fn the_published_s3_example_signs_as_aws_says() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let headers = vec![
            ("Host".to_string(), "examplebucket.s3.amazonaws.com".to_string()),
            ("Range".to_string(), "bytes=0-9".to_string()),
        ];
        let req = Request { method: "GET", path: "/test.txt", query: "", headers: &headers, body: b"" };
        // The S3 reference's example secret key (its "/" is "+" in other AWS examples).
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let creds = Credentials { access_key: "AKIAIOSFODNN7EXAMPLE", secret_key: secret, session_token: None };
        let added = sign(&req, &creds, "us-east-1", "s3", "20130524T000000Z");
        let get = |n: &str| added.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("x-amz-content-sha256"), Some(empty));
        assert_eq!(
            get("authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
                 SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
                 Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
            )
        );
    }

    fn signed(query: &str, body: &[u8], at: i64, secret: &str) -> Vec<(String, String)> {
        let mut headers = vec![("host".to_string(), "abc.lambda-url.eu-west-1.on.aws".to_string())];
        let req = Request { method: "POST", path: "/digitise", query, headers: &headers, body };
        let creds = Credentials { access_key: "AKID", secret_key: secret, session_token: Some("TOKEN") };
        headers.extend(sign(&req, &creds, "eu-west-1", "lambda", &amz_date(at)));
        headers
    }

    #[test]
    fn a_signed_request_verifies_and_any_change_is_refused() {
        let now = 1_796_650_000; // 2026-12-07
        let query = "project=%7B%22a%22%3A%5B1%2C2%5D%7D&x=(1)";
        let headers = signed(query, b"scan bytes", now, SECRET);
        let secret = |k: &str| (k == "AKID").then(|| SECRET.to_string());
        let req = |q, h: &'static [(String, String)], b| Request {
            method: "POST",
            path: "/digitise",
            query: q,
            headers: h,
            body: b,
        };
        let h: &'static [(String, String)] = Box::leak(headers.into_boxed_slice());
        assert_eq!(verify(&req(query, h, b"scan bytes"), secret, now + 30), Ok(()));
        assert_eq!(verify(&req(query, h, b"other bytes"), secret, now), Err(Refusal::BadSignature));
        assert_eq!(verify(&req("x=(1)", h, b"scan bytes"), secret, now), Err(Refusal::BadSignature));
        assert_eq!(verify(&req(query, h, b"scan bytes"), secret, now + 301), Err(Refusal::Expired));
        assert_eq!(verify(&req(query, h, b"scan bytes"), |_| None, now), Err(Refusal::UnknownKey));
        let wrong: &'static [(String, String)] =
            Box::leak(signed(query, b"scan bytes", now, "other").into_boxed_slice());
        assert_eq!(verify(&req(query, wrong, b"scan bytes"), secret, now), Err(Refusal::BadSignature));
        let bare: &'static [(String, String)] =
            Box::leak(vec![("host".to_string(), "h".to_string())].into_boxed_slice());
        assert_eq!(verify(&req(query, bare, b""), secret, now), Err(Refusal::Unsigned));
    }

    #[test]
    fn dates_and_regions() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(1_796_650_000), "20261207T132640Z");
        assert_eq!(parse_amz_date("20261207T132640Z"), Some(1_796_650_000));
        assert_eq!(parse_amz_date("2026-12-07"), None);
        assert_eq!(function_url_region("abcd.lambda-url.eu-west-1.on.aws"), Some("eu-west-1"));
        assert_eq!(function_url_region("127.0.0.1:9090"), None);
    }
}
