//! The YAML schema of `config.yaml`. Every struct rejects unknown keys, so a typo is an error
//! that names the file, line, column and field instead of a silently ignored setting.
//!
//! Durations are written the Prometheus way (`15s`, `5m`, `1h30m`, `30d`) and parsed into
//! [`Duration`]. Secrets never live in this file as plain values that could be logged: they come
//! from an environment variable or a file ([`SecretSource`]).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::duration::Duration;
use super::slo::*;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Config {
    /// How often the dashboard polls its sources while live.
    #[serde(default = "default_refresh")]
    pub refresh: Duration,
    /// The time range shown when the dashboard opens (one of `ranges`, or any duration).
    #[serde(default = "default_range")]
    pub range: Duration,
    /// The ranges `+`/`-` step through.
    #[serde(default = "default_ranges")]
    pub ranges: Vec<Duration>,
    /// Time zone for times on screen: `local` or `utc`.
    #[serde(default)]
    pub time_zone: TimeZoneChoice,
    /// The source used by services that do not name one (like a kubectl context).
    #[serde(default)]
    pub context: Option<String>,
    /// Prometheus-compatible sources (Prometheus, VictoriaMetrics, Thanos, Mimir).
    pub sources: Vec<SourceConfig>,
    /// Defaults for how the golden signals are queried.
    #[serde(default)]
    pub signals: SignalDefaults,
    /// Colour thresholds for every service, unless a service overrides them.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// The services shown on the overview, in this order.
    #[serde(default)]
    pub services: Vec<ServiceConfig>,
    /// Named multi-window, multi-burn-rate alert sets (besides the built-in `google-30d` and
    /// `google-28d`).
    #[serde(default)]
    pub alert_windows: AlertWindowSets,
    /// The error-budget policy.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// Defaults for every SLO.
    #[serde(default)]
    pub slo_defaults: SloDefaults,
    /// SLO definitions in Sloth or OpenSLO files.
    #[serde(default)]
    pub imports: Vec<ImportConfig>,
    /// Alertmanagers (API v2) to read alerts and silences from, with the same connection
    /// options as `sources` (`service_label` is not used). Members of an HA pair are listed
    /// one by one; their alerts are shown once.
    #[serde(default)]
    pub alertmanagers: Vec<SourceConfig>,
    /// How alerts are read and listed.
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// Refuse every write (creating and expiring silences); the keys are hidden from help.
    #[serde(default)]
    pub read_only: bool,
    /// Colour scheme, `dark` or `light` (`--theme` wins); default dark.
    #[serde(default)]
    pub theme: Option<crate::ui::palette::ThemeName>,
    /// Colours the terminal shows, `16`, `256` or `truecolor` (`--colors` wins); default:
    /// detected from `$COLORTERM` and `$TERM`.
    #[serde(default)]
    pub colors: Option<crate::ui::palette::ColorDepth>,
    /// The on-call rotation and escalation policy.
    #[serde(default)]
    pub oncall: Option<super::oncall::OnCallConfig>,
    /// Where shift handoff notes are kept.
    #[serde(default)]
    pub handoff: HandoffConfig,
    /// Key remaps: action name → one key or a list of keys (`quit: ["q", "ctrl+q"]`,
    /// `filter: "ctrl+f"`). A remap replaces the action's default keys; Ctrl-C always quits.
    #[serde(default)]
    pub keys: BTreeMap<String, KeyList>,
    /// Capture the mouse (the wheel moves through lists, a click selects an overview, SLO or
    /// alert row, a second click opens it). Off by default: while the mouse is captured the terminal cannot select text.
    #[serde(default)]
    pub mouse: bool,
    /// Not part of the file: what the imports could not carry over (each message names the
    /// imported file and the SLO). Filled by [`parse`](super::parse); [`warnings`](super::warnings)
    /// includes them.
    #[serde(skip)]
    pub import_warnings: Vec<String>,
    /// The headers (field paths, e.g. `sources[0].headers.Authorization`) that carry a
    /// credential written literally in the file rather than as `${VAR}`: a warning when the
    /// file is readable by every user.
    #[serde(skip)]
    pub literal_credentials: Vec<String>,
}

