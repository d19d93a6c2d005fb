//! What to ask Prometheus for each golden signal.
//!
//! Queries scale with signals, not services: every service that shares a source, a selector and
//! a query template is served by one `query_range` grouped `by (<service label>)`, and the
//! answer is split per service. Only a service with its own query override gets its own query.

use crate::config::{Config, SaturationConfig, SaturationUnit, ServiceConfig};

/// Which golden signal a query feeds.
#[derive(Debug, Clone, PartialEq)]
pub enum SignalKind {
    /// Requests per second.
    Traffic,
    /// Failed requests per second (divided by traffic for the error ratio).
    Errors,
    /// Latency at a quantile, in seconds.
    Latency { quantile: f64 },
    /// A saturation gauge, already scaled to percent by the query.
    Saturation { gauge: String },
}

impl SignalKind {
    pub fn label(&self) -> String {
        match self {
            SignalKind::Traffic => "traffic".into(),
            SignalKind::Errors => "errors".into(),
            SignalKind::Latency { quantile } => format!("latency p{}", quantile_label(*quantile)),
            SignalKind::Saturation { gauge } => format!("saturation {gauge}"),
        }
    }
}

/// `0.99` → `99`, `0.999` → `99.9`, `0.5` → `50`.
pub fn quantile_label(q: f64) -> String {
    let pct = (q * 1000.0).round() / 10.0;
    if pct.fract() == 0.0 {
        format!("{pct:.0}")
    } else {
        format!("{pct}")
    }
}

/// A service served by a query, and the label value that picks its series in the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub service: usize,
    pub label_value: String,
}

/// One query per refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPlan {
    pub source: String,
    pub kind: SignalKind,
    /// PromQL with every placeholder filled except `{{rate}}`, which depends on the step.
    pub template: String,
    /// The label that tells services apart in the answer.
    pub by: String,
    pub members: Vec<Member>,
}

impl QueryPlan {
    /// The PromQL sent for a given rate window (`5m`, `1m30s`).
    pub fn promql(&self, rate: &str) -> String {
        fill(&self.template, "rate", rate)
    }

    /// Which services a result series belongs to. A query made for one service (an override)
    /// takes its only series whatever its labels.
    pub fn services_for<'a>(
        &'a self,
        labels: &'a std::collections::BTreeMap<String, String>,
        series_count: usize,
    ) -> impl Iterator<Item = usize> + 'a {
        let single = self.members.len() == 1 && series_count == 1;
        let value = labels.get(&self.by);
        self.members
            .iter()
            .filter(move |m| single || value == Some(&m.label_value))
            .map(|m| m.service)
    }
}

/// Replaces `{{name}}` (also `{{ name }}` and Sloth's `{{.name}}`) with `value`.
pub fn fill(template: &str, name: &str, value: &str) -> String {
    let mut out = template.to_string();
    for pattern in [
        format!("{{{{{name}}}}}"),
        format!("{{{{ {name} }}}}"),
        format!("{{{{.{name}}}}}"),
    ] {
        out = out.replace(&pattern, value);
    }
    out
}

/// The matchers (without braces) that select these services: `by="one"` or
/// `by=~"one|two"`, then the extra matchers.
pub fn members_selector(by: &str, values: &[&str], extra: Option<&str>) -> String {
    let matcher = match values {
        [one] => format!("{by}={}", promql_string(one)),
        many => {
            let alternatives = many
                .iter()
                .map(|v| regex_literal(v))
                .collect::<Vec<_>>()
                .join("|");
            format!("{by}=~{}", promql_string(&alternatives))
        }
    };
    match extra {
        Some(extra) if !extra.is_empty() => format!("{matcher},{extra}"),
        _ => matcher,
    }
}

/// The extra matchers of a service: `signals.selector` then the service's own `selector`.
pub fn extra_selector(config: &Config, service: &ServiceConfig) -> Option<String> {
    let extra = [
        config.signals.selector.as_deref(),
        service.selector.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(",");
    (!extra.is_empty()).then_some(extra)
}

/// Quotes a string for PromQL: backslashes and double quotes escaped.
pub fn promql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Escapes regex metacharacters so a label value matches literally inside `=~`.
pub fn regex_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The source a service reads from under the given context.
pub fn service_source<'a>(service: &'a ServiceConfig, context: &'a str) -> &'a str {
    service.source.as_deref().unwrap_or(context)
}

/// The saturation gauges of a service.
pub fn service_gauges<'a>(
    config: &'a Config,
    service: &'a ServiceConfig,
) -> &'a [SaturationConfig] {
    service
        .saturation
        .as_deref()
        .unwrap_or(&config.signals.saturation)
}

