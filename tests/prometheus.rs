//! Integration tests against real servers on loopback: Debian's Prometheus and
//! VictoriaMetrics, scraping the demo exporter. The numbers sretop shows must equal what the
//! server itself answers for the equivalent PromQL at the same evaluation time.

mod support;

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use sretop::app::{App, View};
use sretop::config::Config;
use sretop::domain::format;
use sretop::domain::series::Series;
use sretop::prom::{ClientOptions, PromClient, QueryData};
use sretop::runtime::{poll_once, Clients};
use sretop::snapshot::{render_buffer, to_text};
use support::{Flavor, Stack};

const SERVICES: [&str; 3] = ["api", "checkout", "search"];

fn config(url: &str, extra_service: &str) -> Config {
    let yaml = format!(
        r#"
refresh: 15s
range: 15m
time_zone: utc
sources:
  - name: demo
    url: {url}
signals:
  saturation:
    - name: cpu
      query: 'max by ({{{{by}}}}) (cpu_utilization_ratio{{ {{{{selector}}}} }})'
    - name: pool
      used: db_pool_connections_in_use
      max: db_pool_connections_max
services:
  - name: api
  - name: checkout
  - name: search
{extra_service}"#
    );
    serde_yaml::from_str(&yaml).expect("test config parses")
}

fn client(url: &str) -> PromClient {
    let url = url::Url::parse(url).expect("url");
    PromClient::new(ClientOptions::new("demo", url)).expect("client")
}

/// The server's own answer for `promql` at `t`, by service.
async fn server_values(c: &PromClient, promql: &str, t: DateTime<Utc>) -> BTreeMap<String, f64> {
    let resp = c.query(promql, t).await.expect("instant query");
    match resp.data {
        QueryData::Vector(v) => v
            .into_iter()
            .filter_map(|s| Some((s.metric.get("service")?.clone(), s.value.v)))
            .collect(),
        other => panic!("expected a vector for {promql}, got {other:?}"),
    }
}

