//! Zero-config discovery, the pure part: which services a Prometheus knows and which of their
//! metrics feed the golden signals, decided from metric names and label sets alone (no I/O;
//! `crate::discover` asks the server).
//!
//! ```text
//!  all metric names ─▶ candidate_names ─▶ (server: which names carry which service / status labels)
//!                                                    │
//!                                                    ▼
//!                                 discover(series, status, --service-label) ─▶ Discovery ─▶ to_yaml
//! ```
//!
//! Conventions looked for, best first:
//! - traffic: request counters (`http_requests_total`, `http_server_requests_total`,
//!   `grpc_server_handled_total`, `*_requests_total`), else the `_count` of a request-duration
//!   histogram; one with a status label (`code`, `status_code`, `status`, `grpc_code`, ...) wins;
//! - errors: 5xx (`code=~"5.."`), gRPC server-side failure codes, or `error`/`failure` values;
//! - latency: `*_seconds_bucket` / `*_milliseconds_bucket` histograms named for requests,
//!   durations, latencies or handling (client-side ones are skipped);
//! - saturation: `*_utilization_ratio`-style gauges, `X_in_use`/`X_max`-style pairs,
//!   `process_open_fds`/`process_max_fds`, and the CPU rate of `process_cpu_seconds_total`.

use std::collections::{BTreeMap, BTreeSet};

/// Labels that name a service, in order of preference when `--service-label` is not given.
pub const GROUP_LABELS: [&str; 2] = ["service", "job"];

/// Labels that carry a request's status, in order of preference.
pub const STATUS_LABELS: [&str; 8] = [
    "code",
    "status_code",
    "http_status_code",
    "http_response_status_code",
    "response_code",
    "status",
    "grpc_code",
    "rpc_grpc_status_code",
];

/// At most this many metric names are looked at in the server (the best-ranked first).
pub const MAX_CANDIDATES: usize = 300;
/// At most this many services are configured.
pub const MAX_SERVICES: usize = 200;
/// At most this many saturation gauges per service.
pub const MAX_GAUGES: usize = 4;

/// gRPC codes that mean the server failed (the others are the caller's doing or success).
const GRPC_SERVER_ERRORS: &str =
    "Unknown|DeadlineExceeded|Unimplemented|Internal|Unavailable|DataLoss";

/// One series (or group of series) seen on the server: a metric name and the labels that can
/// name a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// Status labels seen on traffic metrics: metric name → label → values seen.
pub type StatusSeen = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// What a metric name can be used for.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    /// A request counter (or histogram `_count`); lower rank is better.
    Traffic { rank: u8 },
    /// A histogram's `_bucket` series; `family` is the name without `_bucket`; values are
    /// divided by `divisor` to get seconds.
    Latency {
        family: String,
        divisor: u32,
        rank: u8,
    },
    /// A gauge read as a ratio (0..1) or a percentage, named `gauge` on screen.
    Utilization { gauge: String, percent: bool },
    /// The `used` half of a used/max pair.
    PairUsed { gauge: String, max: String },
    /// `process_cpu_seconds_total`.
    ProcessCpu,
    /// `process_open_fds` (with `process_max_fds`).
    ProcessFds,
    /// The `max` half of a pair, only queried alongside its `used` half.
    PairMax,
}

/// A valid classic metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn traffic_rank(name: &str) -> Option<u8> {
    if name.contains("client")
        || ["error", "fail", "reject", "drop"]
            .iter()
            .any(|w| name.contains(w))
    {
        return None;
    }
    Some(match name {
        "http_requests_total" => 0,
        "http_server_requests_total" => 1,
        "grpc_server_handled_total" => 2,
        _ if name.ends_with("_http_requests_total") => 3,
        _ if name.ends_with("_requests_total") || name.ends_with("_request_total") => 4,
        "http_server_requests_seconds_count" | "http_server_request_duration_seconds_count" => 5,
        "http_request_duration_seconds_count" => 6,
        _ if name.ends_with("_request_duration_seconds_count")
            || name.ends_with("_requests_seconds_count") =>
        {
            7
        }
        _ => return None,
    })
}

fn latency_role(name: &str) -> Option<Role> {
    let family = name.strip_suffix("_bucket")?;
    let divisor = if family.ends_with("_seconds") {
        1
    } else if family.ends_with("_milliseconds") || family.ends_with("_ms") {
        1000
    } else {
        return None;
    };
    if family.contains("client") {
        return None;
    }
    let rank = match family {
        "http_request_duration_seconds" => 0,
        "http_server_request_duration_seconds" => 1,
        "http_server_requests_seconds" => 2,
        "grpc_server_handling_seconds" => 3,
        _ if family.contains("request") => 4,
        _ if ["duration", "latency", "handling", "response"]
            .iter()
            .any(|w| family.contains(w)) =>
        {
            5
        }
        _ => return None,
    };
    Some(Role::Latency {
        family: family.to_string(),
        divisor,
        rank,
    })
}

/// `db_pool_connections` → `db_pool`; `cpu` → `cpu`.
fn short_gauge_name(stem: &str) -> String {
    let tokens: Vec<&str> = stem.split('_').filter(|t| !t.is_empty()).collect();
    tokens[..tokens.len().min(2)].join("_")
}

