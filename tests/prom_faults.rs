//! Fault injection for the Prometheus client against a tiny hand-written
//! HTTP/1.1 server on 127.0.0.1, answering with raw bytes a real Prometheus
//! would never send.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use sretop::prom::{Auth, ClientOptions, PromClient, PromError, QueryData, Sample, Secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const TOKEN: &str = "s3cret";

/// One request as the server saw it.
#[derive(Debug)]
struct Captured {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Decoded form parameters from the query string (GET) or body (POST).
    fn params(&self) -> Vec<(String, String)> {
        let raw: &[u8] = match self.method.as_str() {
            "POST" => &self.body,
            _ => self.query.as_deref().unwrap_or("").as_bytes(),
        };
        url::form_urlencoded::parse(raw).into_owned().collect()
    }

    fn param(&self, name: &str) -> Option<String> {
        self.params()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// What the fake server does with each connection.
#[derive(Clone)]
enum Behavior {
    /// Read the request, write these bytes, close.
    Respond(Vec<u8>),
    /// Read the request and never answer.
    Hang,
}

struct Server {
    addr: SocketAddr,
    requests: mpsc::UnboundedReceiver<Captured>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    async fn start(behavior: Behavior) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let tx = tx.clone();
                let behavior = behavior.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut stream).await else {
                        return;
                    };
                    let _ = tx.send(req);
                    match behavior {
                        Behavior::Respond(bytes) => {
                            let _ = stream.write_all(&bytes).await;
                            let _ = stream.shutdown().await;
                        }
                        Behavior::Hang => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            drop(stream);
                        }
                    }
                });
            }
        });
        Server {
            addr,
            requests: rx,
            task,
        }
    }

    fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}", self.addr)).unwrap()
    }

    async fn request(&mut self) -> Captured {
        tokio::time::timeout(Duration::from_secs(5), self.requests.recv())
            .await
            .expect("server saw no request")
            .expect("server task ended")
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Captured> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let content_length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < content_length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (target, None),
    };
    Some(Captured {
        method,
        path,
        query,
        headers,
        body,
    })
}

/// A raw HTTP/1.1 response with a correct Content-Length.
fn response(status_line: &str, content_type: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status_line}\r\nConnection: close\r\n");
    if let Some(ct) = content_type {
        out.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Options carrying a bearer token, so every test checks it never leaks.
fn options(url: url::Url) -> ClientOptions {
    let mut opts = ClientOptions::new("fake", url);
    opts.auth = Some(Auth::Bearer(Secret::new(TOKEN.to_owned())));
    opts.timeout = Duration::from_secs(5);
    opts
}

fn client(opts: ClientOptions) -> PromClient {
    PromClient::new(opts).unwrap()
}

fn t(secs: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap()
}

/// Asserts the error carries no secret, in Display or Debug.
fn no_secret(err: &PromError) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "secret leaked: {shown}");
}

async fn query_err(opts: ClientOptions) -> PromError {
    let err = client(opts)
        .query("up", t(1_700_000_000))
        .await
        .expect_err("expected an error");
    no_secret(&err);
    err
}

#[tokio::test]
async fn server_that_never_answers_times_out() {
    let server = Server::start(Behavior::Hang).await;
    let mut opts = options(server.url());
    opts.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let err = query_err(opts).await;
    let elapsed = started.elapsed();
    assert_eq!(
        err,
        PromError::Timeout {
            after: Duration::from_millis(300)
        }
    );
    assert_eq!(err.to_string(), "timed out after 300ms");
    assert!(err.is_transport());
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1300), "{elapsed:?}");
}

