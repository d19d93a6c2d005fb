//! [`AlertmanagerClient`]: Alertmanager API v2 (alerts, groups, silences, status).
//!
//! Uses the same [`ClientOptions`] (auth, TLS, headers, timeout, body cap) and the same
//! transport as [`PromClient`]; errors are [`PromError`]s. Decoding is lenient: fields
//! added in newer Alertmanagers (`mutedBy` 0.28+, `routeLabels` 0.34+) may be missing,
//! unknown fields are ignored, unknown states are kept as `Other`.
//!
//! Alertmanager 0.25 answers errors in several shapes (a JSON string, `{"code", "message"}`,
//! a 500 `"silence not found"` for an unknown silence): all become
//! [`PromError::Api`] with `error_type` `alertmanager` and the server's message.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

use super::alerts::{lenient_string, lenient_time, null_default};
use super::decode::is_json;
use super::error::{one_line, shorten, summarize_body};
use super::types::ClientOptions;
use super::{PromClient, PromError};

/// `error_type` of [`PromError::Api`] errors answered by Alertmanager.
pub const ALERTMANAGER_ERROR_TYPE: &str = "alertmanager";

/// `error_type` of [`PromError::Api`] errors for a silence refused before sending
/// (`status` is then 0).
pub const INVALID_SILENCE_ERROR_TYPE: &str = "invalid silence";

/// State of an alert in Alertmanager.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AmAlertState {
    /// Not silenced nor inhibited.
    Active,
    /// Silenced or inhibited (see `silenced_by`, `inhibited_by`).
    Suppressed,
    /// Received but not yet processed.
    Unprocessed,
    /// Anything else the server says.
    Other(String),
}

impl Default for AmAlertState {
    fn default() -> Self {
        Self::Other(String::new())
    }
}

impl<'de> Deserialize<'de> for AmAlertState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Option::<String>::deserialize(d)?.unwrap_or_default();
        Ok(match s.as_str() {
            "active" => Self::Active,
            "suppressed" => Self::Suppressed,
            "unprocessed" => Self::Unprocessed,
            _ => Self::Other(s),
        })
    }
}

/// `status` of an Alertmanager alert.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AmAlertStatus {
    /// `active`, `suppressed` or `unprocessed`.
    pub state: AmAlertState,
    /// IDs of the silences muting it.
    #[serde(deserialize_with = "null_default")]
    pub silenced_by: Vec<String>,
    /// Fingerprints of the alerts inhibiting it.
    #[serde(deserialize_with = "null_default")]
    pub inhibited_by: Vec<String>,
    /// Names of the time intervals muting it (0.28+; empty before).
    #[serde(deserialize_with = "null_default")]
    pub muted_by: Vec<String>,
}

/// One alert from `GET /api/v2/alerts` (or inside a group).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AmAlert {
    /// Label set, including `alertname`.
    #[serde(deserialize_with = "null_default")]
    pub labels: BTreeMap<String, String>,
    /// Annotations (summary, description, runbook_url…).
    #[serde(deserialize_with = "null_default")]
    pub annotations: BTreeMap<String, String>,
    /// Link back to the expression in the sender.
    #[serde(rename = "generatorURL", deserialize_with = "lenient_string")]
    pub generator_url: Option<String>,
    /// Alertmanager's identity of the label set (hex).
    pub fingerprint: String,
    /// When the alert started firing.
    #[serde(deserialize_with = "lenient_time")]
    pub starts_at: Option<DateTime<Utc>>,
    /// When Alertmanager last received it.
    #[serde(deserialize_with = "lenient_time")]
    pub updated_at: Option<DateTime<Utc>>,
    /// When it resolves unless re-sent.
    #[serde(deserialize_with = "lenient_time")]
    pub ends_at: Option<DateTime<Utc>>,
    /// Names of the receivers it is routed to.
    #[serde(deserialize_with = "receiver_names")]
    pub receivers: Vec<String>,
    /// State, silences and inhibitions.
    pub status: AmAlertStatus,
}

/// One group from `GET /api/v2/alerts/groups`. An alert appears once per receiver.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AmAlertGroup {
    /// The group's `group_by` labels.
    #[serde(deserialize_with = "null_default")]
    pub labels: BTreeMap<String, String>,
    /// Receiver name.
    #[serde(deserialize_with = "receiver_name")]
    pub receiver: String,
    /// The group's alerts.
    #[serde(deserialize_with = "null_default")]
    pub alerts: Vec<AmAlert>,
    /// Labels of the matching route (0.34+; `None` before).
    pub route_labels: Option<BTreeMap<String, String>>,
}

/// State of a silence.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SilenceState {
    /// In force.
    Active,
    /// Starts in the future.
    Pending,
    /// Ended or expired.
    Expired,
    /// Anything else the server says.
    Other(String),
}

impl SilenceState {
    /// `active`, `pending`, `expired`, or what the server said.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Expired => "expired",
            Self::Other(s) => s,
        }
    }
}