const USED_SUFFIXES: [&str; 8] = [
    "_in_use", "_used", "_active", "_busy", "_current", "_length", "_size", "_depth",
];
const MAX_SUFFIXES: [&str; 3] = ["_max", "_limit", "_capacity"];

/// The role of each name, knowing every name (pairs need both halves).
fn classify(names: &BTreeSet<&str>) -> BTreeMap<String, Role> {
    let mut roles = BTreeMap::new();
    for &name in names {
        if let Some(rank) = traffic_rank(name) {
            roles.insert(name.to_string(), Role::Traffic { rank });
            continue;
        }
        if let Some(role) = latency_role(name) {
            roles.insert(name.to_string(), role);
            continue;
        }
        if name == "process_cpu_seconds_total" {
            roles.insert(name.to_string(), Role::ProcessCpu);
            continue;
        }
        if name == "process_open_fds" && names.contains("process_max_fds") {
            roles.insert(name.to_string(), Role::ProcessFds);
            roles.insert("process_max_fds".to_string(), Role::PairMax);
            continue;
        }
        let utilization = [
            ("_utilization_ratio", false),
            ("_utilisation_ratio", false),
            ("_saturation_ratio", false),
            ("_usage_ratio", false),
            ("_utilization", false),
            ("_saturation", false),
            ("_utilization_percent", true),
            ("_saturation_percent", true),
            ("_usage_percent", true),
        ];
        if let Some((stem, percent)) = utilization
            .iter()
            .find_map(|(suffix, percent)| Some((name.strip_suffix(suffix)?, *percent)))
            .filter(|(stem, _)| !stem.is_empty())
        {
            roles.insert(
                name.to_string(),
                Role::Utilization {
                    gauge: short_gauge_name(stem),
                    percent,
                },
            );
            continue;
        }
        // used/max pairs, with an optional `_bytes` unit: jvm_memory_used_bytes/jvm_memory_max_bytes.
        let (base, unit) = match name.strip_suffix("_bytes") {
            Some(base) => (base, "_bytes"),
            None => (name, ""),
        };
        let pair = USED_SUFFIXES.iter().find_map(|suffix| {
            let stem = base.strip_suffix(suffix).filter(|s| !s.is_empty())?;
            MAX_SUFFIXES
                .iter()
                .map(|m| format!("{stem}{m}{unit}"))
                .find(|max| names.contains(max.as_str()))
                .map(|max| (stem, max))
        });
        if let Some((stem, max)) = pair {
            roles.insert(
                name.to_string(),
                Role::PairUsed {
                    gauge: short_gauge_name(stem),
                    max: max.clone(),
                },
            );
            roles.entry(max).or_insert(Role::PairMax);
        }
    }
    roles
}

/// The metric names worth asking the server about, best first, at most [`MAX_CANDIDATES`].
/// Names that are not classic metric names (they would need quoting) are left out.
pub fn candidate_names(all: &[String]) -> Vec<String> {
    let names: BTreeSet<&str> = all
        .iter()
        .map(String::as_str)
        .filter(|n| is_metric_name(n))
        .collect();
    let roles = classify(&names);
    let mut ranked: Vec<(u8, &String)> = roles
        .iter()
        .map(|(name, role)| {
            let order = match role {
                Role::Traffic { rank } => *rank,
                Role::Latency { rank, .. } => 10 + rank,
                Role::Utilization { .. } | Role::PairUsed { .. } | Role::PairMax => 20,
                Role::ProcessCpu | Role::ProcessFds => 30,
            };
            (order, name)
        })
        .collect();
    ranked.sort();
    ranked
        .into_iter()
        .take(MAX_CANDIDATES)
        .map(|(_, n)| n.clone())
        .collect()
}

/// The traffic metrics among `names` (their status labels are looked up on the server).
pub fn traffic_names(names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| traffic_rank(n).is_some())
        .cloned()
        .collect()
}

/// The traffic signal of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traffic {
    pub metric: String,
    /// The label holding the status, if the metric has one.
    pub status_label: Option<String>,
    /// Matchers (without braces) that pick the failed requests.
    pub error_selector: Option<String>,
    /// Why this error selector (for the comments), e.g. `5xx responses`.
    pub error_reason: Option<String>,
}

/// The latency signal of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latency {
    /// The histogram's name without `_bucket`.
    pub histogram: String,
    /// 1 for seconds, 1000 for milliseconds.
    pub divisor: u32,
}

/// One saturation gauge, as the config writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gauge {
    pub name: String,
    pub query: Option<String>,
    pub used: Option<String>,
    pub max: Option<String>,
    pub percent: bool,
    /// Where it comes from, for the comments.
    pub about: String,
}

/// What was found for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The value of the grouping label.
    pub name: String,
    pub traffic: Option<Traffic>,
    pub latency: Option<Latency>,
    pub saturation: Vec<Gauge>,
}

/// The outcome of discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// The label that tells services apart.
    pub label: String,
    /// Why that label, e.g. `the metrics carry a service label`.
    pub label_reason: String,
    pub services: Vec<Service>,
    /// Things worth knowing: what was skipped and why.
    pub notes: Vec<String>,
}

/// What discovery looks for, for the message when nothing is found.
pub const LOOKED_FOR: &str = "request counters (http_requests_total, http_server_requests_total, \
grpc_server_handled_total, *_requests_total) or request-duration histograms \
(*_duration_seconds_bucket, *_latency_seconds_bucket, *_milliseconds_bucket)";

