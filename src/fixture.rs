//! Deterministic synthetic data for render tests and benchmarks: an [`App`] filled through the
//! real `update` path with answers computed from smooth functions instead of a server.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use crate::app::{App, Cmd, Fetched, Msg, Plan};
use crate::config::Config;
use crate::domain::signals::QueryPlan;
use crate::domain::signals::SignalKind;
use crate::domain::slo_plan::{Count, Shape, SloQueryPlan, WindowSpec};
use crate::domain::window::Window;
use crate::prom::{InstantSample, PromError, QueryData, QueryResponse, RangeSeries, Sample};

/// A fixed instant: 2026-11-22 03:00:00 UTC.
pub fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A config with the demo's shape (one source, `cpu` and `pool` gauges) for these services.
pub fn config(services: &[String]) -> Config {
    let mut yaml = String::from(
        r#"
refresh: 15s
range: 1h
time_zone: utc
sources:
  - name: demo
    url: http://127.0.0.1:9090
signals:
  saturation:
    - name: cpu
      query: 'max by ({{by}}) (cpu_utilization_ratio{ {{selector}} })'
    - name: pool
      used: db_pool_connections_in_use
      max: db_pool_connections_max
thresholds:
  errors: {warn: 0.01, crit: 0.05}
  latency: {warn: 0.5, crit: 1.0}
  saturation: {warn: 75, crit: 90}
services:
"#,
    );
    for (i, s) in services.iter().enumerate() {
        yaml.push_str(&format!("  - name: {s}\n    slos:\n"));
        let slos = match i % 3 {
            0 => vec!["      - {name: availability, objective: 99.9, sli: {availability: {}}}"],
            1 => vec![
                "      - {name: availability, objective: 99.5, sli: {availability: {}}}",
                "      - {name: latency, objective: 99, sli: {latency: {threshold: 0.3}}}",
            ],
            _ => vec![
                "      - {name: latency, objective: 99, sli: {latency: {threshold: 0.5}}}",
                "      - {name: availability, objective: 99.9, sli: {availability: {metric: nothing_total}}}",
            ],
        };
        for line in slos {
            yaml.push_str(line);
            yaml.push('\n');
        }
    }
    match serde_yaml::from_str(&yaml) {
        Ok(c) => c,
        Err(e) => panic!("fixture config does not parse: {e}"),
    }
}

/// The value of a signal for service `i` at time `t`; service 1 ("checkout") is in an incident
/// during the last quarter of the hour.
fn value(kind: &SignalKind, i: usize, t: i64, incident: bool) -> f64 {
    let phase = (t as f64) / 600.0 + i as f64;
    let wave = 1.0 + 0.25 * phase.sin();
    let base = [120.0, 25.0, 60.0][i % 3] * (1.0 + (i / 3) as f64 * 0.1);
    match kind {
        SignalKind::Traffic => base * wave,
        SignalKind::Errors => base * wave * if incident { 0.12 } else { 0.002 },
        SignalKind::Latency { quantile } => {
            let med = [0.04, 0.12, 0.07][i % 3];
            let tail = 1.0 + 6.0 * (quantile - 0.5).max(0.0);
            med * tail * wave * if incident { 8.0 } else { 1.0 }
        }
        SignalKind::Saturation { gauge } if gauge == "cpu" => {
            if incident {
                92.0
            } else {
                35.0 + 10.0 * wave
            }
        }
        SignalKind::Saturation { .. } => {
            if incident {
                96.0
            } else {
                20.0 + 8.0 * wave
            }
        }
    }
}

/// The error ratio of a fixture SLO: `(over the SLO window, over the burn-rate windows)`.
/// Chosen so the demo SLOs cover every policy band; `None` means the SLO has no data.
fn slo_error(service: usize, slo: &str) -> Option<(f64, f64)> {
    match (service % 3, slo) {
        (0, "availability") => Some((0.0002, 0.0002)), // 20% consumed: green
        (1, "availability") => Some((0.006, 0.12)),    // 120% consumed, paging: exhausted
        (1, "latency") => Some((0.006, 0.035)),        // 60% consumed, ticket: yellow
        (2, "latency") => Some((0.0095, 0.0095)),      // 95% consumed: red
        _ => None,                                     // no traffic: no data
    }
}

