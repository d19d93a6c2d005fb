//! What to ask Prometheus for the SLOs.
//!
//! Every SLO needs event counts (bad and total) over several look-back windows: each burn-rate
//! window and the SLO window itself. As with the golden signals, queries are grouped: all SLOs
//! with the same source, SLI shape and look-back share one `sum by (<service label>)` query, so
//! the number of queries grows with the number of distinct windows, not of SLOs. Counts use
//! `increase()` summed over the window (Σbad / Σtotal), never an average of ratios.

use std::collections::BTreeMap;

use crate::config::{
    Budgeting, CalendarPeriod, Config, Duration, LatencySli, ServiceConfig, SloConfig,
};

use super::signals::{
    extra_selector, fill, members_selector, promql_string, regex_literal, service_source,
};

/// The SLI of one SLO, with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub enum SliSpec {
    /// Failed requests among all requests of a counter.
    Availability {
        metric: String,
        error_selector: String,
    },
    /// Requests slower than `threshold` seconds, from histogram buckets.
    Latency { histogram: String, threshold: f64 },
    /// Raw templates with `{{window}}`.
    Events {
        error_query: String,
        total_query: String,
    },
}

/// The compliance window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSpec {
    Rolling(u64),
    Calendar(CalendarPeriod),
}

/// One SLO, resolved from the config.
#[derive(Debug, Clone, PartialEq)]
pub struct SloSpec {
    pub service: usize,
    pub name: String,
    /// Percent, e.g. 99.9.
    pub objective: f64,
    pub window: WindowSpec,
    pub budgeting: Budgeting,
    /// `(slice seconds, target ratio)` for time-slice budgeting.
    pub time_slice: Option<(u64, f64)>,
    pub sli: SliSpec,
    pub source: String,
    pub by: String,
    pub label_value: String,
    pub extra: Option<String>,
    /// The burn-rate look-backs this SLO needs besides its own window, in seconds.
    pub burn_windows: Vec<u64>,
    pub description: Option<String>,
    pub alert_name: Option<String>,
}

/// What a query counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Count {
    Bad,
    Total,
    /// Latency: requests at or under the threshold (`le` bucket).
    Good,
    /// Time slices that met their target.
    GoodSlices,
    /// Time slices with traffic.
    TotalSlices,
}

/// How a query is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// An instant query over a look-back: a burn-rate window, or the SLO window (`None`,
    /// resolved at fetch time because calendar windows grow).
    Instant { lookback: Option<u64> },
    /// A range query over the screen's window of the SLO-window counts: remaining budget over
    /// time (a few points).
    History,
    /// A range query over the SLO window of per-step counts: budget consumption so far.
    Consumption,
}

/// An SLO served by a query.
#[derive(Debug, Clone, PartialEq)]
pub struct SloMember {
    pub slo: usize,
    pub label_value: String,
    /// For `Count::Good`: the bucket boundary to read.
    pub le: Option<f64>,
}

/// One query, grouped over SLOs.
#[derive(Debug, Clone, PartialEq)]
pub struct SloQueryPlan {
    pub source: String,
    pub count: Count,
    pub shape: Shape,
    /// PromQL with `{{window}}` still open.
    pub template: String,
    pub by: String,
    pub members: Vec<SloMember>,
    /// Evaluated at the slow cadence (`slo_defaults.long_refresh`).
    pub slow: bool,
}

impl SloQueryPlan {
    /// The PromQL for a look-back (`5m`, `30d`).
    pub fn promql(&self, window: &str) -> String {
        fill(&self.template, "window", window)
    }

    /// The SLOs a result series feeds.
    pub fn members_for<'a>(
        &'a self,
        labels: &'a BTreeMap<String, String>,
        series_count: usize,
    ) -> impl Iterator<Item = &'a SloMember> + 'a {
        let single = self.members.len() == 1 && series_count == 1 && self.count != Count::Good;
        let value = labels.get(&self.by);
        let le = labels.get("le").and_then(|v| v.parse::<f64>().ok());
        self.members.iter().filter(move |m| {
            (single || value == Some(&m.label_value))
                && match (m.le, le) {
                    (Some(want), Some(got)) => (want - got).abs() <= 1e-9 * want.abs().max(1.0),
                    (Some(_), None) => false,
                    (None, _) => true,
                }
        })
    }
}

