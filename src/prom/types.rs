//! Plain data types: client options, credentials and decoded query results.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// Default whole-request timeout: a hung server is noticed within seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default timeout of the few slow queries (SLO windows of days, refreshed every few
/// minutes), which a big server may take longer than seconds to answer.
pub const DEFAULT_SLOW_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on a response body (after decompression): 32 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Default cap on the number of series in one result.
pub const DEFAULT_MAX_SERIES: usize = 10_000;

/// How to reach one Prometheus-compatible source.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Source name, used in messages.
    pub name: String,
    /// Base URL, e.g. `http://127.0.0.1:9090`.
    pub url: url::Url,
    /// Extra path between the base URL and `/api/v1/...`, e.g. `/prometheus`.
    pub path_prefix: Option<String>,
    /// Whole-request timeout; the connect timeout is `min(timeout, 5s)`.
    pub timeout: Duration,
    /// Timeout of the queries sent with [`PromClient::query_range_slow`](super::PromClient::query_range_slow)
    /// (never shorter than `timeout`).
    pub slow_timeout: Duration,
    /// Credentials sent with every request.
    pub auth: Option<Auth>,
    /// Extra headers sent with every request, e.g. `X-Scope-OrgID`.
    pub headers: Vec<(String, String)>,
    /// Extra CA certificate(s), PEM encoded.
    pub ca_pem: Option<Vec<u8>>,
    /// Accept any server certificate. Only ever set explicitly by the user.
    pub insecure_skip_verify: bool,
    /// Responses larger than this fail with [`PromError::TooLarge`](super::PromError::TooLarge).
    pub max_body_bytes: usize,
    /// Results with more series than this fail with
    /// [`PromError::TooManySeries`](super::PromError::TooManySeries).
    pub max_series: usize,
}

impl ClientOptions {
    /// Options with sensible defaults: 5 s timeout (30 s for slow queries), 32 MiB body cap, 10 000 series cap.
    pub fn new(name: impl Into<String>, url: url::Url) -> Self {
        Self {
            name: name.into(),
            url,
            path_prefix: None,
            timeout: DEFAULT_TIMEOUT,
            slow_timeout: DEFAULT_SLOW_TIMEOUT,
            auth: None,
            headers: Vec::new(),
            ca_pem: None,
            insecure_skip_verify: false,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_series: DEFAULT_MAX_SERIES,
        }
    }
}

impl Default for ClientOptions {
    /// A local Prometheus at `http://127.0.0.1:9090` named `prometheus`.
    fn default() -> Self {
        #[allow(clippy::expect_used)]
        let url = url::Url::parse("http://127.0.0.1:9090").expect("static URL literal parses");
        Self::new("prometheus", url)
    }
}

/// Credentials for a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// HTTP basic authentication.
    Basic {
        /// User name (not secret).
        username: String,
        /// Password.
        password: Secret,
    },
}

/// A string that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself, for putting on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A decoded `/api/v1/query` or `/api/v1/query_range` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResponse {
    /// The result.
    pub data: QueryData,
    /// Server warnings, then server infos prefixed `info: `.
    pub warnings: Vec<String>,
}

/// The four PromQL result types.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryData {
    /// Range vector: one value list per series.
    Matrix(Vec<RangeSeries>),
    /// Instant vector: one value per series.
    Vector(Vec<InstantSample>),
    /// A single number.
    Scalar(Sample),
    /// A string literal.
    String(String),
}

impl QueryData {
    /// Number of series (1 for scalar and string results).
    pub fn series_count(&self) -> usize {
        match self {
            QueryData::Matrix(s) => s.len(),
            QueryData::Vector(s) => s.len(),
            QueryData::Scalar(_) | QueryData::String(_) => 1,
        }
    }
}

/// One series of a matrix result.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    /// Label set, including `__name__` when present.
    pub metric: BTreeMap<String, String>,
    /// Samples in time order.
    pub values: Vec<Sample>,
}

/// One series of a vector result.
#[derive(Debug, Clone, PartialEq)]
pub struct InstantSample {
    /// Label set, including `__name__` when present.
    pub metric: BTreeMap<String, String>,
    /// The sample.
    pub value: Sample,
}

/// One float sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Unix time in seconds.
    pub t: f64,
    /// Value; may be NaN or ±Inf.
    pub v: f64,
}

/// `/api/v1/status/buildinfo`. Every field is optional: VictoriaMetrics answers `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BuildInfo {
    /// e.g. `2.53.0`.
    pub version: Option<String>,
    /// VCS revision.
    pub revision: Option<String>,
    /// VCS branch.
    pub branch: Option<String>,
    /// Who built it.
    pub build_user: Option<String>,
    /// When it was built.
    pub build_date: Option<String>,
    /// Go toolchain version.
    pub go_version: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_never_printed() {
        let s = Secret::new("s3cret".to_owned());
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(s.expose(), "s3cret");

        let mut opts = ClientOptions::new("p", url::Url::parse("http://h").unwrap());
        opts.auth = Some(Auth::Basic {
            username: "me".into(),
            password: Secret::from("s3cret"),
        });
        let dbg = format!("{opts:?}");
        assert!(!dbg.contains("s3cret"), "{dbg}");
        assert!(dbg.contains("me"));
        let bearer = format!("{:?}", Auth::Bearer(Secret::from("s3cret")));
        assert_eq!(bearer, "Bearer(***)");
    }

    #[test]
    fn defaults() {
        let o = ClientOptions::default();
        assert_eq!(o.url.as_str(), "http://127.0.0.1:9090/");
        assert_eq!(o.timeout, Duration::from_secs(5));
        assert_eq!(o.slow_timeout, Duration::from_secs(30));
        assert_eq!(o.max_body_bytes, 32 * 1024 * 1024);
        assert_eq!(o.max_series, 10_000);
        assert!(!o.insecure_skip_verify);
    }
}