/// The keys of one action in `keys:`: one key (`"ctrl+f"`) or a list (`["q", "ctrl+q"]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyList(pub Vec<String>);

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = KeyList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key like \"ctrl+f\" or a list of keys like [\"q\", \"ctrl+q\"]")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<KeyList, E> {
                Ok(KeyList(vec![v.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element::<String>()? {
                    keys.push(key);
                }
                Ok(KeyList(keys))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Where shift handoff notes are kept.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct HandoffConfig {
    /// Directory of the notes (one Markdown file each), e.g. a git checkout or a shared
    /// folder; default `$XDG_DATA_HOME/sretop/handoff` (`~/.local/share/sretop/handoff`).
    #[serde(default)]
    pub dir: Option<PathBuf>,
}

/// How alerts are read and listed.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct AlertsConfig {
    /// How often alerts and silences are polled; default: `refresh`.
    #[serde(default)]
    pub refresh: Option<Duration>,
    /// Read `/api/v1/alerts` and the alerting rules of the current Prometheus source too.
    #[serde(default = "yes")]
    pub from_prometheus: bool,
    /// Labels alerts are grouped by in the list (like a route's `group_by`); default
    /// `[alertname]`; `[...]` lists every alert on its own.
    #[serde(default)]
    pub group_by: Vec<String>,
    /// Labels that tell replicas apart and are not part of an alert's identity (the external
    /// labels of HA Prometheus pairs).
    #[serde(default = "default_external_labels")]
    pub external_labels: Vec<String>,
    /// Ring the terminal bell when an alert starts firing.
    #[serde(default)]
    pub bell: bool,
    /// The author written into new silences; default: `$USER`.
    #[serde(default)]
    pub author: Option<String>,
    /// The duration a new silence form starts with.
    #[serde(default = "default_silence_duration")]
    pub silence_duration: Duration,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            refresh: None,
            from_prometheus: true,
            group_by: Vec::new(),
            external_labels: default_external_labels(),
            bell: false,
            author: None,
            silence_duration: default_silence_duration(),
        }
    }
}

fn yes() -> bool {
    true
}
fn default_external_labels() -> Vec<String> {
    ["prometheus", "prometheus_replica", "replica"]
        .map(String::from)
        .to_vec()
}
fn default_silence_duration() -> Duration {
    Duration::from_secs(2 * 3600)
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TimeZoneChoice {
    #[default]
    Local,
    Utc,
}

/// One Prometheus HTTP API endpoint.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SourceConfig {
    pub name: String,
    /// Base URL, e.g. `http://prometheus:9090`. `${VAR}` is expanded.
    pub url: String,
    /// A path prefix in front of `/api/v1` (e.g. `/prometheus` for Mimir, `/select/0/prometheus`
    /// for a VictoriaMetrics cluster).
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Per-request timeout: how soon a hung server is noticed.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// Timeout of the slow queries only (SLO windows of a day or more, refreshed every
    /// `slo_defaults.long_refresh`); never shorter than `timeout`.
    #[serde(default = "default_slow_timeout")]
    pub slow_timeout: Duration,
    /// Credentials, written as a map: `auth: {bearer_token: {env: VAR}}` or
    /// `auth: {basic: {username: u, password: {file: /path}}}`.
    #[serde(
        default,
        deserialize_with = "serde_yaml::with::singleton_map_recursive::deserialize"
    )]
    pub auth: Option<AuthConfig>,
    /// Extra headers sent with every request, e.g. `X-Scope-OrgID`. Values expand `${VAR}`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A PEM file with the CA certificate(s) that sign the server's certificate.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Skip TLS certificate verification. Dangerous; the dashboard shows a warning while set.
    #[serde(default)]
    pub insecure_skip_verify: bool,
    /// The label that tells services apart in this source's metrics.
    #[serde(default = "default_service_label")]
    pub service_label: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum AuthConfig {
    /// `Authorization: Bearer <token>`.
    BearerToken(SecretSource),
    /// HTTP basic auth.
    Basic {
        username: String,
        password: SecretSource,
    },
}

/// Where a secret comes from. Never a literal in the file.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum SecretSource {
    /// The name of an environment variable holding the secret.
    Env(String),
    /// A file holding the secret (surrounding whitespace is trimmed).
    File(PathBuf),
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::Env(name) => write!(f, "Env({name})"),
            SecretSource::File(path) => write!(f, "File({})", path.display()),
        }
    }
}

/// How signals are queried when a service does not say otherwise. The defaults follow the
/// conventional metric names of the Prometheus client libraries.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case", default)]
pub struct SignalDefaults {
    /// The `rate()` window. Raised to the query step when the step is longer.
    pub rate_window: Duration,
    /// Request counter, labelled with a status code.
    pub requests_metric: String,
    /// Matchers (without braces) that select failed requests among `requests_metric`.
    pub error_selector: String,
    /// Request duration histogram (the name without `_bucket`).
    pub latency_histogram: String,
    /// Quantiles computed from the histogram buckets.
    pub quantiles: Vec<f64>,
    /// Saturation gauges shown as a percentage.
    pub saturation: Vec<SaturationConfig>,
    /// Extra matchers (without braces) added to every default query, e.g. `env="prod"`.
    pub selector: Option<String>,
}

