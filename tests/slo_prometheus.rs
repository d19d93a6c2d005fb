//! SLO numbers against a real Prometheus with known history.
//!
//! A generator writes 30 days and an hour of per-minute samples for a handful of services
//! whose error ratios are known by construction, `promtool tsdb create-blocks-from
//! openmetrics` turns them into TSDB blocks (so a 30-day window has real history without
//! waiting 30 days), and Debian's Prometheus serves them. Then:
//!
//! - sretop's SLI, budget consumed and remaining, policy band, burn rates of every alert
//!   window pair, and which conditions hold equal values computed by hand for that data, and
//!   Prometheus' own answer for the same ratio;
//! - `sretop budget` exits 0 (deploys allowed), 1 (denied) and 2 (cannot tell) in the right
//!   cases.
//!
//! # The data (one sample every 60 s, the last one at `T`)
//!
//! | service | series                                   | per minute                       |
//! |---------|------------------------------------------|----------------------------------|
//! | good    | requests code 200 / 404 / 500            | 4989 / 10 / 1 (e = 0.0002)       |
//! | good    | latency histogram                        | 1000, 998 of them ≤ 1 s          |
//! | bad     | requests code 200 / 500                  | 998 / 2 (e = 0.002)              |
//! | burst   | requests code 200 / 500                  | 1000 / 0, last hour 950 / 50     |
//! | clean   | requests code 200 only (no 5xx series)   | 1000                             |
//! | slow    | latency histogram                        | 1000, 985 of them ≤ 0.3 s        |
//! | idle    | requests code 200, flat (no traffic)     | 0                                |
//! | ghost   | nothing at all                           |                                  |
//!
//! burst's code="500" series does not exist until its first error (client libraries create a
//! labelled child on first use): it appears at `T − 59 min` with value 50.
//!
//! # Why `increase()` is exact here
//!
//! Every look-back sretop uses (5m … 30d) is a whole number of minutes and `T` is on the
//! sample grid, so a window `[T − w, T]` has samples on both edges: Prometheus 2.x range
//! selectors include the left edge, and `increase` is then `last − first` with no
//! extrapolation. (With a left-open selector, as in Prometheus 3, the first sample is 60 s in
//! and `increase` extrapolates by those 60 s, which for a constant per-minute increment gives
//! the same number again.) burst's late error series is extrapolated towards its start by
//! at most the time its first value took to accumulate from zero ("durationToZero":
//! `59 min × 50 / 2950 = 60 s`), which again restores exactly 3000. So the counts below are
//! the hand-computed ones up to float rounding, and the tolerance is 1e-9 relative.

mod support;

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use sretop::app::slo::{SloState, SloStatus};
use sretop::app::{App, Plan};
use sretop::domain::slo::{Band, Exhaustion};
use sretop::prom::{ClientOptions, PromClient, QueryData};
use sretop::runtime::{poll_once, Clients};
use support::{free_port, http_get, require_binary, wait_ready, Proc};

const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// The SLO window.
const WINDOW: i64 = 30 * DAY;
/// History before the window starts, so that `T − 30d` has a sample.
const LEAD: i64 = HOUR;
/// Series the generator writes (the completeness check after start-up).
const SERIES: f64 = 21.0;

// ---------------------------------------------------------------------------------------
// The fixture data
// ---------------------------------------------------------------------------------------

/// Per-minute increment of a counter for the minute that ends `age` seconds before `T`;
/// `None`: the series has no sample then.
type Increment = fn(i64) -> Option<u64>;

/// One counter series of the `http_requests` family.
struct CounterSeries {
    service: &'static str,
    code: &'static str,
    /// Value of the first sample.
    start: u64,
    increment: Increment,
}

fn counters() -> Vec<CounterSeries> {
    let constant = |service, code, n: fn(i64) -> Option<u64>| CounterSeries {
        service,
        code,
        start: 0,
        increment: n,
    };
    vec![
        constant("good", "200", |_| Some(4989)),
        constant("good", "404", |_| Some(10)),
        constant("good", "500", |_| Some(1)),
        constant("bad", "200", |_| Some(998)),
        constant("bad", "500", |_| Some(2)),
        constant("burst", "200", |age| {
            Some(if age < HOUR { 950 } else { 1000 })
        }),
        constant("burst", "500", |age| (age < HOUR).then_some(50)),
        constant("clean", "200", |_| Some(1000)),
        // A process that is up and serves nothing: the counter is flat.
        CounterSeries {
            service: "idle",
            code: "200",
            start: 1234,
            increment: |_| Some(0),
        },
    ]
}