/// Waits until every service has a rate and a quantile (two scrapes in the rate window) at a
/// time old enough that a window ending now-2s, aligned down to its 5 s step, has data at its
/// right edge.
async fn wait_for_data(c: &PromClient) {
    let q = "count(histogram_quantile(0.5, sum by (service, le) (rate(http_request_duration_seconds_bucket[1m]))) >= 0)";
    for _ in 0..100 {
        tokio::time::sleep(StdDuration::from_millis(300)).await;
        if let Ok(resp) = c.query(q, Utc::now() - Duration::seconds(8)).await {
            if let QueryData::Vector(v) = resp.data {
                if v.first().is_some_and(|s| s.value.v >= 3.0) {
                    return;
                }
            }
        }
    }
    panic!("no data from the exporter after 30 s");
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).expect("utc")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The numbers on screen for each signal equal the server's own answers.
async fn numbers_match(flavor: Flavor) {
    let stack = Stack::start(flavor);
    let url = stack.server.url();
    let c = client(&url);
    wait_for_data(&c).await;
    // Evaluate a little in the past so every sample at or before `end` has been ingested.
    let now = Utc::now() - Duration::seconds(2);
    let mut app = App::new(config(&url, ""), now, utc());
    let clients = Clients::new([c.clone()]);
    poll_once(&mut app, &clients, now).await;
    let end = app.window().end;
    let t = Utc.timestamp_opt(end, 0).single().expect("time");
    assert!(
        app.sources["demo"].down_since.is_none(),
        "{:?}",
        app.sources
    );

    let traffic = server_values(&c, "sum by (service) (rate(http_requests_total[1m]))", t).await;
    let errors = server_values(
        &c,
        r#"sum by (service) (rate(http_requests_total{code=~"5.."}[1m])) / sum by (service) (rate(http_requests_total[1m]))"#,
        t,
    )
    .await;
    let mut quantiles = Vec::new();
    for q in ["0.5", "0.95", "0.99"] {
        let promql = format!(
            "histogram_quantile({q}, sum by (service, le) (rate(http_request_duration_seconds_bucket[1m])))"
        );
        quantiles.push(server_values(&c, &promql, t).await);
    }
    let cpu = server_values(&c, "100 * max by (service) (cpu_utilization_ratio)", t).await;
    let pool = server_values(
        &c,
        "100 * sum by (service) (db_pool_connections_in_use) / sum by (service) (db_pool_connections_max)",
        t,
    )
    .await;

    let overview = to_text(&render_buffer(&app, 160, 48));
    for (i, name) in SERVICES.iter().enumerate() {
        let svc = &app.services[i];
        let shown = |s: &Option<Series>| s.as_ref().and_then(Series::current);
        let expect = |m: &BTreeMap<String, f64>| {
            *m.get(*name)
                .unwrap_or_else(|| panic!("{name} missing in {m:?}"))
        };

        let v = shown(&svc.traffic).unwrap_or_else(|| {
            panic!(
                "{name}: no current traffic; window {:?}; series {:?}; queries {:?}",
                app.window(),
                svc.traffic.as_ref().map(|s| s
                    .values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_some())
                    .map(|(i, _)| i)
                    .collect::<Vec<_>>()),
                app.queries
                    .iter()
                    .map(|q| (&q.last_error, &q.last_promql))
                    .collect::<Vec<_>>()
            )
        });
        assert!(
            close(v, expect(&traffic)),
            "{name} traffic {v} vs {}",
            expect(&traffic)
        );
        let v = shown(&svc.error_ratio).expect("errors shown");
        // The server drops a series whose numerator is absent; sretop shows 0 for it.
        let e = errors.get(*name).copied().unwrap_or(0.0);
        assert!(close(v, e), "{name} error ratio {v} vs {e}");
        for (k, (_, s)) in svc.latency.iter().enumerate() {
            let v = shown(s).expect("latency shown");
            assert!(
                close(v, expect(&quantiles[k])),
                "{name} q{k} {v} vs {}",
                expect(&quantiles[k])
            );
        }
        let v = shown(&svc.saturation[0].1).expect("cpu shown");
        assert!(close(v, expect(&cpu)), "{name} cpu {v} vs {}", expect(&cpu));
        let v = shown(&svc.saturation[1].1).expect("pool shown");
        assert!(
            close(v, expect(&pool)),
            "{name} pool {v} vs {}",
            expect(&pool)
        );

        // And the same numbers are what the screen says.
        let row = overview
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{overview}"));
        assert!(row.contains(&format::rate(Some(expect(&traffic)))), "{row}");
        assert!(row.contains(&format::ratio_pct(Some(e))), "{row}");
        for q in &quantiles {
            assert!(row.contains(&format::latency(Some(expect(q)))), "{row}");
        }
        app.view = View::Service;
        app.selected = i;
        let detail = to_text(&render_buffer(&app, 160, 48));
        assert!(
            detail.contains(&format!("cpu {}", format::percent(Some(expect(&cpu))))),
            "{detail}"
        );
        assert!(
            detail.contains(&format!("pool {}", format::percent(Some(expect(&pool))))),
            "{detail}"
        );
    }
    // The incident is visible: checkout errs far more than api.
    assert!(errors.get("checkout").copied().unwrap_or(0.0) > 0.02);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_on_screen_match_prometheus() {
    numbers_match(Flavor::Prometheus).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_on_screen_match_victoria_metrics() {
    numbers_match(Flavor::VictoriaMetrics).await;
}

/// Stop the server mid-run: data stays on screen marked stale with the reason; restart it:
/// the marks clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_is_shown_and_clears_on_recovery() {
    let mut stack = Stack::start(Flavor::Prometheus);
    let url = stack.server.url();
    let c = client(&url);
    wait_for_data(&c).await;
    let t0 = Utc::now();
    let mut app = App::new(config(&url, ""), t0, utc());
    let clients = Clients::new([c.clone()]);
    poll_once(&mut app, &clients, t0).await;
    let before = app.services[0].traffic.as_ref().and_then(Series::current);
    assert!(before.is_some());

    stack.server.stop();
    let t1 = t0 + Duration::seconds(16);
    poll_once(&mut app, &clients, t1).await;
    let src = &app.sources["demo"];
    assert_eq!(src.down_since, Some(t1));
    let reason = src.last_error.clone().unwrap_or_default();
    assert!(reason.contains("refused"), "{reason}");
    let text = to_text(&render_buffer(&app, 80, 24));
    assert!(
        text.contains(&format!("demo down since {}", t1.format("%H:%M:%S"))),
        "{text}"
    );
    assert!(text.contains("connection refused"), "{text}");
    assert!(text.contains("STALE"), "{text}");
    assert_eq!(
        app.services[0].traffic.as_ref().and_then(Series::current),
        before,
        "the last data stays on screen"
    );

    stack.server.restart();
    // The retry waits for its backoff (1 s after the failure).
    let t2 = t1 + Duration::seconds(2);
    poll_once(&mut app, &clients, t2).await;
    assert!(
        app.sources["demo"].down_since.is_none(),
        "{:?}",
        app.sources
    );
    let text = to_text(&render_buffer(&app, 80, 24));
    assert!(!text.contains("down since"), "{text}");
    assert!(!text.contains("STALE"), "{text}");
    assert!(text.contains("● demo ok"), "{text}");
}

