//! Typed client for the Prometheus HTTP API.
//!
//! Speaks to anything implementing the Prometheus query API (Prometheus,
//! VictoriaMetrics, Thanos, Mimir). Knows nothing of the UI.
//!
//! - [`PromClient`]: `query`, `query_range`, `buildinfo` over one shared `reqwest::Client`.
//! - [`decode_query_body`]: pure decoding of an answer, usable without HTTP.
//! - [`PromClient::alerts`], [`PromClient::alert_rules`]: Prometheus' own alerts and
//!   alerting rules; [`AlertmanagerClient`]: Alertmanager API v2 (alerts, groups,
//!   silences, status), on the same options and transport.
//! - [`PromError`]: one-line, secret-free errors; [`PromError::is_transport`]
//!   separates "source down" from "bad query".

pub mod alertmanager;
pub mod alerts;
mod client;
mod decode;
mod error;
mod redact;
mod types;

pub use alertmanager::{
    decode_am_alerts_body, decode_am_groups_body, decode_am_status_body, decode_expire_body,
    decode_silence_id_body, decode_silences_body, regex_matches_empty, validate_silence,
    AlertmanagerClient, AmAlert, AmAlertGroup, AmAlertState, AmAlertStatus, AmStatus, Matcher,
    NewSilence, Silence, SilenceState,
};
pub use alerts::{
    decode_alert_rules_body, decode_alerts_body, AlertRule, AlertRuleGroup, PromAlert,
    PromAlertState, RuleHealth,
};
pub use client::{
    clamp_step, format_step, format_unix_time, PromClient, MAX_POINTS_PER_SERIES,
    POST_THRESHOLD_BYTES,
};
pub use decode::{
    decode_buildinfo_body, decode_label_values_body, decode_query_body, parse_sample_value,
};
pub use error::PromError;
pub use types::{
    Auth, BuildInfo, ClientOptions, InstantSample, QueryData, QueryResponse, RangeSeries, Sample,
    Secret, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_SERIES, DEFAULT_TIMEOUT,
};