/// Decides the services and their signals from what the server has. `forced_label` is
/// `--service-label`. Fails with a message naming what was looked for when no service has
/// traffic or latency metrics.
pub fn discover(
    series: &[Observed],
    status: &StatusSeen,
    forced_label: Option<&str>,
) -> Result<Discovery, String> {
    let names: BTreeSet<&str> = series.iter().map(|s| s.name.as_str()).collect();
    let roles = classify(&names);
    let signal_series: Vec<&Observed> = series
        .iter()
        .filter(|s| {
            matches!(
                roles.get(&s.name),
                Some(Role::Traffic { .. } | Role::Latency { .. })
            )
        })
        .collect();
    if signal_series.is_empty() {
        return Err(format!(
            "found no metrics to build a dashboard from: looked for {LOOKED_FOR}. \
             Write a config file by hand (see config.example.yaml) and point `signals:` at your metrics"
        ));
    }
    let (label, label_reason) = match forced_label {
        Some(label) => (label.to_string(), "given with --service-label".to_string()),
        None => match GROUP_LABELS
            .iter()
            .find(|l| signal_series.iter().any(|s| s.labels.contains_key(**l)))
        {
            Some(l) => (
                l.to_string(),
                format!("the request metrics carry a `{l}` label"),
            ),
            None => {
                return Err(format!(
                    "the request metrics ({}) carry neither a `service` nor a `job` label; \
                     name the label that tells services apart with --service-label",
                    first_names(signal_series.iter().map(|s| s.name.as_str()))
                ))
            }
        },
    };
    let mut notes = Vec::new();
    // Service → metric names it has.
    let mut by_service: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut unlabelled: BTreeSet<&str> = BTreeSet::new();
    let mut bad_values = 0usize;
    for s in series {
        match s.labels.get(&label).map(String::as_str) {
            Some(v) if !v.is_empty() && !v.chars().any(char::is_control) => {
                by_service.entry(v).or_default().insert(s.name.as_str());
            }
            Some(v) if !v.is_empty() => bad_values += 1,
            _ if roles.contains_key(&s.name) => {
                unlabelled.insert(s.name.as_str());
            }
            _ => {}
        }
    }
    if bad_values > 0 {
        notes.push(format!(
            "{bad_values} series skipped: their `{label}` value has control characters"
        ));
    }
    let signal_unlabelled: Vec<&str> = unlabelled
        .iter()
        .copied()
        .filter(|n| {
            matches!(
                roles.get(*n),
                Some(Role::Traffic { .. } | Role::Latency { .. })
            )
        })
        .collect();
    if !signal_unlabelled.is_empty() {
        notes.push(format!(
            "series without a `{label}` label were left out: {}",
            first_names(signal_unlabelled.iter().copied())
        ));
    }
    let mut services = Vec::new();
    let mut only_other = Vec::new();
    for (name, metrics) in by_service {
        let service = build_service(name, &metrics, &roles, status);
        if service.traffic.is_none() && service.latency.is_none() {
            only_other.push(name);
            continue;
        }
        services.push(service);
    }
    if !only_other.is_empty() {
        notes.push(format!(
            "{} {label} value(s) with no request metrics (only process or saturation metrics) \
             were left out: {}",
            only_other.len(),
            first_names(only_other.iter().copied())
        ));
    }
    if services.is_empty() {
        return Err(format!(
            "no `{label}` value has request metrics: looked for {LOOKED_FOR} carrying a `{label}` \
             label{}",
            if forced_label.is_some() {
                ""
            } else {
                " (name another label with --service-label)"
            }
        ));
    }
    if services.len() > MAX_SERVICES {
        notes.push(format!(
            "{} services found; only the first {MAX_SERVICES} (by name) are configured",
            services.len()
        ));
        services.truncate(MAX_SERVICES);
    }
    Ok(Discovery {
        label,
        label_reason,
        services,
        notes,
    })
}

/// Up to five names, then `and N more`.
fn first_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let all: BTreeSet<&str> = names.collect();
    let mut out: Vec<&str> = all.iter().copied().take(5).collect();
    let more = all.len().saturating_sub(out.len());
    let more = (more > 0).then(|| format!("and {more} more"));
    if let Some(more) = &more {
        out.push(more);
    }
    out.join(", ")
}