#[tokio::test]
async fn server_500_with_garbage() {
    let body = b"\x00\x01panic: runtime error <<>>\ngoroutine 1 [running]:\n";
    let server = Server::start(Behavior::Respond(response(
        "500 Internal Server Error",
        Some("text/plain"),
        body,
    )))
    .await;
    let err = query_err(options(server.url())).await;
    let PromError::Http { status, body } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 500);
    assert_eq!(body, "panic: runtime error <<>>");
    assert!(err.is_transport());

    // Garbage labelled as JSON is still an HTTP error, not a decode error.
    let server = Server::start(Behavior::Respond(response(
        "500 Internal Server Error",
        Some("application/json"),
        b"{not json",
    )))
    .await;
    let err = query_err(options(server.url())).await;
    assert!(
        matches!(err, PromError::Http { status: 500, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_503_plain_text() {
    let server = Server::start(Behavior::Respond(response(
        "503 Service Unavailable",
        Some("text/plain; charset=utf-8"),
        b"Service Unavailable\n",
    )))
    .await;
    let err = query_err(options(server.url())).await;
    assert_eq!(err.to_string(), "HTTP 503: Service Unavailable");
    assert!(err.is_transport());
}

#[tokio::test]
async fn api_error_envelope_over_http() {
    let server = Server::start(Behavior::Respond(response(
        "400 Bad Request",
        Some("application/json"),
        br#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"}"#,
    )))
    .await;
    let err = query_err(options(server.url())).await;
    assert_eq!(
        err.to_string(),
        "bad_data: 1:5: parse error: unclosed left parenthesis"
    );
    assert!(!err.is_transport());
}

#[tokio::test]
async fn truncated_json_with_json_content_type() {
    let body = br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[[1,"1"],[2,"#;
    let server = Server::start(Behavior::Respond(response(
        "200 OK",
        Some("application/json"),
        body,
    )))
    .await;
    let err = query_err(options(server.url())).await;
    assert!(matches!(err, PromError::Decode { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("malformed response: EOF"),
        "{err}"
    );
    assert!(!err.is_transport());
}

#[tokio::test]
async fn connection_dropped_mid_body() {
    // Declares 1000 bytes, sends 60, closes.
    let mut raw =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            .to_vec();
    raw.extend_from_slice(br#"{"status":"success","data":{"resultType":"vector","result":["#);
    let server = Server::start(Behavior::Respond(raw)).await;
    let err = query_err(options(server.url())).await;
    assert_eq!(
        err,
        PromError::Connect {
            reason: "connection closed by server".to_owned()
        }
    );
    assert!(err.is_transport());
}

#[tokio::test]
async fn error_page_cut_short_still_reports_status() {
    // A 502 page that declares more than it sends, and a huge one: both are
    // summarised from what arrived instead of failing on the body.
    let mut raw =
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n"
            .to_vec();
    raw.extend_from_slice(b"<html><head><title>502 Bad Gateway</title></head>");
    let server = Server::start(Behavior::Respond(raw)).await;
    let err = query_err(options(server.url())).await;
    assert_eq!(err.to_string(), "HTTP 502: 502 Bad Gateway");

    let mut page = b"<html><body><h1>Bad Gateway</h1>".to_vec();
    page.resize(5 * 1024 * 1024, b' ');
    let server = Server::start(Behavior::Respond(response(
        "502 Bad Gateway",
        Some("text/html"),
        &page,
    )))
    .await;
    let mut opts = options(server.url());
    opts.max_body_bytes = 1024;
    let err = query_err(opts).await;
    assert_eq!(err.to_string(), "HTTP 502: Bad Gateway");
    assert!(err.is_transport());
}

#[tokio::test]
async fn connection_closed_without_response() {
    let server = Server::start(Behavior::Respond(Vec::new())).await;
    let err = query_err(options(server.url())).await;
    let PromError::Connect { reason } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("closed"), "{reason}");
    assert!(err.is_transport());
}

#[tokio::test]
async fn body_larger_than_limit() {
    let big = format!(
        r#"{{"status":"success","data":{{"resultType":"string","result":[1,"{}"]}}}}"#,
        "x".repeat(10_000)
    );
    // With Content-Length: rejected up front.
    let server = Server::start(Behavior::Respond(response(
        "200 OK",
        Some("application/json"),
        big.as_bytes(),
    )))
    .await;
    let mut opts = options(server.url());
    opts.max_body_bytes = 4096;
    let err = query_err(opts.clone()).await;
    assert_eq!(err, PromError::TooLarge { limit: 4096 });
    assert_eq!(err.to_string(), "response larger than 4 KiB");

    // Without Content-Length (body until EOF): rejected while streaming.
    let mut raw =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".to_vec();
    raw.extend_from_slice(big.as_bytes());
    let server = Server::start(Behavior::Respond(raw)).await;
    opts.url = server.url();
    let err = query_err(opts.clone()).await;
    assert_eq!(err, PromError::TooLarge { limit: 4096 });

    // The same body fits under the default limit.
    opts.max_body_bytes = sretop::prom::DEFAULT_MAX_BODY_BYTES;
    let server = Server::start(Behavior::Respond(response(
        "200 OK",
        Some("application/json"),
        big.as_bytes(),
    )))
    .await;
    opts.url = server.url();
    let r = client(opts).query("x", t(1)).await.unwrap();
    assert!(matches!(r.data, QueryData::String(s) if s.len() == 10_000));
}

#[tokio::test]
async fn too_many_series_over_http() {
    let series: Vec<String> = (0..20)
        .map(|i| format!(r#"{{"metric":{{"i":"{i}"}},"value":[1,"1"]}}"#))
        .collect();
    let body = format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#,
        series.join(",")
    );
    let server = Server::start(Behavior::Respond(response(
        "200 OK",
        Some("application/json"),
        body.as_bytes(),
    )))
    .await;
    let mut opts = options(server.url());
    opts.max_series = 5;
    let err = query_err(opts).await;
    assert_eq!(
        err,
        PromError::TooManySeries {
            count: 20,
            limit: 5
        }
    );
}

#[tokio::test]
async fn matrix_answer_and_request_shape() {
    let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"__name__":"up","job":"api"},"values":[[1700000000,"1"],[1700000060,"NaN"],[1700000120,"+Inf"]]}
    ]},"warnings":["w1"],"infos":["i1"]}"#;
    let mut server = Server::start(Behavior::Respond(response(
        "200 OK",
        Some("application/json"),
        body,
    )))
    .await;
    let mut opts = options(server.url());
    opts.path_prefix = Some("/prometheus".to_owned());
    opts.headers
        .push(("X-Scope-OrgID".to_owned(), "tenant-1".to_owned()));
    let resp = client(opts)
        .query_range(
            "rate(http_requests_total{job=\"api\"}[5m])",
            t(1_700_000_000),
            Utc.timestamp_millis_opt(1_700_003_600_500)
                .single()
                .unwrap(),
            Duration::from_secs(60),
        )
        .await
        .unwrap();

    let QueryData::Matrix(series) = &resp.data else {
        panic!("{:?}", resp.data)
    };
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].metric.get("job").map(String::as_str), Some("api"));
    let v = &series[0].values;
    assert_eq!(
        v[0],
        Sample {
            t: 1_700_000_000.0,
            v: 1.0
        }
    );
    assert!(v[1].v.is_nan());
    assert_eq!(v[2].v, f64::INFINITY);
    assert_eq!(resp.warnings, vec!["w1".to_owned(), "info: i1".to_owned()]);

    let req = server.request().await;
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, "/prometheus/api/v1/query_range");
    assert_eq!(
        req.param("query").as_deref(),
        Some("rate(http_requests_total{job=\"api\"}[5m])")
    );
    assert_eq!(req.param("start").as_deref(), Some("1700000000"));
    assert_eq!(req.param("end").as_deref(), Some("1700003600.5"));
    assert_eq!(req.param("step").as_deref(), Some("60"));
    assert_eq!(req.header("authorization"), Some("Bearer s3cret"));
    assert_eq!(req.header("x-scope-orgid"), Some("tenant-1"));
    assert_eq!(req.header("accept"), Some("application/json"));
    let ua = req.header("user-agent").unwrap_or("");
    assert!(ua.starts_with("sretop/"), "{ua}");
    assert!(
        req.header("accept-encoding").unwrap_or("").contains("gzip"),
        "{:?}",
        req.headers
    );
}

