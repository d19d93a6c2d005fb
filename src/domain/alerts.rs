//! Alerts as the on-call engineer sees them: one list merged from Prometheus and any number of
//! Alertmanagers, grouped and sorted like Alertmanager groups them, filtered with a small
//! karma-like language, counted for the header, and compared between polls to spot new pages.
//!
//! Pure logic: no I/O, no async, no UI types.
//!
//! # Merge rules
//! - **Identity** is the label set minus the external labels passed in (e.g. `prometheus`,
//!   `replica`): the same alert from Prometheus and from both members of an HA pair is one
//!   [`Alert`], with every place it was seen in [`Alert::sources`] (in input order).
//! - **State**, fail-open so that a page is never hidden by a disagreement:
//!   1. if any Alertmanager that sees the alert reports it `active`, `unprocessed` or an unknown
//!      state, it is [`AlertState::Firing`];
//!   2. if every Alertmanager that sees it reports it `suppressed`, it is
//!      [`AlertState::Silenced`] when any of them names a silence (`silencedBy`) or a mute
//!      time interval (`mutedBy`) or names nothing at all, else [`AlertState::Inhibited`]
//!      (a silence is a human decision and wins over an inhibition);
//!   3. if no Alertmanager sees it, Prometheus decides: `firing` → Firing, `pending` →
//!      Pending, an unknown state → Firing; `inactive` entries are dropped.
//!
//!   So an alert silenced on one Alertmanager but active on its peer (gossip lag, split brain)
//!   shows as **firing**.
//! - `since` is the earliest `activeAt` / `startsAt` seen; annotations and the generator URL are
//!   taken from the first source that has them (Prometheus sources first).

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};

use crate::prom::alertmanager::{AmAlert, AmAlertState};
use crate::prom::alerts::{PromAlert, PromAlertState};

/// An alert's identity: its labels without the external labels.
pub type AlertKey = BTreeMap<String, String>;

/// Merged state of an alert.
///
/// Ordered most urgent first (`Firing < Pending < Silenced < Inhibited`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertState {
    /// Firing and not suppressed everywhere it is seen.
    Firing,
    /// True in Prometheus but not yet for the rule's `for` duration.
    Pending,
    /// Suppressed everywhere, with a silence (or mute interval) involved.
    Silenced,
    /// Suppressed everywhere by inhibition only.
    Inhibited,
}

impl AlertState {
    /// The word used in filters and headers: `firing`, `pending`, `silenced`, `inhibited`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Firing => "firing",
            Self::Pending => "pending",
            Self::Silenced => "silenced",
            Self::Inhibited => "inhibited",
        }
    }
}

/// Severity from the `severity` label.
///
/// Ordered most urgent first (`Critical < Warning < Info < Other`), so a
/// `BTreeMap<Severity, _>` iterates pages first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `critical` or `page`: wakes someone up.
    Critical,
    /// `warning` or `ticket`.
    Warning,
    /// `info`.
    Info,
    /// Missing or anything else.
    Other,
}

impl Severity {
    /// Severity of a `severity` label value (case-insensitive); `None` gives [`Severity::Other`].
    pub fn from_label(value: Option<&str>) -> Self {
        match value.map(str::to_ascii_lowercase).as_deref() {
            Some("critical" | "page") => Self::Critical,
            Some("warning" | "ticket") => Self::Warning,
            Some("info") => Self::Info,
            _ => Self::Other,
        }
    }
}

/// One alert, merged across every source that reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Labels without the external labels: the alert's identity ([`AlertKey`]).
    pub labels: AlertKey,
    /// Annotations from the first source that has any.
    pub annotations: BTreeMap<String, String>,
    /// Merged state (see the module documentation).
    pub state: AlertState,
    /// Earliest `activeAt` (Prometheus) or `startsAt` (Alertmanager) seen.
    pub since: Option<DateTime<Utc>>,
    /// From the `severity` label.
    pub severity: Severity,
    /// Link to the expression, from the first Alertmanager that has one.
    pub generator_url: Option<String>,
    /// Names of the sources that report it, in input order, without duplicates.
    pub sources: Vec<String>,
    /// Silence IDs from every Alertmanager, without duplicates.
    pub silenced_by: Vec<String>,
    /// Inhibiting alerts' fingerprints from every Alertmanager, without duplicates.
    pub inhibited_by: Vec<String>,
    /// Receivers from every Alertmanager, without duplicates.
    pub receivers: Vec<String>,
    /// The expression's value from the first Prometheus source that has one.
    pub value: Option<f64>,
}

impl Alert {
    /// The identity used for dedup and for [`new_firing`].
    pub fn key(&self) -> &AlertKey {
        &self.labels
    }

    /// The `alertname` label, or `""`.
    pub fn name(&self) -> &str {
        self.label("alertname")
    }

    /// A label's value, or `""` when absent (as Prometheus treats missing labels).
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map_or("", String::as_str)
    }

    /// The `summary` annotation.
    pub fn summary(&self) -> Option<&str> {
        self.annotations.get("summary").map(String::as_str)
    }

    /// The `description` annotation.
    pub fn description(&self) -> Option<&str> {
        self.annotations.get("description").map(String::as_str)
    }

    /// The `runbook_url` annotation (or `runbook`, which some rule sets use).
    pub fn runbook_url(&self) -> Option<&str> {
        self.annotations
            .get("runbook_url")
            .or_else(|| self.annotations.get("runbook"))
            .map(String::as_str)
    }
}

/// What one source said about one alert, before merging.
#[derive(Default)]
struct Seen {
    annotations: BTreeMap<String, String>,
    since: Option<DateTime<Utc>>,
    generator_url: Option<String>,
    sources: Vec<String>,
    silenced_by: Vec<String>,
    inhibited_by: Vec<String>,
    receivers: Vec<String>,
    value: Option<f64>,
    prom: Option<AlertState>,
    am_seen: bool,
    am_unsuppressed: bool,
    am_silenced: bool,
}

fn push_unique(list: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn identity(labels: &BTreeMap<String, String>, external: &[&str]) -> AlertKey {
    identity_pairs(labels, external)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn identity_pairs<'a>(
    labels: &'a BTreeMap<String, String>,
    external: &'a [&str],
) -> impl Iterator<Item = (&'a String, &'a String)> + 'a {
    labels
        .iter()
        .filter(|(k, _)| !external.contains(&k.as_str()))
}

/// The alerts seen so far, one per identity. Looked up by a hash of the identity's labels and
/// compared without copying them: only a new identity allocates its key. (A `BTreeMap` keyed
/// by the label maps took 140 ms for 10,000 alerts from three sources, comparing label maps
/// string by string a dozen times per alert; this takes a fraction of that.)
#[derive(Default)]
struct SeenIndex {
    buckets: std::collections::HashMap<u64, Vec<usize>>,
    entries: Vec<(AlertKey, Seen)>,
}

impl SeenIndex {
    fn slot(&mut self, labels: &BTreeMap<String, String>, external: &[&str]) -> &mut Seen {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for pair in identity_pairs(labels, external) {
            pair.hash(&mut hasher);
        }
        let bucket = self.buckets.entry(hasher.finish()).or_default();
        let found = bucket
            .iter()
            .copied()
            .find(|&i| identity_pairs(labels, external).eq(self.entries[i].0.iter()));
        let i = match found {
            Some(i) => i,
            None => {
                bucket.push(self.entries.len());
                self.entries
                    .push((identity(labels, external), Seen::default()));
                self.entries.len() - 1
            }
        };
        &mut self.entries[i].1
    }

    /// The identities and what was seen of them, sorted by identity.
    fn into_sorted(mut self) -> Vec<(AlertKey, Seen)> {
        self.entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        self.entries
    }
}

/// Adds `source` to `list` unless it is there (no allocation when it is).
fn push_source(list: &mut Vec<String>, source: &str) {
    if !list.iter().any(|s| s == source) {
        list.push(source.to_owned());
    }
}