/// A look-back as PromQL writes it, in days, hours, minutes and seconds (`30d`, `1h30m`),
/// never weeks, so it reads like the SLO it belongs to.
pub fn promql_duration(secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = secs;
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// Looks at least this long are evaluated at the slow cadence.
pub const SLOW_FROM_SECS: u64 = 86_400;

/// Resolves every SLO in the config (imports already merged by the loader). `burn_windows`
/// gives the burn-rate look-backs an SLO needs.
pub fn specs(
    config: &Config,
    context: &str,
    burn_windows: impl Fn(&Config, &SloConfig, u64) -> Vec<u64>,
) -> Vec<SloSpec> {
    let mut out = Vec::new();
    for (i, svc) in config.services.iter().enumerate() {
        for slo in &svc.slos {
            out.push(spec(config, context, i, svc, slo, &burn_windows));
        }
    }
    out
}

fn spec(
    config: &Config,
    context: &str,
    service: usize,
    svc: &ServiceConfig,
    slo: &SloConfig,
    burn_windows: &impl Fn(&Config, &SloConfig, u64) -> Vec<u64>,
) -> SloSpec {
    let source = service_source(svc, context).to_string();
    let by = config
        .source(&source)
        .map(|s| s.service_label.clone())
        .unwrap_or_else(|| "service".into());
    let window_cfg = slo.window.as_ref().unwrap_or(&config.slo_defaults.window);
    let window = match (window_cfg.rolling, window_cfg.calendar) {
        (_, Some(period)) => WindowSpec::Calendar(period),
        (Some(d), None) => WindowSpec::Rolling(d.as_secs().max(1)),
        (None, None) => WindowSpec::Rolling(30 * 86_400),
    };
    let nominal = match window {
        WindowSpec::Rolling(s) => s,
        WindowSpec::Calendar(CalendarPeriod::Week) => 7 * 86_400,
        WindowSpec::Calendar(CalendarPeriod::Month) => 30 * 86_400,
    };
    let sig = &config.signals;
    let sli = if let Some(a) = &slo.sli.availability {
        SliSpec::Availability {
            metric: a
                .metric
                .clone()
                .unwrap_or_else(|| sig.requests_metric.clone()),
            error_selector: a
                .error_selector
                .clone()
                .unwrap_or_else(|| sig.error_selector.clone()),
        }
    } else if let Some(LatencySli {
        histogram,
        threshold,
    }) = &slo.sli.latency
    {
        SliSpec::Latency {
            histogram: histogram
                .clone()
                .unwrap_or_else(|| sig.latency_histogram.clone()),
            threshold: *threshold,
        }
    } else if let Some(e) = &slo.sli.events {
        SliSpec::Events {
            error_query: e.error_query.clone(),
            total_query: e.total_query.clone(),
        }
    } else {
        // Validation rejects an SLO without an SLI; this keeps the dashboard alive.
        SliSpec::Events {
            error_query: "vector(0)".into(),
            total_query: "vector(0) unless vector(0)".into(),
        }
    };
    let budgeting = slo.budgeting.unwrap_or(config.slo_defaults.budgeting);
    SloSpec {
        service,
        name: slo.name.clone(),
        objective: slo.objective,
        window,
        budgeting,
        time_slice: slo
            .time_slice
            .as_ref()
            .filter(|_| budgeting == Budgeting::Timeslices)
            .map(|t| (t.window.as_secs().max(1), t.target)),
        sli,
        source,
        by,
        label_value: svc.label_value.clone().unwrap_or_else(|| svc.name.clone()),
        extra: extra_selector(config, svc),
        burn_windows: burn_windows(config, slo, nominal),
        description: slo.description.clone(),
        alert_name: slo.alerting.as_ref().and_then(|a| a.name.clone()),
    }
}

/// A regex alternative that matches a bucket boundary however it is written (`1` or `1.0`,
/// as Prometheus 3 writes it).
fn le_regex(threshold: f64) -> String {
    let text = threshold.to_string();
    if text.contains('.') || text.contains('e') {
        regex_literal(&text)
    } else {
        format!("{}(\\.0)?", regex_literal(&text))
    }
}

/// The per-SLO templates for one count, with `{{selector}}` (and `{{le}}`) still open.
fn template(spec: &SloSpec, count: Count) -> Option<String> {
    let by = &spec.by;
    let inc = |metric: &str, more: &str| {
        format!("sum by ({by}) (increase({metric}{{{{{{selector}}}}{more}}}[{{{{window}}}}]))")
    };
    Some(match (&spec.sli, count) {
        (
            SliSpec::Availability {
                metric,
                error_selector,
            },
            Count::Bad,
        ) => inc(metric, &format!(",{error_selector}")),
        (SliSpec::Availability { metric, .. }, Count::Total) => inc(metric, ""),
        (SliSpec::Latency { histogram, .. }, Count::Total) => inc(&format!("{histogram}_count"), ""),
        (SliSpec::Latency { histogram, .. }, Count::Good) => format!(
            "sum by ({by}, le) (increase({histogram}_bucket{{{{{{selector}}}},le=~{{{{le}}}}}}[{{{{window}}}}]))"
        ),
        (SliSpec::Events { error_query, .. }, Count::Bad) => fill(error_query, "by", by),
        (SliSpec::Events { total_query, .. }, Count::Total) => fill(total_query, "by", by),
        _ => return None,
    })
}

/// Counts an SLI needs per look-back.
fn counts(sli: &SliSpec) -> [Count; 2] {
    match sli {
        SliSpec::Latency { .. } => [Count::Good, Count::Total],
        _ => [Count::Bad, Count::Total],
    }
}

/// Time-slice templates: good slices and slices with traffic over `{{window}}` (the SLO
/// window), sliced by `slice`. Built from the SLI's own count templates.
fn slice_templates(spec: &SloSpec, slice: u64, target: f64) -> Option<(String, String)> {
    let s = Duration::from_secs(slice).to_string();
    let at = |count: Count| template(spec, count).map(|t| fill(&t, "window", &s));
    let total = at(Count::Total)?;
    // Error ratio per slice; a missing bad series with traffic is zero errors.
    let ratio = match &spec.sli {
        SliSpec::Latency { .. } => {
            let good = fill(
                &at(Count::Good)?,
                "le",
                &promql_string(&le_regex(match spec.sli {
                    SliSpec::Latency { threshold, .. } => threshold,
                    _ => 0.0,
                })),
            );
            let good = good.replace(
                &format!("sum by ({}, le)", spec.by),
                &format!("sum by ({})", spec.by),
            );
            format!("(1 - ({good}) / ({total}))")
        }
        _ => {
            let bad = at(Count::Bad)?;
            format!("(({bad}) or (0 * ({total}))) / ({total})")
        }
    };
    let by = &spec.by;
    let good = format!(
        "sum by ({by}) (sum_over_time(({ratio} <= bool {})[{{{{window}}}}:{s}]))",
        1.0 - target
    );
    let all = format!("sum by ({by}) (count_over_time(({total} > 0)[{{{{window}}}}:{s}]))");
    Some((good, all))
}

/// Every SLO query of one refresh. Grouped: specs with the same source, template and shape share
/// a query (their selectors merged), except `events` SLIs, which are queried one by one.
pub fn plan(specs: &[SloSpec]) -> Vec<SloQueryPlan> {
    struct Group {
        key: (String, String, Option<String>, Count, ShapeKey),
        shape: Shape,
        slow: bool,
        members: Vec<SloMember>,
        single: bool,
    }
    #[derive(PartialEq, Eq, Clone)]
    enum ShapeKey {
        Instant(Option<u64>, Option<CalendarPeriod>),
        History(WindowSpecKey),
        Consumption(WindowSpecKey),
    }
    #[derive(PartialEq, Eq, Clone)]
    enum WindowSpecKey {
        Rolling(u64),
        Calendar(CalendarPeriod),
    }
    let mut groups: Vec<(Group, String, String)> = Vec::new(); // (group, template, by)
    let mut add = |spec_idx: usize,
                   spec: &SloSpec,
                   count: Count,
                   template: String,
                   shape: Shape,
                   key: ShapeKey,
                   slow: bool| {
        let le = match (&spec.sli, count) {
            (SliSpec::Latency { threshold, .. }, Count::Good) => Some(*threshold),
            _ => None,
        };
        let single = matches!(spec.sli, SliSpec::Events { .. });
        let member = SloMember {
            slo: spec_idx,
            label_value: spec.label_value.clone(),
            le,
        };
        let k = (
            spec.source.clone(),
            template.clone(),
            spec.extra.clone(),
            count,
            key,
        );
        if !single {
            if let Some((g, _, _)) = groups.iter_mut().find(|(g, _, _)| !g.single && g.key == k) {
                g.members.push(member);
                return;
            }
        }
        groups.push((
            Group {
                key: k,
                shape,
                slow,
                members: vec![member],
                single,
            },
            template,
            spec.by.clone(),
        ));
    };
    for (i, spec) in specs.iter().enumerate() {
        let (wkey, own_key) = match spec.window {
            WindowSpec::Rolling(s) => (WindowSpecKey::Rolling(s), ShapeKey::Instant(Some(s), None)),
            WindowSpec::Calendar(p) => {
                (WindowSpecKey::Calendar(p), ShapeKey::Instant(None, Some(p)))
            }
        };
        for count in counts(&spec.sli) {
            let Some(t) = template(spec, count) else {
                continue;
            };
            for &w in &spec.burn_windows {
                add(
                    i,
                    spec,
                    count,
                    t.clone(),
                    Shape::Instant { lookback: Some(w) },
                    ShapeKey::Instant(Some(w), None),
                    w >= SLOW_FROM_SECS,
                );
            }
            if spec.budgeting == Budgeting::Occurrences || spec.time_slice.is_none() {
                add(
                    i,
                    spec,
                    count,
                    t.clone(),
                    Shape::Instant { lookback: None },
                    own_key.clone(),
                    true,
                );
            }
            add(
                i,
                spec,
                count,
                t.clone(),
                Shape::History,
                ShapeKey::History(wkey.clone()),
                true,
            );
            add(
                i,
                spec,
                count,
                t,
                Shape::Consumption,
                ShapeKey::Consumption(wkey.clone()),
                true,
            );
        }
        if let Some((slice, target)) = spec.time_slice {
            if let Some((good, all)) = slice_templates(spec, slice, target) {
                for (count, t) in [(Count::GoodSlices, good), (Count::TotalSlices, all)] {
                    add(
                        i,
                        spec,
                        count,
                        t,
                        Shape::Instant { lookback: None },
                        own_key.clone(),
                        true,
                    );
                }
            }
        }
    }
    groups
        .into_iter()
        .map(|(g, template, by)| {
            let mut uniq: Vec<&str> = Vec::new();
            for m in &g.members {
                if !uniq.contains(&m.label_value.as_str()) {
                    uniq.push(&m.label_value);
                }
            }
            let selector = members_selector(&by, &uniq, g.key.2.as_deref());
            let mut template = fill(&template, "selector", &selector);
            let mut les: Vec<f64> = g.members.iter().filter_map(|m| m.le).collect();
            les.sort_by(f64::total_cmp);
            les.dedup();
            if !les.is_empty() {
                let alternatives: Vec<String> = les.iter().map(|t| le_regex(*t)).collect();
                template = fill(&template, "le", &promql_string(&alternatives.join("|")));
            }
            SloQueryPlan {
                source: g.key.0,
                count: g.key.3,
                shape: g.shape,
                template,
                by,
                members: g.members,
                slow: g.slow,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> Config {
        serde_yaml::from_str(yaml).expect("test config parses")
    }

    fn windows(_: &Config, _: &SloConfig, _: u64) -> Vec<u64> {
        vec![300, 3600]
    }

    const YAML: &str = r#"
sources: [{name: demo, url: "http://127.0.0.1:9090"}]
services:
  - name: api
    slos:
      - {name: availability, objective: 99.9, sli: {availability: {}}}
      - {name: fast, objective: 99, sli: {latency: {threshold: 0.3}}}
  - name: checkout
    slos:
      - {name: availability, objective: 99.5, sli: {availability: {}}}
      - {name: fast, objective: 99, sli: {latency: {threshold: 1}}}
  - name: search
    slos:
      - name: custom
        objective: 99
        sli:
          events:
            error_query: 'sum(increase(errors_total{ {{selector}} }[{{window}}]))'
            total_query: 'sum(increase(requests_total{ {{selector}} }[{{window}}]))'
"#;

    #[test]
    fn queries_grow_with_windows_not_slos() {
        let cfg = config(YAML);
        let specs = specs(&cfg, "demo", windows);
        assert_eq!(specs.len(), 5);
        let plans = plan(&specs);
        let instants: Vec<_> = plans
            .iter()
            .filter(|p| matches!(p.shape, Shape::Instant { .. }))
            .collect();
        // Per look-back (5m, 1h, 30d): availability bad+total, latency good+total (grouped
        // over both services), and the events SLO's two queries.
        assert_eq!(instants.len(), 3 * (2 + 2 + 2));
        let bad_5m = instants
            .iter()
            .find(|p| {
                p.count == Count::Bad
                    && p.shape
                        == Shape::Instant {
                            lookback: Some(300),
                        }
                    && p.members.len() == 2
            })
            .expect("grouped availability query");
        assert_eq!(
            bad_5m.promql("5m"),
            r#"sum by (service) (increase(http_requests_total{service=~"api|checkout",code=~"5.."}[5m]))"#
        );
        let good = instants
            .iter()
            .find(|p| {
                p.count == Count::Good
                    && p.shape
                        == Shape::Instant {
                            lookback: Some(3600),
                        }
            })
            .expect("latency good query");
        assert_eq!(
            good.promql("1h"),
            r#"sum by (service, le) (increase(http_request_duration_seconds_bucket{service=~"api|checkout",le=~"0\\.3|1(\\.0)?"}[1h]))"#
        );
        let custom = instants
            .iter()
            .find(|p| p.members.len() == 1 && p.members[0].slo == 4 && p.count == Count::Bad)
            .expect("events query");
        assert_eq!(
            custom.promql("5m"),
            r#"sum(increase(errors_total{ service="search" }[5m]))"#
        );
    }

    #[test]
    fn durations_read_like_the_slo() {
        assert_eq!(promql_duration(30 * 86_400), "30d");
        assert_eq!(promql_duration(5_400), "1h30m");
        assert_eq!(promql_duration(300), "5m");
    }

    #[test]
    fn fifty_services_cost_the_same_number_of_queries() {
        let mut yaml = String::from("sources: [{name: demo, url: \"http://x\"}]\nservices:\n");
        for i in 0..50 {
            yaml.push_str(&format!(
                "  - {{name: s{i}, slos: [{{name: a, objective: 99.9, sli: {{availability: {{}}}}}}]}}\n"
            ));
        }
        let cfg = config(&yaml);
        let plans = plan(&specs(&cfg, "demo", windows));
        // (5m, 1h, window) × (bad, total) + history and consumption × (bad, total)
        assert_eq!(plans.len(), 3 * 2 + 2 * 2);
    }

    #[test]
    fn latency_members_pick_their_bucket() {
        let cfg = config(YAML);
        let plans = plan(&specs(&cfg, "demo", windows));
        let good = plans
            .iter()
            .find(|p| p.count == Count::Good)
            .expect("good query");
        let labels: BTreeMap<String, String> = [
            ("service".to_string(), "checkout".to_string()),
            ("le".to_string(), "1.0".to_string()),
        ]
        .into();
        let hits: Vec<usize> = good.members_for(&labels, 4).map(|m| m.slo).collect();
        assert_eq!(hits, vec![3]);
    }

    #[test]
    fn time_slices_use_subqueries_over_the_window() {
        let yaml = r#"
sources: [{name: demo, url: "http://x"}]
services:
  - name: api
    slos:
      - {name: probe, objective: 99.5, budgeting: timeslices, time_slice: {window: 1m, target: 0.99}, sli: {availability: {}}}
"#;
        let plans = plan(&specs(&config(yaml), "demo", windows));
        let good = plans
            .iter()
            .find(|p| p.count == Count::GoodSlices)
            .expect("good slices");
        let q = good.promql("30d");
        assert!(q.contains("sum_over_time(("), "{q}");
        assert!(q.contains("<= bool 0.01"), "{q}");
        assert!(q.contains("[30d:1m]"), "{q}");
        assert!(plans.iter().any(|p| p.count == Count::TotalSlices));
    }
}