/// Builds every query of one refresh for the given context.
pub fn plan(config: &Config, context: &str) -> Vec<QueryPlan> {
    // Templates here keep `{{selector}}` open; it is filled once the members are known.
    struct Group {
        source: String,
        template: String,
        extra: Option<String>,
        kind: SignalKind,
        by: String,
        members: Vec<Member>,
    }
    let mut groups: Vec<Group> = Vec::new();
    let sig = &config.signals;
    for (idx, svc) in config.services.iter().enumerate() {
        let source = service_source(svc, context).to_string();
        let by = config
            .source(&source)
            .map(|s| s.service_label.clone())
            .unwrap_or_else(|| "service".into());
        let member = Member {
            service: idx,
            label_value: svc.label_value.clone().unwrap_or_else(|| svc.name.clone()),
        };
        let metric = &sig.requests_metric;
        let mut wanted: Vec<(SignalKind, String, bool)> = Vec::new();
        let traffic = svc.queries.traffic.clone();
        wanted.push((
            SignalKind::Traffic,
            traffic.clone().unwrap_or_else(|| {
                format!("sum by ({{{{by}}}}) (rate({metric}{{{{{{selector}}}}}}[{{{{rate}}}}]))")
            }),
            traffic.is_some(),
        ));
        let errors = svc.queries.errors.clone();
        wanted.push((
            SignalKind::Errors,
            errors.clone().unwrap_or_else(|| {
                format!(
                    "sum by ({{{{by}}}}) (rate({metric}{{{{{{selector}}}},{}}}[{{{{rate}}}}]))",
                    sig.error_selector
                )
            }),
            errors.is_some(),
        ));
        for &q in &sig.quantiles {
            let own = svc.queries.latency.clone();
            let template = own.clone().unwrap_or_else(|| {
                format!(
                    "histogram_quantile({{{{quantile}}}}, sum by ({{{{by}}}}, le) (rate({}_bucket{{{{{{selector}}}}}}[{{{{rate}}}}])))",
                    sig.latency_histogram
                )
            });
            wanted.push((
                SignalKind::Latency { quantile: q },
                fill(&template, "quantile", &q.to_string()),
                own.is_some(),
            ));
        }
        for gauge in service_gauges(config, svc) {
            wanted.push((
                SignalKind::Saturation {
                    gauge: gauge.name.clone(),
                },
                saturation_template(gauge),
                svc.saturation.is_some(),
            ));
        }
        for (kind, template, own) in wanted {
            let template = fill(&template, "by", &by);
            let extra = extra_selector(config, svc);
            let found = (!own).then(|| {
                groups.iter_mut().find(|g| {
                    g.source == source
                        && g.template == template
                        && g.extra == extra
                        && g.kind == kind
                        && g.by == by
                })
            });
            match found.flatten() {
                Some(group) => group.members.push(member.clone()),
                None => groups.push(Group {
                    source: source.clone(),
                    template,
                    extra,
                    kind,
                    by: by.clone(),
                    members: vec![member.clone()],
                }),
            }
        }
    }
    groups
        .into_iter()
        .map(|g| {
            let Group {
                source,
                template,
                extra,
                kind,
                by,
                members,
            } = g;
            let values: Vec<&str> = members.iter().map(|m| m.label_value.as_str()).collect();
            let selector = members_selector(&by, &values, extra.as_deref());
            QueryPlan {
                source,
                kind,
                template: fill(&template, "selector", &selector),
                by,
                members,
            }
        })
        .collect()
}