/// Merges alerts from Prometheus servers and Alertmanagers into one list, one entry per
/// identity (labels minus `external_labels`), sorted by identity.
///
/// Each source is `(name, alerts)`; the name ends up in [`Alert::sources`]. See the module
/// documentation for the state rules.
pub fn merge_alerts(
    prometheus: &[(&str, &[PromAlert])],
    alertmanagers: &[(&str, &[AmAlert])],
    external_labels: &[&str],
) -> Vec<Alert> {
    let mut seen = SeenIndex::default();
    for (source, alerts) in prometheus {
        for a in alerts.iter() {
            let state = match a.state {
                PromAlertState::Pending => AlertState::Pending,
                PromAlertState::Inactive => continue,
                PromAlertState::Firing | PromAlertState::Other(_) => AlertState::Firing,
            };
            let s = seen.slot(&a.labels, external_labels);
            // Firing on any Prometheus (e.g. one of an HA pair) wins over pending.
            s.prom = Some(s.prom.map_or(state, |p| p.min(state)));
            if s.annotations.is_empty() {
                s.annotations = a.annotations.clone();
            }
            s.since = earliest(s.since, a.active_at);
            s.value = s.value.or(a.value);
            push_source(&mut s.sources, source);
        }
    }
    for (source, alerts) in alertmanagers {
        for a in alerts.iter() {
            let s = seen.slot(&a.labels, external_labels);
            if s.annotations.is_empty() {
                s.annotations = a.annotations.clone();
            }
            s.since = earliest(s.since, a.starts_at);
            if s.generator_url.is_none() {
                s.generator_url = a.generator_url.clone().filter(|u| !u.is_empty());
            }
            push_source(&mut s.sources, source);
            push_unique(&mut s.silenced_by, a.status.silenced_by.iter().cloned());
            push_unique(&mut s.inhibited_by, a.status.inhibited_by.iter().cloned());
            push_unique(&mut s.receivers, a.receivers.iter().cloned());
            s.am_seen = true;
            match a.status.state {
                AmAlertState::Suppressed => {
                    let st = &a.status;
                    let names_nothing = st.silenced_by.is_empty() && st.inhibited_by.is_empty();
                    if !st.silenced_by.is_empty() || !st.muted_by.is_empty() || names_nothing {
                        s.am_silenced = true;
                    }
                }
                AmAlertState::Active | AmAlertState::Unprocessed | AmAlertState::Other(_) => {
                    s.am_unsuppressed = true;
                }
            }
        }
    }
    seen.into_sorted()
        .into_iter()
        .map(|(labels, s)| {
            let state = if s.am_unsuppressed {
                AlertState::Firing
            } else if s.am_seen && s.am_silenced {
                AlertState::Silenced
            } else if s.am_seen {
                AlertState::Inhibited
            } else {
                s.prom.unwrap_or(AlertState::Firing)
            };
            Alert {
                severity: Severity::from_label(labels.get("severity").map(String::as_str)),
                labels,
                annotations: s.annotations,
                state,
                since: s.since,
                generator_url: s.generator_url,
                sources: s.sources,
                silenced_by: s.silenced_by,
                inhibited_by: s.inhibited_by,
                receivers: s.receivers,
                value: s.value,
            }
        })
        .collect()
}

/// How to order alerts and groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// State (firing, pending, silenced, inhibited), then severity (pages first), then newest.
    #[default]
    Severity,
    /// Newest first (latest `since`; unknown start last), then state and severity.
    Age,
    /// By `alertname`, then the other labels.
    Name,
}

/// Compares two alerts under `sort`; ties are broken by labels so the order is total.
pub fn compare_alerts(a: &Alert, b: &Alert, sort: SortBy) -> Ordering {
    let urgency = |x: &Alert| (x.state, x.severity);
    let newest = |x: &Alert| Reverse(x.since.map(|t| Reverse(Reverse(t))));
    let primary = match sort {
        SortBy::Severity => urgency(a)
            .cmp(&urgency(b))
            .then_with(|| newest(a).cmp(&newest(b))),
        SortBy::Age => newest(a)
            .cmp(&newest(b))
            .then_with(|| urgency(a).cmp(&urgency(b))),
        SortBy::Name => a.name().cmp(b.name()),
    };
    primary.then_with(|| a.labels.cmp(&b.labels))
}

/// A group of alerts sharing the values of the group-by labels. Members are indices into the
/// slice that was grouped, so grouping 10,000 alerts copies none of them.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertGroup {
    /// The group-by labels and their values (labels an alert lacks are left out, as
    /// Alertmanager does).
    pub labels: BTreeMap<String, String>,
    /// Indices of the alerts, sorted.
    pub members: Vec<usize>,
    /// Whether the group holds a firing critical alert (a page).
    pub firing_page: bool,
}

impl AlertGroup {
    /// Whether the group holds a firing critical alert (a page).
    pub fn has_firing_page(&self) -> bool {
        self.firing_page
    }

    /// The group's alerts, in order, from the slice that was grouped.
    pub fn alerts<'a>(&'a self, all: &'a [Alert]) -> impl Iterator<Item = &'a Alert> + 'a {
        self.members.iter().filter_map(|i| all.get(*i))
    }
}

fn is_page(a: &Alert) -> bool {
    a.state == AlertState::Firing && a.severity == Severity::Critical
}

/// Groups alerts like Alertmanager: by the `group_by` labels, or by `alertname` when
/// `group_by` is empty; `...` (alone) groups by all labels, i.e. one alert per group.
///
/// Alerts are sorted within each group by `sort`. Groups holding a firing page come first
/// whatever `sort` says, then groups are ordered by their first alert under `sort`, then by
/// their labels.
pub fn group_alerts(alerts: &[Alert], group_by: &[String], sort: SortBy) -> Vec<AlertGroup> {
    group_matching(alerts, |_| true, group_by, sort)
}

/// [`group_alerts`] over the alerts `keep` accepts (e.g. a [`Filter`]).
pub fn group_matching(
    alerts: &[Alert],
    keep: impl Fn(&Alert) -> bool,
    group_by: &[String],
    sort: SortBy,
) -> Vec<AlertGroup> {
    let default = ["alertname".to_owned()];
    let by: &[String] = if group_by.is_empty() {
        &default
    } else {
        group_by
    };
    let all = by.iter().any(|l| l == "...");
    // Keys borrow from the alerts; owned labels are built once per group.
    let mut groups: BTreeMap<Vec<(&str, &str)>, Vec<usize>> = BTreeMap::new();
    for (i, a) in alerts.iter().enumerate() {
        if !keep(a) {
            continue;
        }
        let key: Vec<(&str, &str)> = if all {
            a.labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect()
        } else {
            let mut key: Vec<(&str, &str)> = by
                .iter()
                .filter_map(|l| a.labels.get(l).map(|v| (l.as_str(), v.as_str())))
                .collect();
            key.sort_unstable();
            key
        };
        groups.entry(key).or_default().push(i);
    }
    let mut out: Vec<AlertGroup> = groups
        .into_iter()
        .map(|(key, mut members)| {
            members.sort_by(|a, b| compare_alerts(&alerts[*a], &alerts[*b], sort));
            AlertGroup {
                labels: key
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
                firing_page: members.iter().any(|i| is_page(&alerts[*i])),
                members,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.firing_page
            .cmp(&a.firing_page)
            .then_with(|| compare_alerts(&alerts[a.members[0]], &alerts[b.members[0]], sort))
            .then_with(|| a.labels.cmp(&b.labels))
    });
    out
}

/// Header counts: firing alerts per severity, and the other states.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Firing alerts per severity (only severities with at least one), most urgent first.
    pub firing_by_severity: BTreeMap<Severity, usize>,
    /// Pending alerts.
    pub pending: usize,
    /// Silenced alerts.
    pub silenced: usize,
    /// Inhibited alerts.
    pub inhibited: usize,
}

