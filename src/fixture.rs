//! Deterministic synthetic data for render tests and benchmarks: an [`App`] filled through the
//! real `update` path with answers computed from smooth functions instead of a server.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use crate::app::alerts::{AlertData, AlertFeed, AlertFetched};
use crate::app::handoff::{HandoffList, NoteRow};
use crate::app::{App, Cmd, Fetched, Msg, Plan};
use crate::config::oncall::{OnCallConfig, OverrideConfig, RotationConfig};
use crate::config::Config;
use crate::domain::alerts::{Alert, AlertState, Severity};
use crate::domain::handoff::{Incident, Item, Maintenance, Note};
use crate::domain::signals::QueryPlan;
use crate::domain::signals::SignalKind;
use crate::domain::slo_plan::{Count, Shape, SloQueryPlan, WindowSpec};
use crate::domain::window::Window;
use crate::prom::alertmanager::{Matcher, Silence, SilenceState};
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
        let f = match cmd {
            Cmd::Fetch(f) => f,
            Cmd::Alerts(r) => {
                // No alerts unless a test loads some (see `App::alerts`).
                let result = match error {
                    Some(e) => Err(e.clone()),
                    None => Ok(match r.feed {
                        AlertFeed::PromAlerts => AlertData::PromAlerts(Vec::new()),
                        AlertFeed::PromRules => AlertData::Rules(Vec::new()),
                        AlertFeed::AmAlerts => AlertData::AmAlerts(Vec::new()),
                        AlertFeed::AmSilences => AlertData::Silences(Vec::new()),
                    }),
                };
                let msg = Msg::AlertsFetched(Box::new(AlertFetched {
                    poll: r.poll,
                    generation: r.generation,
                    result,
                }));
                let more = app.update(msg, now);
                debug_assert!(more.is_empty());
                continue;
            }
            _ => continue,
        };
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
            frame: f.frame,
            result,
            clock_skew: None,
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

/// Alert rules of the synthetic alerts: name, usual severity, expression, summary (with
/// `{service}` / `{instance}` placeholders), whether it has a description and a runbook.
const ALERT_RULES: [(&str, &str, &str, &str, bool); 12] = [
    (
        "HighErrorRate",
        "critical",
        "sum by (service) (rate(http_requests_total{code=~\"5..\"}[5m])) / sum by (service) (rate(http_requests_total[5m])) > 0.05",
        "More than 5% of requests to {service} fail",
        true,
    ),
    (
        "HighLatencyP99",
        "warning",
        "histogram_quantile(0.99, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m]))) > 1",
        "p99 latency of {service} is above 1s",
        true,
    ),
    (
        "PodCrashLooping",
        "warning",
        "increase(kube_pod_container_status_restarts_total[15m]) > 3",
        "Pod {instance} is crash looping",
        true,
    ),
    (
        "DiskWillFillIn4h",
        "critical",
        "predict_linear(node_filesystem_avail_bytes{fstype!=\"tmpfs\"}[6h], 4 * 3600) < 0",
        "Disk on {instance} will fill within 4 hours",
        true,
    ),
    (
        "TargetDown",
        "warning",
        "up == 0",
        "{instance} of {service} is down",
        false,
    ),
    (
        "CPUThrottlingHigh",
        "info",
        "sum by (pod) (increase(container_cpu_cfs_throttled_periods_total[5m])) / sum by (pod) (increase(container_cpu_cfs_periods_total[5m])) > 0.25",
        "{instance} is CPU throttled",
        false,
    ),
    (
        "MemoryPressure",
        "warning",
        "container_memory_working_set_bytes / container_spec_memory_limit_bytes > 0.9",
        "{instance} uses more than 90% of its memory limit",
        false,
    ),
    (
        "CertificateExpiringSoon",
        "warning",
        "probe_ssl_earliest_cert_expiry - time() < 7 * 86400",
        "TLS certificate of {service} expires in less than 7 days",
        true,
    ),
    (
        "KafkaConsumerLagHigh",
        "warning",
        "sum by (service, group) (kafka_consumergroup_lag) > 10000",
        "Consumer lag of {service} is above 10k messages",
        false,
    ),
    (
        "SLOBurnRateFast",
        "critical",
        "slo:error_budget_burn_rate:1h > 14.4 and slo:error_budget_burn_rate:5m > 14.4",
        "{service} burns its error budget 14x too fast",
        true,
    ),
    (
        "SLOBurnRateSlow",
        "warning",
        "slo:error_budget_burn_rate:6h > 6 and slo:error_budget_burn_rate:30m > 6",
        "{service} burns its error budget 6x too fast",
        true,
    ),
    (
        "ReplicasMismatch",
        "info",
        "kube_deployment_spec_replicas != kube_deployment_status_replicas_available",
        "Deployment {service} does not have the expected number of replicas",
        false,
    ),
];

