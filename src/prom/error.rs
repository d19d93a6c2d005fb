//! [`PromError`]: what can go wrong talking to a source, in words fit for a status bar.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::Duration;

/// Everything the client can fail with. `Display` is one short line, never
/// containing credentials or the request URL.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromError {
    /// TCP-level failure: refused, reset, unreachable…
    #[error("{reason}")]
    Connect {
        /// Short reason, e.g. `connection refused`.
        reason: String,
    },
    /// Name resolution failed.
    #[error("DNS: cannot resolve {host}{}", colon_prefixed(reason))]
    Dns {
        /// The host name that did not resolve.
        host: String,
        /// Resolver message, possibly empty.
        reason: String,
    },
    /// TLS handshake or certificate failure.
    #[error("TLS: {reason}")]
    Tls {
        /// e.g. `untrusted certificate (unknown issuer; set ca_file)`.
        reason: String,
    },
    /// The whole request (or the connect) took too long.
    #[error("timed out after {}", HumanDuration(*after))]
    Timeout {
        /// The limit that was hit.
        after: Duration,
    },
    /// Non-2xx answer that is not a Prometheus JSON envelope.
    #[error("HTTP {status}{}", colon_prefixed(body))]
    Http {
        /// HTTP status code.
        status: u16,
        /// First line of the body, tags stripped, ≤ 200 chars.
        body: String,
    },
    /// The server answered with a `"status":"error"` envelope.
    #[error("{}{error}", type_prefix(error_type))]
    Api {
        /// HTTP status code.
        status: u16,
        /// `bad_data`, `execution`, `timeout`… or whatever the server says (VictoriaMetrics: `422`).
        error_type: String,
        /// The server's message.
        error: String,
    },
    /// The body could not be decoded.
    #[error("malformed response: {reason}")]
    Decode {
        /// What was wrong.
        reason: String,
    },
    /// The body exceeded `max_body_bytes`.
    #[error("response larger than {}", HumanBytes(*limit))]
    TooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The result had more than `max_series` series.
    #[error("too many series ({count} > {limit}): narrow the query")]
    TooManySeries {
        /// Series in the result.
        count: usize,
        /// The configured limit.
        limit: usize,
    },
    /// Invalid client configuration or request parameters.
    #[error("config: {reason}")]
    Config {
        /// What was wrong.
        reason: String,
    },
}

impl PromError {
    /// True when the source itself is unwell (unreachable, timing out, 5xx, 429),
    /// as opposed to a problem with one query.
    pub fn is_transport(&self) -> bool {
        match self {
            PromError::Connect { .. }
            | PromError::Dns { .. }
            | PromError::Tls { .. }
            | PromError::Timeout { .. } => true,
            PromError::Http { status, .. } => *status >= 500 || *status == 429,
            PromError::Api { .. }
            | PromError::Decode { .. }
            | PromError::TooLarge { .. }
            | PromError::TooManySeries { .. }
            | PromError::Config { .. } => false,
        }
    }
}

fn colon_prefixed(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(": {s}")
    }
}

fn type_prefix(t: &str) -> String {
    if t.is_empty() {
        String::new()
    } else {
        format!("{t}: ")
    }
}

/// `10s`, `1.5s`, `300ms`.
struct HumanDuration(Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms < 1000 {
            write!(f, "{ms}ms")
        } else if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            let s = format!("{:.3}", self.0.as_secs_f64());
            write!(f, "{}s", s.trim_end_matches('0'))
        }
    }
}

/// `32 MiB`, `64 KiB`, `1000 bytes`.
struct HumanBytes(usize);

impl fmt::Display for HumanBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KIB: usize = 1024;
        const MIB: usize = 1024 * 1024;
        let n = self.0;
        if n >= MIB && n.is_multiple_of(MIB) {
            write!(f, "{} MiB", n / MIB)
        } else if n >= MIB {
            write!(f, "{:.1} MiB", n as f64 / MIB as f64)
        } else if n >= KIB && n.is_multiple_of(KIB) {
            write!(f, "{} KiB", n / KIB)
        } else {
            write!(f, "{n} bytes")
        }
    }
}

/// What the transport layer needs to know to classify an error.
pub(crate) struct TransportContext<'a> {
    /// Host name of the source (for DNS messages).
    pub host: &'a str,
    /// Whether the source is reached over TLS.
    pub https: bool,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
}