impl Counts {
    /// Counts `alerts` (already merged, so each alert counts once).
    pub fn of(alerts: &[Alert]) -> Self {
        let mut c = Self::default();
        for a in alerts {
            match a.state {
                AlertState::Firing => *c.firing_by_severity.entry(a.severity).or_default() += 1,
                AlertState::Pending => c.pending += 1,
                AlertState::Silenced => c.silenced += 1,
                AlertState::Inhibited => c.inhibited += 1,
            }
        }
        c
    }

    /// All firing alerts.
    pub fn firing(&self) -> usize {
        self.firing_by_severity.values().sum()
    }
}

/// Identities of the firing alerts: keep this between polls for [`new_firing`].
pub fn firing_keys(alerts: &[Alert]) -> BTreeSet<AlertKey> {
    alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .map(|a| a.labels.clone())
        .collect()
}

/// Alerts firing now that were not firing at the previous poll (`previous` from
/// [`firing_keys`]), in `current`'s order: for highlighting and the terminal bell.
///
/// This includes alerts that went from pending to firing and those whose silence ended.
/// `previous = None` (the first poll) reports nothing, so starting sretop never rings.
pub fn new_firing<'a>(
    previous: Option<&BTreeSet<AlertKey>>,
    current: &'a [Alert],
) -> Vec<&'a Alert> {
    let Some(previous) = previous else {
        return Vec::new();
    };
    current
        .iter()
        .filter(|a| a.state == AlertState::Firing && !previous.contains(&a.labels))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------

/// A filter or regex that does not parse. `position` is a 0-based character offset into
/// the filter line (or the regex), for a caret under the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// 0-based character offset of the problem.
    pub position: usize,
    /// What is wrong, without the position.
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.message, self.position)
    }
}

impl std::error::Error for FilterError {}

fn err(position: usize, message: impl Into<String>) -> FilterError {
    FilterError {
        position,
        message: message.into(),
    }
}

/// Comparison in a `label<op>value` term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOp {
    /// `=`: equal (a missing label is `""`).
    Equal,
    /// `!=`: not equal.
    NotEqual,
    /// `=~`: fully anchored regex matches.
    Matches,
    /// `!~`: fully anchored regex does not match.
    NotMatches,
}

/// One term of a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterTerm {
    /// `label=value`, `label!=value`, `label=~re`, `label!~re`.
    Label {
        /// Label name.
        name: String,
        /// Operator.
        op: LabelOp,
        /// Value or regex source, unquoted.
        value: String,
        /// Compiled regex for `=~` / `!~`.
        regex: Option<LabelRegex>,
    },
    /// `@firing`, `@pending`, `@silenced`, `@inhibited`.
    State(AlertState),
    /// Anything else: case-insensitive substring of the alertname, any label value or the
    /// summary. Stored lower-cased.
    Text(String),
}

impl FilterTerm {
    /// Whether `alert` satisfies this term.
    pub fn matches(&self, alert: &Alert) -> bool {
        match self {
            Self::Label {
                name,
                op,
                value,
                regex,
            } => {
                let v = alert.label(name);
                match (op, regex) {
                    (LabelOp::Equal, _) => v == value,
                    (LabelOp::NotEqual, _) => v != value,
                    (LabelOp::Matches, Some(re)) => re.is_match(v),
                    (LabelOp::NotMatches, Some(re)) => !re.is_match(v),
                    (_, None) => false,
                }
            }
            Self::State(s) => alert.state == *s,
            Self::Text(t) => {
                let hit = |s: &str| s.to_lowercase().contains(t.as_str());
                alert.labels.values().any(|v| hit(v)) || alert.summary().is_some_and(hit)
            }
        }
    }
}

/// A parsed filter line: space-separated terms that must all match (an empty filter
/// matches everything).
///
/// Terms:
/// - `label=value`, `label!=value`, `label=~regex`, `label!~regex`; a missing label
///   compares as `""`. Regexes use [`LabelRegex`]'s subset and are fully anchored.
/// - `@firing`, `@pending`, `@silenced`, `@inhibited`.
/// - anything else is free text: case-insensitive substring of the alertname, any label
///   value, or the summary.
///
/// Double quotes group spaces (`summary="disk full"`, `"disk full"`); inside quotes `\"`
/// and `\\` are a quote and a backslash, other escapes are kept as written (so `"a\.b"` is
/// the regex `a\.b`). A quoted `=` is text, not an operator. Label names are
/// `[A-Za-z_][A-Za-z0-9_]*`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    /// The terms, in input order.
    pub terms: Vec<FilterTerm>,
}

/// One character of a term after unquoting: the character, where it was, whether quoted.
struct Ch {
    c: char,
    pos: usize,
    quoted: bool,
}

impl Filter {
    /// Parses a filter line; errors name the 0-based character position
    /// (e.g. `unclosed quote at 12`).
    pub fn parse(input: &str) -> Result<Self, FilterError> {
        let chars: Vec<char> = input.chars().collect();
        let mut terms = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            let mut term: Vec<Ch> = Vec::new();
            while i < chars.len() && !chars[i].is_whitespace() {
                if chars[i] == '"' {
                    let open = i;
                    i += 1;
                    loop {
                        match chars.get(i) {
                            None => return Err(err(open, "unclosed quote")),
                            Some('"') => break,
                            Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                                term.push(Ch {
                                    c: chars[i + 1],
                                    pos: i + 1,
                                    quoted: true,
                                });
                                i += 2;
                            }
                            Some(&c) => {
                                term.push(Ch {
                                    c,
                                    pos: i,
                                    quoted: true,
                                });
                                i += 1;
                            }
                        }
                    }
                    i += 1; // closing quote
                } else {
                    term.push(Ch {
                        c: chars[i],
                        pos: i,
                        quoted: false,
                    });
                    i += 1;
                }
            }
            terms.push(parse_term(&term, start, i)?);
        }
        Ok(Self { terms })
    }

    /// Whether `alert` satisfies every term.
    pub fn matches(&self, alert: &Alert) -> bool {
        self.terms.iter().all(|t| t.matches(alert))
    }

    /// Whether there are no terms (matches everything).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

fn parse_term(term: &[Ch], start: usize, end: usize) -> Result<FilterTerm, FilterError> {
    let text: String = term.iter().map(|c| c.c).collect();
    if term.first().is_some_and(|c| c.c == '@' && !c.quoted) {
        return match &text[1..] {
            "firing" => Ok(FilterTerm::State(AlertState::Firing)),
            "pending" => Ok(FilterTerm::State(AlertState::Pending)),
            "silenced" => Ok(FilterTerm::State(AlertState::Silenced)),
            "inhibited" => Ok(FilterTerm::State(AlertState::Inhibited)),
            other => Err(err(
                start,
                format!(
                    "unknown state word @{other} (expected @firing, @pending, @silenced or @inhibited)"
                ),
            )),
        };
    }
    // The operator is the first unquoted `=` (`=`, `=~`) or `!` followed by `=` or `~`.
    let unquoted = |i: usize| term.get(i).filter(|c| !c.quoted).map(|c| c.c);
    let op_at = (0..term.len()).find(|&i| match unquoted(i) {
        Some('=') => true,
        Some('!') => matches!(unquoted(i + 1), Some('=' | '~')),
        _ => false,
    });
    let Some(k) = op_at else {
        return Ok(FilterTerm::Text(text.to_lowercase()));
    };
    let (op, len) = match (term[k].c, unquoted(k + 1)) {
        ('=', Some('~')) => (LabelOp::Matches, 2),
        ('=', _) => (LabelOp::Equal, 1),
        ('!', Some('=')) => (LabelOp::NotEqual, 2),
        _ => (LabelOp::NotMatches, 2),
    };
    let name_chars = &term[..k];
    let name: String = name_chars.iter().map(|c| c.c).collect();
    if name.is_empty() {
        return Err(err(start, "missing label name before operator"));
    }
    let valid = |(i, c): (usize, &Ch)| {
        !c.quoted && (c.c == '_' || c.c.is_ascii_alphabetic() || (i > 0 && c.c.is_ascii_digit()))
    };
    if let Some((_, bad)) = name_chars.iter().enumerate().find(|&x| !valid(x)) {
        return Err(err(
            bad.pos,
            format!("invalid character {:?} in label name", bad.c),
        ));
    }
    let value_chars = &term[k + len..];
    let value: String = value_chars.iter().map(|c| c.c).collect();
    let regex = match op {
        LabelOp::Matches | LabelOp::NotMatches => Some(LabelRegex::new(&value).map_err(|e| {
            // Map the regex offset back to the filter line.
            let pos = value_chars.get(e.position).map_or(end, |c| c.pos);
            err(pos, format!("bad regex: {}", e.message))
        })?),
        LabelOp::Equal | LabelOp::NotEqual => None,
    };
    Ok(FilterTerm::Label {
        name,
        op,
        value,
        regex,
    })
}

