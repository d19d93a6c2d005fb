//! Keeps the credentials a client sends out of what a server sends back. A proxy or server
//! that echoes the request in its error page (`401 … you sent: Authorization: Bearer …`)
//! would otherwise put the token in an error message, shown on screen, logged, and written
//! into snapshots and handoff notes. Error bodies are scrubbed before they are decoded.

use super::types::{Auth, ClientOptions, Secret};

/// What replaces a credential in a server's answer.
pub(crate) const REDACTED: &str = "[redacted]";

/// Shorter values are not searched for: a header like `X-Env: 1` would blank out every `1`.
const MIN_LEN: usize = 4;

/// Every form the client's credentials take on the wire: the bearer token, the basic-auth
/// password and its `user:password` base64, every header value; each also as a JSON string
/// escapes it (a JSON error body holds the escaped form).
pub(crate) fn needles(opts: &ClientOptions) -> Vec<Secret> {
    let mut values: Vec<String> = Vec::new();
    match &opts.auth {
        Some(Auth::Bearer(token)) => values.push(token.expose().to_owned()),
        Some(Auth::Basic { username, password }) => {
            values.push(password.expose().to_owned());
            values.push(base64(
                format!("{username}:{}", password.expose()).as_bytes(),
            ));
        }
        None => {}
    }
    values.extend(opts.headers.iter().map(|(_, value)| value.clone()));
    let escaped: Vec<String> = values
        .iter()
        .filter_map(|v| {
            let json = serde_json::to_string(v).ok()?;
            let inner = json.get(1..json.len() - 1)?.to_owned();
            (inner != *v).then_some(inner)
        })
        .collect();
    values.extend(escaped);
    values.retain(|v| v.len() >= MIN_LEN);
    // Longest first, so a value containing another is replaced whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    values.into_iter().map(Secret::new).collect()
}

/// Replaces every occurrence of every needle in `body` with [`REDACTED`].
pub(crate) fn scrub(body: &mut Vec<u8>, needles: &[Secret]) {
    for needle in needles {
        let needle = needle.expose().as_bytes();
        if body.len() < needle.len() || !contains(body, needle) {
            continue;
        }
        let mut out = Vec::with_capacity(body.len());
        let mut rest = &body[..];
        while let Some(at) = find(rest, needle) {
            out.extend_from_slice(&rest[..at]);
            out.extend_from_slice(REDACTED.as_bytes());
            rest = &rest[at + needle.len()..];
        }
        out.extend_from_slice(rest);
        *body = out;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

/// Standard base64 with padding, as in a `Basic` authorization header.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(auth: Option<Auth>, headers: &[(&str, &str)]) -> ClientOptions {
        let mut o = ClientOptions::new("t", url::Url::parse("http://x:1").unwrap());
        o.auth = auth;
        o.headers = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        o
    }

    #[test]
    fn base64_matches_the_basic_auth_encoding() {
        assert_eq!(base64(b"alice:s3cret"), "YWxpY2U6czNjcmV0");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b""), "");
    }

    #[test]
    fn every_form_of_every_credential_is_scrubbed() {
        let o = opts(
            Some(Auth::Basic {
                username: "alice".into(),
                password: Secret::from("s3cret\"x"),
            }),
            &[("X-Api-Key", "key-123"), ("X-Env", "1")],
        );
        let found = needles(&o);
        let mut body =
            br#"{"error":"you sent Basic YWxpY2U6czNjcmV0Ing= and s3cret\"x and key-123; env 1"}"#
                .to_vec();
        scrub(&mut body, &found);
        let body = String::from_utf8(body).unwrap();
        assert_eq!(
            body,
            r#"{"error":"you sent Basic [redacted] and [redacted] and [redacted]; env 1"}"#
        );
        let o = opts(Some(Auth::Bearer(Secret::from("tok"))), &[]);
        assert!(needles(&o).is_empty(), "too short to search for");
    }
}