fn build_service(
    name: &str,
    metrics: &BTreeSet<&str>,
    roles: &BTreeMap<String, Role>,
    status: &StatusSeen,
) -> Service {
    let traffic = metrics
        .iter()
        .filter_map(|m| match roles.get(*m) {
            Some(Role::Traffic { rank }) => {
                let label = status_label(status.get(*m));
                Some(((label.is_none(), *rank, *m), label))
            }
            _ => None,
        })
        .min()
        .map(|((_, _, metric), label)| {
            let (error_selector, error_reason) = match &label {
                Some((label, values)) => {
                    let (sel, why) = error_matcher(label, values);
                    (Some(sel), Some(why))
                }
                None => (None, None),
            };
            Traffic {
                metric: metric.to_string(),
                status_label: label.map(|(l, _)| l),
                error_selector,
                error_reason,
            }
        });
    // A histogram from the same family as the traffic metric (grpc with grpc) comes first.
    let prefix = traffic
        .as_ref()
        .and_then(|t| t.metric.split('_').next().map(str::to_string));
    let latency = metrics
        .iter()
        .filter_map(|m| match roles.get(*m) {
            Some(Role::Latency {
                family,
                divisor,
                rank,
            }) => {
                let other_family = prefix
                    .as_deref()
                    .is_some_and(|p| family.split('_').next() != Some(p));
                Some(((other_family, *rank, family.clone()), *divisor))
            }
            _ => None,
        })
        .min()
        .map(|((_, _, histogram), divisor)| Latency { histogram, divisor });
    let mut saturation: Vec<Gauge> = Vec::new();
    let mut push = |gauge: Gauge| {
        if saturation.len() < MAX_GAUGES && !saturation.iter().any(|g| g.name == gauge.name) {
            saturation.push(gauge);
        }
    };
    for m in metrics {
        match roles.get(*m) {
            Some(Role::Utilization { gauge, percent }) => push(Gauge {
                name: gauge.clone(),
                query: Some(format!("max by ({{{{by}}}}) ({m}{{ {{{{selector}}}} }})")),
                used: None,
                max: None,
                percent: *percent,
                about: (*m).to_string(),
            }),
            Some(Role::PairUsed { gauge, max }) if metrics.contains(max.as_str()) => push(Gauge {
                name: gauge.clone(),
                query: None,
                used: Some((*m).to_string()),
                max: Some(max.clone()),
                percent: false,
                about: format!("{m} / {max}"),
            }),
            _ => {}
        }
    }
    if metrics.contains("process_open_fds") && metrics.contains("process_max_fds") {
        push(Gauge {
            name: "fds".into(),
            query: None,
            used: Some("process_open_fds".into()),
            max: Some("process_max_fds".into()),
            percent: false,
            about: "process_open_fds / process_max_fds".into(),
        });
    }
    if metrics.contains("process_cpu_seconds_total") {
        push(Gauge {
            name: "cpu".into(),
            query: Some(
                "max by ({{by}}) (rate(process_cpu_seconds_total{ {{selector}} }[{{rate}}]))"
                    .into(),
            ),
            used: None,
            max: None,
            percent: false,
            about: "process_cpu_seconds_total, the busiest process (100% = one core)".into(),
        });
    }
    Service {
        name: name.to_string(),
        traffic,
        latency,
        saturation,
    }
}

/// The preferred status label of a metric and the values seen.
fn status_label(
    seen: Option<&BTreeMap<String, BTreeSet<String>>>,
) -> Option<(String, BTreeSet<String>)> {
    let seen = seen?;
    STATUS_LABELS.iter().find_map(|l| {
        seen.get(*l)
            .filter(|values| !values.is_empty())
            .map(|values| (l.to_string(), values.clone()))
    })
}

/// The matcher that picks failed requests, from the label and the values it takes.
fn error_matcher(label: &str, values: &BTreeSet<String>) -> (String, String) {
    let http_like = |v: &str| {
        v.len() == 3
            && v.chars().next().is_some_and(|c| ('1'..='5').contains(&c))
            && v.chars()
                .skip(1)
                .all(|c| c.is_ascii_digit() || c == 'x' || c == 'X')
    };
    let grpc_like = |v: &str| {
        matches!(
            v,
            "OK" | "Canceled"
                | "Unknown"
                | "InvalidArgument"
                | "NotFound"
                | "Unavailable"
                | "Internal"
                | "DeadlineExceeded"
        )
    };
    if label.contains("grpc") || (!values.is_empty() && values.iter().all(|v| grpc_like(v))) {
        (
            format!("{label}=~\"{GRPC_SERVER_ERRORS}\""),
            "gRPC codes that mean the server failed".into(),
        )
    } else if values.iter().any(|v| http_like(v)) || values.is_empty() {
        (format!("{label}=~\"5..\""), "5xx responses".into())
    } else {
        (
            format!("{label}=~\"(?i)error|failure|failed|fail|server_error\""),
            format!(
                "`{label}` values that mean failure (seen: {})",
                first_names(values.iter().map(String::as_str))
            ),
        )
    }
}

impl Discovery {
    /// One line, e.g. `discovered 3 services by service from http_requests_total`.
    pub fn summary(&self) -> String {
        let metrics: BTreeSet<&str> = self
            .services
            .iter()
            .filter_map(|s| s.traffic.as_ref().map(|t| t.metric.as_str()))
            .collect();
        let from = if metrics.is_empty() {
            "latency histograms".to_string()
        } else {
            first_names(metrics.into_iter())
        };
        format!(
            "discovered {} service{} by {} from {from}",
            self.services.len(),
            if self.services.len() == 1 { "" } else { "s" },
            self.label,
        )
    }

