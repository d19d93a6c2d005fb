//! Prometheus' own view of alerts: `/api/v1/alerts` and `/api/v1/rules?type=alert`.
//!
//! - [`PromClient::alerts`] and [`PromClient::alert_rules`] fetch them.
//! - [`decode_alerts_body`] and [`decode_alert_rules_body`]: pure decoding, usable
//!   without HTTP. Decoding is lenient: unknown fields are ignored, missing
//!   optional fields default, unknown states and healths are kept as `Other`.
//!
//! VictoriaMetrics answers both with empty lists (rules run in vmalert): an empty
//! answer does not mean "nothing fires".

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::decode::{api_error, is_json, parse_sample_value};
use super::error::{one_line, shorten, summarize_body};
use super::{PromClient, PromError};

/// State of an alert (or alerting rule) in Prometheus.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PromAlertState {
    /// The expression is true but not yet for the rule's `for` duration.
    Pending,
    /// Firing: sent to Alertmanager.
    Firing,
    /// Rules only: nothing active.
    Inactive,
    /// Anything else the server says.
    Other(String),
}

impl PromAlertState {
    fn parse(s: &str) -> Self {
        match s {
            "pending" => Self::Pending,
            "firing" => Self::Firing,
            "inactive" => Self::Inactive,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl Default for PromAlertState {
    fn default() -> Self {
        Self::Other(String::new())
    }
}

impl<'de> Deserialize<'de> for PromAlertState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(
            &Option::<String>::deserialize(d)?.unwrap_or_default(),
        ))
    }
}

/// Health of a rule's last evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum RuleHealth {
    /// `ok`.
    Ok,
    /// `err`: see [`AlertRule::last_error`].
    Err,
    /// `unknown`: not evaluated yet.
    #[default]
    Unknown,
    /// Anything else the server says.
    Other(String),
}

impl<'de> Deserialize<'de> for RuleHealth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Option::<String>::deserialize(d)?.unwrap_or_default();
        Ok(match s.as_str() {
            "ok" => Self::Ok,
            "err" => Self::Err,
            "unknown" | "" => Self::Unknown,
            _ => Self::Other(s),
        })
    }
}

/// One alert as Prometheus sees it (`pending` or `firing`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PromAlert {
    /// Label set, including `alertname`.
    #[serde(deserialize_with = "null_default")]
    pub labels: BTreeMap<String, String>,
    /// Annotations (summary, description, runbook_url…).
    #[serde(deserialize_with = "null_default")]
    pub annotations: BTreeMap<String, String>,
    /// `pending` or `firing`.
    pub state: PromAlertState,
    /// When the expression first became true; `None` when absent or unparsable.
    #[serde(deserialize_with = "lenient_time")]
    pub active_at: Option<DateTime<Utc>>,
    /// The expression's value when last evaluated; `None` when absent or unparsable.
    #[serde(deserialize_with = "lenient_value")]
    pub value: Option<f64>,
}

/// One alerting rule (`/api/v1/rules?type=alert`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertRule {
    /// The rule's name (its `alert:`).
    pub name: String,
    /// The PromQL expression.
    pub query: String,
    /// The rule's `for`, in seconds.
    #[serde(deserialize_with = "lenient_f64")]
    pub duration: f64,
    /// The rule's `keep_firing_for`, in seconds (Prometheus 2.42+).
    #[serde(deserialize_with = "lenient_f64")]
    pub keep_firing_for: f64,
    /// Labels added by the rule.
    #[serde(deserialize_with = "null_default")]
    pub labels: BTreeMap<String, String>,
    /// Annotation templates.
    #[serde(deserialize_with = "null_default")]
    pub annotations: BTreeMap<String, String>,
    /// The rule's active alerts.
    #[serde(deserialize_with = "null_default")]
    pub alerts: Vec<PromAlert>,
    /// `inactive`, `pending` or `firing`.
    pub state: PromAlertState,
    /// Health of the last evaluation.
    pub health: RuleHealth,
    /// The last evaluation's error, when `health` is `err`.
    #[serde(deserialize_with = "lenient_string")]
    pub last_error: Option<String>,
    /// When the rule was last evaluated.
    #[serde(deserialize_with = "lenient_time")]
    pub last_evaluation: Option<DateTime<Utc>>,
    /// How long the last evaluation took, in seconds.
    #[serde(deserialize_with = "lenient_opt_f64")]
    pub evaluation_time: Option<f64>,
}