impl Default for SilenceState {
    fn default() -> Self {
        Self::Other(String::new())
    }
}

impl<'de> Deserialize<'de> for SilenceState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Option::<String>::deserialize(d)?.unwrap_or_default();
        Ok(match s.as_str() {
            "active" => Self::Active,
            "pending" => Self::Pending,
            "expired" => Self::Expired,
            _ => Self::Other(s),
        })
    }
}

/// One label matcher of a silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    /// Label name.
    #[serde(default)]
    pub name: String,
    /// Value, or an RE2 regex (fully anchored) when `is_regex`.
    #[serde(default)]
    pub value: String,
    /// `=~` / `!~` rather than `=` / `!=`.
    #[serde(default)]
    pub is_regex: bool,
    /// `=` / `=~` rather than `!=` / `!~` (absent before 0.22: equal).
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl Matcher {
    /// `name="value"`.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            is_regex: false,
            is_equal: true,
        }
    }

    /// `name=~"regex"`.
    pub fn regex(name: impl Into<String>, regex: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: regex.into(),
            is_regex: true,
            is_equal: true,
        }
    }

    /// Whether an absent label (the empty string) matches. `None` when a regex is
    /// too unusual to tell; the server then decides.
    pub fn matches_empty(&self) -> Option<bool> {
        let positive = if self.is_regex {
            regex_matches_empty(&self.value)?
        } else {
            self.value.is_empty()
        };
        Some(positive == self.is_equal)
    }
}

/// One silence from `GET /api/v2/silences`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Silence {
    /// Silence ID.
    pub id: String,
    /// `active`, `pending` or `expired`.
    #[serde(deserialize_with = "silence_state")]
    pub status: SilenceState,
    /// Last change.
    #[serde(deserialize_with = "lenient_time")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Label matchers.
    #[serde(deserialize_with = "null_default")]
    pub matchers: Vec<Matcher>,
    /// Start.
    #[serde(deserialize_with = "lenient_time")]
    pub starts_at: Option<DateTime<Utc>>,
    /// End.
    #[serde(deserialize_with = "lenient_time")]
    pub ends_at: Option<DateTime<Utc>>,
    /// Author.
    pub created_by: String,
    /// Why.
    pub comment: String,
}

/// A silence to create (`POST /api/v2/silences`). With `id` set, Alertmanager updates
/// that silence, possibly under a new ID (always adopt the returned one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSilence {
    /// Label matchers: at least one, and at least one not matching the empty string.
    pub matchers: Vec<Matcher>,
    /// Start; a past start is clamped to now by the server.
    pub starts_at: DateTime<Utc>,
    /// End: after `starts_at` and in the future.
    pub ends_at: DateTime<Utc>,
    /// Author, required.
    pub created_by: String,
    /// Why, required.
    pub comment: String,
    /// ID of the silence to update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `GET /api/v2/status`, flattened. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmStatus {
    /// e.g. `0.25.0`.
    pub version: Option<String>,
    /// VCS revision.
    pub revision: Option<String>,
    /// Cluster status: `ready`, `settling`, `disabled`.
    pub cluster_status: Option<String>,
    /// This peer's name in the cluster.
    pub cluster_name: Option<String>,
    /// Names of the cluster peers.
    pub peers: Vec<String>,
    /// When this Alertmanager started.
    pub uptime: Option<DateTime<Utc>>,
    /// The loaded configuration, as YAML.
    pub config: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawStatus {
    cluster: RawCluster,
    version_info: RawVersion,
    config: RawConfig,
    #[serde(deserialize_with = "lenient_time")]
    uptime: Option<DateTime<Utc>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawCluster {
    #[serde(deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    status: Option<String>,
    #[serde(deserialize_with = "null_default")]
    peers: Vec<RawNamed>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawVersion {
    #[serde(deserialize_with = "lenient_string")]
    version: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    revision: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawConfig {
    #[serde(deserialize_with = "lenient_string")]
    original: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawNamed {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SilenceId {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

/// `[{"name": "x"}]` (or `["x"]`) → `["x"]`.
fn receiver_names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v: Vec<serde_json::Value> = null_default(d)?;
    Ok(v.iter().filter_map(name_of).collect())
}

fn receiver_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(name_of(&v).unwrap_or_default())
}

fn name_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o.get("name")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// `{"state": "active"}` (or a bare string).
fn silence_state<'de, D: Deserializer<'de>>(d: D) -> Result<SilenceState, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let s = match &v {
        serde_json::Value::Object(o) => o.get("state").cloned().unwrap_or_default(),
        other => other.clone(),
    };
    SilenceState::deserialize(s).map_err(serde::de::Error::custom)
}

/// Decodes `GET /api/v2/alerts`.
pub fn decode_am_alerts_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<AmAlert>, PromError> {
    decode_v2(status, content_type, body)
}

/// Decodes `GET /api/v2/alerts/groups`.
pub fn decode_am_groups_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<AmAlertGroup>, PromError> {
    decode_v2(status, content_type, body)
}

/// Decodes `GET /api/v2/silences`.
pub fn decode_silences_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<Silence>, PromError> {
    decode_v2(status, content_type, body)
}

/// Decodes the answer to `POST /api/v2/silences`: the new silence's ID.
pub fn decode_silence_id_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<String, PromError> {
    let id: SilenceId = decode_v2(status, content_type, body)?;
    if id.silence_id.is_empty() {
        return Err(decode_err("empty silenceID"));
    }
    Ok(id.silence_id)
}

/// Decodes the answer to `DELETE /api/v2/silence/{id}`: any 2xx is success, whatever the body.
pub fn decode_expire_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), PromError> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(am_error(status, content_type, body))
    }
}