/// Turns a reqwest error into a [`PromError`] by walking its source chain.
/// Never uses the top-level message (it carries the URL).
pub(crate) fn classify_reqwest(err: reqwest::Error, ctx: &TransportContext<'_>) -> PromError {
    let err = err.without_url();
    if err.is_timeout() {
        let after = if err.is_connect() {
            ctx.connect_timeout
        } else {
            ctx.timeout
        };
        return PromError::Timeout { after };
    }
    if err.is_builder() {
        return PromError::Config {
            reason: innermost_message(&err),
        };
    }

    let chain = source_chain(&err);
    let io_err = chain.iter().find_map(|e| e.downcast_ref::<io::Error>());

    // hyper-util labels resolver failures "dns error".
    if chain.iter().any(|e| e.to_string() == "dns error") {
        let reason = io_err
            .map(|e| strip_os_error(&e.to_string()))
            .unwrap_or_default();
        let reason = reason
            .strip_prefix("failed to lookup address information: ")
            .map(str::to_owned)
            .unwrap_or(reason);
        return PromError::Dns {
            host: ctx.host.to_owned(),
            reason,
        };
    }

    if ctx.https {
        if let Some(reason) = tls_reason(&chain, io_err) {
            return PromError::Tls { reason };
        }
    }

    if let Some(io) = io_err {
        // reqwest reports every body error as "decode" when decompression is on;
        // a connection lost mid-body is still a transport failure.
        if !err.is_decode() || is_connection_loss(io.kind()) {
            return PromError::Connect {
                reason: io_reason(io),
            };
        }
    }

    if err.is_decode() {
        return PromError::Decode {
            reason: innermost_message(&err),
        };
    }

    let reason = if err.is_body() {
        format!(
            "connection failed while reading response: {}",
            innermost_message(&err)
        )
    } else {
        innermost_message(&err)
    };
    PromError::Connect {
        reason: shorten(&reason, 200),
    }
}

/// The error and its sources, outermost first (the top-level error excluded).
fn source_chain<'a>(err: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push(e);
        cur = e.source();
    }
    out
}