/// A bad query is Prometheus' `bad_data`, shown for that panel; the source stays up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_promql_is_shown_not_fatal() {
    let stack = Stack::start(Flavor::Prometheus);
    let url = stack.server.url();
    let c = client(&url);
    wait_for_data(&c).await;
    let now = Utc::now();
    let cfg = config(
        &url,
        "  - name: broken\n    queries:\n      traffic: 'sum(rate(http_requests_total{ {{selector}} }[{{rate}}]'\n",
    );
    let mut app = App::new(cfg, now, utc());
    poll_once(&mut app, &Clients::new([c]), now).await;
    assert!(app.sources["demo"].down_since.is_none());
    let text = to_text(&render_buffer(&app, 160, 48));
    assert!(text.contains("traffic query failed: bad_data"), "{text}");
    // The other services are unaffected.
    assert!(app.services[0]
        .traffic
        .as_ref()
        .and_then(Series::current)
        .is_some());
}

/// A refresh asks only for the new tail of each range, and the series it merges are the same
/// as a whole fetch of the same window from the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_fetches_merge_into_what_a_whole_fetch_returns() {
    use sretop::app::{Cmd, Msg, Plan};
    let stack = Stack::start(Flavor::Prometheus);
    let url = stack.server.url();
    let c = client(&url);
    wait_for_data(&c).await;
    // Some history for the first round to hold.
    tokio::time::sleep(StdDuration::from_secs(15)).await;
    // Two rounds, in the past so every sample of both windows has been ingested.
    let t1 = Utc::now() - Duration::seconds(3);
    let t0 = t1 - Duration::seconds(20);
    let mut app = App::new(config(&url, ""), t0, utc());
    // Wide enough for the finest step (5 s over 15 minutes), so the few seconds of data the
    // fresh server holds span several points.
    app.set_width(300);
    let clients = Clients::new([c.clone()]);
    poll_once(&mut app, &clients, t0).await;
    let cmds = app.update(Msg::Tick, t1);
    let fetches: Vec<_> = cmds
        .iter()
        .filter_map(|c| match c {
            Cmd::Fetch(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    assert!(!fetches.is_empty());
    let mut asked = 0;
    for f in &fetches {
        assert!(f.is_tail(), "{f:?}");
        assert!(
            f.window.len() <= 8,
            "a tail of a few points: {:?}",
            f.window
        );
        asked += f.window.len();
    }
    for cmd in cmds {
        if let Some(msg) = sretop::runtime::execute(&clients, cmd).await {
            app.update(msg, t1);
        }
    }
    let mut compared = 0;
    for f in &fetches {
        let Plan::Signal(plan) = &app.queries[f.query].plan else {
            continue;
        };
        let w = f.frame;
        let whole = c
            .query_range(&f.promql, w.start_time(), w.end_time(), w.step_duration())
            .await
            .expect("whole fetch");
        let QueryData::Matrix(series) = whole.data else {
            panic!("matrix expected")
        };
        for (i, name) in SERVICES.iter().enumerate() {
            let svc = &app.services[i];
            let held = match &plan.kind {
                sretop::domain::signals::SignalKind::Traffic => svc.traffic.as_ref(),
                sretop::domain::signals::SignalKind::Errors => svc.errors.as_ref(),
                sretop::domain::signals::SignalKind::Latency { quantile } => svc
                    .latency
                    .iter()
                    .find(|(q, _)| q == quantile)
                    .and_then(|(_, s)| s.as_ref()),
                sretop::domain::signals::SignalKind::Saturation { gauge } => svc
                    .saturation
                    .iter()
                    .find(|(g, _)| g == gauge)
                    .and_then(|(_, s)| s.as_ref()),
            }
            .unwrap_or_else(|| panic!("{name}: nothing held for {}", f.promql));
            let expected = series
                .iter()
                .find(|s| s.metric.get("service").map(String::as_str) == Some(*name))
                .map(|s| Series::from_samples(w, s.values.iter().map(|p| (p.t, p.v))))
                .unwrap_or_else(|| Series::empty(w));
            assert_eq!(held.window, w);
            for (k, (a, b)) in held.values.iter().zip(&expected.values).enumerate() {
                match (a, b) {
                    (Some(a), Some(b)) => {
                        assert!(close(*a, *b), "{name} {} #{k}: {a} vs {b}", f.promql)
                    }
                    (None, None) => {}
                    _ => panic!("{name} {} point {k}: {a:?} vs {b:?}", f.promql),
                }
            }
            compared += expected.values.iter().flatten().count();
        }
    }
    assert!(compared > 60, "too little data compared: {compared}");
    eprintln!("tail points asked: {asked}; whole-window points compared: {compared}");
}