// ---------------------------------------------------------------------------------------
// Regex
// ---------------------------------------------------------------------------------------

/// A small, fully anchored regex for label filters (Prometheus matches `=~` as
/// `^(?:re)$`).
///
/// Supported: literals, `.`, `*`, `+`, `?`, `|`, groups `( )` and `(?: )`, classes
/// `[a-z0-9_]` and `[^…]`, escapes of punctuation (`\.`, `\|`…), `\d`, `\w`, `\s` (also
/// inside classes), and a leading `^` / trailing `$` (redundant, accepted). Not supported,
/// and reported as `unsupported regex syntax … at N`: counted repetition `{n,m}`, flags
/// `(?i)`, named groups, backreferences, lookaround, POSIX classes, and `^`/`$` elsewhere.
///
/// Matching runs over sets of positions (no backtracking), so its cost is at most
/// pattern length × input length squared for nested stars, never exponential.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRegex {
    node: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Char(char),
    Any,
    Class {
        negated: bool,
        items: Vec<ClassItem>,
    },
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min_one: bool,
        max_one: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum ClassItem {
    Range(char, char),
    Digit,
    Word,
    Space,
}

impl ClassItem {
    fn contains(&self, c: char) -> bool {
        match *self {
            Self::Range(lo, hi) => lo <= c && c <= hi,
            Self::Digit => c.is_ascii_digit(),
            Self::Word => c.is_ascii_alphanumeric() || c == '_',
            Self::Space => c.is_whitespace(),
        }
    }
}

const MAX_REGEX_DEPTH: usize = 32;

/// How deeply quantified groups may nest (`((a+)b)*` is 2).
const MAX_REPEAT_DEPTH: usize = 3;

fn repeat_depth(node: &Node) -> usize {
    match node {
        Node::Char(_) | Node::Any | Node::Class { .. } => 0,
        Node::Concat(items) | Node::Alt(items) => items.iter().map(repeat_depth).max().unwrap_or(0),
        Node::Repeat { node, .. } => 1 + repeat_depth(node),
    }
}

struct RegexParser<'a> {
    c: &'a [char],
    pos: usize,
}

impl RegexParser<'_> {
    fn unsupported(&self, at: usize, what: &str) -> FilterError {
        err(at, format!("unsupported regex syntax {what}"))
    }

    fn alternation(&mut self, depth: usize) -> Result<Node, FilterError> {
        if depth > MAX_REGEX_DEPTH {
            return Err(err(self.pos, "regex nested too deeply"));
        }
        let mut branches = vec![self.concatenation(depth)?];
        while self.c.get(self.pos) == Some(&'|') {
            self.pos += 1;
            branches.push(self.concatenation(depth)?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Concat(Vec::new()))
        } else {
            Node::Alt(branches)
        })
    }

    fn concatenation(&mut self, depth: usize) -> Result<Node, FilterError> {
        let mut items = Vec::new();
        while let Some(&ch) = self.c.get(self.pos) {
            if ch == '|' || ch == ')' {
                break;
            }
            let atom = self.atom(depth)?;
            items.push(self.quantified(atom)?);
        }
        Ok(Node::Concat(items))
    }

    fn quantified(&mut self, mut node: Node) -> Result<Node, FilterError> {
        while let Some(&q) = self.c.get(self.pos) {
            let (min_one, max_one) = match q {
                '*' => (false, false),
                '+' => (true, false),
                '?' => (false, true),
                '{' => return Err(self.unsupported(self.pos, "{n,m}")),
                _ => break,
            };
            self.pos += 1;
            if self.c.get(self.pos) == Some(&'?') {
                // Lazy quantifiers match the same strings when fully anchored.
                self.pos += 1;
            }
            // Stacked quantifiers are one (`a*+` is `a*`, `a+?`… lazy is handled above, `a?+`
            // is `a*`): nesting them would cost a pass per level when matching.
            node = match node {
                Node::Repeat {
                    node,
                    min_one: inner_min,
                    max_one: inner_max,
                } => Node::Repeat {
                    node,
                    min_one: inner_min && min_one,
                    max_one: inner_max && max_one,
                },
                node => Node::Repeat {
                    node: Box::new(node),
                    min_one,
                    max_one,
                },
            };
        }
        Ok(node)
    }

    fn escape(&mut self, at: usize) -> Result<ClassItem, FilterError> {
        let Some(&e) = self.c.get(self.pos) else {
            return Err(err(at, "trailing backslash in regex"));
        };
        self.pos += 1;
        Ok(match e {
            'd' => ClassItem::Digit,
            'w' => ClassItem::Word,
            's' => ClassItem::Space,
            'n' => ClassItem::Range('\n', '\n'),
            't' => ClassItem::Range('\t', '\t'),
            c if c.is_ascii_punctuation() => ClassItem::Range(c, c),
            c => return Err(self.unsupported(at, &format!("\\{c}"))),
        })
    }

    fn atom(&mut self, depth: usize) -> Result<Node, FilterError> {
        let at = self.pos;
        let ch = self.c[at];
        self.pos += 1;
        match ch {
            '(' => {
                if self.c.get(self.pos) == Some(&'?') {
                    if self.c.get(self.pos + 1) == Some(&':') {
                        self.pos += 2;
                    } else {
                        return Err(self.unsupported(at, "(? other than (?:"));
                    }
                }
                let inner = self.alternation(depth + 1)?;
                if self.c.get(self.pos) != Some(&')') {
                    return Err(err(at, "unclosed group in regex"));
                }
                self.pos += 1;
                Ok(inner)
            }
            ')' => Err(err(at, "unmatched ) in regex")),
            '[' => self.class(at),
            '.' => Ok(Node::Any),
            '\\' => Ok(match self.escape(at)? {
                ClassItem::Range(c, _) => Node::Char(c),
                item => Node::Class {
                    negated: false,
                    items: vec![item],
                },
            }),
            '*' | '+' | '?' => Err(err(at, format!("nothing to repeat before {ch} in regex"))),
            '{' => Err(self.unsupported(at, "{n,m}")),
            '^' if at == 0 => Ok(Node::Concat(Vec::new())),
            '$' if self.pos == self.c.len() => Ok(Node::Concat(Vec::new())),
            '^' | '$' => Err(self.unsupported(at, &format!("{ch} inside the pattern"))),
            c => Ok(Node::Char(c)),
        }
    }

    fn class(&mut self, open: usize) -> Result<Node, FilterError> {
        let negated = self.c.get(self.pos) == Some(&'^');
        if negated {
            self.pos += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let at = self.pos;
            let Some(&ch) = self.c.get(at) else {
                return Err(err(open, "unclosed [ in regex"));
            };
            self.pos += 1;
            if ch == ']' && !first {
                break;
            }
            first = false;
            let lo = match ch {
                '\\' => match self.escape(at)? {
                    ClassItem::Range(c, _) => c,
                    item => {
                        items.push(item);
                        continue;
                    }
                },
                '[' if self.c.get(self.pos) == Some(&':') => {
                    return Err(self.unsupported(at, "[:class:]"));
                }
                c => c,
            };
            let is_range = self.c.get(self.pos) == Some(&'-')
                && self.c.get(self.pos + 1).is_some_and(|&n| n != ']');
            if is_range {
                self.pos += 1;
                let hi_at = self.pos;
                let mut hi = self.c[hi_at];
                self.pos += 1;
                if hi == '\\' {
                    hi = match self.escape(hi_at)? {
                        ClassItem::Range(c, _) => c,
                        _ => return Err(err(hi_at, "class shorthand cannot end a range")),
                    };
                }
                if hi < lo {
                    return Err(err(at, format!("bad range {lo}-{hi} in regex class")));
                }
                items.push(ClassItem::Range(lo, hi));
            } else {
                items.push(ClassItem::Range(lo, lo));
            }
        }
        Ok(Node::Class { negated, items })
    }
}