    /// The commented YAML config of this discovery, for source `url`. `access` is YAML for the
    /// source's other keys (auth, TLS, headers), each line indented by four spaces, or empty.
    /// `header` is extra comment text (where and when it was discovered), one line per line.
    pub fn to_yaml(&self, url: &str, access: &str, header: &str) -> String {
        let mut out = String::from("# sretop configuration, written by `sretop config init`.\n");
        for h in header.lines() {
            out.push_str(&format!("# {}\n", clean(h)));
        }
        out.push_str(YAML_INTRO);
        for note in &self.notes {
            out.push_str(&format!("# Note: {}\n", clean(note)));
        }
        out.push_str(YAML_POLLING);
        out.push_str(&format!(
            "    url: {}\n{access}    # The label that tells services apart: {}.\n    service_label: {}\n\n",
            // `$` would start a ${VAR} expansion; `$$` is a literal one.
            quote(&url.replace('$', "$$")),
            clean(&self.label_reason),
            quote(&self.label)
        ));
        let defaults = self.defaults();
        out.push_str(YAML_SIGNALS);
        match &defaults.traffic {
            Some(t) => {
                out.push_str("  # Request counter (traffic is its rate).\n");
                out.push_str(&format!("  requests_metric: {}\n", quote(&t.metric)));
                if let (Some(sel), Some(why)) = (&t.error_selector, &t.error_reason) {
                    out.push_str(&format!("  # Failed requests: {}.\n", clean(why)));
                    out.push_str(&format!("  error_selector: {}\n", quote(sel)));
                }
            }
            None => out.push_str(
                "  # No request counter with a status label is shared: requests_metric keeps its\n  # default and the services say their own `queries:`.\n",
            ),
        }
        match &defaults.latency {
            Some(l) => {
                out.push_str("  # Request duration histogram, the name without _bucket.\n");
                out.push_str(&format!("  latency_histogram: {}\n", quote(&l.histogram)));
            }
            None => out.push_str(
                "  # No latency histogram in seconds found: latency_histogram keeps its default.\n",
            ),
        }
        out.push_str(YAML_GAUGES);
        write_gauges(&mut out, "  ", "saturation", &defaults.saturation);
        out.push_str(YAML_THRESHOLDS);
        out.push_str(&format!(
            "\n# The services, one per `{}` value, in this order.\n",
            clean(&self.label)
        ));
        out.push_str(YAML_SERVICES);
        for s in &self.services {
            self.write_service(&mut out, s, &defaults);
        }
        out
    }

    fn write_service(&self, out: &mut String, s: &Service, defaults: &Defaults) {
        let mut found = Vec::new();
        match &s.traffic {
            Some(t) => found.push(format!(
                "traffic {}{}",
                t.metric,
                match (&t.status_label, &t.error_reason) {
                    (Some(l), Some(why)) => format!(" (errors by `{l}`: {why})"),
                    _ => " (no status label: no error ratio)".into(),
                }
            )),
            None => found.push("no request counter".into()),
        }
        match &s.latency {
            Some(l) => found.push(format!(
                "latency {}{}",
                l.histogram,
                if l.divisor == 1000 {
                    " (milliseconds)"
                } else {
                    ""
                }
            )),
            None => found.push("no latency histogram".into()),
        }
        if s.saturation.is_empty() {
            found.push("no saturation gauges".into());
        } else {
            let gauges: Vec<String> = s.saturation.iter().map(|g| g.about.clone()).collect();
            found.push(format!("saturation {}", gauges.join(", ")));
        }
        out.push_str(&format!("  # {}:\n", clean(&s.name)));
        for f in &found {
            out.push_str(&format!("  #   {}\n", clean(f)));
        }
        out.push_str(&format!("  - name: {}\n", quote(&s.name)));
        let mut queries = Vec::new();
        match &s.traffic {
            Some(t) if Some(t) != defaults.traffic.as_ref() => {
                queries.push((
                    "traffic",
                    format!(
                        "sum by ({{{{by}}}}) (rate({}{{ {{{{selector}}}} }}[{{{{rate}}}}]))",
                        t.metric
                    ),
                ));
                queries.push((
                    "errors",
                    match &t.error_selector {
                        Some(sel) => format!(
                            "sum by ({{{{by}}}}) (rate({}{{ {{{{selector}}}},{sel} }}[{{{{rate}}}}]))",
                            t.metric
                        ),
                        // No status label: no error series rather than a made-up zero.
                        None => "vector(0) unless vector(0)".into(),
                    },
                ));
            }
            _ => {}
        }
        match &s.latency {
            Some(l) if Some(l) != defaults.latency.as_ref() => {
                let q = format!(
                    "histogram_quantile({{{{quantile}}}}, sum by ({{{{by}}}}, le) (rate({}_bucket{{ {{{{selector}}}} }}[{{{{rate}}}}])))",
                    l.histogram
                );
                queries.push((
                    "latency",
                    if l.divisor == 1 {
                        q
                    } else {
                        format!("{q} / {}", l.divisor)
                    },
                ));
            }
            _ => {}
        }
        if !queries.is_empty() {
            out.push_str("    # This service's metrics differ from `signals:`.\n");
            out.push_str("    queries:\n");
            for (key, q) in queries {
                out.push_str(&format!("      {key}: {}\n", quote(&q)));
            }
        }
        if s.saturation != defaults.saturation {
            write_gauges(out, "    ", "saturation", &s.saturation);
        }
    }

