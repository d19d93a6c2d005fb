//! [`PromClient`]: HTTP transport for the Prometheus API (query, query_range, buildinfo).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE, DATE};
use url::Url;

use super::decode::{decode_buildinfo_body, decode_label_values_body, decode_query_body, is_json};
use super::error::{classify_reqwest, TransportContext};
use super::types::{Auth, BuildInfo, ClientOptions, QueryResponse};
use super::PromError;

/// Prometheus refuses range queries with more points per series than this.
pub const MAX_POINTS_PER_SERIES: u64 = 11_000;

/// Encoded `query` parameters longer than this go in a POST form body.
pub const POST_THRESHOLD_BYTES: usize = 1_500;

/// Upper bound on the connect timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How much of a non-JSON error body is read to summarise it.
const ERROR_BODY_PEEK: usize = 16 * 1024;

const USER_AGENT: &str = concat!("sretop/", env!("CARGO_PKG_VERSION"));

/// A client for one Prometheus-compatible source. Cheap to clone.
#[derive(Clone)]
pub struct PromClient {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    http: reqwest::Client,
    host: String,
    https: bool,
    query_url: Url,
    query_range_url: Url,
    buildinfo_url: Url,
    base_url: Url,
    path_prefix: Option<String>,
    auth: Option<Auth>,
    timeout: Duration,
    slow_timeout: Duration,
    connect_timeout: Duration,
    max_body_bytes: usize,
    max_series: usize,
    /// The server's clock minus ours, from the `Date` header of the last answer that had one.
    clock_skew: std::sync::Mutex<Option<chrono::Duration>>,
    /// The credentials as they appear on the wire, scrubbed from error bodies.
    secrets: Vec<super::types::Secret>,
}

impl std::fmt::Debug for PromClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromClient")
            .field("name", &self.inner.name)
            .field("host", &self.inner.host)
            .finish_non_exhaustive()
    }
}