/// End positions reachable by matching `node` from any start in `starts`.
fn step(node: &Node, input: &[char], starts: &[bool]) -> Vec<bool> {
    let n = input.len();
    let mut out = vec![false; n + 1];
    let single = |out: &mut Vec<bool>, ok: &dyn Fn(char) -> bool| {
        for i in 0..n {
            if starts[i] && ok(input[i]) {
                out[i + 1] = true;
            }
        }
    };
    match node {
        Node::Char(c) => single(&mut out, &|x| x == *c),
        Node::Any => single(&mut out, &|x| x != '\n'),
        Node::Class { negated, items } => single(&mut out, &|x| {
            items.iter().any(|it| it.contains(x)) != *negated
        }),
        Node::Concat(items) => {
            let mut cur = starts.to_vec();
            for item in items {
                cur = step(item, input, &cur);
                if !cur.contains(&true) {
                    break;
                }
            }
            out = cur;
        }
        Node::Alt(branches) => {
            for b in branches {
                for (o, r) in out.iter_mut().zip(step(b, input, starts)) {
                    *o |= r;
                }
            }
        }
        Node::Repeat {
            node: inner,
            min_one,
            max_one: false,
        } if **inner == Node::Any => {
            // `.*` and `.+`, the most common filter regexes, in one pass: a position is
            // reached from any start before it (at it, for `.*`) with no newline between.
            let mut reach = false;
            for i in 0..=n {
                if *min_one {
                    out[i] = reach;
                }
                reach |= starts[i];
                if !*min_one {
                    out[i] = reach;
                }
                if i < n && input[i] == '\n' {
                    reach = false;
                }
            }
        }
        Node::Repeat {
            node,
            min_one,
            max_one,
        } => {
            let first = step(node, input, starts);
            out = if *min_one {
                first.clone()
            } else {
                starts.to_vec()
            };
            if !*min_one {
                for (o, f) in out.iter_mut().zip(&first) {
                    *o |= *f;
                }
            }
            if !*max_one {
                // Only the positions reached for the first time go round again, and an empty
                // frontier stops at once (each pass matches `node` again, which nests).
                let mut frontier = first;
                while frontier.contains(&true) {
                    let next = step(node, input, &frontier);
                    for (i, r) in next.into_iter().enumerate() {
                        frontier[i] = r && !out[i];
                        out[i] |= r;
                    }
                }
            }
        }
    }
    out
}