/// Decodes `GET /api/v2/status`.
pub fn decode_am_status_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<AmStatus, PromError> {
    let raw: RawStatus = decode_v2(status, content_type, body)?;
    Ok(AmStatus {
        version: raw.version_info.version,
        revision: raw.version_info.revision,
        cluster_status: raw.cluster.status,
        cluster_name: raw.cluster.name,
        peers: raw.cluster.peers.into_iter().map(|p| p.name).collect(),
        uptime: raw.uptime,
        config: raw.config.original,
    })
}

/// Checks a silence as Alertmanager would, so a bad one is refused before sending.
/// Errors are [`PromError::Api`] with `status` 0 and `error_type`
/// [`INVALID_SILENCE_ERROR_TYPE`].
pub fn validate_silence(silence: &NewSilence, now: DateTime<Utc>) -> Result<(), PromError> {
    let invalid = |msg: &str| {
        Err(PromError::Api {
            status: 0,
            error_type: INVALID_SILENCE_ERROR_TYPE.to_owned(),
            error: msg.to_owned(),
        })
    };
    if silence.matchers.is_empty() {
        return invalid("at least one matcher is required");
    }
    if silence.matchers.iter().any(|m| m.name.trim().is_empty()) {
        return invalid("a matcher has no label name");
    }
    // Unknown (`None`) counts as not matching empty: the server has the last word.
    if silence
        .matchers
        .iter()
        .all(|m| m.matches_empty() == Some(true))
    {
        return invalid("at least one matcher must not match the empty string");
    }
    if silence.ends_at <= silence.starts_at {
        return invalid("end time must be after start time");
    }
    if silence.ends_at <= now {
        return invalid("end time is in the past");
    }
    if silence.created_by.trim().is_empty() {
        return invalid("author (createdBy) is required");
    }
    if silence.comment.trim().is_empty() {
        return invalid("comment is required");
    }
    Ok(())
}

/// A client for one Alertmanager. Cheap to clone.
#[derive(Clone)]
pub struct AlertmanagerClient {
    transport: PromClient,
    alerts_url: Url,
    groups_url: Url,
    silences_url: Url,
    silence_url: Url,
    status_url: Url,
}

impl std::fmt::Debug for AlertmanagerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertmanagerClient")
            .field("name", &self.transport.name())
            .finish_non_exhaustive()
    }
}

impl AlertmanagerClient {
    /// Builds the client from the same options as [`PromClient`]; `path_prefix` goes
    /// between the URL and `/api/v2/...`. `max_series` is unused.
    pub fn new(opts: ClientOptions) -> Result<Self, PromError> {
        let transport = PromClient::new(opts)?;
        Ok(Self {
            alerts_url: transport.api_url("/api/v2/alerts")?,
            groups_url: transport.api_url("/api/v2/alerts/groups")?,
            silences_url: transport.api_url("/api/v2/silences")?,
            silence_url: transport.api_url("/api/v2/silence/")?,
            status_url: transport.api_url("/api/v2/status")?,
            transport,
        })
    }

    /// The source name given in the options.
    pub fn name(&self) -> &str {
        self.transport.name()
    }

    /// `GET /api/v2/alerts`: every alert, active, silenced, inhibited or unprocessed.
    pub async fn alerts(&self) -> Result<Vec<AmAlert>, PromError> {
        let f = self.get(&self.alerts_url).await?;
        decode_am_alerts_body(f.status, f.content_type.as_deref(), &f.body)
    }

    /// `GET /api/v2/alerts/groups`: alerts grouped by route and receiver.
    pub async fn alert_groups(&self) -> Result<Vec<AmAlertGroup>, PromError> {
        let f = self.get(&self.groups_url).await?;
        decode_am_groups_body(f.status, f.content_type.as_deref(), &f.body)
    }

    /// `GET /api/v2/silences`: all silences, expired ones included.
    pub async fn silences(&self) -> Result<Vec<Silence>, PromError> {
        let f = self.get(&self.silences_url).await?;
        decode_silences_body(f.status, f.content_type.as_deref(), &f.body)
    }

    /// `GET /api/v2/status`.
    pub async fn status(&self) -> Result<AmStatus, PromError> {
        let f = self.get(&self.status_url).await?;
        decode_am_status_body(f.status, f.content_type.as_deref(), &f.body)
    }