/// Services of the synthetic alerts.
const ALERT_SERVICES: [&str; 20] = [
    "api-gateway",
    "checkout",
    "payments",
    "search",
    "catalog",
    "cart",
    "auth",
    "users",
    "orders",
    "inventory",
    "shipping",
    "notifications",
    "recommendations",
    "reviews",
    "pricing",
    "ledger",
    "analytics",
    "ingest",
    "frontend",
    "media",
];

/// Namespaces, one per service (`service index % 5`).
const ALERT_NAMESPACES: [&str; 5] = ["edge", "commerce", "identity", "fulfilment", "data"];

/// IDs of the fixture [`silences`].
const SILENCE_IDS: [&str; 3] = [
    "5c3f1b0e-8a2d-4f5e-9b61-0d7e2c4a9f13",
    "a91d7e42-3b6c-4c1f-8e25-7f0b9d3e6a58",
    "e2b84c19-6d0a-4a7e-b3f2-91c5d8e07b64",
];

/// A step of a 64-bit linear congruential generator (Knuth's MMIX constants).
fn lcg(x: u64) -> u64 {
    x.wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407)
}

/// `n` synthetic alerts as [`merge_alerts`](crate::domain::alerts::merge_alerts) would
/// produce them, the same for the same `n` and `now`: 12 alert names over 20 services,
/// severities mixed, about 70% firing, 12% pending, 12% silenced (by a fixture
/// [`silences`] silence) and 6% inhibited, started over the last 3 days. Each has a unique
/// label set (`alertname`, `service`, `severity`, `instance`, `namespace`).
pub fn alerts(n: usize, now: DateTime<Utc>) -> Vec<Alert> {
    let mut seed: u64 = 0x5eed_a1e7;
    (0..n)
        .map(|i| {
            seed = lcg(seed);
            let r = seed >> 16;
            let (name, usual, expr, summary, documented) = ALERT_RULES[(r % 12) as usize];
            let svc_idx = ((r >> 8) % 20) as usize;
            let service = ALERT_SERVICES[svc_idx];
            let severity = match (r >> 16) % 10 {
                0 => "info",
                1 if usual != "critical" => "critical",
                _ => usual,
            };
            let instance = format!("{service}-{:06x}-{i:05}", (r >> 20) & 0xff_ffff);
            let roll = (r >> 40) % 100;
            let state = match roll {
                0..70 => AlertState::Firing,
                70..82 => AlertState::Pending,
                82..94 => AlertState::Silenced,
                _ => AlertState::Inhibited,
            };
            let age_secs = match state {
                AlertState::Pending => ((r >> 24) % 600) as i64,
                _ => ((r >> 24) % (3 * 86_400)) as i64,
            };
            let labels: BTreeMap<String, String> = [
                ("alertname", name.to_owned()),
                ("service", service.to_owned()),
                ("severity", severity.to_owned()),
                ("instance", instance.clone()),
                ("namespace", ALERT_NAMESPACES[svc_idx % 5].to_owned()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            let mut annotations = BTreeMap::from([(
                "summary".to_owned(),
                summary
                    .replace("{service}", service)
                    .replace("{instance}", &instance),
            )]);
            if documented {
                annotations.insert(
                    "description".to_owned(),
                    format!("{name} has been true for {service} in namespace {} since the last evaluation; check the service dashboard and recent deploys.", ALERT_NAMESPACES[svc_idx % 5]),
                );
                annotations.insert(
                    "runbook_url".to_owned(),
                    format!("https://runbooks.example.com/{name}"),
                );
            }
            // Pending alerts are not sent to Alertmanager; suppressed ones come from it.
            let via_am = match state {
                AlertState::Pending => false,
                AlertState::Firing => !roll.is_multiple_of(5),
                AlertState::Silenced | AlertState::Inhibited => true,
            };
            let sources: Vec<String> = if via_am {
                vec!["prom".into(), "am1".into(), "am2".into()]
            } else {
                vec!["prom".into()]
            };
            let receivers = match (via_am, severity) {
                (false, _) => Vec::new(),
                (true, "critical") => vec!["pagerduty-oncall".to_owned()],
                (true, _) => vec!["slack-alerts".to_owned()],
            };
            Alert {
                severity: Severity::from_label(Some(severity)),
                labels,
                annotations,
                state,
                since: Some(now - chrono::Duration::seconds(age_secs)),
                generator_url: via_am.then(|| {
                    let q: String = url::form_urlencoded::byte_serialize(expr.as_bytes()).collect();
                    format!("http://prometheus.example.com:9090/graph?g0.expr={q}&g0.tab=1")
                }),
                sources,
                silenced_by: if state == AlertState::Silenced {
                    vec![SILENCE_IDS[(r % 2) as usize].to_owned()]
                } else {
                    Vec::new()
                },
                inhibited_by: if state == AlertState::Inhibited {
                    vec![format!("{:016x}", lcg(r))]
                } else {
                    Vec::new()
                },
                receivers,
                value: Some(match state {
                    AlertState::Pending => 0.5 + (r % 100) as f64 / 100.0,
                    _ => 1.0 + (r % 1000) as f64 / 10.0,
                }),
            }
        })
        .collect()
}

/// Three silences: one active ending in 2 hours, one active ending in 3 days, and one
/// pending that starts in an hour (a maintenance window).
pub fn silences(now: DateTime<Utc>) -> Vec<Silence> {
    let h = chrono::Duration::hours;
    vec![
        Silence {
            id: SILENCE_IDS[0].to_owned(),
            status: SilenceState::Active,
            updated_at: Some(now - h(1)),
            matchers: vec![
                Matcher::equal("alertname", "HighLatencyP99"),
                Matcher::equal("service", "search"),
            ],
            starts_at: Some(now - h(1)),
            ends_at: Some(now + h(2)),
            created_by: "alice@example.com".to_owned(),
            comment: "Search reindex running, p99 expected to be high until it finishes (OPS-4812)"
                .to_owned(),
        },
        Silence {
            id: SILENCE_IDS[1].to_owned(),
            status: SilenceState::Active,
            updated_at: Some(now - h(20)),
            matchers: vec![
                Matcher::equal("namespace", "data"),
                Matcher::regex("alertname", "DiskWillFillIn4h|CPUThrottlingHigh"),
            ],
            starts_at: Some(now - h(20)),
            ends_at: Some(now + h(72)),
            created_by: "bob".to_owned(),
            comment:
                "Analytics cluster migration to new nodes, disks are being rebalanced (CHG-2291)"
                    .to_owned(),
        },
        Silence {
            id: SILENCE_IDS[2].to_owned(),
            status: SilenceState::Pending,
            updated_at: Some(now - h(3)),
            matchers: vec![
                Matcher::equal("service", "payments"),
                Matcher {
                    name: "severity".to_owned(),
                    value: "critical".to_owned(),
                    is_regex: false,
                    is_equal: false,
                },
            ],
            starts_at: Some(now + h(1)),
            ends_at: Some(now + h(3)),
            created_by: "carol@example.com".to_owned(),
            comment:
                "Payment provider upgrade, maintenance window 04:00-06:00 UTC; pages still go out"
                    .to_owned(),
        },
    ]
}

/// An on-call rotation in Europe/Berlin: weekly from `start` (a Monday) at 09:00, primary
/// alice, bob, carol; secondary dave, erin; frank takes carol's weekend of 5–7 December 2026.
/// With `start` 2026-01-05, at [`fixed_now`] alice and erin are on call and bob is next.
pub fn oncall_config(start: chrono::NaiveDate) -> OnCallConfig {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    OnCallConfig {
        time_zone: "Europe/Berlin".into(),
        rotation: RotationConfig {
            start,
            length: crate::config::Duration::from_secs(7 * 86_400),
            handoff_time: "09:00".into(),
            handoff_day: None,
            primary: names(&["alice", "bob", "carol"]),
            secondary: Some(names(&["dave", "erin"])),
        },
        overrides: vec![OverrideConfig {
            role: "primary".into(),
            who: "frank".into(),
            from: "2026-12-05 09:00".into(),
            to: "2026-12-07 09:00".into(),
            reason: Some("swap with carol".into()),
        }],
        escalation: [
            (0, "primary"),
            (15 * 60, "secondary"),
            (30 * 60, "team-lead"),
        ]
        .into_iter()
        .map(|(after, who)| crate::config::oncall::EscalationLevel {
            after: crate::config::Duration::from_secs(after),
            notify: vec![who.to_string()],
        })
        .collect(),
    }
}

/// The fixture rotation's first day: Monday 2026-01-05.
pub fn rotation_start() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default()
}

/// Handoff notes as a load of the directory answers them, newest first: alice's note of two
/// hours ago (not acknowledged, every section filled), carol's of a week ago (acknowledged by
/// alice) and a file that does not parse.
pub fn handoffs(now: DateTime<Utc>) -> HandoffList {
    let hours = chrono::Duration::hours;
    let mut latest = Note::new("alice", now - hours(2));
    latest.shift_start = Some(now - hours(6 * 24 + 19));
    latest.shift_end = Some(now + hours(29));
    latest.revision = 1;
    latest.preamble = "Quiet week apart from checkout.".into();
    latest.incidents = vec![Incident {
        id: "INC-4711".into(),
        severity: "SEV2".into(),
        status: "mitigated".into(),
        summary: "checkout latency spikes after each deploy".into(),
    }];
    latest.ongoing = vec![
        Item {
            text: "disk on db-3 at 85%, cleanup cron added".into(),
            done: false,
        },
        Item {
            text: "flaky canary in search".into(),
            done: true,
        },
    ];
    latest.maintenance = vec![Maintenance {
        when: "2026-11-24 02:00 UTC".into(),
        what: "kafka broker upgrade".into(),
    }];
    latest.tips = vec![Item {
        text: "the INC-4711 runbook is outdated; read the postmortem draft".into(),
        done: false,
    }];
    latest.extra_sections = vec![("Contacts".into(), "payments team: #payments-oncall".into())];
    let mut older = Note::new("carol", now - hours(7 * 24 + 2));
    older.acked_by = Some("alice".into());
    older.acked_at = Some(now - hours(7 * 24 + 1));
    older.revision = 2;
    older.tips = vec![Item {
        text: "api pods restart at 04:00, ignore the blip".into(),
        done: false,
    }];
    let broken = NoteRow {
        id: "2026-11-01T0900Z-bob".into(),
        author: String::new(),
        created: Some(now - hours(21 * 24)),
        acked_by: None,
        acked_at: None,
        error: Some("line 3: the front matter is not valid YAML".into()),
        note: None,
    };
    let rows = vec![
        NoteRow::from_note(&latest),
        NoteRow::from_note(&older),
        broken,
    ];
    (rows, Some(latest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn alerts_are_deterministic_unique_and_mixed() {
        let now = fixed_now();
        let a = alerts(2_000, now);
        assert_eq!(a.len(), 2_000);
        assert_eq!(a, alerts(2_000, now));
        let keys: BTreeSet<_> = a.iter().map(|x| x.labels.clone()).collect();
        assert_eq!(keys.len(), a.len(), "label sets are unique");
        let names: BTreeSet<_> = a.iter().map(Alert::name).collect();
        assert_eq!(names.len(), 12);
        let services: BTreeSet<_> = a.iter().map(|x| x.label("service")).collect();
        assert_eq!(services.len(), 20);
        let count = |s| a.iter().filter(|x| x.state == s).count();
        let firing = count(AlertState::Firing);
        assert!((1_200..1_600).contains(&firing), "{firing}");
        for s in [
            AlertState::Pending,
            AlertState::Silenced,
            AlertState::Inhibited,
        ] {
            assert!(count(s) > 50, "{s:?}");
        }
        for sev in [Severity::Critical, Severity::Warning, Severity::Info] {
            assert!(
                a.iter().filter(|x| x.severity == sev).count() > 100,
                "{sev:?}"
            );
        }
        let three_days = chrono::Duration::days(3);
        assert!(a
            .iter()
            .all(|x| x.since.is_some_and(|t| t <= now && now - t <= three_days)));
        assert!(a
            .iter()
            .any(|x| now - x.since.unwrap_or(now) > chrono::Duration::days(2)));
        assert!(a
            .iter()
            .filter(|x| x.state == AlertState::Silenced)
            .all(|x| x.sources.len() == 3 && SILENCE_IDS.contains(&x.silenced_by[0].as_str())));
        assert!(a
            .iter()
            .filter(|x| x.state == AlertState::Inhibited)
            .all(|x| x.sources.len() == 3 && x.inhibited_by.len() == 1));
        assert!(a.iter().any(|x| x.sources == ["prom"]));
        let runbook = a
            .iter()
            .find_map(|x| x.runbook_url().map(|u| (x.name().to_owned(), u.to_owned())));
        let (name, url) = runbook.unwrap_or_default();
        assert_eq!(url, format!("https://runbooks.example.com/{name}"));
        assert!(a.iter().any(|x| x.runbook_url().is_none()));
        assert!(a
            .iter()
            .all(|x| x.summary().is_some_and(|s| !s.contains('{'))));
    }

    #[test]
    fn silences_cover_the_three_cases() {
        let now = fixed_now();
        let s = silences(now);
        assert_eq!(s.len(), 3);
        assert_eq!(
            s.iter().map(|x| x.status.clone()).collect::<Vec<_>>(),
            vec![
                SilenceState::Active,
                SilenceState::Active,
                SilenceState::Pending
            ]
        );
        assert_eq!(s[0].ends_at, Some(now + chrono::Duration::hours(2)));
        assert_eq!(s[1].ends_at, Some(now + chrono::Duration::days(3)));
        assert_eq!(s[2].starts_at, Some(now + chrono::Duration::hours(1)));
        assert!(s.iter().all(|x| !x.created_by.is_empty()
            && !x.comment.is_empty()
            && !x.matchers.is_empty()
            && x.starts_at < x.ends_at));
    }
}