impl Default for SignalDefaults {
    fn default() -> Self {
        SignalDefaults {
            rate_window: Duration::from_secs(60),
            requests_metric: "http_requests_total".into(),
            error_selector: r#"code=~"5..""#.into(),
            latency_histogram: "http_request_duration_seconds".into(),
            quantiles: vec![0.5, 0.95, 0.99],
            saturation: Vec::new(),
            selector: None,
        }
    }
}

/// One saturation gauge. Either `query` (a template returning a value per service) or
/// `used` + `max` metric names (their ratio).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SaturationConfig {
    /// Short name shown on screen, e.g. `cpu` or `pool`.
    pub name: String,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub used: Option<String>,
    #[serde(default)]
    pub max: Option<String>,
    /// What `query` returns: a ratio 0..1 (default) or a percentage 0..100.
    #[serde(default)]
    pub unit: SaturationUnit,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SaturationUnit {
    #[default]
    Ratio,
    Percent,
}

/// Colour thresholds. A value at or past `warn` is yellow, at or past `crit` red.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case", default)]
pub struct Thresholds {
    /// Error ratio, 0..1 (0.01 = 1% of requests fail).
    pub errors: Level,
    /// Latency of the highest configured quantile, in seconds.
    pub latency: Level,
    /// Saturation, in percent.
    pub saturation: Level,
    /// Traffic in requests per second; lower is worse (a drop to zero is an outage too).
    pub traffic: Option<LowLevel>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            errors: Level {
                warn: 0.01,
                crit: 0.05,
            },
            latency: Level {
                warn: 0.5,
                crit: 1.0,
            },
            saturation: Level {
                warn: 75.0,
                crit: 90.0,
            },
            traffic: None,
        }
    }
}

/// Higher is worse.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub warn: f64,
    pub crit: f64,
}

/// Lower is worse.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LowLevel {
    pub warn_below: f64,
    pub crit_below: f64,
}

/// Per-service overrides of the thresholds; unset fields inherit the global ones.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct ThresholdOverrides {
    #[serde(default)]
    pub errors: Option<Level>,
    #[serde(default)]
    pub latency: Option<Level>,
    #[serde(default)]
    pub saturation: Option<Level>,
    #[serde(default)]
    pub traffic: Option<LowLevel>,
}

/// One service on the dashboard.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct ServiceConfig {
    pub name: String,
    /// The source this service is read from; default: the current context.
    #[serde(default)]
    pub source: Option<String>,
    /// The value of the source's `service_label` for this service; default: `name`.
    #[serde(default)]
    pub label_value: Option<String>,
    /// Extra matchers (without braces) that narrow this service's series, e.g. `env="prod"`.
    #[serde(default)]
    pub selector: Option<String>,
    #[serde(default)]
    pub thresholds: ThresholdOverrides,
    /// Replace one or more default queries for this service only.
    #[serde(default)]
    pub queries: QueryOverrides,
    /// Saturation gauges for this service; default: `signals.saturation`.
    #[serde(default)]
    pub saturation: Option<Vec<SaturationConfig>>,
    /// Service level objectives.
    #[serde(default)]
    pub slos: Vec<SloConfig>,
}

/// PromQL templates. Placeholders: `{{selector}}` (the service's matchers, without braces),
/// `{{by}}` (the service label), `{{rate}}` (the rate window), and in `latency`, `{{quantile}}`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct QueryOverrides {
    /// Requests per second.
    #[serde(default)]
    pub traffic: Option<String>,
    /// Failed requests per second (the error ratio is this over `traffic`).
    #[serde(default)]
    pub errors: Option<String>,
    /// Latency in seconds at `{{quantile}}`.
    #[serde(default)]
    pub latency: Option<String>,
}

pub(crate) fn default_refresh() -> Duration {
    Duration::from_secs(15)
}
pub(crate) fn default_range() -> Duration {
    Duration::from_secs(3600)
}
pub fn default_ranges() -> Vec<Duration> {
    [15 * 60, 3600, 6 * 3600, 12 * 3600, 24 * 3600]
        .into_iter()
        .map(Duration::from_secs)
        .collect()
}
pub(crate) fn default_timeout() -> Duration {
    Duration::from_secs(5)
}
pub(crate) fn default_slow_timeout() -> Duration {
    Duration::from_secs(30)
}
pub fn default_service_label() -> String {
    "service".into()
}