    /// `POST /api/v2/silences` after [`validate_silence`]; returns the silence's ID
    /// (a new one when an existing silence was changed).
    pub async fn create_silence(&self, silence: &NewSilence) -> Result<String, PromError> {
        validate_silence(silence, Utc::now())?;
        let body = serde_json::to_vec(silence).map_err(|e| PromError::Config {
            reason: format!("silence: {e}"),
        })?;
        let url = &self.silences_url;
        let request = self
            .transport
            .http()
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let f = self
            .transport
            .execute(request, url, "POST", "alertmanager request")
            .await?;
        decode_silence_id_body(f.status, f.content_type.as_deref(), &f.body)
    }

    /// `DELETE /api/v2/silence/{id}`: expires the silence. An unknown ID fails with
    /// [`PromError::Api`] `silence not found`.
    pub async fn expire_silence(&self, id: &str) -> Result<(), PromError> {
        if id.trim().is_empty() {
            return Err(PromError::Config {
                reason: "empty silence ID".to_owned(),
            });
        }
        let mut url = self.silence_url.clone();
        url.path_segments_mut()
            .map_err(|()| PromError::Config {
                reason: "URL cannot be a base".to_owned(),
            })?
            .pop_if_empty()
            .push(id);
        let request = self.transport.http().delete(url.clone());
        let f = self
            .transport
            .execute(request, &url, "DELETE", "alertmanager request")
            .await?;
        decode_expire_body(f.status, f.content_type.as_deref(), &f.body)
    }

    async fn get(&self, url: &Url) -> Result<super::client::Fetched, PromError> {
        let request = self.transport.http().get(url.clone());
        self.transport
            .execute(request, url, "GET", "alertmanager request")
            .await
    }
}

fn decode_err(reason: impl Into<String>) -> PromError {
    PromError::Decode {
        reason: shorten(&reason.into(), 200),
    }
}

/// A 2xx JSON body as `T`; anything else through [`am_error`].
fn decode_v2<T: DeserializeOwned>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<T, PromError> {
    if !(200..300).contains(&status) {
        return Err(am_error(status, content_type, body));
    }
    if !is_json(content_type) {
        let ct = content_type.unwrap_or("none");
        return Err(decode_err(format!(
            "expected JSON, got content-type {}",
            shorten(&one_line(ct), 60)
        )));
    }
    serde_json::from_slice(body).map_err(|e| decode_err(e.to_string()))
}

/// A non-2xx answer: a JSON string (`"silence invalid: …"`, `"silence not found"`) or a
/// `{"code", "message"}` object becomes [`PromError::Api`] with the server's message;
/// anything else (empty, HTML, plain text) [`PromError::Http`].
pub fn am_error(status: u16, content_type: Option<&str>, body: &[u8]) -> PromError {
    let message = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::String(s)) => Some(s),
        Ok(serde_json::Value::Object(o)) => o
            .get("message")
            .or_else(|| o.get("error"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    match message.map(|m| shorten(&one_line(&m), 300)) {
        Some(m) if !m.is_empty() => PromError::Api {
            status,
            error_type: ALERTMANAGER_ERROR_TYPE.to_owned(),
            error: m,
        },
        _ => PromError::Http {
            status,
            body: summarize_body(status, content_type, body),
        },
    }
}

/// Whether the fully anchored RE2 regex `re` matches the empty string, or `None` when
/// the pattern is not understood. Handles alternation, groups, classes, escapes and
/// the quantifiers `* + ? {n,m}`.
pub fn regex_matches_empty(re: &str) -> Option<bool> {
    let chars: Vec<char> = re.chars().collect();
    let mut pos = 0;
    let nullable = alternation(&chars, &mut pos, 0)?;
    (pos == chars.len()).then_some(nullable)
}

const MAX_DEPTH: usize = 64;

/// `a|b|…`: nullable when any branch is.
fn alternation(c: &[char], pos: &mut usize, depth: usize) -> Option<bool> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut any = concatenation(c, pos, depth)?;
    while c.get(*pos) == Some(&'|') {
        *pos += 1;
        any |= concatenation(c, pos, depth)?;
    }
    Some(any)
}

/// `ab…`: nullable when every (quantified) atom is.
fn concatenation(c: &[char], pos: &mut usize, depth: usize) -> Option<bool> {
    let mut all = true;
    while let Some(&ch) = c.get(*pos) {
        if ch == '|' || ch == ')' {
            break;
        }
        let atom = atom(c, pos, depth)?;
        let quantified = quantifier(c, pos)?;
        all &= atom || quantified;
    }
    Some(all)
}