#[tokio::test]
async fn step_is_clamped_on_the_wire() {
    let mut server = Server::start(Behavior::Respond(response(
        "200 OK",
        Some("application/json"),
        br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
    )))
    .await;
    let resp = client(options(server.url()))
        .query_range("up", t(0), t(30 * 86_400), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(resp.data, QueryData::Matrix(vec![]));
    let req = server.request().await;
    assert_eq!(req.param("step").as_deref(), Some("236"));
}

#[tokio::test]
async fn long_query_is_sent_as_post_form() {
    let mut server = Server::start(Behavior::Respond(response(
        "200 OK",
        Some("application/json"),
        br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.5,"7"]}]}}"#,
    )))
    .await;
    let long_query = format!(
        "sum(rate(http_requests_total{{path=~\"{}\"}}[5m]))",
        (0..400)
            .map(|i| format!("/p{i}"))
            .collect::<Vec<_>>()
            .join("|")
    );
    assert!(long_query.len() > 1_500);
    let mut opts = options(server.url());
    opts.auth = Some(Auth::Basic {
        username: "alice".to_owned(),
        password: Secret::new(TOKEN.to_owned()),
    });
    let resp = client(opts)
        .query(&long_query, t(1_700_000_000))
        .await
        .unwrap();
    let QueryData::Vector(v) = resp.data else {
        panic!()
    };
    assert_eq!(
        v[0].value,
        Sample {
            t: 1_700_000_000.5,
            v: 7.0
        }
    );

    let req = server.request().await;
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/api/v1/query");
    assert_eq!(req.query, None, "POST must not carry the query in the URL");
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(req.param("query").as_deref(), Some(long_query.as_str()));
    assert_eq!(req.param("time").as_deref(), Some("1700000000"));
    // alice:s3cret
    assert_eq!(req.header("authorization"), Some("Basic YWxpY2U6czNjcmV0"));
}