/// A rule group, keeping only its alerting rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertRuleGroup {
    /// Group name.
    pub name: String,
    /// Rule file the group comes from.
    pub file: String,
    /// Evaluation interval in seconds, when given.
    pub interval: Option<f64>,
    /// The group's alerting rules (recording rules are dropped).
    pub rules: Vec<AlertRule>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawGroup {
    name: String,
    file: String,
    #[serde(deserialize_with = "lenient_opt_f64")]
    interval: Option<f64>,
    #[serde(deserialize_with = "null_default")]
    rules: Vec<RawRule>,
}

/// A rule of any type: recording rules are skipped.
#[derive(Default)]
struct RawRule(Option<AlertRule>);

impl<'de> Deserialize<'de> for RawRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        let kind = value.get("type").and_then(serde_json::Value::as_str);
        if matches!(kind, Some(k) if k != "alerting") {
            return Ok(Self(None));
        }
        AlertRule::deserialize(value)
            .map(|r| Self(Some(r)))
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AlertsData {
    #[serde(deserialize_with = "null_default")]
    alerts: Vec<PromAlert>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RulesData {
    #[serde(deserialize_with = "null_default")]
    groups: Vec<RawGroup>,
}

/// Decodes a `/api/v1/alerts` answer. Errors as [`decode_query_body`](super::decode_query_body):
/// `"status":"error"` → [`PromError::Api`], other non-2xx → [`PromError::Http`], bad 2xx →
/// [`PromError::Decode`].
pub fn decode_alerts_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<PromAlert>, PromError> {
    decode_v1::<AlertsData>(status, content_type, body).map(|d| d.alerts)
}

/// Decodes a `/api/v1/rules` answer, keeping only alerting rules.
pub fn decode_alert_rules_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<AlertRuleGroup>, PromError> {
    let data = decode_v1::<RulesData>(status, content_type, body)?;
    Ok(data
        .groups
        .into_iter()
        .map(|g| AlertRuleGroup {
            name: g.name,
            file: g.file,
            interval: g.interval,
            rules: g.rules.into_iter().filter_map(|r| r.0).collect(),
        })
        .collect())
}

impl PromClient {
    /// `/api/v1/alerts`: every pending and firing alert.
    pub async fn alerts(&self) -> Result<Vec<PromAlert>, PromError> {
        let url = self.api_url("/api/v1/alerts")?;
        let request = self.http().get(url.clone());
        let fetched = self
            .execute(request, &url, "GET", "prometheus request")
            .await?;
        decode_alerts_body(
            fetched.status,
            fetched.content_type.as_deref(),
            &fetched.body,
        )
    }

    /// `/api/v1/rules?type=alert`: alerting rules by group, with their expression,
    /// `for`, health and active alerts.
    pub async fn alert_rules(&self) -> Result<Vec<AlertRuleGroup>, PromError> {
        let url = self.api_url("/api/v1/rules")?;
        let request = self.http().get(url.clone()).query(&[("type", "alert")]);
        let fetched = self
            .execute(request, &url, "GET", "prometheus request")
            .await?;
        decode_alert_rules_body(
            fetched.status,
            fetched.content_type.as_deref(),
            &fetched.body,
        )
    }
}

fn decode_err(reason: impl Into<String>) -> PromError {
    PromError::Decode {
        reason: shorten(&reason.into(), 200),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    status: Option<String>,
    #[serde(default = "none")]
    data: Option<T>,
    #[serde(default)]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

fn none<T>() -> Option<T> {
    None
}

/// The `/api/v1` envelope, with the same error mapping as the query decoder.
fn decode_v1<T: DeserializeOwned>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<T, PromError> {
    let ok = (200..300).contains(&status);
    let http = || PromError::Http {
        status,
        body: summarize_body(status, content_type, body),
    };
    if !is_json(content_type) {
        if ok {
            let ct = content_type.unwrap_or("none");
            return Err(decode_err(format!(
                "expected JSON, got content-type {}",
                shorten(&one_line(ct), 60)
            )));
        }
        return Err(http());
    }
    // An error envelope's `data` is ignored, so it is parsed untyped first.
    let env: Envelope<serde_json::Value> = match serde_json::from_slice(body) {
        Ok(env) => env,
        Err(e) if ok => return Err(decode_err(e.to_string())),
        Err(_) => return Err(http()),
    };
    match env.status.as_deref() {
        Some("error") => Err(api_error(
            status,
            env.error_type.as_deref(),
            env.error.as_deref(),
        )),
        Some("success") if ok => match env.data {
            Some(data) => T::deserialize(data).map_err(|e| decode_err(e.to_string())),
            None => Err(decode_err("missing \"data\"")),
        },
        _ if !ok => Err(http()),
        Some(other) => Err(decode_err(format!(
            "unknown status {:?}",
            shorten(&one_line(other), 40)
        ))),
        None => Err(decode_err("missing \"status\"")),
    }
}

/// `null` (Go's nil map or slice) as the default value.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An RFC 3339 time; anything else (absent, `null`, unparsable) is `None`.
pub(crate) fn lenient_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc)))
}