/// One atom; returns whether it matches the empty string.
fn atom(c: &[char], pos: &mut usize, depth: usize) -> Option<bool> {
    let ch = *c.get(*pos)?;
    *pos += 1;
    match ch {
        '(' => {
            if c.get(*pos) == Some(&'?') {
                // (?:…), (?i), (?i:…), (?P<name>…)
                *pos += 1;
                if c.get(*pos) == Some(&'P') || c.get(*pos) == Some(&'<') {
                    while *c.get(*pos)? != '>' {
                        *pos += 1;
                    }
                    *pos += 1;
                } else {
                    while !matches!(c.get(*pos)?, ':' | ')') {
                        *pos += 1;
                    }
                    if c[*pos] == ')' {
                        *pos += 1;
                        return Some(true); // flags only
                    }
                    *pos += 1;
                }
            }
            let inner = alternation(c, pos, depth + 1)?;
            (c.get(*pos) == Some(&')')).then_some(())?;
            *pos += 1;
            Some(inner)
        }
        '[' => {
            class(c, pos)?;
            Some(false)
        }
        '\\' => {
            let e = *c.get(*pos)?;
            *pos += 1;
            match e {
                // Zero-width assertions.
                'b' | 'B' | 'A' | 'z' => Some(true),
                'p' | 'P' => {
                    if c.get(*pos) == Some(&'{') {
                        while *c.get(*pos)? != '}' {
                            *pos += 1;
                        }
                    }
                    *pos += 1;
                    Some(false)
                }
                'Q' => None,
                _ => Some(false),
            }
        }
        '^' | '$' => Some(true),
        ')' | '*' | '+' | '?' => None,
        _ => Some(false),
    }
}