fn signal_series(plan: &QueryPlan, w: Window) -> Vec<RangeSeries> {
    plan.members
        .iter()
        .map(|m| {
            let incident_from = w.end - (w.end - w.start) / 4;
            let values = (0..w.len())
                .map(|k| {
                    let t = w.start + k as i64 * w.step;
                    let incident = m.service == 1 && t >= incident_from;
                    Sample {
                        t: t as f64,
                        v: value(&plan.kind, m.service, t, incident),
                    }
                })
                .collect();
            RangeSeries {
                metric: [(plan.by.clone(), m.label_value.clone())].into(),
                values,
            }
        })
        .collect()
}

fn slo_series(app: &App, plan: &SloQueryPlan, w: Window) -> Vec<RangeSeries> {
    const RATE: f64 = 100.0;
    plan.members
        .iter()
        .filter_map(|m| {
            let state = app.slos.get(m.slo)?;
            let (e_window, e_burn) = slo_error(state.spec.service, &state.spec.name)?;
            let window_secs = match state.spec.window {
                WindowSpec::Rolling(s) => s as f64,
                WindowSpec::Calendar(_) => 30.0 * 86_400.0,
            };
            let (lookback, e) = match plan.shape {
                Shape::Instant { lookback: Some(l) } => (l as f64, e_burn),
                Shape::Instant { lookback: None } | Shape::History => (window_secs, e_window),
                Shape::Consumption => (w.step as f64, e_window),
            };
            let total = RATE * lookback;
            let v = match plan.count {
                Count::Bad => total * e,
                Count::Good => total * (1.0 - e),
                Count::Total => total,
                Count::GoodSlices => (lookback / 60.0) * (1.0 - e * 10.0),
                Count::TotalSlices => lookback / 60.0,
            };
            let mut metric: std::collections::BTreeMap<String, String> =
                [(plan.by.clone(), m.label_value.clone())].into();
            if let Some(le) = m.le {
                metric.insert("le".into(), le.to_string());
            }
            let values = (0..w.len())
                .map(|k| Sample {
                    t: (w.start + k as i64 * w.step) as f64,
                    v,
                })
                .collect();
            Some(RangeSeries { metric, values })
        })
        .collect()
}

/// Answers every pending fetch of `cmds` with synthetic data (or `error` for all of them).
pub fn answer(app: &mut App, cmds: Vec<Cmd>, now: DateTime<Utc>, error: Option<&PromError>) {
    for cmd in cmds {
        let Cmd::Fetch(f) = cmd;
        let result = match error {
            Some(e) => Err(e.clone()),
            None => {
                let series = match &app.queries[f.query].plan {
                    Plan::Signal(plan) => signal_series(plan, f.window),
                    Plan::Slo(plan) => slo_series(app, plan, f.window),
                };
                let data = if f.instant {
                    QueryData::Vector(
                        series
                            .into_iter()
                            .filter_map(|s| {
                                Some(InstantSample {
                                    value: *s.values.last()?,
                                    metric: s.metric,
                                })
                            })
                            .collect(),
                    )
                } else {
                    QueryData::Matrix(series)
                };
                Ok(QueryResponse {
                    data,
                    warnings: Vec::new(),
                })
            }
        };
        let msg = Msg::Fetched(Box::new(Fetched {
            query: f.query,
            generation: f.generation,
            window: f.window,
            result,
        }));
        let more = app.update(msg, now);
        debug_assert!(more.is_empty());
    }
}

/// An app with `names` services, every query answered once at `fixed_now()`.
pub fn app(names: &[String]) -> App {
    let now = fixed_now();
    let mut app = App::new(
        config(names),
        now,
        FixedOffset::east_opt(0).unwrap_or(Utc.fix()),
    );
    let cmds = app.update(Msg::Tick, now);
    answer(&mut app, cmds, now, None);
    app
}

/// The demo's three services.
pub fn demo_names() -> Vec<String> {
    ["api", "checkout", "search"].map(String::from).to_vec()
}

use chrono::Offset;