    /// The settings most services share, written once under `signals:`.
    fn defaults(&self) -> Defaults {
        fn most_common<T: Clone + Ord>(items: impl Iterator<Item = T>) -> Option<T> {
            let mut counts: BTreeMap<T, usize> = BTreeMap::new();
            for item in items {
                *counts.entry(item).or_default() += 1;
            }
            // Ties go to the first in order, so the outcome does not depend on hash order.
            let max = counts.values().copied().max()?;
            counts.into_iter().find(|(_, n)| *n == max).map(|(t, _)| t)
        }
        let traffic = most_common(self.services.iter().filter_map(|s| {
            s.traffic.as_ref().map(|t| {
                (
                    t.metric.clone(),
                    t.status_label.clone(),
                    t.error_selector.clone(),
                    t.error_reason.clone(),
                )
            })
        }))
        .map(
            |(metric, status_label, error_selector, error_reason)| Traffic {
                metric,
                status_label,
                error_selector,
                error_reason,
            },
        )
        // A default without an error selector would keep the built-in `code=~"5.."`.
        .filter(|t| t.error_selector.is_some());
        let latency = most_common(
            self.services
                .iter()
                .filter_map(|s| s.latency.as_ref())
                .filter(|l| l.divisor == 1)
                .map(|l| l.histogram.clone()),
        )
        .map(|histogram| Latency {
            histogram,
            divisor: 1,
        });
        let saturation = most_common(self.services.iter().map(|s| {
            s.saturation
                .iter()
                .map(|g| {
                    (
                        g.name.clone(),
                        g.query.clone(),
                        g.used.clone(),
                        g.max.clone(),
                        g.percent,
                        g.about.clone(),
                    )
                })
                .collect::<Vec<_>>()
        }))
        .unwrap_or_default()
        .into_iter()
        .map(|(name, query, used, max, percent, about)| Gauge {
            name,
            query,
            used,
            max,
            percent,
            about,
        })
        .collect();
        Defaults {
            traffic,
            latency,
            saturation,
        }
    }
}

const YAML_INTRO: &str = "\
#
# Found by looking at the metric names the server has and the labels they carry: request
# counters with a status label, request-duration histograms and saturation gauges. Edit it
# freely: `sretop check` prints the queries it makes, and config.example.yaml shows every
# setting. Unknown keys are errors.
";

const YAML_POLLING: &str = "
# How often the dashboard polls while live, and the time range it opens with.
refresh: 15s
range: 1h

# Prometheus-compatible sources. Credentials go in `auth:` (see config.example.yaml).
sources:
  - name: default
";

const YAML_SIGNALS: &str = "\
# How the golden signals are queried for every service that does not say otherwise
# (a service's `queries:` replaces them; templates may use {{selector}}, {{by}}, {{rate}}
# and, in latency, {{quantile}}).
signals:
  # The rate() window.
  rate_window: 1m
";

const YAML_GAUGES: &str = "  quantiles: [0.5, 0.95, 0.99]
  # Saturation gauges, in percent on screen: a `query` returning a ratio 0..1 (or
  # `unit: percent`), or `used` and `max` metric names.
";

const YAML_THRESHOLDS: &str = "
# Colours: a value at or past warn is yellow, at or past crit red.
thresholds:
  # Error ratio, 0..1.
  errors: {warn: 0.01, crit: 0.05}
  # Latency of the highest quantile, in seconds.
  latency: {warn: 0.5, crit: 1.0}
  # Saturation, in percent.
  saturation: {warn: 75, crit: 90}
";

const YAML_SERVICES: &str = "\
# Each can also take `selector`, `thresholds`, `saturation`, `queries` and `slos`
# (see config.example.yaml). To show one under another name, change `name` and set
# `label_value` to the old one.
services:
";

struct Defaults {
    traffic: Option<Traffic>,
    latency: Option<Latency>,
    saturation: Vec<Gauge>,
}

fn write_gauges(out: &mut String, indent: &str, key: &str, gauges: &[Gauge]) {
    if gauges.is_empty() {
        out.push_str(&format!("{indent}{key}: []\n"));
        return;
    }
    out.push_str(&format!("{indent}{key}:\n"));
    for g in gauges {
        out.push_str(&format!("{indent}  # {}\n", clean(&g.about)));
        out.push_str(&format!("{indent}  - name: {}\n", quote(&g.name)));
        if let Some(q) = &g.query {
            out.push_str(&format!("{indent}    query: {}\n", quote(q)));
            out.push_str(&format!(
                "{indent}    unit: {}\n",
                if g.percent { "percent" } else { "ratio" }
            ));
        }
        if let (Some(used), Some(max)) = (&g.used, &g.max) {
            out.push_str(&format!("{indent}    used: {}\n", quote(used)));
            out.push_str(&format!("{indent}    max: {}\n", quote(max)));
        }
    }
}