/// A string, or `None` for `null`, `""` or another JSON type.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(v.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
}

/// A number given as a JSON number or string (`"1e+00"`, `"NaN"`).
fn lenient_opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => parse_sample_value(&s),
        _ => None,
    })
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(lenient_opt_f64(d)?.unwrap_or(0.0))
}

fn lenient_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    lenient_opt_f64(d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const JSON: Option<&str> = Some("application/json");

    /// From the Prometheus HTTP API docs.
    const ALERTS: &str = r#"{
        "data": {
            "alerts": [
                {
                    "activeAt": "2018-07-04T20:27:12.60602144+02:00",
                    "annotations": {},
                    "labels": {"alertname": "my-alert"},
                    "state": "firing",
                    "value": "1e+00"
                },
                {
                    "labels": {"alertname": "other", "severity": "page"},
                    "annotations": null,
                    "state": "pending",
                    "keepFiringSince": "2023-01-01T00:00:00Z",
                    "activeAt": "not a time"
                }
            ]
        },
        "status": "success"
    }"#;

    /// From the Prometheus HTTP API docs, with an alerting rule added.
    const RULES: &str = r#"{
        "data": {
            "groups": [
                {
                    "rules": [
                        {
                            "alerts": [
                                {
                                    "activeAt": "2018-07-04T20:27:12.60602144+02:00",
                                    "annotations": {"summary": "High request latency"},
                                    "labels": {"alertname": "HighRequestLatency", "severity": "page"},
                                    "state": "firing",
                                    "value": "1e+00"
                                }
                            ],
                            "annotations": {"summary": "High request latency"},
                            "duration": 600,
                            "health": "ok",
                            "labels": {"severity": "page"},
                            "name": "HighRequestLatency",
                            "query": "job:request_latency_seconds:mean5m{job=\"myjob\"} > 0.5",
                            "type": "alerting",
                            "state": "firing",
                            "lastEvaluation": "2019-09-24T22:11:24.127Z",
                            "evaluationTime": 0.000441
                        },
                        {
                            "health": "ok",
                            "name": "job:http_inprogress_requests:sum",
                            "query": "sum by (job) (http_inprogress_requests)",
                            "type": "recording"
                        },
                        {
                            "name": "Broken",
                            "query": "foo(",
                            "health": "err",
                            "lastError": "parse error",
                            "type": "alerting",
                            "state": "inactive",
                            "alerts": null
                        }
                    ],
                    "file": "/rules.yaml",
                    "interval": 60,
                    "limit": 0,
                    "name": "example"
                }
            ]
        },
        "status": "success"
    }"#;

    #[test]
    fn alerts_decode_with_optional_fields_missing() {
        let alerts = decode_alerts_body(200, JSON, ALERTS.as_bytes()).unwrap();
        assert_eq!(alerts.len(), 2);
        let a = &alerts[0];
        assert_eq!(a.labels["alertname"], "my-alert");
        assert_eq!(a.state, PromAlertState::Firing);
        assert_eq!(a.value, Some(1.0));
        let want = Utc
            .with_ymd_and_hms(2018, 7, 4, 18, 27, 12)
            .single()
            .unwrap()
            + chrono::Duration::nanoseconds(606_021_440);
        assert_eq!(a.active_at, Some(want));
        let b = &alerts[1];
        assert_eq!(b.state, PromAlertState::Pending);
        assert!(b.annotations.is_empty());
        assert_eq!(b.active_at, None);
        assert_eq!(b.value, None);
    }

    #[test]
    fn rules_keep_alerting_rules_only() {
        let groups = decode_alert_rules_body(200, JSON, RULES.as_bytes()).unwrap();
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!(g.name, "example");
        assert_eq!(g.file, "/rules.yaml");
        assert_eq!(g.interval, Some(60.0));
        assert_eq!(g.rules.len(), 2);
        let r = &g.rules[0];
        assert_eq!(r.name, "HighRequestLatency");
        assert!(r.query.contains("> 0.5"));
        assert_eq!(r.duration, 600.0);
        assert_eq!(r.health, RuleHealth::Ok);
        assert_eq!(r.state, PromAlertState::Firing);
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].labels["severity"], "page");
        assert_eq!(r.last_error, None);
        assert!(r.last_evaluation.is_some());
        let broken = &g.rules[1];
        assert_eq!(broken.health, RuleHealth::Err);
        assert_eq!(broken.last_error.as_deref(), Some("parse error"));
        assert_eq!(broken.state, PromAlertState::Inactive);
        assert!(broken.alerts.is_empty());
        assert_eq!(broken.duration, 0.0);
    }

    #[test]
    fn empty_lists_from_victoriametrics() {
        let body = br#"{"status":"success","data":{"alerts":[]}}"#;
        assert!(decode_alerts_body(200, JSON, body).unwrap().is_empty());
        let body = br#"{"status":"success","data":{"groups":[]}}"#;
        assert!(decode_alert_rules_body(200, JSON, body).unwrap().is_empty());
        let body = br#"{"status":"success","data":{}}"#;
        assert!(decode_alert_rules_body(200, JSON, body).unwrap().is_empty());
    }

    #[test]
    fn errors_map_like_queries() {
        let body = br#"{"status":"error","errorType":"bad_data","error":"unknown type"}"#;
        let err = decode_alert_rules_body(400, JSON, body).unwrap_err();
        assert_eq!(err.to_string(), "bad_data: unknown type");
        let err = decode_alerts_body(404, Some("text/plain"), b"404 page not found").unwrap_err();
        assert!(
            matches!(err, PromError::Http { status: 404, .. }),
            "{err:?}"
        );
        let err = decode_alerts_body(200, Some("text/html"), b"<html>").unwrap_err();
        assert!(matches!(err, PromError::Decode { .. }), "{err:?}");
        let err = decode_alerts_body(200, JSON, b"{\"status\":\"success\"}").unwrap_err();
        assert!(matches!(err, PromError::Decode { .. }), "{err:?}");
        let err = decode_alerts_body(200, JSON, b"[1,2").unwrap_err();
        assert!(matches!(err, PromError::Decode { .. }), "{err:?}");
        let body = br#"{"status":"success","data":{"alerts":[{"state":5}]}}"#;
        assert!(decode_alerts_body(200, JSON, body).is_err());
    }

    #[test]
    fn unknown_states_are_kept() {
        let body = br#"{"status":"success","data":{"alerts":[{"state":"resolved","labels":{}}]}}"#;
        let alerts = decode_alerts_body(200, JSON, body).unwrap();
        assert_eq!(alerts[0].state, PromAlertState::Other("resolved".into()));
    }
}