impl LabelRegex {
    /// Compiles `pattern`; errors carry the 0-based character position in `pattern`.
    pub fn new(pattern: &str) -> Result<Self, FilterError> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut p = RegexParser { c: &chars, pos: 0 };
        let node = p.alternation(0)?;
        if p.pos < chars.len() {
            return Err(err(p.pos, "unmatched ) in regex"));
        }
        // Matching costs a pass over the input per quantifier level: `((a+b)+c)+…` nested
        // deeply would take exponential time (a silence from Alertmanager could hang the UI).
        if repeat_depth(&node) > MAX_REPEAT_DEPTH {
            return Err(err(
                0,
                format!("unsupported regex: quantifiers nested more than {MAX_REPEAT_DEPTH} deep"),
            ));
        }
        Ok(Self { node })
    }

    /// Whether the whole of `s` matches.
    pub fn is_match(&self, s: &str) -> bool {
        let input: Vec<char> = s.chars().collect();
        let mut starts = vec![false; input.len() + 1];
        starts[0] = true;
        step(&self.node, &input, &starts)[input.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::alertmanager::AmAlertStatus;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + min * 60, 0).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn prom(pairs: &[(&str, &str)], state: PromAlertState, at: i64) -> PromAlert {
        PromAlert {
            labels: labels(pairs),
            annotations: labels(&[("summary", "Disk full on db1")]),
            state,
            active_at: Some(t(at)),
            value: Some(1.0),
        }
    }

    fn am(
        pairs: &[(&str, &str)],
        state: AmAlertState,
        silenced: &[&str],
        inhibited: &[&str],
        at: i64,
    ) -> AmAlert {
        AmAlert {
            labels: labels(pairs),
            annotations: labels(&[("summary", "from am"), ("runbook_url", "http://rb")]),
            generator_url: Some("http://prom/graph".into()),
            fingerprint: "f".into(),
            starts_at: Some(t(at)),
            receivers: vec!["pager".into()],
            status: AmAlertStatus {
                state,
                silenced_by: silenced.iter().map(|s| s.to_string()).collect(),
                inhibited_by: inhibited.iter().map(|s| s.to_string()).collect(),
                muted_by: Vec::new(),
            },
            ..AmAlert::default()
        }
    }

    const EXT: &[&str] = &["prometheus", "replica"];

    /// An alert with just the fields the sorting/filter/count tests need.
    fn alert(name: &str, sev: &str, state: AlertState, since: i64) -> Alert {
        Alert {
            labels: labels(&[("alertname", name), ("severity", sev), ("service", "api")]),
            annotations: labels(&[("summary", &format!("{name} Summary"))]),
            state,
            since: Some(t(since)),
            severity: Severity::from_label(Some(sev)),
            generator_url: None,
            sources: vec!["p".into()],
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            receivers: Vec::new(),
            value: None,
        }
    }

    // ----- merge -----

    #[test]
    fn merge_dedups_prometheus_and_ha_pair_by_labels_minus_external() {
        let base = [("alertname", "DiskFull"), ("severity", "page")];
        let p = [prom(
            &[
                base[0],
                base[1],
                ("prometheus", "mon/k8s"),
                ("replica", "a"),
            ],
            PromAlertState::Firing,
            5,
        )];
        let a1 = [am(
            &[base[0], base[1], ("prometheus", "mon/k8s")],
            AmAlertState::Active,
            &[],
            &[],
            7,
        )];
        let a2 = [am(
            &[base[0], base[1], ("replica", "b")],
            AmAlertState::Active,
            &[],
            &[],
            3,
        )];
        let merged = merge_alerts(&[("prom", &p)], &[("am-0", &a1), ("am-1", &a2)], EXT);
        assert_eq!(merged.len(), 1);
        let a = &merged[0];
        assert_eq!(a.labels, labels(&base));
        assert_eq!(a.sources, vec!["prom", "am-0", "am-1"]);
        assert_eq!(a.state, AlertState::Firing);
        assert_eq!(a.since, Some(t(3)), "earliest of activeAt/startsAt");
        assert_eq!(a.severity, Severity::Critical);
        assert_eq!(
            a.summary(),
            Some("Disk full on db1"),
            "prometheus annotations first"
        );
        assert_eq!(a.runbook_url(), None);
        assert_eq!(a.generator_url.as_deref(), Some("http://prom/graph"));
        assert_eq!(a.receivers, vec!["pager"]);
        assert_eq!(a.value, Some(1.0));
    }

    #[test]
    fn merge_keeps_distinct_label_sets_apart_and_sorted() {
        let p = [
            prom(
                &[("alertname", "B"), ("instance", "x")],
                PromAlertState::Pending,
                1,
            ),
            prom(
                &[("alertname", "A"), ("instance", "x")],
                PromAlertState::Firing,
                1,
            ),
            prom(
                &[("alertname", "A"), ("instance", "y")],
                PromAlertState::Firing,
                1,
            ),
            prom(&[("alertname", "Z")], PromAlertState::Inactive, 1),
        ];
        let merged = merge_alerts(&[("p", &p)], &[], EXT);
        let names: Vec<_> = merged
            .iter()
            .map(|a| (a.name(), a.label("instance"), a.state))
            .collect();
        assert_eq!(
            names,
            vec![
                ("A", "x", AlertState::Firing),
                ("A", "y", AlertState::Firing),
                ("B", "x", AlertState::Pending),
            ]
        );
        assert_eq!(merged[0].generator_url, None);
    }

    #[test]
    fn merge_prometheus_ha_pair_firing_wins_over_pending() {
        let l = [("alertname", "A"), ("replica", "a")];
        let l2 = [("alertname", "A"), ("replica", "b")];
        let p1 = [prom(&l, PromAlertState::Pending, 1)];
        let p2 = [prom(&l2, PromAlertState::Firing, 2)];
        let m = merge_alerts(&[("p1", &p1), ("p2", &p2)], &[], EXT);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].state, AlertState::Firing);
        assert_eq!(m[0].sources, vec!["p1", "p2"]);
    }

    fn merged_state(prom_state: Option<PromAlertState>, ams: &[&AmAlert]) -> AlertState {
        let l = [("alertname", "A")];
        let p: Vec<PromAlert> = prom_state.into_iter().map(|s| prom(&l, s, 0)).collect();
        let named: Vec<(String, Vec<AmAlert>)> = ams
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("am-{i}"), vec![(*a).clone()]))
            .collect();
        let sources: Vec<(&str, &[AmAlert])> = named
            .iter()
            .map(|(n, a)| (n.as_str(), a.as_slice()))
            .collect();
        let m = merge_alerts(&[("p", &p)], &sources, EXT);
        assert_eq!(m.len(), 1);
        m[0].state
    }

    #[test]
    fn state_precedence() {
        let l = [("alertname", "A")];
        let active = am(&l, AmAlertState::Active, &[], &[], 0);
        let unprocessed = am(&l, AmAlertState::Unprocessed, &[], &[], 0);
        let silenced = am(&l, AmAlertState::Suppressed, &["s1"], &[], 0);
        let inhibited = am(&l, AmAlertState::Suppressed, &[], &["fp"], 0);
        let both = am(&l, AmAlertState::Suppressed, &["s1"], &["fp"], 0);
        let bare = am(&l, AmAlertState::Suppressed, &[], &[], 0);
        let mut muted = am(&l, AmAlertState::Suppressed, &[], &["fp"], 0);
        muted.status.muted_by = vec!["weekend".into()];
        let firing = Some(PromAlertState::Firing);
        let pending = Some(PromAlertState::Pending);
        use AlertState::*;
        assert_eq!(merged_state(firing.clone(), &[]), Firing);
        assert_eq!(merged_state(pending.clone(), &[]), Pending);
        assert_eq!(
            merged_state(Some(PromAlertState::Other("x".into())), &[]),
            Firing
        );
        assert_eq!(merged_state(firing.clone(), &[&silenced]), Silenced);
        assert_eq!(merged_state(pending.clone(), &[&active]), Firing);
        assert_eq!(merged_state(None, &[&unprocessed]), Firing);
        assert_eq!(merged_state(None, &[&inhibited]), Inhibited);
        assert_eq!(merged_state(None, &[&both]), Silenced, "silence wins");
        assert_eq!(merged_state(None, &[&bare]), Silenced);
        assert_eq!(merged_state(None, &[&muted]), Silenced);
        // Silenced on one peer, active on the other: fail open.
        assert_eq!(merged_state(firing.clone(), &[&silenced, &active]), Firing);
        assert_eq!(merged_state(None, &[&unprocessed, &silenced]), Firing);
        // Silenced on one, inhibited on the other: suppressed everywhere, a silence involved.
        assert_eq!(merged_state(None, &[&inhibited, &silenced]), Silenced);
        assert_eq!(merged_state(firing, &[&inhibited, &inhibited]), Inhibited);
    }

    #[test]
    fn merge_unions_silences_and_inhibitions_without_duplicates() {
        let l = [("alertname", "A")];
        let a1 = [am(&l, AmAlertState::Suppressed, &["s1"], &["fp"], 0)];
        let a2 = [am(&l, AmAlertState::Suppressed, &["s1", "s2"], &[], 0)];
        let m = merge_alerts(&[], &[("am-0", &a1), ("am-1", &a2), ("am-0", &a1)], EXT);
        assert_eq!(m[0].silenced_by, vec!["s1", "s2"]);
        assert_eq!(m[0].inhibited_by, vec!["fp"]);
        assert_eq!(m[0].sources, vec!["am-0", "am-1"]);
        assert_eq!(m[0].summary(), Some("from am"));
        assert_eq!(m[0].runbook_url(), Some("http://rb"));
    }

    #[test]
    fn severity_from_label() {
        assert_eq!(Severity::from_label(Some("critical")), Severity::Critical);
        assert_eq!(Severity::from_label(Some("PAGE")), Severity::Critical);
        assert_eq!(Severity::from_label(Some("warning")), Severity::Warning);
        assert_eq!(Severity::from_label(Some("ticket")), Severity::Warning);
        assert_eq!(Severity::from_label(Some("info")), Severity::Info);
        assert_eq!(Severity::from_label(Some("none")), Severity::Other);
        assert_eq!(Severity::from_label(None), Severity::Other);
        assert!(Severity::Critical < Severity::Warning && Severity::Info < Severity::Other);
    }

    // ----- grouping and sorting -----

    #[test]
    fn groups_by_alertname_with_firing_pages_first() {
        use AlertState::*;
        let alerts = vec![
            alert("Alpha", "warning", Firing, 0),
            alert("Beta", "critical", Pending, 0),
            alert("Zulu", "critical", Firing, 50),
            alert("Alpha", "critical", Silenced, 10),
        ];
        for sort in [SortBy::Severity, SortBy::Age, SortBy::Name] {
            let g = group_alerts(&alerts, &[], sort);
            let names: Vec<_> = g.iter().map(|g| g.labels["alertname"].as_str()).collect();
            assert_eq!(names[0], "Zulu", "{sort:?}: the firing page first");
            assert_eq!(g.len(), 3);
            assert!(g[0].has_firing_page() && !g[1].has_firing_page());
            let alpha = g.iter().find(|g| g.labels["alertname"] == "Alpha").unwrap();
            assert_eq!(alpha.members.len(), 2);
            assert_eq!(alpha.labels, labels(&[("alertname", "Alpha")]));
        }
        let names = |sort| -> Vec<String> {
            group_alerts(&alerts, &[], sort)
                .iter()
                .map(|g| g.labels["alertname"].clone())
                .collect()
        };
        assert_eq!(names(SortBy::Severity), vec!["Zulu", "Alpha", "Beta"]);
        assert_eq!(names(SortBy::Name), vec!["Zulu", "Alpha", "Beta"]);
        // Age: newest first; Alpha's newest is at 10, Beta's at 0.
        assert_eq!(names(SortBy::Age), vec!["Zulu", "Alpha", "Beta"]);
    }

    #[test]
    fn sort_within_group() {
        use AlertState::*;
        let mut a = vec![
            alert("X", "info", Firing, 30),
            alert("X", "critical", Silenced, 40),
            alert("X", "warning", Firing, 10),
            alert("X", "critical", Pending, 20),
        ];
        for (i, x) in a.iter_mut().enumerate() {
            x.labels.insert("instance".into(), format!("i{i}"));
        }
        let inst = |sort| -> Vec<String> {
            group_alerts(&a, &[], sort)[0]
                .alerts(&a)
                .map(|x| x.label("instance").to_owned())
                .collect()
        };
        assert_eq!(inst(SortBy::Severity), vec!["i2", "i0", "i3", "i1"]);
        assert_eq!(inst(SortBy::Age), vec!["i1", "i0", "i3", "i2"]);
        assert_eq!(inst(SortBy::Name), vec!["i0", "i1", "i2", "i3"]);
    }

    #[test]
    fn age_sort_puts_unknown_start_last_and_tie_breaks_by_labels() {
        let mut old = alert("A", "info", AlertState::Firing, 0);
        old.since = None;
        let new = alert("B", "info", AlertState::Firing, 5);
        assert_eq!(compare_alerts(&new, &old, SortBy::Age), Ordering::Less);
        assert_eq!(compare_alerts(&new, &new, SortBy::Age), Ordering::Equal);
        let b2 = alert("B", "info", AlertState::Firing, 5);
        let mut b1 = b2.clone();
        b1.labels.insert("zone".into(), "a".into());
        assert_ne!(compare_alerts(&b1, &b2, SortBy::Name), Ordering::Equal);
    }

    #[test]
    fn groups_by_given_labels_missing_labels_left_out() {
        use AlertState::*;
        let mut a = alert("A", "warning", Firing, 0);
        a.labels.insert("team".into(), "db".into());
        let b = alert("B", "warning", Firing, 0); // no team
        let mut c = alert("C", "warning", Firing, 0);
        c.labels.insert("team".into(), "db".into());
        let all = [a, b, c];
        let g = group_alerts(&all, &["team".into()], SortBy::Name);
        assert_eq!(g.len(), 2);
        let db = g
            .iter()
            .find(|g| g.labels == labels(&[("team", "db")]))
            .unwrap();
        assert_eq!(db.members.len(), 2);
        assert!(g
            .iter()
            .any(|g| g.labels.is_empty() && g.members.len() == 1));
        let g = group_alerts(&all, &["team".into(), "service".into()], SortBy::Name);
        assert_eq!(g[0].labels, labels(&[("service", "api"), ("team", "db")]));
        assert_eq!(group_alerts(&all, &["...".into()], SortBy::Name).len(), 3);
        assert!(group_alerts(&[], &[], SortBy::Name).is_empty());
    }

    // ----- filters -----

    fn sample() -> Vec<Alert> {
        use AlertState::*;
        let mut disk = alert("DiskFull", "critical", Firing, 0);
        disk.annotations
            .insert("summary".into(), "Disk full on db1".into());
        disk.labels
            .insert("instance".into(), "db1.example.com".into());
        let mut lat = alert("HighLatency", "warning", Pending, 0);
        lat.labels.insert("instance".into(), "web-2".into());
        let cpu = alert("CPUHigh", "info", Silenced, 0);
        let inh = alert("Inhibited", "warning", Inhibited, 0);
        vec![disk, lat, cpu, inh]
    }

    fn hits(filter: &str) -> Vec<String> {
        let f = Filter::parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
        sample()
            .iter()
            .filter(|a| f.matches(a))
            .map(|a| a.name().to_owned())
            .collect()
    }

    #[test]
    fn filter_label_operators() {
        assert_eq!(hits("severity=critical"), vec!["DiskFull"]);
        assert_eq!(
            hits("severity!=critical"),
            vec!["HighLatency", "CPUHigh", "Inhibited"]
        );
        assert_eq!(hits("alertname=~.*High.*"), vec!["HighLatency", "CPUHigh"]);
        assert_eq!(
            hits("alertname=~High"),
            Vec::<String>::new(),
            "fully anchored"
        );
        assert_eq!(hits("alertname!~.*High.*"), vec!["DiskFull", "Inhibited"]);
        assert_eq!(
            hits("instance=~db[0-9]\\.example\\.com|web-.*"),
            vec!["DiskFull", "HighLatency"]
        );
        // Missing labels compare as "".
        assert_eq!(hits("instance="), vec!["CPUHigh", "Inhibited"]);
        assert_eq!(hits("instance!=\"\""), vec!["DiskFull", "HighLatency"]);
        assert_eq!(
            hits("nosuchlabel=~x?"),
            vec!["DiskFull", "HighLatency", "CPUHigh", "Inhibited"]
        );
    }

    #[test]
    fn filter_terms_all_must_match() {
        assert_eq!(hits("severity=warning @pending"), vec!["HighLatency"]);
        assert_eq!(
            hits("  service=api   severity=~warning|info  "),
            vec!["HighLatency", "CPUHigh", "Inhibited"]
        );
        assert_eq!(
            hits(""),
            vec!["DiskFull", "HighLatency", "CPUHigh", "Inhibited"]
        );
        assert!(Filter::parse("   ").unwrap().is_empty());
    }

    #[test]
    fn filter_state_words() {
        assert_eq!(hits("@firing"), vec!["DiskFull"]);
        assert_eq!(hits("@pending"), vec!["HighLatency"]);
        assert_eq!(hits("@silenced"), vec!["CPUHigh"]);
        assert_eq!(hits("@inhibited"), vec!["Inhibited"]);
        let e = Filter::parse("x @active").unwrap_err();
        assert_eq!(e.position, 2);
        assert!(e.to_string().contains("unknown state word @active"), "{e}");
        assert!(e.to_string().ends_with(" at 2"), "{e}");
    }

    #[test]
    fn filter_free_text_is_case_insensitive_over_values_and_summary() {
        assert_eq!(hits("latency"), vec!["HighLatency"]);
        assert_eq!(hits("DB1"), vec!["DiskFull"], "label value / summary");
        assert_eq!(
            hits("\"disk full\""),
            vec!["DiskFull"],
            "summary, quoted phrase"
        );
        assert_eq!(
            hits("api"),
            vec!["DiskFull", "HighLatency", "CPUHigh", "Inhibited"]
        );
        assert_eq!(
            hits("severity"),
            Vec::<String>::new(),
            "label names are not searched"
        );
        assert_eq!(hits("\"a=b\""), Vec::<String>::new(), "quoted = is text");
        assert_eq!(
            Filter::parse("\"a=b\"").unwrap().terms,
            vec![FilterTerm::Text("a=b".into())]
        );
    }

    #[test]
    fn filter_quotes() {
        let f = Filter::parse(r#"summary="disk full" x="a \"q\" \\ \." "#).unwrap();
        assert_eq!(f.terms.len(), 2);
        match &f.terms[0] {
            FilterTerm::Label {
                name, op, value, ..
            } => {
                assert_eq!(
                    (name.as_str(), *op, value.as_str()),
                    ("summary", LabelOp::Equal, "disk full")
                );
            }
            other => panic!("{other:?}"),
        }
        match &f.terms[1] {
            FilterTerm::Label { value, .. } => assert_eq!(value, r#"a "q" \ \."#),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            hits("alertname=~\"Disk.*|CPU.*\""),
            vec!["DiskFull", "CPUHigh"]
        );
        assert_eq!(hits("instance=~\"db1\\.example\\.com\""), vec!["DiskFull"]);
        assert_eq!(
            hits("alertname=Disk\"Full\""),
            vec!["DiskFull"],
            "quote mid-term"
        );
    }

    #[test]
    fn nested_quantifiers_match_in_bounded_time() {
        // Found by fuzzing (fuzz/ filter target): `#+++…` nested 23 quantifiers, each a pass
        // over the input, and took minutes. Stacked quantifiers are now one.
        let re = LabelRegex::new(&format!("a*{}#{}", "+".repeat(40), "+".repeat(40))).unwrap();
        assert!(!re.is_match(&"+".repeat(30)));
        assert!(re.is_match("aaa##"));
        let re = LabelRegex::new("a?+").unwrap();
        assert!(re.is_match("") && re.is_match("aaa"));
        let re = LabelRegex::new("a+?").unwrap();
        assert!(!re.is_match("") && re.is_match("aa"));
        // Quantified groups nest at most 3 deep (each level is a pass per position reached).
        assert!(LabelRegex::new("((a+b)*c)?").is_ok());
        let e = LabelRegex::new("(((a+b)*c)?d)+").unwrap_err();
        assert!(e.message.contains("nested more than 3 deep"), "{e}");
    }

    #[test]
    fn filter_parse_errors_have_positions() {
        let e = Filter::parse("severity=page summary=\"disk").unwrap_err();
        assert_eq!(e.to_string(), "unclosed quote at 22");
        let e = Filter::parse("=foo").unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (0, "missing label name before operator")
        );
        let e = Filter::parse("ok a-b=c").unwrap_err();
        assert_eq!(e.position, 4);
        assert!(e.message.contains("invalid character '-'"), "{e}");
        let e = Filter::parse("1abc=c").unwrap_err();
        assert_eq!(e.position, 0);
        let e = Filter::parse("job=~(api").unwrap_err();
        assert_eq!(e.to_string(), "bad regex: unclosed group in regex at 5");
        let e = Filter::parse("job=~a{2}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad regex: unsupported regex syntax {n,m} at 6"
        );
        let e = Filter::parse("x job=~\"a[b\"").unwrap_err();
        assert_eq!(e.position, 9, "{e}");
        let e = Filter::parse("job=~*").unwrap_err();
        assert_eq!(e.position, 5);
        let e = Filter::parse("job=~\"ab\\").unwrap_err();
        assert_eq!(e.message, "unclosed quote");
    }

    #[test]
    fn filter_operator_shapes() {
        let op = |s: &str| match &Filter::parse(s).unwrap().terms[0] {
            FilterTerm::Label {
                name, op, value, ..
            } => Some((name.clone(), *op, value.clone())),
            _ => None,
        };
        assert_eq!(op("a=b"), Some(("a".into(), LabelOp::Equal, "b".into())));
        assert_eq!(
            op("a!=b"),
            Some(("a".into(), LabelOp::NotEqual, "b".into()))
        );
        assert_eq!(op("a=~b"), Some(("a".into(), LabelOp::Matches, "b".into())));
        assert_eq!(
            op("a!~b"),
            Some(("a".into(), LabelOp::NotMatches, "b".into()))
        );
        assert_eq!(op("a==b"), Some(("a".into(), LabelOp::Equal, "=b".into())));
        assert_eq!(op("hello!"), None);
        assert_eq!(op("wow!yes"), None);
    }

    // ----- regex -----

    fn re(p: &str) -> LabelRegex {
        LabelRegex::new(p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn regex_matching() {
        let cases: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("abc", "xabc", false),
            ("a.c", "abc", true),
            ("a.c", "ac", false),
            ("a*", "", true),
            ("a*", "aaaa", true),
            ("a+", "", false),
            ("a+b", "aaab", true),
            ("colou?r", "color", true),
            ("colou?r", "colour", true),
            ("colou?r", "colouur", false),
            ("api|web", "web", true),
            ("api|web", "apiweb", false),
            ("(api|web)-[0-9]+", "web-12", true),
            ("(?:api|web)-[0-9]+", "api-", false),
            ("[a-c]+", "abcab", true),
            ("[a-c]+", "abd", false),
            ("[^a-c]+", "xyz", true),
            ("[^a-c]+", "xaz", false),
            ("[-a]", "-", true),
            ("[a-]", "-", true),
            ("[]a]", "]", true),
            ("a\\.b", "a.b", true),
            ("a\\.b", "axb", false),
            ("\\d+\\s\\w+", "42 ms_x", true),
            ("[\\d.]+", "1.5", true),
            ("^prod$", "prod", true),
            ("^prod$", "prod2", false),
            ("", "", true),
            ("", "x", false),
            ("(a*)*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", false),
            ("(a|ab)(c|bcd)(d*)", "abcd", true),
            (".*é.*", "café", true),
            ("a+?", "aa", true),
            ("x|", "", true),
            // `.*` / `.+` take a one-pass path: starts, ends, middles and newlines.
            ("check.*", "checkout", true),
            ("check.*", "check", true),
            ("check.+", "check", false),
            ("check.+", "checks", true),
            (".*out", "checkout", true),
            (".*out", "checkou", false),
            (".+", "", false),
            (".*", "", true),
            ("a.*b.*c", "axxbyyc", true),
            ("a.*b.*c", "axxcyyb", false),
            ("a.*b", "a\nb", false),
            ("a.+b", "axb", true),
            ("(a.*)+b", "aaab", true),
        ];
        for (p, s, want) in cases {
            assert_eq!(re(p).is_match(s), *want, "{p:?} on {s:?}");
        }
    }

    #[test]
    fn regex_errors() {
        let cases: &[(&str, usize, &str)] = &[
            ("a{2}", 1, "unsupported regex syntax {n,m}"),
            ("(?i)x", 0, "unsupported regex syntax (? other than (?:"),
            ("(ab", 0, "unclosed group in regex"),
            ("ab)", 2, "unmatched ) in regex"),
            ("[ab", 0, "unclosed [ in regex"),
            ("*a", 0, "nothing to repeat before * in regex"),
            ("a^b", 1, "unsupported regex syntax ^ inside the pattern"),
            ("a\\", 1, "trailing backslash in regex"),
            ("\\1", 0, "unsupported regex syntax \\1"),
            ("[z-a]", 1, "bad range z-a in regex class"),
            ("[[:alpha:]]", 1, "unsupported regex syntax [:class:]"),
        ];
        for (p, pos, msg) in cases {
            let e = LabelRegex::new(p).unwrap_err();
            assert_eq!((e.position, e.message.as_str()), (*pos, *msg), "{p:?}");
        }
        let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert!(LabelRegex::new(&deep)
            .unwrap_err()
            .message
            .contains("deeply"));
    }

    // ----- counts and new alerts -----

    #[test]
    fn counts_per_state_and_severity() {
        use AlertState::*;
        let alerts = vec![
            alert("A", "critical", Firing, 0),
            alert("B", "page", Firing, 0),
            alert("C", "warning", Firing, 0),
            alert("D", "bogus", Firing, 0),
            alert("E", "critical", Pending, 0),
            alert("F", "critical", Silenced, 0),
            alert("G", "info", Silenced, 0),
            alert("H", "warning", Inhibited, 0),
        ];
        let c = Counts::of(&alerts);
        assert_eq!(
            c.firing_by_severity
                .iter()
                .map(|(s, n)| (*s, *n))
                .collect::<Vec<_>>(),
            vec![
                (Severity::Critical, 2),
                (Severity::Warning, 1),
                (Severity::Other, 1)
            ]
        );
        assert_eq!(
            (c.firing(), c.pending, c.silenced, c.inhibited),
            (4, 1, 2, 1)
        );
        assert_eq!(Counts::of(&[]), Counts::default());
    }

    #[test]
    fn new_firing_detection() {
        use AlertState::*;
        let before = vec![
            alert("A", "critical", Firing, 0),
            alert("B", "critical", Pending, 0),
            alert("C", "critical", Silenced, 0),
            alert("D", "critical", Firing, 0),
        ];
        let prev = firing_keys(&before);
        assert_eq!(prev.len(), 2);
        let now = vec![
            alert("A", "critical", Firing, 0),   // still firing
            alert("B", "critical", Firing, 0),   // pending -> firing: new
            alert("C", "critical", Silenced, 0), // still silenced
            alert("E", "warning", Firing, 0),    // brand new
            alert("F", "warning", Pending, 0),   // new but only pending
        ];
        let new: Vec<_> = new_firing(Some(&prev), &now)
            .iter()
            .map(|a| a.name())
            .collect();
        assert_eq!(new, vec!["B", "E"]);
        assert!(new_firing(None, &now).is_empty(), "first poll never rings");
        // Silence expiring makes it new again.
        let unsilenced = vec![alert("C", "critical", Firing, 0)];
        assert_eq!(new_firing(Some(&prev), &unsilenced).len(), 1);
        assert!(new_firing(Some(&firing_keys(&now)), &now).is_empty());
    }

    #[test]
    fn state_words_roundtrip() {
        for s in [
            AlertState::Firing,
            AlertState::Pending,
            AlertState::Silenced,
            AlertState::Inhibited,
        ] {
            let f = Filter::parse(&format!("@{}", s.as_str())).unwrap();
            assert_eq!(f.terms, vec![FilterTerm::State(s)]);
        }
    }
}