#[tokio::test]
async fn short_query_is_sent_as_get() {
    let mut server = Server::start(Behavior::Respond(response(
        "200 OK",
        Some("application/json"),
        br#"{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}"#,
    )))
    .await;
    let resp = client(options(server.url()))
        .query("1+1", t(1_700_000_000))
        .await
        .unwrap();
    assert_eq!(resp.data, QueryData::Scalar(Sample { t: 1.0, v: 2.0 }));
    let req = server.request().await;
    assert_eq!(req.method, "GET");
    assert_eq!(req.param("query").as_deref(), Some("1+1"));
    assert!(req.body.is_empty());
}

#[tokio::test]
async fn buildinfo_lenient() {
    let mut server = Server::start(Behavior::Respond(response(
        "200 OK",
        Some("application/json"),
        br#"{"status":"success","data":{}}"#,
    )))
    .await;
    let info = client(options(server.url())).buildinfo().await.unwrap();
    assert_eq!(info.version, None);
    let req = server.request().await;
    assert_eq!(req.path, "/api/v1/status/buildinfo");

    let server = Server::start(Behavior::Respond(response(
        "200 OK",
        Some("application/json"),
        br#"{"status":"success","data":{"version":"2.53.0","goVersion":"go1.22"}}"#,
    )))
    .await;
    let info = client(options(server.url())).buildinfo().await.unwrap();
    assert_eq!(info.version.as_deref(), Some("2.53.0"));
    assert_eq!(info.go_version.as_deref(), Some("go1.22"));
}

#[tokio::test]
async fn connection_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    // Credentials in the URL must not leak either.
    let url = url::Url::parse(&format!("http://bob:{TOKEN}@{addr}/")).unwrap();
    let err = query_err(options(url)).await;
    let PromError::Connect { reason } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("refused"), "{reason}");
    assert_eq!(err.to_string(), "connection refused");
    assert!(err.is_transport());
}

#[tokio::test]
async fn dns_failure() {
    let url = url::Url::parse("http://nosuch.invalid:9090/").unwrap();
    let err = query_err(options(url)).await;
    assert!(
        matches!(err, PromError::Dns { .. } | PromError::Connect { .. }),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(
        shown.contains("nosuch.invalid") || shown.contains("resolve"),
        "{shown}"
    );
    assert!(err.is_transport());
}

/// TLS against `openssl s_server` (scripts/test.sh installs openssl when missing).
mod tls {
    use super::*;
    use std::process::{Child, Command, Stdio};

    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[tokio::test]
    async fn unknown_issuer_then_trusted_ca() {
        let dir = tempfile::tempdir().unwrap();
        crate::support::make_ca(dir.path());
        crate::support::make_leaf(dir.path(), "leaf");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(port.to_string())
            .args(["-cert", "leaf.pem", "-key", "leaf.key"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            eprintln!("skipping: cannot start openssl s_server");
            return;
        };
        let _guard = Kill(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "s_server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let url = url::Url::parse(&format!("https://127.0.0.1:{port}")).unwrap();

        // Unknown CA: a TLS error, never a silent downgrade.
        let err = query_err(options(url.clone())).await;
        assert_eq!(
            err,
            PromError::Tls {
                reason: "untrusted certificate (unknown issuer; set ca_file)".to_owned()
            }
        );
        assert_eq!(
            err.to_string(),
            "TLS: untrusted certificate (unknown issuer; set ca_file)"
        );
        assert!(err.is_transport());

        // Trusted CA: the handshake succeeds; s_server -www answers HTML,
        // which is a decode error (not JSON), proving we got past TLS.
        let mut opts = options(url.clone());
        opts.ca_pem = Some(std::fs::read(dir.path().join("ca.pem")).unwrap());
        let err = query_err(opts).await;
        assert!(matches!(err, PromError::Decode { .. }), "{err:?}");

        // insecure_skip_verify likewise gets past TLS.
        let mut opts = options(url);
        opts.insecure_skip_verify = true;
        let err = query_err(opts).await;
        assert!(matches!(err, PromError::Decode { .. }), "{err:?}");
    }
}