/// A response whose body has been read (within limits).
pub(crate) struct Fetched {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl PromClient {
    /// Builds the client. Fails with [`PromError::Config`] on an unusable URL,
    /// CA bundle or header.
    pub fn new(opts: ClientOptions) -> Result<Self, PromError> {
        let config = |reason: String| PromError::Config { reason };

        let https = match opts.url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(config(format!("unsupported URL scheme {other:?}"))),
        };
        let host = opts
            .url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| config("URL has no host".to_owned()))?
            .to_owned();
        if opts.timeout.is_zero() {
            return Err(config("timeout must be positive".to_owned()));
        }

        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        for (name, value) in &opts.headers {
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| config(format!("invalid header name {name:?}")))?;
            // The value is not echoed: it may be a credential.
            let mut header_value = HeaderValue::from_str(value)
                .map_err(|_| config(format!("invalid value for header {name:?}")))?;
            header_value.set_sensitive(true);
            headers.append(header_name, header_value);
        }

        let connect_timeout = opts.timeout.min(MAX_CONNECT_TIMEOUT);
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .timeout(opts.timeout)
            .connect_timeout(connect_timeout)
            .danger_accept_invalid_certs(opts.insecure_skip_verify);
        if let Some(pem) = &opts.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| config(format!("CA certificate: {}", error_message(&e))))?;
            if certs.is_empty() {
                return Err(config(
                    "CA certificate: no PEM certificate found".to_owned(),
                ));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|e| config(format!("HTTP client: {}", error_message(&e))))?;

        let secrets = super::redact::needles(&opts);
        let prefix = opts.path_prefix.as_deref();
        Ok(Self {
            inner: Arc::new(Inner {
                name: opts.name,
                http,
                host,
                https,
                query_url: endpoint_url(&opts.url, prefix, "/api/v1/query")?,
                query_range_url: endpoint_url(&opts.url, prefix, "/api/v1/query_range")?,
                buildinfo_url: endpoint_url(&opts.url, prefix, "/api/v1/status/buildinfo")?,
                base_url: opts.url.clone(),
                path_prefix: opts.path_prefix.clone(),
                auth: opts.auth,
                timeout: opts.timeout,
                slow_timeout: opts.slow_timeout.max(opts.timeout),
                connect_timeout,
                max_body_bytes: opts.max_body_bytes,
                max_series: opts.max_series,
                clock_skew: std::sync::Mutex::new(None),
                secrets,
            }),
        })
    }

    /// The source name given in the options.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// How far the server's clock is ahead of this host's (negative: behind), from the `Date`
    /// header of the last answer that carried one, compared with the time its headers arrived.
    /// The header has whole seconds, so this is good to a second or so: enough to tell when
    /// windows computed from the host's clock miss the server's newest data.
    pub fn clock_skew(&self) -> Option<chrono::Duration> {
        *self
            .inner
            .clock_skew
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Instant query (`/api/v1/query`) evaluated at `time`.
    pub async fn query(
        &self,
        query: &str,
        time: DateTime<Utc>,
    ) -> Result<QueryResponse, PromError> {
        let params = [
            ("query", query.to_owned()),
            ("time", format_unix_time(time)),
        ];
        let post = encoded_len(query) > POST_THRESHOLD_BYTES;
        let fetched = self.send(&self.inner.query_url, &params, post).await?;
        decode_query_body(
            fetched.status,
            fetched.content_type.as_deref(),
            &fetched.body,
            self.inner.max_series,
        )
    }

    /// Range query (`/api/v1/query_range`). `step` is widened when needed so a
    /// series has at most [`MAX_POINTS_PER_SERIES`] points (see [`clamp_step`]).
    pub async fn query_range(
        &self,
        query: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
    ) -> Result<QueryResponse, PromError> {
        self.query_range_within(query, start, end, step, self.inner.timeout)
            .await
    }

    /// [`Self::query_range`] for a query known to be slow (an SLO window of days), given the
    /// longer `slow_timeout`.
    pub async fn query_range_slow(
        &self,
        query: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
    ) -> Result<QueryResponse, PromError> {
        self.query_range_within(query, start, end, step, self.inner.slow_timeout)
            .await
    }

    async fn query_range_within(
        &self,
        query: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
        timeout: Duration,
    ) -> Result<QueryResponse, PromError> {
        let step = clamp_step(start, end, step)?;
        let params = [
            ("query", query.to_owned()),
            ("start", format_unix_time(start)),
            ("end", format_unix_time(end)),
            ("step", format_step(step)),
        ];
        let post = encoded_len(query) > POST_THRESHOLD_BYTES;
        let fetched = self
            .send_within(&self.inner.query_range_url, &params, post, timeout)
            .await?;
        decode_query_body(
            fetched.status,
            fetched.content_type.as_deref(),
            &fetched.body,
            self.inner.max_series,
        )
    }

    /// `/api/v1/status/buildinfo`. Every field is optional (VictoriaMetrics answers `{}`).
    pub async fn buildinfo(&self) -> Result<BuildInfo, PromError> {
        let fetched = self.send(&self.inner.buildinfo_url, &[], false).await?;
        decode_buildinfo_body(
            fetched.status,
            fetched.content_type.as_deref(),
            &fetched.body,
        )
    }

    /// The values of label `name` (`/api/v1/label/<name>/values`) on series seen between
    /// `start` and `end`, e.g. every metric name for `__name__`. At most `max_values` values,
    /// else [`PromError::TooManySeries`]; servers that support `limit` are asked for one more.
    pub async fn label_values(
        &self,
        name: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        max_values: usize,
    ) -> Result<Vec<String>, PromError> {
        let mut url = self.api_url("/api/v1/label")?;
        url.path_segments_mut()
            .map_err(|()| PromError::Config {
                reason: "URL cannot be a base".to_owned(),
            })?
            .push(name)
            .push("values");
        let params = [
            ("start", format_unix_time(start)),
            ("end", format_unix_time(end)),
            ("limit", (max_values + 1).to_string()),
        ];
        let fetched = self.send(&url, &params, false).await?;
        decode_label_values_body(
            fetched.status,
            fetched.content_type.as_deref(),
            &fetched.body,
            max_values,
        )
    }

    /// `{base URL}{path prefix}{api_path}`, e.g. for `/api/v1/alerts` or `/api/v2/silences`.
    pub(crate) fn api_url(&self, api_path: &str) -> Result<Url, PromError> {
        endpoint_url(
            &self.inner.base_url,
            self.inner.path_prefix.as_deref(),
            api_path,
        )
    }

    /// Sends one request and reads its body within the size cap, all within the timeout.
    async fn send(
        &self,
        url: &Url,
        params: &[(&str, String)],
        post: bool,
    ) -> Result<Fetched, PromError> {
        self.send_within(url, params, post, self.inner.timeout)
            .await
    }

    async fn send_within(
        &self,
        url: &Url,
        params: &[(&str, String)],
        post: bool,
        timeout: Duration,
    ) -> Result<Fetched, PromError> {
        let inner = &*self.inner;
        let request = if post {
            inner.http.post(url.clone()).form(params)
        } else if params.is_empty() {
            inner.http.get(url.clone())
        } else {
            inner.http.get(url.clone()).query(params)
        };
        let method = if post { "POST" } else { "GET" };
        // The client's own timeout is the short one; a slow query's request carries its own.
        let request = request.timeout(timeout);
        self.execute_within(request, url, method, "prometheus request", timeout)
            .await
    }

    /// Sends a request built on this client's `reqwest::Client` (see [`Self::http`]) with
    /// its credentials, and reads the body within the size cap, all within the timeout.
    /// `what` names the request in debug logs (never the URL's query or credentials).
    pub(crate) async fn execute(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
        method: &str,
        what: &str,
    ) -> Result<Fetched, PromError> {
        self.execute_within(request, url, method, what, self.inner.timeout)
            .await
    }

    async fn execute_within(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
        method: &str,
        what: &str,
        timeout: Duration,
    ) -> Result<Fetched, PromError> {
        let inner = &*self.inner;
        let started = Instant::now();
        let fut = async {
            let request = match &inner.auth {
                Some(Auth::Bearer(token)) => request.bearer_auth(token.expose()),
                Some(Auth::Basic { username, password }) => {
                    request.basic_auth(username, Some(password.expose()))
                }
                None => request,
            };
            let mut response = request.send().await.map_err(|e| self.transport_error(e))?;
            if let Some(skew) = date_skew(response.headers().get(DATE), Utc::now()) {
                *inner
                    .clock_skew
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(skew);
            }
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let ok = (200..300).contains(&status);
            let mut body = if !ok && !is_json(content_type.as_deref()) {
                // Only a summary line is kept of a non-JSON error page.
                peek_body(&mut response, ERROR_BODY_PEEK).await
            } else {
                self.read_body(&mut response, inner.max_body_bytes).await?
            };
            if !ok {
                // An error page may echo the request, credentials included.
                super::redact::scrub(&mut body, &inner.secrets);
            }
            Ok(Fetched {
                status,
                content_type,
                body,
            })
        };
        let result = match tokio::time::timeout(timeout, fut).await {
            Ok(result) => result,
            Err(_) => Err(PromError::Timeout { after: timeout }),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(f) => tracing::debug!(
                source = %inner.name,
                endpoint = url.path(),
                method,
                status = f.status,
                bytes = f.body.len(),
                elapsed_ms,
                "{what}"
            ),
            Err(e) => tracing::debug!(
                source = %inner.name,
                endpoint = url.path(),
                elapsed_ms,
                error = %e,
                "{what} failed"
            ),
        }
        result
    }

    /// The shared HTTP client (default headers, TLS and timeouts already applied).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Reads the whole body chunk by chunk, failing with
    /// [`PromError::TooLarge`] as soon as it exceeds `limit` bytes.
    async fn read_body(
        &self,
        response: &mut reqwest::Response,
        limit: usize,
    ) -> Result<Vec<u8>, PromError> {
        let too_large = PromError::TooLarge { limit };
        let declared = response.content_length();
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(too_large);
        }
        let initial = declared.map_or(8 * 1024, |len| len as usize).min(limit);
        let mut body = Vec::with_capacity(initial);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e))?
        {
            if chunk.len() > limit - body.len() {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_error(&self, err: reqwest::Error) -> PromError {
        let inner = &*self.inner;
        classify_reqwest(
            err,
            &TransportContext {
                host: &inner.host,
                https: inner.https,
                timeout: inner.timeout,
                connect_timeout: inner.connect_timeout,
            },
        )
    }
}

/// The server's clock minus `received` (when the answer's headers arrived), from an HTTP
/// `Date` header, give or take the time the answer took to arrive (`Sun, 06 Nov 1994 08:49:37 GMT`); `None` without a parsable one.
pub(crate) fn date_skew(
    date: Option<&HeaderValue>,
    received: DateTime<Utc>,
) -> Option<chrono::Duration> {
    let text = date?.to_str().ok()?;
    let server = DateTime::parse_from_rfc2822(text.trim()).ok()?;
    // The header is cut to the second it was written in: its middle is the best guess.
    Some(server.with_timezone(&Utc) + chrono::Duration::milliseconds(500) - received)
}

/// Up to `limit` bytes of an error page. The status is already known, so a
/// failure while reading just ends the body.
async fn peek_body(response: &mut reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit - body.len();
        if chunk.len() >= room {
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    body
}

/// `{base path}{prefix}{api path}`, without the base URL's query or fragment.
fn endpoint_url(base: &Url, prefix: Option<&str>, api_path: &str) -> Result<Url, PromError> {
    if base.cannot_be_a_base() {
        return Err(PromError::Config {
            reason: "URL cannot be a base".to_owned(),
        });
    }
    let mut path = base.path().trim_end_matches('/').to_owned();
    if let Some(prefix) = prefix.map(|p| p.trim_matches('/')) {
        if !prefix.is_empty() {
            path.push('/');
            path.push_str(prefix);
        }
    }
    path.push_str(api_path);
    let mut url = base.clone();
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// The message of a reqwest error without its URL.
fn error_message(err: &reqwest::Error) -> String {
    let mut msg = String::new();
    let mut cur: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = cur {
        msg = e.to_string();
        cur = e.source();
    }
    msg
}

/// Length of `s` once form/URL encoded.
fn encoded_len(s: &str) -> usize {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .map(str::len)
        .sum()
}

/// Widens `step` so `(end - start) / step ≤ 11 000`.
///
/// When widening is needed the step is rounded up to whole seconds (a 30-day
/// range at 60 s becomes 236 s); a step that already fits, even sub-second, is
/// kept. Fails with [`PromError::Config`] for a zero step or `end < start`.
pub fn clamp_step(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    step: Duration,
) -> Result<Duration, PromError> {
    if step.is_zero() {
        return Err(PromError::Config {
            reason: "step must be positive".to_owned(),
        });
    }
    let range_ms = (end - start).num_milliseconds();
    let Ok(range_ms) = u64::try_from(range_ms) else {
        return Err(PromError::Config {
            reason: "range end is before its start".to_owned(),
        });
    };
    let min_step_ms = range_ms.div_ceil(MAX_POINTS_PER_SERIES);
    if step.as_millis() >= u128::from(min_step_ms) {
        return Ok(step);
    }
    Ok(Duration::from_secs(min_step_ms.div_ceil(1000)))
}

/// Unix seconds with up to 3 decimals: `1700000000`, `1700000000.5`.
pub fn format_unix_time(t: DateTime<Utc>) -> String {
    format_millis(i128::from(t.timestamp_millis()))
}

/// Step in seconds with up to 3 decimals (`15`, `0.5`), rounded up to whole milliseconds.
pub fn format_step(step: Duration) -> String {
    let ms = step.as_nanos().div_ceil(1_000_000);
    format_millis(i128::try_from(ms).unwrap_or(i128::MAX))
}

fn format_millis(ms: i128) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    let (secs, frac) = (abs / 1000, abs % 1000);
    if frac == 0 {
        format!("{sign}{secs}")
    } else {
        let frac = format!("{frac:03}");
        format!("{sign}{secs}.{}", frac.trim_end_matches('0'))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().unwrap()
    }

    #[test]
    fn step_clamped_for_30_days_at_60s() {
        let step = clamp_step(at(0), at(30 * 86_400), Duration::from_secs(60)).unwrap();
        assert!(step >= Duration::from_secs(236), "{step:?}");
        assert_eq!(step, Duration::from_secs(236));
        assert!(30 * 86_400 / step.as_secs() <= MAX_POINTS_PER_SERIES);
    }

    #[test]
    fn step_kept_when_within_limit() {
        let step = clamp_step(at(0), at(3600), Duration::from_secs(15)).unwrap();
        assert_eq!(step, Duration::from_secs(15));
        let step = clamp_step(at(0), at(3600), Duration::from_millis(500)).unwrap();
        assert_eq!(step, Duration::from_millis(500));
        // Exactly 11 000 points is allowed.
        let step = clamp_step(at(0), at(11_000), Duration::from_secs(1)).unwrap();
        assert_eq!(step, Duration::from_secs(1));
        let step = clamp_step(at(0), at(11_001), Duration::from_secs(1)).unwrap();
        assert_eq!(step, Duration::from_secs(2));
    }

    #[test]
    fn step_zero_and_inverted_range_rejected() {
        assert!(matches!(
            clamp_step(at(0), at(60), Duration::ZERO),
            Err(PromError::Config { .. })
        ));
        assert!(matches!(
            clamp_step(at(60), at(0), Duration::from_secs(1)),
            Err(PromError::Config { .. })
        ));
        // Zero-length range is fine (a single point).
        assert!(clamp_step(at(60), at(60), Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn time_and_step_formatting() {
        assert_eq!(format_unix_time(at(1_700_000_000)), "1700000000");
        let t = Utc
            .timestamp_millis_opt(1_700_000_000_250)
            .single()
            .unwrap();
        assert_eq!(format_unix_time(t), "1700000000.25");
        let t = Utc.timestamp_millis_opt(-1_500).single().unwrap();
        assert_eq!(format_unix_time(t), "-1.5");
        assert_eq!(format_step(Duration::from_secs(15)), "15");
        assert_eq!(format_step(Duration::from_millis(500)), "0.5");
        assert_eq!(format_step(Duration::from_millis(1_005)), "1.005");
        assert_eq!(format_step(Duration::from_micros(100)), "0.001");
    }

    #[test]
    fn endpoint_urls_join_prefix() {
        let base = Url::parse("http://h:9090").unwrap();
        assert_eq!(
            endpoint_url(&base, None, "/api/v1/query").unwrap().as_str(),
            "http://h:9090/api/v1/query"
        );
        assert_eq!(
            endpoint_url(&base, Some("/prometheus/"), "/api/v1/query")
                .unwrap()
                .as_str(),
            "http://h:9090/prometheus/api/v1/query"
        );
        let base = Url::parse("https://h/select/0/prometheus/?x=1").unwrap();
        assert_eq!(
            endpoint_url(&base, Some("sub"), "/api/v1/query_range")
                .unwrap()
                .as_str(),
            "https://h/select/0/prometheus/sub/api/v1/query_range"
        );
    }

    #[test]
    fn bad_options_are_config_errors() {
        let url = Url::parse("http://127.0.0.1:9090").unwrap();
        let mut opts = ClientOptions::new("t", url.clone());
        opts.headers.push(("bad header".into(), "v".into()));
        assert!(matches!(
            PromClient::new(opts),
            Err(PromError::Config { .. })
        ));

        let mut opts = ClientOptions::new("t", url.clone());
        opts.headers
            .push(("X-Token".into(), "line\nbreak-s3cret".into()));
        let err = PromClient::new(opts).unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");

        let mut opts = ClientOptions::new("t", url.clone());
        opts.ca_pem = Some(b"not a certificate".to_vec());
        assert!(matches!(
            PromClient::new(opts),
            Err(PromError::Config { .. })
        ));

        let opts = ClientOptions::new("t", Url::parse("ftp://h/").unwrap());
        assert!(matches!(
            PromClient::new(opts),
            Err(PromError::Config { .. })
        ));

        let client = PromClient::new(ClientOptions::new("src-a", url)).unwrap();
        assert_eq!(client.name(), "src-a");
    }

    #[test]
    fn client_and_futures_are_send() {
        fn send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
        fn send<T: Send>(_: &T) {}
        let url = Url::parse("http://127.0.0.1:9090").unwrap();
        let client = PromClient::new(ClientOptions::new("a", url)).unwrap();
        send_sync(&client);
        let now = Utc::now();
        send(&client.query("up", now));
        send(&client.query_range("up", now, now, Duration::from_secs(1)));
        send(&client.buildinfo());
    }

    #[test]
    fn skew_from_the_date_header() {
        let received = Utc
            .with_ymd_and_hms(2026, 12, 6, 14, 0, 0)
            .single()
            .unwrap();
        let date = HeaderValue::from_static("Sun, 06 Dec 2026 14:05:00 GMT");
        assert_eq!(
            date_skew(Some(&date), received),
            Some(chrono::Duration::milliseconds(300_500))
        );
        let date = HeaderValue::from_static("Sun, 06 Dec 2026 13:59:30 GMT");
        assert_eq!(
            date_skew(Some(&date), received),
            Some(chrono::Duration::milliseconds(-29_500))
        );
        assert_eq!(date_skew(None, received), None);
        let junk = HeaderValue::from_static("yesterday");
        assert_eq!(date_skew(Some(&junk), received), None);
    }

    #[test]
    fn long_queries_switch_to_post() {
        assert!(encoded_len("up") <= POST_THRESHOLD_BYTES);
        let long = format!("sum(rate(x{{a=\"{}\"}}[5m]))", "b".repeat(1_600));
        assert!(encoded_len(&long) > POST_THRESHOLD_BYTES);
        // Encoding expands special characters.
        assert_eq!(encoded_len("a b{}"), "a+b%7B%7D".len());
    }
}
