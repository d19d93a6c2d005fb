//! TEMPORARY stand-in while the real client is written (same API).
use std::collections::BTreeMap;
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub t: f64,
    pub v: f64,
}
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    pub metric: BTreeMap<String, String>,
    pub values: Vec<Sample>,
}
#[derive(Debug, Clone, PartialEq)]
pub struct InstantSample {
    pub metric: BTreeMap<String, String>,
    pub value: Sample,
}
#[derive(Debug, Clone, PartialEq)]
pub enum QueryData {
    Matrix(Vec<RangeSeries>),
    Vector(Vec<InstantSample>),
    Scalar(Sample),
    String(String),
}
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResponse {
    pub data: QueryData,
    pub warnings: Vec<String>,
}
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromError {
    #[error("{reason}")]
    Connect { reason: String },
    #[error("timed out")]
    Timeout { after: std::time::Duration },
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("{error_type}: {error}")]
    Api {
        status: u16,
        error_type: String,
        error: String,
    },
    #[error("{reason}")]
    Config { reason: String },
}
impl PromError {
    pub fn is_transport(&self) -> bool {
        matches!(self, PromError::Connect { .. } | PromError::Timeout { .. })
            || matches!(self, PromError::Http{status, ..} if *status >= 500 || *status == 429)
    }
}
pub struct Secret(String);
impl Secret {
    pub fn new(s: String) -> Self {
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
pub enum Auth {
    Bearer(Secret),
    Basic { username: String, password: Secret },
}
pub struct ClientOptions {
    pub name: String,
    pub url: url::Url,
    pub path_prefix: Option<String>,
    pub timeout: std::time::Duration,
    pub auth: Option<Auth>,
    pub headers: Vec<(String, String)>,
    pub ca_pem: Option<Vec<u8>>,
    pub insecure_skip_verify: bool,
    pub max_body_bytes: usize,
    pub max_series: usize,
}
#[derive(Clone)]
pub struct PromClient {
    name: String,
}
impl PromClient {
    pub fn new(opts: ClientOptions) -> Result<Self, PromError> {
        Ok(PromClient { name: opts.name })
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub async fn query(
        &self,
        _q: &str,
        _t: chrono::DateTime<chrono::Utc>,
    ) -> Result<QueryResponse, PromError> {
        Err(PromError::Config {
            reason: "stub".into(),
        })
    }
    pub async fn query_range(
        &self,
        _q: &str,
        _s: chrono::DateTime<chrono::Utc>,
        _e: chrono::DateTime<chrono::Utc>,
        _step: std::time::Duration,
    ) -> Result<QueryResponse, PromError> {
        Err(PromError::Config {
            reason: "stub".into(),
        })
    }
}
