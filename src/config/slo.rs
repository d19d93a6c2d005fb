//! The SLO part of the config: objectives per service, alert window sets, the error-budget
//! policy, and imports of Sloth and OpenSLO files. Alternatives are written as maps with one
//! key (`window: {rolling: 30d}`, `sli: {latency: {...}}`); validation checks that exactly one
//! is given.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::duration::Duration;

/// One service level objective.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SloConfig {
    /// Unique within the service, e.g. `availability`, `latency-300ms`.
    pub name: String,
    /// Target in percent, e.g. 99.9.
    pub objective: f64,
    /// Default: `slo_defaults.window` (rolling 30d).
    #[serde(default)]
    pub window: Option<SloWindow>,
    /// Default: `slo_defaults.budgeting` (occurrences).
    #[serde(default)]
    pub budgeting: Option<Budgeting>,
    /// Required when `budgeting: timeslices`.
    #[serde(default)]
    pub time_slice: Option<TimeSlice>,
    pub sli: SliConfig,
    /// Name of an alert window set (`alert_windows`, or built-in `google-30d` / `google-28d`).
    /// Default: `slo_defaults.alert_windows`, else the built-in set scaled to the window.
    #[serde(default)]
    pub alert_windows: Option<String>,
    /// Links the SLO to the alerts that page for it.
    #[serde(default)]
    pub alerting: Option<SloAlerting>,
    /// Free text shown in the drill-down.
    #[serde(default)]
    pub description: Option<String>,
}

/// The compliance window: rolling, or a calendar period (UTC).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SloWindow {
    #[serde(default)]
    pub rolling: Option<Duration>,
    #[serde(default)]
    pub calendar: Option<CalendarPeriod>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CalendarPeriod {
    Week,
    Month,
}

/// How the budget is counted.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Budgeting {
    /// Bad events over valid events over the window (request-based).
    #[default]
    Occurrences,
    /// The fraction of good time slices.
    Timeslices,
}

/// A time slice is good when its own success ratio is at least `target`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct TimeSlice {
    /// Slice length, e.g. 1m.
    pub window: Duration,
    /// Success ratio (0..1) a slice needs to count as good, e.g. 0.99.
    pub target: f64,
}

/// What counts as good and bad. Exactly one of the three.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SliConfig {
    #[serde(default)]
    pub availability: Option<AvailabilitySli>,
    #[serde(default)]
    pub latency: Option<LatencySli>,
    #[serde(default)]
    pub events: Option<EventsSli>,
}

/// Requests that failed, from the request counter.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct AvailabilitySli {
    /// Matchers (without braces) for failed requests. Default: `signals.error_selector`.
    #[serde(default)]
    pub error_selector: Option<String>,
    /// Request counter. Default: `signals.requests_metric`.
    #[serde(default)]
    pub metric: Option<String>,
}

/// Requests slower than a threshold, from histogram buckets (`bucket{le=T} / count`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct LatencySli {
    /// Histogram name without `_bucket`. Default: `signals.latency_histogram`.
    #[serde(default)]
    pub histogram: Option<String>,
    /// Threshold in seconds; must be one of the histogram's bucket boundaries (`le`).
    pub threshold: f64,
}

/// Raw PromQL templates. `{{window}}` (also Sloth's `{{.window}}`) is replaced by each window
/// length; `{{selector}}` and `{{by}}` as in the golden-signal queries. Each must return the
/// count of events over the window (e.g. `sum(increase(x[{{window}}]))` or a `rate`, as long as
/// both use the same).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct EventsSli {
    pub error_query: String,
    pub total_query: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SloAlerting {
    /// The alertname that fires for this SLO (to link alerts and SLOs).
    #[serde(default)]
    pub name: Option<String>,
}

/// A named set of multi-window, multi-burn-rate conditions.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct AlertWindowSet {
    /// The SLO window these percentages were written for.
    pub period: Duration,
    #[serde(default)]
    pub page: Vec<AlertWindow>,
    #[serde(default)]
    pub ticket: Vec<AlertWindow>,
}

/// A condition holds when both the long and the short window burn faster than
/// `factor = budget_percent / 100 × period / long`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct AlertWindow {
    pub long: Duration,
    pub short: Duration,
    /// Share of the whole budget spent when the long window fires.
    pub budget_percent: f64,
}

/// The error-budget policy: bands by remaining budget, and what each band means.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case", default)]
pub struct PolicyConfig {
    /// Green (deploys allowed) above this remaining fraction.
    pub green_above: f64,
    /// Red (freeze) below this remaining fraction; yellow in between.
    pub red_below: f64,
    pub actions: PolicyActions,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            green_above: 0.5,
            red_below: 0.1,
            actions: PolicyActions::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case", default)]
pub struct PolicyActions {
    pub green: String,
    pub yellow: String,
    pub red: String,
    pub exhausted: String,
    pub no_data: String,
}

impl Default for PolicyActions {
    fn default() -> Self {
        PolicyActions {
            green: "Normal feature development; deploys allowed".into(),
            yellow: "1 deployment per day, staging validation required".into(),
            red: "Feature freeze: emergency fixes and reliability work only".into(),
            exhausted: "Budget exhausted: halt all changes but P0 and security fixes; postmortem"
                .into(),
            no_data: "No data: cannot judge the budget; check the SLI queries".into(),
        }
    }
}

/// Defaults for every SLO.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case", default)]
pub struct SloDefaults {
    pub window: SloWindow,
    pub budgeting: Budgeting,
    pub alert_windows: Option<String>,
    /// Burn rates over fewer events than this are shown as weak (low traffic).
    pub min_events: f64,
    /// How often the short burn-rate windows are re-evaluated; default: the top-level
    /// `refresh`.
    pub refresh: Option<Duration>,
    /// How often the long windows (the SLO window itself, days-long burn windows) are
    /// re-evaluated.
    pub long_refresh: Duration,
}

impl Default for SloDefaults {
    fn default() -> Self {
        SloDefaults {
            window: SloWindow {
                rolling: Some(Duration::from_secs(30 * 86400)),
                calendar: None,
            },
            budgeting: Budgeting::Occurrences,
            alert_windows: None,
            min_events: 100.0,
            refresh: None,
            long_refresh: Duration::from_secs(300),
        }
    }
}

/// SLO definitions kept in other formats.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct ImportConfig {
    pub format: ImportFormat,
    /// A file, or a directory of `.yaml`/`.yml` files. Relative to the config file.
    pub path: PathBuf,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// Sloth `prometheus/v1` specs.
    Sloth,
    /// OpenSLO v1 `SLO` documents.
    Openslo,
}

/// Named alert window sets by name.
pub type AlertWindowSets = BTreeMap<String, AlertWindowSet>;