fn saturation_template(gauge: &SaturationConfig) -> String {
    match (&gauge.query, &gauge.used, &gauge.max) {
        (Some(query), _, _) => match gauge.unit {
            SaturationUnit::Ratio => format!("100 * ({query})"),
            SaturationUnit::Percent => query.clone(),
        },
        (None, Some(used), Some(max)) => format!(
            "100 * sum by ({{{{by}}}}) ({used}{{{{{{selector}}}}}}) / sum by ({{{{by}}}}) ({max}{{{{{{selector}}}}}})"
        ),
        // Validation rejects this; an empty vector keeps the dashboard alive if it slips by.
        _ => "vector(0) unless vector(0)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> Config {
        serde_yaml::from_str(yaml).expect("test config parses")
    }

    const BASE: &str = r#"
sources: [{name: demo, url: "http://127.0.0.1:9090"}]
signals:
  saturation:
    - {name: cpu, query: 'max by ({{by}}) (cpu_utilization_ratio{ {{selector}} })'}
    - {name: pool, used: db_pool_connections_in_use, max: db_pool_connections_max}
services:
  - {name: api}
  - {name: checkout}
  - {name: search}
"#;

    #[test]
    fn one_query_per_signal_whatever_the_number_of_services() {
        let plans = plan(&config(BASE), "demo");
        // traffic, errors, 3 quantiles, 2 gauges
        assert_eq!(plans.len(), 7);
        assert!(plans.iter().all(|p| p.members.len() == 3));
        let traffic = &plans[0];
        assert_eq!(
            traffic.promql("1m"),
            r#"sum by (service) (rate(http_requests_total{service=~"api|checkout|search"}[1m]))"#
        );
        assert_eq!(
            plans[1].promql("1m"),
            r#"sum by (service) (rate(http_requests_total{service=~"api|checkout|search",code=~"5.."}[1m]))"#
        );
        assert_eq!(
            plans[4].promql("5m"),
            r#"histogram_quantile(0.99, sum by (service, le) (rate(http_request_duration_seconds_bucket{service=~"api|checkout|search"}[5m])))"#
        );
        assert_eq!(
            plans[5].promql("1m"),
            r#"100 * (max by (service) (cpu_utilization_ratio{ service=~"api|checkout|search" }))"#
        );
        assert_eq!(
            plans[6].promql("1m"),
            r#"100 * sum by (service) (db_pool_connections_in_use{service=~"api|checkout|search"}) / sum by (service) (db_pool_connections_max{service=~"api|checkout|search"})"#
        );
    }

    #[test]
    fn fifty_services_still_need_seven_queries() {
        let mut yaml = BASE
            .split("services:")
            .next()
            .unwrap_or_default()
            .to_string();
        yaml.push_str("services:\n");
        for i in 0..50 {
            yaml.push_str(&format!("  - {{name: svc-{i:03}}}\n"));
        }
        assert_eq!(plan(&config(&yaml), "demo").len(), 7);
    }

    #[test]
    fn an_override_gets_its_own_query_and_others_stay_grouped() {
        let yaml = BASE.replace(
            "  - {name: checkout}",
            "  - {name: checkout, queries: {traffic: 'sum(rate(orders_total{ {{selector}} }[{{rate}}]))'}}",
        );
        let plans = plan(&config(&yaml), "demo");
        let traffic: Vec<_> = plans
            .iter()
            .filter(|p| p.kind == SignalKind::Traffic)
            .collect();
        assert_eq!(traffic.len(), 2);
        assert_eq!(traffic[0].members.len(), 2);
        assert_eq!(
            traffic[1].promql("1m"),
            r#"sum(rate(orders_total{ service="checkout" }[1m]))"#
        );
    }

    #[test]
    fn services_on_other_sources_or_selectors_are_separate_groups() {
        let yaml = r#"
sources: [{name: a, url: "http://a"}, {name: b, url: "http://b", service_label: job}]
services:
  - {name: one}
  - {name: two, source: b}
  - {name: three, selector: 'env="prod"'}
"#;
        let plans = plan(&config(yaml), "a");
        let traffic: Vec<_> = plans
            .iter()
            .filter(|p| p.kind == SignalKind::Traffic)
            .collect();
        assert_eq!(traffic.len(), 3);
        assert_eq!(traffic[1].source, "b");
        assert!(traffic[1].promql("1m").contains(r#"job="two""#));
        assert!(traffic[2]
            .promql("1m")
            .contains(r#"service="three",env="prod""#));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(regex_literal("a.b|c"), r"a\.b\|c");
        assert_eq!(promql_string(r#"a\.b"q""#), r#""a\\.b\"q\"""#);
    }

    #[test]
    fn splits_answers_by_the_service_label() {
        let plans = plan(&config(BASE), "demo");
        let mut labels = std::collections::BTreeMap::new();
        labels.insert("service".to_string(), "search".to_string());
        assert_eq!(
            plans[0].services_for(&labels, 3).collect::<Vec<_>>(),
            vec![2]
        );
        labels.insert("service".to_string(), "other".to_string());
        assert_eq!(plans[0].services_for(&labels, 3).count(), 0);
    }

    #[test]
    fn quantile_labels() {
        assert_eq!(quantile_label(0.99), "99");
        assert_eq!(quantile_label(0.5), "50");
        assert_eq!(quantile_label(0.999), "99.9");
    }
}