/// A latency histogram: per minute, how many requests fall at or under each `le`.
struct HistogramSeries {
    service: &'static str,
    /// Cumulative per-minute counts by bucket, `+Inf` last.
    buckets: [(&'static str, u64); 4],
    /// Per-minute sum of durations.
    sum: u64,
}

fn histograms() -> Vec<HistogramSeries> {
    vec![
        // `le="1.0"`, as Prometheus 3 writes bucket boundaries: sretop must match it for a
        // threshold of 1.
        HistogramSeries {
            service: "good",
            buckets: [("0.1", 900), ("0.3", 990), ("1.0", 998), ("+Inf", 1000)],
            sum: 90,
        },
        HistogramSeries {
            service: "slow",
            buckets: [("0.1", 700), ("0.3", 985), ("1.0", 998), ("+Inf", 1000)],
            sum: 150,
        },
    ]
}

/// Writes the OpenMetrics file: samples every minute from `T − 30d − 1h` to `T` (seconds
/// since the epoch), families contiguous, each series in time order, `# EOF` last.
fn write_openmetrics(path: &Path, t_end: i64) {
    let file = std::fs::File::create(path).expect("create the OpenMetrics file");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let steps = (WINDOW + LEAD) / MINUTE;
    let t0 = t_end - steps * MINUTE;

    writeln!(out, "# HELP http_requests Requests handled.").expect("write");
    writeln!(out, "# TYPE http_requests counter").expect("write");
    for s in counters() {
        let mut value: Option<u64> = None;
        for k in 0..=steps {
            let t = t0 + k * MINUTE;
            let age = t_end - t;
            // The first sample of a series is its start value; every later one adds the
            // increment of the minute it closes.
            value = match (value, k, (s.increment)(age)) {
                (_, _, None) => None,
                (None, 0, Some(_)) => Some(s.start),
                (None, _, Some(n)) => Some(s.start + n),
                (Some(v), _, Some(n)) => Some(v + n),
            };
            if let Some(v) = value {
                writeln!(
                    out,
                    "http_requests_total{{service=\"{}\",code=\"{}\"}} {v} {t}",
                    s.service, s.code
                )
                .expect("write");
            }
        }
    }

    writeln!(out, "# HELP http_request_duration_seconds Request latency.").expect("write");
    writeln!(out, "# TYPE http_request_duration_seconds histogram").expect("write");
    for h in histograms() {
        let service = h.service;
        for (le, per_minute) in h.buckets {
            for k in 0..=steps {
                writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{service=\"{service}\",le=\"{le}\"}} {} {}",
                    per_minute * k as u64,
                    t0 + k * MINUTE
                )
                .expect("write");
            }
        }
        let total = h.buckets[3].1;
        for k in 0..=steps {
            writeln!(
                out,
                "http_request_duration_seconds_count{{service=\"{service}\"}} {} {}",
                total * k as u64,
                t0 + k * MINUTE
            )
            .expect("write");
        }
        for k in 0..=steps {
            writeln!(
                out,
                "http_request_duration_seconds_sum{{service=\"{service}\"}} {} {}",
                h.sum * k as u64,
                t0 + k * MINUTE
            )
            .expect("write");
        }
    }
    writeln!(out, "# EOF").expect("write");
    out.flush().expect("flush the OpenMetrics file");
}

// ---------------------------------------------------------------------------------------
// Prometheus over backfilled blocks
// ---------------------------------------------------------------------------------------

/// Prometheus serving the backfilled fixture, stopped (by pid) and its temp dir removed on
/// drop, in that order.
struct Backfilled {
    prometheus: Proc,
    port: u16,
    /// The last sample's time.
    end: DateTime<Utc>,
    dir: tempfile::TempDir,
}

impl Backfilled {
    /// Generates data ending at `end` (on the minute, in the past), backfills it and starts
    /// Prometheus on it.
    fn start(end: DateTime<Utc>) -> Backfilled {
        assert_eq!(end.timestamp() % MINUTE, 0, "T must be on the minute");
        let promtool = require_binary("promtool");
        let prometheus = require_binary("prometheus");
        let dir = tempfile::tempdir().expect("temp dir");
        let fixture = dir.path().join("fixture.om");
        let data = dir.path().join("data");
        write_openmetrics(&fixture, end.timestamp());

        // One block per ~month instead of promtool's default 2 h blocks: 361 small blocks
        // take minutes to write on a 2-core machine, three big ones a few seconds.
        let out = Command::new(promtool)
            .args([
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "--quiet",
                "--max-block-duration=800h",
            ])
            .arg(&fixture)
            .arg(&data)
            .output()
            .expect("run promtool");
        assert!(
            out.status.success(),
            "promtool tsdb create-blocks-from openmetrics failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The text is no longer needed; the blocks are.
        let _ = std::fs::remove_file(&fixture);

        let port = free_port();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            "global:\n  scrape_interval: 1m\nscrape_configs: []\n",
        )
        .expect("write prometheus.yml");
        let mut cmd = Command::new(prometheus);
        cmd.arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // Blocks a month old must not be deleted as soon as they are loaded.
            .arg("--storage.tsdb.retention.time=100y");
        let mut proc = Proc::spawn("prometheus", cmd, dir.path().join("prometheus.log"));
        let url = format!("http://127.0.0.1:{port}");
        wait_ready(
            &format!("{url}/-/ready"),
            &mut proc,
            StdDuration::from_secs(60),
        );
        let mut fixture = Backfilled {
            prometheus: proc,
            port,
            end,
            dir,
        };
        fixture.wait_for_data();
        fixture
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until every series is queryable at `T`.
    fn wait_for_data(&mut self) {
        let query = r#"count({__name__=~"http_request.*"})"#;
        let deadline = Instant::now() + StdDuration::from_secs(30);
        let mut last = None;
        while Instant::now() < deadline {
            last = instant_value(&self.url(), query, self.end.timestamp());
            if last == Some(SERIES) {
                return;
            }
            assert!(
                self.prometheus.running(),
                "Prometheus exited; log:\n{}",
                self.prometheus.log_tail()
            );
            std::thread::sleep(StdDuration::from_millis(200));
        }
        panic!(
            "{query} at T is {last:?}, expected {SERIES}; log:\n{}",
            self.prometheus.log_tail()
        );
    }

    /// A config file for sretop pointing at `url`.
    fn write_config(&self, url: &str) -> PathBuf {
        let path = self.dir.path().join(format!("sretop-{}.yaml", unique()));
        std::fs::write(&path, sretop_config(url)).expect("write the sretop config");
        path
    }
}

/// A number unique within this test process, for file names.
fn unique() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The single value of an instant query at `time` (unix seconds), over a plain HTTP GET.
fn instant_value(url: &str, query: &str, time: i64) -> Option<f64> {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("query", query)
        .append_pair("time", &time.to_string())
        .finish();
    let (status, body) = http_get(&format!("{url}/api/v1/query?{q}"))?;
    if status != 200 {
        return None;
    }
    let doc: serde_json::Value = serde_json::from_str(&body).ok()?;
    doc["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

/// The `{{` in the SLO templates is YAML, not `format!`.
fn sretop_config(url: &str) -> String {
    format!(
        r#"refresh: 15s
range: 1h
time_zone: utc
sources:
  - name: backfill
    url: {url}
services:
  - name: good
    slos:
      - {{name: availability, objective: 99.9, sli: {{availability: {{}}}}}}
      - {{name: latency, objective: 99, sli: {{latency: {{threshold: 1}}}}}}
  - name: bad
    slos:
      - {{name: availability, objective: 99.9, sli: {{availability: {{}}}}}}
  - name: burst
    slos:
      - {{name: availability, objective: 99.9, sli: {{availability: {{}}}}}}
  - name: clean
    slos:
      - {{name: availability, objective: 99.9, sli: {{availability: {{}}}}}}
  - name: slow
    slos:
      - {{name: latency, objective: 99, sli: {{latency: {{threshold: 0.3}}}}}}
  - name: idle
    slos:
      - {{name: availability, objective: 99.9, sli: {{availability: {{}}}}}}
  - name: ghost
    slos:
      - {{name: availability, objective: 99.9, sli: {{availability: {{}}}}}}
"#
    )
}

// ---------------------------------------------------------------------------------------
// Hand-computed expectations
// ---------------------------------------------------------------------------------------

/// The look-backs of the default (Google, 30 d) alert windows, in seconds.
const W5M: u64 = 300;
const W30M: u64 = 1_800;
const W1H: u64 = 3_600;
const W2H: u64 = 7_200;
const W6H: u64 = 21_600;
const W1D: u64 = 86_400;
const W3D: u64 = 259_200;
const W30D: u64 = 2_592_000;

/// `(long, short, factor)` of the Google pairs over 30 d: page 1h/5m 14.4, page 6h/30m 6,
/// ticket 1d/2h 3, ticket 3d/6h 1.
const PAIRS: [(u64, u64, f64); 4] = [
    (W1H, W5M, 14.4),
    (W6H, W30M, 6.0),
    (W1D, W2H, 3.0),
    (W3D, W6H, 1.0),
];

/// What one SLO must show, worked out by hand from the table at the top.
struct Expected {
    service: &'static str,
    slo: &'static str,
    /// Error budget `B = 1 − objective`.
    budget: f64,
    /// `(bad, total)` over the 30 d window; `None`: no data.
    window_events: Option<(f64, f64)>,
    /// Error ratio per look-back in seconds; `None`: no data.
    error_ratio: fn(u64) -> Option<f64>,
    band: Band,
    /// Whether each of [`PAIRS`] holds.
    holds: [bool; 4],
    exhaustion: Exhaustion,
}

/// Minutes in 30 days.
const M30D: f64 = 43_200.0;

fn expectations() -> Vec<Expected> {
    vec![
        // 1 of 5000 requests fails (the 404s are not errors): e = 0.0002 everywhere, burn
        // 0.2, C = 20 %, R = 80 % (green). R × W / br = 0.8 × 30 d / 0.2 = 120 days.
        Expected {
            service: "good",
            slo: "availability",
            budget: 0.001,
            window_events: Some((M30D, 5000.0 * M30D)),
            error_ratio: |_| Some(1.0 / 5000.0),
            band: Band::Green,
            holds: [false; 4],
            exhaustion: Exhaustion::In(StdDuration::from_secs(120 * DAY as u64)),
        },
        // 2 of 1000 slower than 1 s (bucket le="1.0"): e = 0.002, B = 0.01, burn 0.2, C = 20 %.
        Expected {
            service: "good",
            slo: "latency",
            budget: 0.01,
            window_events: Some((2.0 * M30D, 1000.0 * M30D)),
            error_ratio: |_| Some(0.002),
            band: Band::Green,
            holds: [false; 4],
            exhaustion: Exhaustion::In(StdDuration::from_secs(120 * DAY as u64)),
        },
        // e = 0.002 = 2 × B: C = 200 %, R = −100 % (not clamped), exhausted. Burn 2 is under
        // every page factor (14.4, 6) and the 1d/2h ticket (3) but over 3d/6h (1).
        Expected {
            service: "bad",
            slo: "availability",
            budget: 0.001,
            window_events: Some((2.0 * M30D, 1000.0 * M30D)),
            error_ratio: |_| Some(0.002),
            band: Band::Exhausted,
            holds: [false, false, false, true],
            exhaustion: Exhaustion::Exhausted,
        },
        // 3000 errors in the last hour, 1000 requests a minute all along:
        //   5m 250/5000 = 0.05 (burn 50)   30m 1500/30000 = 0.05 (50)   1h 3000/60000 = 0.05 (50)
        //   2h 3000/120000 = 0.025 (25)    6h 3000/360000 = 1/120 (8.33)
        //   1d 3000/1.44e6 = 1/480 (2.083) 3d 3000/4.32e6 = 1/1440 (0.694)
        //   30d 3000/4.32e7 = 1/14400: C = 1/14.4 = 6.94 %, R = 93.06 % (green).
        // Page 1h/5m (50, 50 > 14.4) and page 6h/30m (8.33, 50 > 6) hold; ticket 1d/2h does
        // not (2.083 < 3), nor 3d/6h (0.694 < 1).
        Expected {
            service: "burst",
            slo: "availability",
            budget: 0.001,
            window_events: Some((3000.0, 1000.0 * M30D)),
            error_ratio: |w| {
                Some(match w {
                    W5M | W30M | W1H => 0.05,
                    _ => 3000.0 / (1000.0 * (w / 60) as f64),
                })
            },
            band: Band::Green,
            holds: [true, true, false, false],
            // Time to exhaustion at the 1 h burn rate: R × W / br =
            // (1 − 1/14.4) × 2 592 000 s / 50 = 0.930555… × 51 840 s = 48 240 s.
            exhaustion: Exhaustion::In(StdDuration::from_secs(48_240)),
        },
        // Traffic and no error series at all: zero errors, not "no data".
        Expected {
            service: "clean",
            slo: "availability",
            budget: 0.001,
            window_events: Some((0.0, 1000.0 * M30D)),
            error_ratio: |_| Some(0.0),
            band: Band::Green,
            holds: [false; 4],
            exhaustion: Exhaustion::NotBurning,
        },
        // 15 of 1000 slower than 0.3 s: e = 0.015, B = 0.01, burn 1.5, C = 150 %, R = −50 %.
        Expected {
            service: "slow",
            slo: "latency",
            budget: 0.01,
            window_events: Some((15.0 * M30D, 1000.0 * M30D)),
            error_ratio: |_| Some(0.015),
            band: Band::Exhausted,
            holds: [false, false, false, true],
            exhaustion: Exhaustion::Exhausted,
        },
        // A flat counter: 0 / 0 in every window is no data, never green.
        Expected {
            service: "idle",
            slo: "availability",
            budget: 0.001,
            window_events: None,
            error_ratio: |_| None,
            band: Band::NoData,
            holds: [false; 4],
            exhaustion: Exhaustion::NoData,
        },
        // No series at all.
        Expected {
            service: "ghost",
            slo: "availability",
            budget: 0.001,
            window_events: None,
            error_ratio: |_| None,
            band: Band::NoData,
            holds: [false; 4],
            exhaustion: Exhaustion::NoData,
        },
    ]
}

/// Relative closeness; see the module docs for why 1e-9 is enough.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

#[track_caller]
fn assert_close(what: &str, actual: Option<f64>, expected: Option<f64>) {
    let ok = match (actual, expected) {
        (Some(a), Some(e)) => close(a, e),
        (None, None) => true,
        _ => false,
    };
    assert!(ok, "{what}: got {actual:?}, expected {expected:?}");
}

fn slo<'a>(app: &'a App, service: &str, name: &str) -> &'a SloState {
    app.slos
        .iter()
        .find(|s| app.services[s.spec.service].name == service && s.spec.name == name)
        .unwrap_or_else(|| panic!("no SLO {service}/{name}"))
}

/// Checks one SLO's status against its hand-computed values.
fn check(e: &Expected, s: &SloStatus) {
    let id = format!("{}/{}", e.service, e.slo);
    let ratio = (e.error_ratio)(W30D);
    assert_close(&format!("{id} error ratio"), s.budget.error_ratio, ratio);
    assert_close(&format!("{id} SLI"), s.budget.sli, ratio.map(|r| 1.0 - r));
    let consumed = ratio.map(|r| r / e.budget);
    assert_close(&format!("{id} consumed"), s.budget.consumed, consumed);
    assert_close(
        &format!("{id} remaining"),
        s.budget.remaining,
        consumed.map(|c| 1.0 - c),
    );
    match e.window_events {
        Some((bad, total)) => {
            assert_close(
                &format!("{id} bad events"),
                Some(s.budget.events.bad),
                Some(bad),
            );
            assert_close(
                &format!("{id} total events"),
                Some(s.budget.events.total),
                Some(total),
            );
            assert_close(
                &format!("{id} allowed bad events"),
                s.budget.allowed_bad,
                Some(e.budget * total),
            );
        }
        None => assert_eq!(s.budget.events.total, 0.0, "{id}: {:?}", s.budget.events),
    }
    assert_eq!(
        s.band, e.band,
        "{id} band; remaining {:?}",
        s.budget.remaining
    );
    assert_eq!(s.window_secs, W30D, "{id} window");

    assert_eq!(s.burn.pairs.len(), PAIRS.len(), "{id}: {:?}", s.burn.pairs);
    for (i, (long, short, factor)) in PAIRS.iter().enumerate() {
        let p = s
            .burn
            .pairs
            .iter()
            .find(|p| p.pair.long.as_secs() == *long && p.pair.short.as_secs() == *short)
            .unwrap_or_else(|| panic!("{id}: no {long}s/{short}s pair in {:?}", s.burn.pairs));
        let name = format!("{id} {}/{}", p.pair.long, p.pair.short);
        assert_close(&format!("{name} factor"), Some(p.factor), Some(*factor));
        assert_close(
            &format!("{name} threshold"),
            Some(p.threshold),
            Some(factor * e.budget),
        );
        let burn = |w: u64| (e.error_ratio)(w).map(|r| r / e.budget);
        assert_close(&format!("{name} long burn"), p.long, burn(*long));
        assert_close(&format!("{name} short burn"), p.short, burn(*short));
        assert_eq!(
            p.holds, e.holds[i],
            "{name} holds (long {:?}, short {:?}, factor {factor})",
            p.long, p.short
        );
    }
    let page = e.holds[..2].iter().any(|h| *h);
    let ticket = e.holds[2..].iter().any(|h| *h);
    assert_eq!(s.burn.page_firing, page, "{id} page firing");
    assert_eq!(s.burn.ticket_firing, ticket, "{id} ticket firing");
    assert_close(
        &format!("{id} 1 h burn rate"),
        s.burn_1h,
        (e.error_ratio)(W1H).map(|r| r / e.budget),
    );
    match (s.exhaustion, e.exhaustion) {
        (Exhaustion::In(a), Exhaustion::In(b)) => assert!(
            (a.as_secs_f64() - b.as_secs_f64()).abs() <= 1e-6 * b.as_secs_f64(),
            "{id} exhaustion in {a:?}, expected {b:?}"
        ),
        (a, b) => assert_eq!(a, b, "{id} exhaustion"),
    }
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).expect("utc")
}

fn client(url: &str) -> PromClient {
    let url = url::Url::parse(url).expect("url");
    PromClient::new(ClientOptions::new("backfill", url)).expect("client")
}

/// Prometheus' own answer for `promql` at `t`, by service.
async fn by_service(c: &PromClient, promql: &str, t: DateTime<Utc>) -> BTreeMap<String, f64> {
    let resp = c.query(promql, t).await.expect("instant query");
    match resp.data {
        QueryData::Vector(v) => v
            .into_iter()
            .filter_map(|s| Some((s.metric.get("service")?.clone(), s.value.v)))
            .collect(),
        other => panic!("expected a vector for {promql}, got {other:?}"),
    }
}

/// A whole hour two hours back: in the past, on the sample grid and on every step the app
/// aligns its instant queries to.
fn fixed_end() -> DateTime<Utc> {
    let now = Utc::now().timestamp();
    let t = now - now.rem_euclid(HOUR) - 2 * HOUR;
    Utc.timestamp_opt(t, 0).single().expect("time")
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

/// Every SLO's SLI, budget, band, burn rates and conditions equal the hand-computed values
/// for the backfilled data, and Prometheus' own ratio.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slo_numbers_equal_hand_computed_values() {
    let fx = Backfilled::start(fixed_end());
    let t = fx.end;
    let config_path = fx.write_config(&fx.url());
    let config = sretop::config::load(&config_path).expect("the test config is valid");
    let mut app = App::new(config, t, utc());
    // Instant SLO queries are evaluated at the right edge of the screen's window: T itself.
    assert_eq!(app.window().end, t.timestamp(), "{:?}", app.window());
    let c = client(&fx.url());
    poll_once(&mut app, &Clients::new([c.clone()]), t).await;

    for q in &app.queries {
        if let Plan::Slo(_) = q.plan {
            assert!(
                q.last_error.is_none() && q.last_ok.is_some(),
                "{} failed: {:?}\n{:?}",
                q.plan.label(),
                q.last_error,
                q.last_promql
            );
        }
    }
    let expected = expectations();
    assert_eq!(app.slos.len(), expected.len());
    for e in &expected {
        let state = slo(&app, e.service, e.slo);
        assert!(
            !state.missing_bucket(),
            "{}/{}: bucket not found",
            e.service,
            e.slo
        );
        check(e, &state.status(&app.config.policy, t));
    }

    // Prometheus' own answer: Σbad / Σvalid over 30 d at T is sretop's error ratio.
    let availability = by_service(
        &c,
        r#"sum by (service) (increase(http_requests_total{code=~"5.."}[30d])) / sum by (service) (increase(http_requests_total[30d]))"#,
        t,
    )
    .await;
    // (clean and idle have no 5xx series, so this query has no ratio for them.)
    for svc in ["good", "bad", "burst"] {
        let shown = slo(&app, svc, "availability")
            .status(&app.config.policy, t)
            .budget
            .error_ratio;
        assert_close(
            &format!("{svc} vs Prometheus"),
            shown,
            availability.get(svc).copied(),
        );
    }
    assert_eq!(
        availability.keys().collect::<Vec<_>>(),
        ["bad", "burst", "good"],
        "{availability:?}"
    );
    for (svc, le) in [("good", "1.0"), ("slow", "0.3")] {
        let promql = format!(
            r#"1 - sum by (service) (increase(http_request_duration_seconds_bucket{{service="{svc}",le="{le}"}}[30d])) / sum by (service) (increase(http_request_duration_seconds_count{{service="{svc}"}}[30d]))"#
        );
        let theirs = by_service(&c, &promql, t).await;
        let shown = slo(&app, svc, "latency")
            .status(&app.config.policy, t)
            .budget
            .error_ratio;
        assert_close(
            &format!("{svc} latency vs Prometheus"),
            shown,
            theirs.get(svc).copied(),
        );
    }

    // Remaining budget over the screen's range (the sparkline): the error ratios are
    // constant for these, so every point is the current remaining budget, in percent.
    for (svc, name, remaining) in [
        ("good", "availability", 80.0),
        ("bad", "availability", -100.0),
        ("slow", "latency", -50.0),
    ] {
        let history = slo(&app, svc, name)
            .remaining_history()
            .unwrap_or_else(|| panic!("{svc}/{name}: no history"));
        let points: Vec<f64> = history.values.iter().flatten().copied().collect();
        assert!(
            history.values.last().is_some_and(Option::is_some),
            "{svc}/{name}: no current point in {history:?}"
        );
        for p in points {
            assert_close(&format!("{svc}/{name} history"), Some(p), Some(remaining));
        }
    }

    // Budget consumed over the window (the drill-down chart): for a constant error ratio the
    // curve ends at the consumed budget, whatever span it covers.
    for (svc, name, consumed) in [
        ("good", "availability", 20.0),
        ("bad", "availability", 200.0),
        ("slow", "latency", 150.0),
    ] {
        let curve = slo(&app, svc, name).consumption_curve();
        let last = curve.last().map(|p| p.1);
        assert_close(
            &format!("{svc}/{name} consumption curve end"),
            last,
            Some(consumed),
        );
    }

    // burst's 3000 errors all fall in the hour before T, so the curve should end at the
    // consumed budget too: 6.944 % (the number shown next to the chart).
    //
    // The consumption curve ends exactly at T (not at T rounded down to its 6 h step), so a
    // burn in the last hour shows; its points cover the 30-day window and nothing before it.
    let burst = slo(&app, "burst", "availability");
    let curve_end = burst
        .consumption
        .values()
        .next()
        .map(|s| s.window.end)
        .expect("burst has a consumption series");
    let last = burst.consumption_curve().last().map(|p| p.1);
    let consumed = 100.0 / 14.4;
    assert_eq!(curve_end, t.timestamp());
    assert_close("burst consumption curve end", last, Some(consumed));
    let first = burst
        .consumption
        .values()
        .next()
        .map(|s| s.window.start)
        .expect("consumption window");
    assert_eq!(first, t.timestamp() - 30 * 24 * HOUR + 6 * HOUR);
}

// ---------------------------------------------------------------------------------------
// `sretop budget`, the deploy gate
// ---------------------------------------------------------------------------------------

/// What one run of the binary did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `sretop --config CONFIG budget ARGS` with its log in `dir`, killing it (by its
/// handle) if it takes more than a minute.
fn sretop_budget(dir: &Path, config: &Path, args: &[&str]) -> Run {
    let n = unique();
    let (out, err) = (dir.join(format!("out-{n}")), dir.join(format!("err-{n}")));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sretop"))
        .arg("--config")
        .arg(config)
        .arg("--log-file")
        .arg(dir.join("sretop.log"))
        .arg("budget")
        .args(args)
        .env_remove("SRETOP_CONFIG")
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        .spawn()
        .expect("start sretop");
    let deadline = Instant::now() + StdDuration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for sretop") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sretop budget {args:?} still running after 60 s");
        }
        std::thread::sleep(StdDuration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: std::fs::read_to_string(out).unwrap_or_default(),
        stderr: std::fs::read_to_string(err).unwrap_or_default(),
    }
}