/// A YAML scalar for `s`: plain when it is a simple word that YAML reads as that string,
/// else single-quoted (only `'` needs escaping, as `''`). Callers never pass line breaks
/// (label values with control characters are skipped).
fn quote(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "nan" | "inf"
        );
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// Text safe inside a `#` comment: control characters become spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn obs(name: &str, labels: &[(&str, &str)]) -> Observed {
        Observed {
            name: name.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn status(rows: &[(&str, &str, &[&str])]) -> StatusSeen {
        let mut out = StatusSeen::new();
        for (metric, label, values) in rows {
            out.entry(metric.to_string()).or_default().insert(
                label.to_string(),
                values.iter().map(|v| v.to_string()).collect(),
            );
        }
        out
    }

    /// What the demo exporter exposes, as Prometheus scrapes it (job=demo on everything).
    fn demo() -> (Vec<Observed>, StatusSeen) {
        let mut series = Vec::new();
        for svc in ["api", "checkout", "search"] {
            for name in [
                "http_requests_total",
                "http_request_duration_seconds_bucket",
                "http_request_duration_seconds_count",
                "cpu_utilization_ratio",
                "db_pool_connections_in_use",
                "db_pool_connections_max",
            ] {
                series.push(obs(name, &[("job", "demo"), ("service", svc)]));
            }
        }
        let status = status(&[("http_requests_total", "code", &["200", "404", "500", "503"])]);
        (series, status)
    }

    fn load(yaml: &str) -> crate::config::Config {
        crate::config::parse(yaml, Path::new("discovered.yaml"))
            .unwrap_or_else(|e| panic!("{e}\n{yaml}"))
    }

    #[test]
    fn candidates_cover_the_conventions_and_skip_the_rest() {
        let all: Vec<String> = [
            "http_requests_total",
            "grpc_server_handled_total",
            "http_client_requests_total",
            "http_request_duration_seconds_bucket",
            "http_request_duration_seconds_sum",
            "rpc_latency_milliseconds_bucket",
            "go_gc_duration_seconds",
            "cpu_utilization_ratio",
            "db_pool_connections_in_use",
            "db_pool_connections_max",
            "jvm_memory_used_bytes",
            "jvm_memory_max_bytes",
            "process_cpu_seconds_total",
            "process_open_fds",
            "process_max_fds",
            "queue_length",
            "up",
            "weird name",
        ]
        .map(String::from)
        .to_vec();
        let c = candidate_names(&all);
        assert_eq!(c[0], "http_requests_total");
        for want in [
            "grpc_server_handled_total",
            "http_request_duration_seconds_bucket",
            "rpc_latency_milliseconds_bucket",
            "cpu_utilization_ratio",
            "db_pool_connections_in_use",
            "db_pool_connections_max",
            "jvm_memory_used_bytes",
            "jvm_memory_max_bytes",
            "process_cpu_seconds_total",
            "process_open_fds",
            "process_max_fds",
        ] {
            assert!(c.iter().any(|n| n == want), "{want} missing from {c:?}");
        }
        for not in [
            "http_client_requests_total",
            "http_request_duration_seconds_sum",
            "go_gc_duration_seconds",
            "queue_length",
            "up",
            "weird name",
        ] {
            assert!(!c.iter().any(|n| n == not), "{not} in {c:?}");
        }
        assert_eq!(
            traffic_names(&c),
            vec!["http_requests_total", "grpc_server_handled_total"]
        );
    }

    #[test]
    fn the_demo_is_found_by_service_with_every_signal() {
        let (series, status) = demo();
        let d = discover(&series, &status, None).expect("found");
        assert_eq!(d.label, "service");
        let names: Vec<&str> = d.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["api", "checkout", "search"]);
        let api = &d.services[0];
        let t = api.traffic.as_ref().expect("traffic");
        assert_eq!(t.metric, "http_requests_total");
        assert_eq!(t.error_selector.as_deref(), Some(r#"code=~"5..""#));
        assert_eq!(
            api.latency.as_ref().map(|l| l.histogram.as_str()),
            Some("http_request_duration_seconds")
        );
        let gauges: Vec<&str> = api.saturation.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(gauges, ["cpu", "db_pool"]);
        assert!(d
            .summary()
            .contains("3 services by service from http_requests_total"));

        let config = load(&d.to_yaml("http://127.0.0.1:9090", "", "from a test"));
        assert_eq!(config.sources[0].service_label, "service");
        assert_eq!(config.signals.requests_metric, "http_requests_total");
        assert_eq!(config.signals.error_selector, r#"code=~"5..""#);
        assert_eq!(config.signals.saturation.len(), 2);
        assert_eq!(config.services.len(), 3);
        // Every service uses the shared defaults: one query per signal for all of them.
        assert!(config
            .services
            .iter()
            .all(|s| s.queries == Default::default() && s.saturation.is_none()));
        let plans = crate::domain::signals::plan(&config, "default");
        assert_eq!(plans.len(), 7);
        assert_eq!(
            plans[0].promql("1m"),
            r#"sum by (service) (rate(http_requests_total{service=~"api|checkout|search"}[1m]))"#
        );
        assert!(plans[5].promql("1m").contains("cpu_utilization_ratio"));
    }

    #[test]
    fn without_a_service_label_jobs_are_services_and_the_label_can_be_forced() {
        let series = vec![
            obs("http_requests_total", &[("job", "web"), ("app", "shop")]),
            obs(
                "grpc_server_handled_total",
                &[("job", "users"), ("app", "accounts")],
            ),
            obs(
                "grpc_server_handling_seconds_bucket",
                &[("job", "users"), ("app", "accounts")],
            ),
            obs(
                "process_cpu_seconds_total",
                &[("job", "node"), ("app", "host")],
            ),
            obs(
                "process_cpu_seconds_total",
                &[("job", "web"), ("app", "shop")],
            ),
        ];
        let status = status(&[
            ("http_requests_total", "status", &["200", "500"]),
            (
                "grpc_server_handled_total",
                "grpc_code",
                &["OK", "NotFound"],
            ),
        ]);
        let d = discover(&series, &status, None).expect("found");
        assert_eq!(d.label, "job");
        let names: Vec<&str> = d.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["users", "web"]);
        assert!(
            d.notes.iter().any(|n| n.contains("node")),
            "a job with only process metrics is named in the notes: {:?}",
            d.notes
        );
        let users = &d.services[0];
        let t = users.traffic.as_ref().expect("traffic");
        assert_eq!(t.metric, "grpc_server_handled_total");
        assert!(t
            .error_selector
            .as_deref()
            .is_some_and(|s| s.starts_with("grpc_code=~") && s.contains("Unavailable")));
        assert_eq!(
            users.latency.as_ref().map(|l| l.histogram.as_str()),
            Some("grpc_server_handling_seconds")
        );
        let web = &d.services[1];
        assert_eq!(
            web.traffic
                .as_ref()
                .and_then(|t| t.error_selector.as_deref()),
            Some(r#"status=~"5..""#)
        );
        assert!(web.latency.is_none());
        assert_eq!(web.saturation[0].name, "cpu");

        let config = load(&d.to_yaml("http://p:9090", "", ""));
        // One of the two traffic metrics is the default, the other service overrides it.
        let overridden: Vec<&str> = config
            .services
            .iter()
            .filter(|s| s.queries.traffic.is_some())
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(overridden.len(), 1, "{overridden:?}");
        let plans = crate::domain::signals::plan(&config, "default");
        assert!(plans.iter().any(|p| p
            .promql("1m")
            .contains(r#"grpc_server_handled_total{ job="users" }"#)
            || p.promql("1m")
                .contains(r#"grpc_server_handled_total{job="users""#)));

        let forced = discover(&series, &status, Some("app")).expect("found");
        assert_eq!(forced.label, "app");
        assert_eq!(forced.label_reason, "given with --service-label");
        let names: Vec<&str> = forced.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["accounts", "shop"]);
    }

    #[test]
    fn milliseconds_histograms_are_scaled_and_traffic_only_services_load() {
        let series = vec![
            obs("api_requests_total", &[("service", "legacy")]),
            obs("rpc_latency_milliseconds_bucket", &[("service", "legacy")]),
            obs("process_cpu_seconds_total", &[("service", "legacy")]),
            obs("http_requests_total", &[("service", "plain")]),
            obs("http_requests_total", &[("service", "third")]),
            obs("process_cpu_seconds_total", &[("service", "third")]),
        ];
        // `plain` has no status label at all.
        let status = status(&[("api_requests_total", "status", &["ok", "error"])]);
        let d = discover(&series, &status, None).expect("found");
        let legacy = &d.services[0];
        assert_eq!(legacy.latency.as_ref().map(|l| l.divisor), Some(1000));
        let t = legacy.traffic.as_ref().expect("traffic");
        assert!(t
            .error_selector
            .as_deref()
            .is_some_and(|s| s.contains("error")));
        let plain = &d.services[1];
        assert!(plain
            .traffic
            .as_ref()
            .is_some_and(|t| t.status_label.is_none()));
        assert!(plain.latency.is_none() && plain.saturation.is_empty());
        assert_eq!(d.services[2].saturation[0].name, "cpu");

        let yaml = d.to_yaml("http://p:9090", "", "");
        assert!(yaml.contains("no status label: no error ratio"), "{yaml}");
        let config = load(&yaml);
        let legacy = &config.services[0];
        assert!(legacy
            .queries
            .latency
            .as_deref()
            .is_some_and(|q| q.ends_with("/ 1000") && q.contains("{{quantile}}")));
        let plain = &config.services[1];
        assert_eq!(
            plain.queries.errors.as_deref(),
            Some("vector(0) unless vector(0)")
        );
        // The CPU gauge most services have is the default; `plain` has none and says so.
        assert_eq!(config.signals.saturation.len(), 1);
        assert_eq!(plain.saturation.as_deref(), Some(&[][..]));
        assert_eq!(config.services[2].saturation, None);
    }

    #[test]
    fn nothing_conventional_is_a_clear_error() {
        let series = vec![
            obs("up", &[("job", "x")]),
            obs("process_cpu_seconds_total", &[("job", "x")]),
        ];
        let err = discover(&series, &StatusSeen::new(), None).expect_err("nothing");
        assert!(
            err.contains("http_requests_total") && err.contains("_bucket"),
            "{err}"
        );
        // Request metrics, but not with the label asked for.
        let (series, status) = demo();
        let err = discover(&series, &status, Some("team")).expect_err("no team label");
        assert!(err.contains("`team`"), "{err}");
    }

    #[test]
    fn awkward_label_values_are_quoted_or_skipped() {
        let series = vec![
            obs("http_requests_total", &[("service", "it's: {odd} # yes")]),
            obs("http_requests_total", &[("service", "bad\nname")]),
        ];
        let d = discover(&series, &StatusSeen::new(), None).expect("found");
        assert_eq!(d.services.len(), 1);
        assert!(d.notes.iter().any(|n| n.contains("control characters")));
        let config = load(&d.to_yaml("http://p:9090/x?a=$b", "", "line one\nline two"));
        assert_eq!(config.services[0].name, "it's: {odd} # yes");
        assert_eq!(config.sources[0].url, "http://p:9090/x?a=$b");
    }
}