/// The message of the deepest error in the chain, or the error itself.
fn innermost_message(err: &(dyn StdError + 'static)) -> String {
    let chain = source_chain(err);
    let msg = match chain.last() {
        Some(e) => e.to_string(),
        None => err.to_string(),
    };
    shorten(&strip_os_error(&msg), 200)
}

/// Recognises TLS failures (rustls surfaces them as `InvalidData` io errors
/// wrapping `rustls::Error`) and returns the most specific message.
fn tls_reason(chain: &[&(dyn StdError + 'static)], io_err: Option<&io::Error>) -> Option<String> {
    const MARKERS: [&str; 6] = [
        "certificate",
        "received fatal alert",
        "peer is incompatible",
        "peer misbehaved",
        "received corrupt message",
        "handshake",
    ];
    let deepest_marked = chain.iter().rev().map(|e| e.to_string()).find(|msg| {
        let lower = msg.to_ascii_lowercase();
        MARKERS.iter().any(|m| lower.contains(m))
    });
    let reason = match (deepest_marked, io_err) {
        (Some(msg), _) => msg,
        (None, Some(io)) if io.kind() == io::ErrorKind::InvalidData => io.to_string(),
        _ => return None,
    };
    Some(shorten(&humanize_tls(&reason), 200))
}

/// rustls' words for the usual certificate failures, made readable on one status line: an
/// unknown issuer says what to do, an expiry says when (not two unix times).
fn humanize_tls(reason: &str) -> String {
    if reason.contains("CaUsedAsEndEntity") {
        return "the server's certificate is a CA certificate (self-signed?): give the server \
                a certificate issued by that CA"
            .to_owned();
    }
    if reason.ends_with("UnknownIssuer") {
        return "untrusted certificate (unknown issuer; set ca_file)".to_owned();
    }
    if let Some(rest) = reason.split("certificate expired:").nth(1) {
        // `verification time T (UNIX), but certificate is not valid after N (… seconds ago)`
        let after = rest
            .split("not valid after ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse::<i64>().ok())
            .and_then(|n| chrono::DateTime::from_timestamp(n, 0));
        return match after {
            Some(t) => format!("certificate expired on {}", t.format("%Y-%m-%d %H:%M UTC")),
            None => "certificate expired".to_owned(),
        };
    }
    if reason.ends_with("Expired") {
        return "certificate expired".to_owned();
    }
    if reason.contains("certificate not valid yet") || reason.ends_with("NotValidYet") {
        return "certificate not valid yet (check this host's clock)".to_owned();
    }
    reason.to_owned()
}

fn is_connection_loss(kind: io::ErrorKind) -> bool {
    use io::ErrorKind as K;
    matches!(
        kind,
        K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe
    )
}

/// Short, human words for an io error.
fn io_reason(io: &io::Error) -> String {
    use io::ErrorKind as K;
    let fixed = match io.kind() {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset by peer",
        K::ConnectionAborted => "connection aborted",
        K::NotConnected => "not connected",
        K::AddrNotAvailable => "address not available",
        K::HostUnreachable => "no route to host",
        K::NetworkUnreachable => "network unreachable",
        K::NetworkDown => "network down",
        K::BrokenPipe => "connection closed (broken pipe)",
        K::UnexpectedEof => "connection closed by server",
        K::TimedOut => "connection timed out",
        K::PermissionDenied => "permission denied",
        _ => return shorten(&strip_os_error(&io.to_string()), 200),
    };
    fixed.to_owned()
}

/// `Connection refused (os error 111)` → `Connection refused`.
fn strip_os_error(msg: &str) -> String {
    match msg.rfind(" (os error ") {
        Some(i) if msg.ends_with(')') => msg[..i].to_owned(),
        _ => msg.to_owned(),
    }
}

/// Truncates to at most `max` characters, marking the cut with `…`.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One line summarising a non-JSON error body: first non-empty line, trimmed,
/// at most 200 characters, with tags stripped when the body is HTML. Falls back
/// to the status reason phrase.
pub(crate) fn summarize_body(status: u16, content_type: Option<&str>, body: &[u8]) -> String {
    let head = &body[..body.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    let html = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("html"))
        || text.trim_start().starts_with('<');
    let cleaned = if html {
        strip_tags(&text)
    } else {
        text.chars()
            .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
            .collect()
    };
    let line = cleaned
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|l| !l.is_empty());
    match line {
        Some(l) => shorten(&l, 200),
        None => reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
            .to_owned(),
    }
}

/// Removes `<…>` tags (and the contents of `<script>`/`<style>`), decodes a few
/// common entities and drops control characters other than newlines.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find('>') else {
            // Unclosed tag: drop the remainder.
            rest = "";
            break;
        };
        let tag = after[1..close].trim_start_matches('/').to_ascii_lowercase();
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        rest = &after[close + 1..];
        // Block-level tags end a line, so `<title>` text is not glued to body text.
        if matches!(
            name.as_str(),
            "br" | "p" | "div" | "h1" | "h2" | "h3" | "title" | "center" | "hr" | "body" | "head"
        ) {
            out.push('\n');
        }
        if (name == "script" || name == "style") && !after[1..].starts_with('/') {
            let end_tag = format!("</{name}");
            match rest.to_ascii_lowercase().find(&end_tag) {
                Some(i) => rest = &rest[i..],
                None => rest = "",
            }
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

/// Collapses newlines and control characters so a server message fits one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_control())
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn display_strings_are_short_and_human() {
        let cases = [
            (
                PromError::Connect {
                    reason: "connection refused".into(),
                },
                "connection refused",
            ),
            (
                PromError::Timeout {
                    after: Duration::from_secs(10),
                },
                "timed out after 10s",
            ),
            (
                PromError::Timeout {
                    after: Duration::from_millis(300),
                },
                "timed out after 300ms",
            ),
            (
                PromError::Timeout {
                    after: Duration::from_millis(2500),
                },
                "timed out after 2.5s",
            ),
            (
                PromError::Http {
                    status: 503,
                    body: "Service Unavailable".into(),
                },
                "HTTP 503: Service Unavailable",
            ),
            (
                PromError::Api {
                    status: 400,
                    error_type: "bad_data".into(),
                    error: "1:5: parse error: unclosed left parenthesis".into(),
                },
                "bad_data: 1:5: parse error: unclosed left parenthesis",
            ),
            (
                PromError::Decode {
                    reason: "EOF while parsing a value at line 1 column 10".into(),
                },
                "malformed response: EOF while parsing a value at line 1 column 10",
            ),
            (
                PromError::TooLarge {
                    limit: 32 * 1024 * 1024,
                },
                "response larger than 32 MiB",
            ),
            (
                PromError::TooLarge { limit: 64 * 1024 },
                "response larger than 64 KiB",
            ),
            (
                PromError::TooLarge { limit: 1000 },
                "response larger than 1000 bytes",
            ),
            (
                PromError::TooManySeries {
                    count: 100_000,
                    limit: 10_000,
                },
                "too many series (100000 > 10000): narrow the query",
            ),
            (
                PromError::Tls {
                    reason: "invalid peer certificate: UnknownIssuer".into(),
                },
                "TLS: invalid peer certificate: UnknownIssuer",
            ),
            (
                PromError::Dns {
                    host: "nosuch.invalid".into(),
                    reason: String::new(),
                },
                "DNS: cannot resolve nosuch.invalid",
            ),
            (
                PromError::Dns {
                    host: "nosuch.invalid".into(),
                    reason: "Name or service not known".into(),
                },
                "DNS: cannot resolve nosuch.invalid: Name or service not known",
            ),
            (
                PromError::Config {
                    reason: "invalid header name \"a b\"".into(),
                },
                "config: invalid header name \"a b\"",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn transport_classification() {
        let transport = [
            PromError::Connect { reason: "x".into() },
            PromError::Dns {
                host: "h".into(),
                reason: String::new(),
            },
            PromError::Tls { reason: "x".into() },
            PromError::Timeout {
                after: Duration::from_secs(1),
            },
            PromError::Http {
                status: 502,
                body: String::new(),
            },
            PromError::Http {
                status: 429,
                body: String::new(),
            },
        ];
        for e in transport {
            assert!(e.is_transport(), "{e:?}");
        }
        let query_level = [
            PromError::Http {
                status: 404,
                body: String::new(),
            },
            PromError::Http {
                status: 401,
                body: String::new(),
            },
            PromError::Api {
                status: 422,
                error_type: "execution".into(),
                error: "x".into(),
            },
            PromError::Decode { reason: "x".into() },
            PromError::TooLarge { limit: 1 },
            PromError::TooManySeries { count: 2, limit: 1 },
            PromError::Config { reason: "x".into() },
        ];
        for e in query_level {
            assert!(!e.is_transport(), "{e:?}");
        }
    }

    #[test]
    fn body_summary() {
        assert_eq!(
            summarize_body(503, None, b"Service Unavailable\n"),
            "Service Unavailable"
        );
        assert_eq!(
            summarize_body(
                502,
                None,
                b"<html><head><title>502 Bad Gateway</title></head></html>"
            ),
            "502 Bad Gateway"
        );
        assert_eq!(
            summarize_body(
                500,
                None,
                b"<style>p{color:red}</style><p>a &amp; b &lt;c&gt;</p>"
            ),
            "a & b <c>"
        );
        assert_eq!(
            summarize_body(500, None, b"\n\n   spaced \t out  \nsecond"),
            "spaced out"
        );
        assert_eq!(summarize_body(504, None, b""), "Gateway Timeout");
        assert_eq!(summarize_body(599, None, b""), "");
        assert_eq!(
            summarize_body(500, None, b"<unclosed tag"),
            "Internal Server Error"
        );
        // Plain text keeps its angle brackets.
        assert_eq!(
            summarize_body(500, Some("text/plain"), b"a <b> c"),
            "a <b> c"
        );
        assert_eq!(summarize_body(500, Some("text/html"), b"a <b> c"), "a c");
        assert_eq!(
            summarize_body(500, None, b"\xff\xfebad utf8"),
            "\u{fffd}\u{fffd}bad utf8"
        );
        let long = "é".repeat(300);
        let s = summarize_body(500, None, long.as_bytes());
        assert_eq!(s.chars().count(), 200);
        assert!(s.ends_with('…'));
    }

    #[test]
    fn io_reasons() {
        let e = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(io_reason(&e), "connection refused");
        let e = io::Error::from(io::ErrorKind::HostUnreachable);
        assert_eq!(io_reason(&e), "no route to host");
        let e = io::Error::other("weird (os error 99)");
        assert_eq!(io_reason(&e), "weird");
    }

    #[test]
    fn tls_reasons_are_readable() {
        assert_eq!(
            humanize_tls("invalid peer certificate: UnknownIssuer"),
            "untrusted certificate (unknown issuer; set ca_file)"
        );
        assert_eq!(
            humanize_tls(
                "invalid peer certificate: certificate expired: verification time 1796000000 \
                 (UNIX), but certificate is not valid after 1577923200 (218076800 seconds ago)"
            ),
            "certificate expired on 2020-01-02 00:00 UTC"
        );
        assert_eq!(
            humanize_tls("invalid peer certificate: Expired"),
            "certificate expired"
        );
        assert_eq!(
            humanize_tls("invalid peer certificate: certificate not valid yet: verification …"),
            "certificate not valid yet (check this host's clock)"
        );
        assert_eq!(
            humanize_tls("received fatal alert: X"),
            "received fatal alert: X"
        );
    }

    #[test]
    fn one_line_collapses_newlines() {
        assert_eq!(one_line("a\nb\r\n\tc "), "a b c");
    }
}