/// The end of the data for the gate: `sretop budget` evaluates at the real current time, so
/// the data must reach close to it. The last sample is on the minute, at least a minute in
/// the past (the TSDB is not asked to hold future samples); the gate then runs one to a few
/// minutes after it. Its verdicts hold at any such time: the gate judges the 30 d window,
/// and for every service whose verdict is tested the error ratio is constant over time, so
/// the `increase()` extrapolation at the window's edges (now off the sample grid) scales bad
/// and total events alike. (The short burn windows may go empty after 5 minutes; the verdict
/// does not depend on them.)
fn recent_end() -> DateTime<Utc> {
    let now = Utc::now().timestamp();
    let t = now - now.rem_euclid(MINUTE) - MINUTE;
    Utc.timestamp_opt(t, 0).single().expect("time")
}

/// `sretop budget` exits 0 when every selected SLO allows deploys, 1 when one is red or
/// exhausted, 2 when one cannot be judged, and says so in every format.
#[test]
fn budget_gate_exit_codes_on_backfilled_prometheus() {
    let fx = Backfilled::start(recent_end());
    let dir = fx.dir.path();
    let config = fx.write_config(&fx.url());
    let run = |args: &[&str]| sretop_budget(dir, &config, args);

    // Green (20 % consumed) on both of good's SLOs.
    let r = run(&["--service", "good"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("verdict: deploys allowed"), "{r:?}");
    assert!(r.stdout.contains("good/availability: GREEN"), "{r:?}");
    assert!(r.stdout.contains("good/latency: GREEN"), "{r:?}");
    assert!(r.stdout.contains("consumed 20.000%"), "{r:?}");

    // Exhausted: 200 % consumed, shown as −100 % remaining, not clamped to 0.
    let r = run(&["--service", "bad"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.contains("bad/availability: EXHAUSTED"), "{r:?}");
    assert!(r.stdout.contains("remaining -100.000%"), "{r:?}");
    assert!(r.stdout.contains("verdict: deploys NOT allowed"), "{r:?}");

    // The latency SLI counts too.
    let r = run(&["--service", "slow"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.contains("remaining -50.000%"), "{r:?}");

    // Traffic and no error series: zero errors, green.
    let r = run(&["--service", "clean"]);
    assert_eq!(r.code, Some(0), "{r:?}");

    // The gate follows the policy band of the remaining budget (93 % here), not the burn-rate
    // alerts: burst's last hour may be paging, deploys are still allowed by the policy.
    let r = run(&["--service", "burst"]);
    assert_eq!(r.code, Some(0), "{r:?}");

    // No traffic (a flat counter) and no series at all: cannot judge.
    for svc in ["idle", "ghost"] {
        let r = run(&["--service", svc]);
        assert_eq!(r.code, Some(2), "{svc}: {r:?}");
        assert!(r.stdout.contains("NO DATA"), "{svc}: {r:?}");
        assert!(r.stdout.contains("verdict: unknown"), "{svc}: {r:?}");
    }

    // Filters: one SLO of a service; an SLO name across services (good's is green, slow's
    // exhausted); a service that does not exist.
    let r = run(&["--service", "good", "--slo", "latency"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(!r.stdout.contains("good/availability"), "{r:?}");
    let r = run(&["--slo", "latency"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    let r = run(&["--service", "nosuch"]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.stdout.contains("no SLO matches --service nosuch"),
        "{r:?}"
    );

    // Everything: idle and ghost cannot be judged, and "cannot tell" wins over "denied".
    let r = run(&[]);
    assert_eq!(r.code, Some(2), "{r:?}");

    // JSON for a CI job to read.
    let r = run(&["--service", "bad", "--format", "json"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("the report is JSON");
    assert_eq!(doc["deploy_allowed"], serde_json::json!(false), "{doc:#}");
    assert_eq!(doc["verdict"], "deploys NOT allowed", "{doc:#}");
    let slos = doc["slos"].as_array().expect("slos array");
    assert_eq!(slos.len(), 1, "{doc:#}");
    let s = &slos[0];
    assert_eq!(s["service"], "bad");
    assert_eq!(s["band"], "exhausted");
    assert_eq!(s["deploy_allowed"], serde_json::json!(false));
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    assert!(close(num(&s["consumed"]), 2.0), "{s:#}");
    assert!(close(num(&s["remaining"]), -1.0), "{s:#}");
    assert!(close(num(&s["error_ratio"]), 0.002), "{s:#}");
    assert_eq!(s["conditions"].as_array().map(Vec::len), Some(4), "{s:#}");

    let r = run(&["--service", "good", "--format", "json"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("the report is JSON");
    assert_eq!(doc["deploy_allowed"], serde_json::json!(true), "{doc:#}");

    let r = run(&["--service", "idle", "--format", "json"]);
    assert_eq!(r.code, Some(2), "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("the report is JSON");
    assert_eq!(doc["deploy_allowed"], serde_json::Value::Null, "{doc:#}");
    assert_eq!(doc["slos"][0]["band"], "no data", "{doc:#}");

    // Markdown, for a merge-request comment.
    let r = run(&["--service", "bad", "--format", "markdown"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.contains("| bad/availability |"), "{r:?}");
    assert!(
        r.stdout.contains("**Verdict:** deploys NOT allowed"),
        "{r:?}"
    );
}

/// Prometheus unreachable, or a config that does not load: exit 2, not 0.
#[test]
fn budget_gate_cannot_tell_without_prometheus_or_config() {
    let dir = tempfile::tempdir().expect("temp dir");
    let closed = format!("http://127.0.0.1:{}", free_port());
    let config = dir.path().join("closed.yaml");
    std::fs::write(&config, sretop_config(&closed)).expect("write config");
    let r = sretop_budget(dir.path(), &config, &["--service", "good"]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stdout.contains("unreachable"), "{r:?}");
    assert!(r.stdout.contains("verdict: unknown"), "{r:?}");

    let r = sretop_budget(
        dir.path(),
        &config,
        &["--service", "good", "--format", "json"],
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("the report is JSON");
    assert_eq!(doc["deploy_allowed"], serde_json::Value::Null, "{doc:#}");

    // A typo in an SLO: the config is refused, the gate cannot tell.
    let bad = dir.path().join("typo.yaml");
    std::fs::write(
        &bad,
        sretop_config(&closed).replace("objective: 99.9", "objectiv: 99.9"),
    )
    .expect("write config");
    let r = sretop_budget(dir.path(), &bad, &[]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("objectiv"), "{r:?}");
}