/// The POSIX class names RE2 knows (`[[:alpha:]]`); any other name is an error.
const POSIX_CLASSES: [&str; 14] = [
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// Skips a bracket class whose `[` is already consumed, the way RE2 reads it: a `]` first
/// (after an optional `^`) is literal; `[:name:]` is a POSIX class only where an item starts
/// and a `:]` follows (else that `[` is a literal, as in `[[:]`); a range's upper end is one
/// character, so `[!-[:]` is `!` to `[`, then `:`.
fn class(c: &[char], pos: &mut usize) -> Option<()> {
    if c.get(*pos) == Some(&'^') {
        *pos += 1;
    }
    let mut first = true;
    loop {
        let ch = *c.get(*pos)?;
        if ch == ']' && !first {
            *pos += 1;
            return Some(());
        }
        first = false;
        if ch == '[' && c.get(*pos + 1) == Some(&':') {
            let rest = &c[*pos + 2..];
            if let Some(end) = rest.windows(2).position(|w| w == [':', ']']) {
                let name: String = rest[..end].iter().collect();
                let name = name.strip_prefix('^').unwrap_or(&name);
                if !POSIX_CLASSES.contains(&name) {
                    return None; // RE2: invalid character class range.
                }
                *pos += 2 + end + 2;
                continue;
            }
        }
        class_char(c, pos)?;
        if c.get(*pos) == Some(&'-') && c.get(*pos + 1).is_some_and(|&n| n != ']') {
            *pos += 1;
            class_char(c, pos)?;
        }
    }
}

/// One character of a class, or an escape (`\]`, `\w`, `\p{Greek}`, `\x{41}`).
fn class_char(c: &[char], pos: &mut usize) -> Option<()> {
    let ch = *c.get(*pos)?;
    *pos += 1;
    if ch == '\\' {
        let e = *c.get(*pos)?;
        *pos += 1;
        if matches!(e, 'p' | 'P' | 'x') && c.get(*pos) == Some(&'{') {
            while *c.get(*pos)? != '}' {
                *pos += 1;
            }
            *pos += 1;
        }
    }
    Some(())
}

/// An optional quantifier; returns whether it allows zero repetitions.
fn quantifier(c: &[char], pos: &mut usize) -> Option<bool> {
    let zero = match c.get(*pos) {
        Some('*') | Some('?') => {
            *pos += 1;
            true
        }
        Some('+') => {
            *pos += 1;
            false
        }
        Some('{') => {
            let start = *pos + 1;
            let Some(len) = c[start..].iter().position(|&x| x == '}') else {
                return Some(false); // `x{`: a literal brace.
            };
            let end = start + len;
            let spec: String = c[start..end].iter().collect();
            let min = spec.split(',').next()?.trim();
            if min.is_empty() || !min.chars().all(|d| d.is_ascii_digit()) {
                // Not a repetition: RE2 treats `{` literally here.
                return Some(false);
            }
            *pos = end + 1;
            min.parse::<u32>().ok()? == 0
        }
        _ => return Some(false),
    };
    // Lazy or possessive suffix.
    if c.get(*pos) == Some(&'?') {
        *pos += 1;
    }
    Some(zero)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const JSON: Option<&str> = Some("application/json");

    /// Shape answered by Alertmanager 0.25.
    const ALERTS_025: &str = r#"[
      {
        "annotations": {"summary": "Disk almost full"},
        "endsAt": "2026-11-22T04:10:00.000Z",
        "fingerprint": "4f1a3bb9d1b9e3c0",
        "receivers": [{"name": "null"}],
        "startsAt": "2026-11-22T03:50:00.000Z",
        "status": {"inhibitedBy": [], "silencedBy": ["9f3c5a4e-1b2c-4d5e-8f90-123456789abc"], "state": "suppressed"},
        "updatedAt": "2026-11-22T03:55:00.123Z",
        "generatorURL": "http://prom:9090/graph?g0.expr=x",
        "labels": {"alertname": "DiskFull", "severity": "page"}
      },
      {
        "annotations": {},
        "fingerprint": "0000000000000001",
        "receivers": [{"name": "team-a"}, {"name": "team-b"}],
        "startsAt": "2026-11-22T03:51:00Z",
        "status": {"inhibitedBy": null, "silencedBy": null, "state": "active"},
        "labels": {"alertname": "HighLatency"}
      }
    ]"#;

    /// Newer Alertmanager (0.28+): `mutedBy`, unknown fields.
    const ALERTS_028: &str = r#"[{
        "labels": {"alertname": "X"}, "annotations": {}, "fingerprint": "ab",
        "startsAt": "2026-11-22T03:51:00Z", "updatedAt": "2026-11-22T03:51:00Z",
        "endsAt": "2026-11-22T03:56:00Z", "receivers": [{"name": "null"}],
        "status": {"state": "suppressed", "silencedBy": [], "inhibitedBy": [],
                   "mutedBy": ["weekends"]},
        "somethingNew": {"x": 1}
    }, {"labels": {"alertname": "Y"}, "fingerprint": "cd", "status": {"state": "deferred"}}]"#;

    #[test]
    fn alerts_v025_decode() {
        let alerts = decode_am_alerts_body(200, JSON, ALERTS_025.as_bytes()).unwrap();
        assert_eq!(alerts.len(), 2);
        let a = &alerts[0];
        assert_eq!(a.labels["alertname"], "DiskFull");
        assert_eq!(a.annotations["summary"], "Disk almost full");
        assert_eq!(a.fingerprint, "4f1a3bb9d1b9e3c0");
        assert_eq!(a.receivers, ["null"]);
        assert_eq!(a.status.state, AmAlertState::Suppressed);
        assert_eq!(
            a.status.silenced_by,
            ["9f3c5a4e-1b2c-4d5e-8f90-123456789abc"]
        );
        assert!(a.status.muted_by.is_empty());
        assert_eq!(
            a.starts_at,
            Utc.with_ymd_and_hms(2026, 11, 22, 3, 50, 0).single()
        );
        assert_eq!(
            a.generator_url.as_deref(),
            Some("http://prom:9090/graph?g0.expr=x")
        );
        let b = &alerts[1];
        assert_eq!(b.status.state, AmAlertState::Active);
        assert!(b.status.silenced_by.is_empty());
        assert_eq!(b.receivers, ["team-a", "team-b"]);
        assert_eq!(b.generator_url, None);
        assert_eq!(b.ends_at, None);
        assert_eq!(b.updated_at, None);
    }

    #[test]
    fn alerts_newer_fields_and_unknown_state() {
        let alerts = decode_am_alerts_body(200, JSON, ALERTS_028.as_bytes()).unwrap();
        assert_eq!(alerts[0].status.muted_by, ["weekends"]);
        assert_eq!(
            alerts[1].status.state,
            AmAlertState::Other("deferred".into())
        );
        assert!(alerts[1].receivers.is_empty());
        assert!(alerts[1].annotations.is_empty());
    }

    #[test]
    fn groups_decode_with_and_without_route_labels() {
        let body = format!(
            r#"[{{"alerts": {ALERTS_025}, "labels": {{"alertname": "DiskFull"}},
                 "receiver": {{"name": "null"}}}},
               {{"alerts": [], "labels": {{}}, "receiver": {{"name": "pager"}},
                 "routeLabels": {{"team": "a"}}}}]"#
        );
        let groups = decode_am_groups_body(200, JSON, body.as_bytes()).unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].receiver, "null");
        assert_eq!(groups[0].alerts.len(), 2);
        assert_eq!(groups[0].labels["alertname"], "DiskFull");
        assert_eq!(groups[0].route_labels, None);
        assert_eq!(groups[1].receiver, "pager");
        assert_eq!(groups[1].route_labels.as_ref().unwrap()["team"], "a");
    }

    #[test]
    fn silences_decode() {
        let body = r#"[{
            "id": "9f3c5a4e-1b2c-4d5e-8f90-123456789abc",
            "status": {"state": "active"},
            "updatedAt": "2026-11-22T03:55:00.123Z",
            "comment": "disk swap in progress",
            "createdBy": "alice",
            "endsAt": "2026-11-22T05:55:00.123Z",
            "matchers": [
                {"isEqual": true, "isRegex": false, "name": "alertname", "value": "DiskFull"},
                {"isRegex": true, "name": "instance", "value": "db-.*"}
            ],
            "startsAt": "2026-11-22T03:55:00.123Z"
        }, {"id": "b", "status": {"state": "expired"}, "matchers": null},
           {"id": "c", "status": {"state": "pending"}},
           {"id": "d"}]"#;
        let s = decode_silences_body(200, JSON, body.as_bytes()).unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].status, SilenceState::Active);
        assert_eq!(s[0].created_by, "alice");
        assert_eq!(s[0].comment, "disk swap in progress");
        assert_eq!(s[0].matchers[0], Matcher::equal("alertname", "DiskFull"));
        // isEqual absent (before 0.22): equal.
        assert_eq!(s[0].matchers[1], Matcher::regex("instance", "db-.*"));
        assert!(s[0].ends_at > s[0].starts_at);
        assert_eq!(s[1].status, SilenceState::Expired);
        assert!(s[1].matchers.is_empty());
        assert_eq!(s[2].status, SilenceState::Pending);
        assert_eq!(s[3].status, SilenceState::Other(String::new()));
    }

    #[test]
    fn silence_id_and_expire() {
        let id = decode_silence_id_body(200, JSON, br#"{"silenceID":"abc-123"}"#).unwrap();
        assert_eq!(id, "abc-123");
        assert!(matches!(
            decode_silence_id_body(200, JSON, br#"{}"#),
            Err(PromError::Decode { .. })
        ));
        assert!(decode_expire_body(200, JSON, b"").is_ok());
        assert!(decode_expire_body(200, None, b"").is_ok());
    }

    #[test]
    fn status_decode() {
        let body = r#"{
            "cluster": {"name": "01HABC", "peers": [{"address": "10.0.0.1:9094", "name": "01HABC"}], "status": "ready"},
            "config": {"original": "route:\n  receiver: null\n"},
            "uptime": "2026-11-22T03:40:00.000Z",
            "versionInfo": {"branch": "HEAD", "buildDate": "x", "buildUser": "y",
                            "goVersion": "go1.19", "revision": "258fab7", "version": "0.25.0"}
        }"#;
        let s = decode_am_status_body(200, JSON, body.as_bytes()).unwrap();
        assert_eq!(s.version.as_deref(), Some("0.25.0"));
        assert_eq!(s.revision.as_deref(), Some("258fab7"));
        assert_eq!(s.cluster_status.as_deref(), Some("ready"));
        assert_eq!(s.peers, ["01HABC"]);
        assert!(s.config.unwrap().contains("receiver"));
        assert!(s.uptime.is_some());
        // Gossip disabled: no name, no peers.
        let body = br#"{"cluster": {"status": "disabled"}, "versionInfo": {}}"#;
        let s = decode_am_status_body(200, JSON, body).unwrap();
        assert_eq!(s.cluster_status.as_deref(), Some("disabled"));
        assert_eq!(s.version, None);
        assert!(s.peers.is_empty());
        let s = decode_am_status_body(200, JSON, b"{}").unwrap();
        assert_eq!(s, AmStatus::default());
    }

    #[test]
    fn error_shapes_of_alertmanager_025() {
        let cases: [(u16, &[u8], &str); 4] = [
            (
                400,
                br#""silence invalid: at least one matcher must not match the empty string""#,
                "alertmanager: silence invalid: at least one matcher must not match the empty string",
            ),
            (
                422,
                br#"{"code":602,"message":"comment in body is required"}"#,
                "alertmanager: comment in body is required",
            ),
            (
                400,
                br#"{"code":400,"message":"parsing silence body from \"\" failed, because invalid character 'x'"}"#,
                "alertmanager: parsing silence body from \"\" failed, because invalid character 'x'",
            ),
            (500, br#""silence not found""#, "alertmanager: silence not found"),
        ];
        for (status, body, want) in cases {
            let err = decode_silence_id_body(status, JSON, body).unwrap_err();
            assert_eq!(err.to_string(), want);
            match &err {
                PromError::Api {
                    status: s,
                    error_type,
                    ..
                } => {
                    assert_eq!(*s, status);
                    assert_eq!(error_type, ALERTMANAGER_ERROR_TYPE);
                }
                other => panic!("{other:?}"),
            }
            assert!(!err.is_transport());
        }
        let err = decode_expire_body(500, JSON, br#""silence not found""#).unwrap_err();
        assert_eq!(err.to_string(), "alertmanager: silence not found");
    }

    #[test]
    fn other_errors_are_http() {
        // GET /api/v2/silence/{unknown}: 404, empty.
        let err = decode_silences_body(404, None, b"").unwrap_err();
        assert_eq!(err.to_string(), "HTTP 404: Not Found");
        let err = decode_am_alerts_body(
            502,
            Some("text/html"),
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "HTTP 502: 502 Bad Gateway");
        assert!(err.is_transport());
        let err = decode_am_alerts_body(200, Some("text/plain"), b"[]").unwrap_err();
        assert!(matches!(err, PromError::Decode { .. }), "{err:?}");
        let err = decode_am_alerts_body(200, JSON, b"{\"alerts\":[]}").unwrap_err();
        assert!(matches!(err, PromError::Decode { .. }), "{err:?}");
    }

    fn silence(matchers: Vec<Matcher>) -> NewSilence {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap();
        NewSilence {
            matchers,
            starts_at: now,
            ends_at: now + chrono::Duration::hours(2),
            created_by: "alice".into(),
            comment: "maintenance".into(),
            id: None,
        }
    }

    fn invalid(s: &NewSilence) -> String {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap();
        match validate_silence(s, now) {
            Err(e @ PromError::Api { status: 0, .. }) => e.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn silence_validation() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap();
        let ok = silence(vec![Matcher::equal("alertname", "DiskFull")]);
        assert!(validate_silence(&ok, now).is_ok());

        assert_eq!(
            invalid(&silence(vec![])),
            "invalid silence: at least one matcher is required"
        );
        for m in [
            Matcher::regex("alertname", ".*"),
            Matcher::regex("alertname", "a|"),
            Matcher::regex("alertname", "(foo)?"),
            Matcher::equal("alertname", ""),
            Matcher {
                is_equal: false,
                ..Matcher::equal("alertname", "x")
            },
        ] {
            assert_eq!(
                invalid(&silence(vec![m.clone()])),
                "invalid silence: at least one matcher must not match the empty string",
                "{m:?}"
            );
        }
        // One matcher that does not match empty is enough.
        let mixed = silence(vec![
            Matcher::regex("instance", ".*"),
            Matcher::regex("alertname", "Disk.+"),
        ]);
        assert!(validate_silence(&mixed, now).is_ok());

        let mut s = ok.clone();
        s.ends_at = s.starts_at;
        assert!(invalid(&s).contains("after start"));
        let mut s = ok.clone();
        s.starts_at = now - chrono::Duration::hours(3);
        s.ends_at = now - chrono::Duration::hours(1);
        assert!(invalid(&s).contains("in the past"));
        let mut s = ok.clone();
        s.created_by = " ".into();
        assert!(invalid(&s).contains("createdBy"));
        let mut s = ok.clone();
        s.comment = String::new();
        assert!(invalid(&s).contains("comment"));
        let mut s = ok;
        s.matchers[0].name = String::new();
        assert!(invalid(&s).contains("label name"));
    }

    #[test]
    fn new_silence_serializes_like_the_api() {
        let mut s = silence(vec![Matcher::equal("alertname", "X")]);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v["matchers"][0],
            serde_json::json!({"name": "alertname", "value": "X", "isRegex": false, "isEqual": true})
        );
        assert_eq!(v["startsAt"], "2026-01-01T12:00:00Z");
        assert_eq!(v["createdBy"], "alice");
        assert!(v.get("id").is_none());
        s.id = Some("abc".into());
        assert_eq!(serde_json::to_value(&s).unwrap()["id"], "abc");
    }

    #[test]
    fn regex_nullability() {
        let cases = [
            ("", Some(true)),
            (".*", Some(true)),
            (".+", Some(false)),
            ("a", Some(false)),
            ("a*", Some(true)),
            ("a|b", Some(false)),
            ("a|", Some(true)),
            ("(a|b)?", Some(true)),
            ("(?:a|b)", Some(false)),
            ("(?i)a", Some(false)),
            ("(?P<x>a*)", Some(true)),
            ("[a-z]+", Some(false)),
            ("[]a]*", Some(true)),
            ("[^]]", Some(false)),
            ("\\d{0,3}", Some(true)),
            ("\\d{2,3}", Some(false)),
            ("x{", Some(false)),
            ("^$", Some(true)),
            ("\\p{Greek}+", Some(false)),
            ("[[:alpha:]]", Some(false)),
            ("[[:^alpha:]]*", Some(true)),
            ("[[:nope:]]", None),
            // Found by fuzzing: `[:` opens a POSIX class only where an item starts and a
            // `:]` follows; elsewhere `[` is a literal, as RE2 (and LabelRegex) read it.
            ("[!-[:]*|]", Some(true)),
            ("[[:]*|]", Some(true)),
            ("[\\w[]|]", Some(false)),
            ("[\\]-a]*", Some(true)),
            ("a+?", Some(false)),
            ("(", None),
            ("a)", None),
            ("*", None),
            ("[abc", None),
        ];
        for (re, want) in cases {
            assert_eq!(regex_matches_empty(re), want, "{re:?}");
        }
        // Deep nesting does not overflow the stack.
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(regex_matches_empty(&deep), None);
    }

    #[test]
    fn garbage_never_panics() {
        let samples: [&[u8]; 6] = [
            b"",
            b"null",
            b"\"\"",
            b"{\"code\":1}",
            b"[null]",
            b"\xff\xfe",
        ];
        for body in samples {
            for status in [200, 400, 422, 500] {
                let _ = decode_am_alerts_body(status, JSON, body);
                let _ = decode_am_groups_body(status, JSON, body);
                let _ = decode_silences_body(status, JSON, body);
                let _ = decode_silence_id_body(status, JSON, body);
                let _ = decode_am_status_body(status, JSON, body);
            }
        }
        for re in ["(?", "(?P<", "[[:", "\\", "\\p{", "a{1", "(?i"] {
            let _ = regex_matches_empty(re);
        }
    }
}
