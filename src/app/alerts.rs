//! Alert state: what each Prometheus and Alertmanager said, the merged list, the list's filter
//! and sort, the drill-down's expression chart, the silence form and confirmations.
//!
//! Everything here is driven by [`App::update`](super::App::update); nothing does I/O.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::input::TextInput;
use crate::domain::alerts::{
    group_matching, merge_alerts, new_firing, Alert, AlertGroup, AlertKey, Counts, Filter,
    FilterError, SortBy,
};
use crate::domain::expr::Threshold;
use crate::domain::series::Series;
use crate::domain::window::Window;
use crate::prom::alertmanager::{AmAlert, NewSilence, Silence, SilenceState};
use crate::prom::alerts::{AlertRule, AlertRuleGroup, PromAlert};
use crate::prom::{PromError, QueryResponse};

/// How long a newly firing alert stays highlighted.
pub const NEW_HIGHLIGHT_SECS: i64 = 5 * 60;
/// Silences ending within this are marked in the list.
pub const ENDING_SOON_SECS: i64 = 12 * 3600;

/// What one alert poll reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertFeed {
    /// Prometheus `/api/v1/alerts`.
    PromAlerts,
    /// Prometheus `/api/v1/rules?type=alert`.
    PromRules,
    /// Alertmanager `/api/v2/alerts`.
    AmAlerts,
    /// Alertmanager `/api/v2/silences`.
    AmSilences,
}

impl AlertFeed {
    /// Short name for messages.
    pub fn label(self) -> &'static str {
        match self {
            AlertFeed::PromAlerts => "alerts",
            AlertFeed::PromRules => "alerting rules",
            AlertFeed::AmAlerts => "alerts",
            AlertFeed::AmSilences => "silences",
        }
    }

    /// Whether an Alertmanager serves it.
    pub fn is_alertmanager(self) -> bool {
        matches!(self, AlertFeed::AmAlerts | AlertFeed::AmSilences)
    }
}

/// Poll bookkeeping for one feed of one source.
#[derive(Debug, Clone)]
pub struct AlertPoll {
    pub feed: AlertFeed,
    /// Prometheus source or Alertmanager name.
    pub source: String,
    pub in_flight: bool,
    pub next_due: Option<DateTime<Utc>>,
    pub last_ok: Option<DateTime<Utc>>,
    pub last_error: Option<(DateTime<Utc>, String)>,
    pub failures: u32,
}

/// What a feed returned.
#[derive(Debug)]
pub enum AlertData {
    PromAlerts(Vec<PromAlert>),
    Rules(Vec<AlertRuleGroup>),
    AmAlerts(Vec<AmAlert>),
    Silences(Vec<Silence>),
}

/// A silence and the Alertmanagers that hold it (an HA pair shares IDs).
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceRow {
    pub silence: Silence,
    pub alertmanagers: Vec<String>,
}

/// The drill-down's chart: the rule's expression (or its left side when the rule compares it
/// with a number) and the `ALERTS` series that says when it fired.
#[derive(Debug, Clone, Default)]
pub struct ExprChart {
    /// Identity of the alert the chart is for.
    pub key: AlertKey,
    /// Bumped for every new chart request; older answers are dropped.
    pub token: u64,
    /// The rule expression as written.
    pub expr: Option<String>,
    /// The comparison split off the expression, drawn as a line.
    pub threshold: Option<Threshold>,
    /// The PromQL charted (the left side when there is a threshold).
    pub promql: Option<String>,
    pub window: Option<Window>,
    pub values: Option<Series>,
    /// When the alert fired, `[start, end]` unix seconds.
    pub firing: Vec<(i64, i64)>,
    pub firing_known: bool,
    pub error: Option<String>,
    pub loading: bool,
}

/// A field of the silence form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Matcher(usize),
    Duration,
    Author,
    Comment,
}

/// The silence form, prefilled from an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceForm {
    /// The Alertmanager it goes to.
    pub alertmanager: String,
    /// One `name="value"` (or `=~`, `!=`, `!~`) per row; empty rows are ignored.
    pub matchers: Vec<TextInput>,
    pub duration: TextInput,
    pub author: TextInput,
    pub comment: TextInput,
    pub focus: usize,
    /// Why the last submit was refused.
    pub error: Option<String>,
    /// How many current alerts the matchers select (updated as they are edited).
    pub matching: usize,
}

impl SilenceForm {
    /// The focused field.
    pub fn field(&self) -> FormField {
        let m = self.matchers.len();
        match self.focus {
            i if i < m => FormField::Matcher(i),
            i if i == m => FormField::Duration,
            i if i == m + 1 => FormField::Author,
            _ => FormField::Comment,
        }
    }

    /// Number of fields.
    pub fn fields(&self) -> usize {
        self.matchers.len() + 3
    }

    pub fn input_mut(&mut self) -> &mut TextInput {
        match self.field() {
            FormField::Matcher(i) => &mut self.matchers[i],
            FormField::Duration => &mut self.duration,
            FormField::Author => &mut self.author,
            FormField::Comment => &mut self.comment,
        }
    }
}

/// A write waiting for `y`.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    Create {
        alertmanager: String,
        silence: NewSilence,
    },
    Expire {
        alertmanager: String,
        id: String,
        what: String,
    },
}

/// The alerts part of the state.
#[derive(Debug, Default)]
pub struct AlertsState {
    pub polls: Vec<AlertPoll>,
    pub prom_alerts: BTreeMap<String, Vec<PromAlert>>,
    pub rules: BTreeMap<String, Vec<AlertRule>>,
    pub am_alerts: BTreeMap<String, Vec<AmAlert>>,
    pub am_silences: BTreeMap<String, Vec<Silence>>,
    /// The merged list (see [`merge_alerts`]).
    pub merged: Vec<Alert>,
    pub counts: Counts,
    /// Firing identities at the last merge; `None` until every feed answered once.
    previous_firing: Option<BTreeSet<AlertKey>>,
    /// Bumped when the feeds are rebuilt (context switch); answers to older polls are
    /// dropped. Independent of the screen's time window, which alerts do not depend on.
    pub epoch: u64,
    /// Alertmanagers whose feeds must be polled again as soon as their answer is in (a write
    /// happened while a poll was out).
    pub repoll: BTreeSet<String>,
    /// Alerts that started firing while sretop watched, and when it noticed.
    pub new_since: BTreeMap<AlertKey, DateTime<Utc>>,
    /// The list after filter, grouped and sorted (members index [`Self::merged`]).
    pub groups: Vec<AlertGroup>,
    /// Silences of every Alertmanager, active and pending, ending soonest first.
    pub silences: Vec<SilenceRow>,
    pub filter_input: TextInput,
    /// True while the filter line takes keys.
    pub editing_filter: bool,
    pub filter: Filter,
    pub filter_error: Option<FilterError>,
    pub sort: SortBy,
    /// Selected alert, counted over the alerts of [`Self::groups`] in order.
    pub selected: usize,
    /// The alert shown in the drill-down.
    pub open: Option<AlertKey>,
    pub chart: ExprChart,
    pub silence_selected: usize,
    pub form: Option<SilenceForm>,
    /// The form of the silence being created, until Alertmanager answers.
    pub sent_form: Option<SilenceForm>,
    pub confirm: Option<Confirm>,
    /// Alertmanagers failing at the transport level: since when, and why.
    pub am_down: BTreeMap<String, (DateTime<Utc>, String)>,
    /// The outcome of the last write, or why a key did nothing, shown in the status line.
    pub notice: Option<(DateTime<Utc>, String, bool)>,
}

impl AlertsState {
    /// Merges what every source said, updates counts and highlights, and re-filters.
    /// Returns the alerts that started firing since the previous merge.
    pub fn remerge(
        &mut self,
        external: &[String],
        group_by: &[String],
        now: DateTime<Utc>,
    ) -> usize {
        let ext: Vec<&str> = external.iter().map(String::as_str).collect();
        let prom: Vec<(&str, &[PromAlert])> = self
            .prom_alerts
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        let am: Vec<(&str, &[AmAlert])> = self
            .am_alerts
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        self.merged = merge_alerts(&prom, &am, &ext);
        self.counts = Counts::of(&self.merged);
        let fresh: Vec<AlertKey> = new_firing(self.previous_firing.as_ref(), &self.merged)
            .into_iter()
            .map(|a| a.labels.clone())
            .collect();
        for key in &fresh {
            self.new_since.insert(key.clone(), now);
        }
        let all_answered = self
            .polls
            .iter()
            .filter(|p| p.feed != AlertFeed::PromRules && p.feed != AlertFeed::AmSilences)
            .all(|p| p.last_ok.is_some() || p.last_error.is_some());
        if all_answered {
            self.previous_firing = Some(crate::domain::alerts::firing_keys(&self.merged));
        }
        self.expire_highlights(now);
        self.regroup(group_by);
        fresh.len()
    }

    /// Forgets which alerts were firing, so the next complete answer sets a new baseline
    /// without ringing (start-up, context switch).
    pub fn reset_baseline(&mut self) {
        self.previous_firing = None;
        self.new_since.clear();
    }

    /// Replaces the merged list directly (fixtures, benchmarks and snapshot tests; live data
    /// goes through [`Self::remerge`]).
    pub fn load_merged(&mut self, alerts: Vec<Alert>, group_by: &[String]) {
        self.counts = Counts::of(&alerts);
        self.merged = alerts;
        self.regroup(group_by);
    }

    /// Drops highlights older than [`NEW_HIGHLIGHT_SECS`] or of alerts no longer firing.
    pub fn expire_highlights(&mut self, now: DateTime<Utc>) {
        let firing: BTreeSet<&AlertKey> = self
            .merged
            .iter()
            .filter(|a| a.state == crate::domain::alerts::AlertState::Firing)
            .map(|a| &a.labels)
            .collect();
        self.new_since
            .retain(|k, t| (now - *t).num_seconds() < NEW_HIGHLIGHT_SECS && firing.contains(k));
    }

    /// Applies the filter and sort to the merged list.
    pub fn regroup(&mut self, group_by: &[String]) {
        let selected_key = self.selected_alert().map(|a| a.labels.clone());
        let filter = &self.filter;
        self.groups = group_matching(
            &self.merged,
            |a| filter.is_empty() || filter.matches(a),
            group_by,
            self.sort,
        );
        // Keep the cursor on the same alert when it is still listed.
        if let Some(key) = selected_key {
            let found = self.visible().position(|a| a.labels == key);
            if let Some(i) = found {
                self.selected = i;
            }
        }
        self.selected = self.selected.min(self.visible_len().saturating_sub(1));
    }

    /// The listed alerts in order.
    pub fn visible(&self) -> impl Iterator<Item = &Alert> {
        self.groups.iter().flat_map(|g| g.alerts(&self.merged))
    }

    pub fn visible_len(&self) -> usize {
        self.groups.iter().map(|g| g.members.len()).sum()
    }

    pub fn selected_alert(&self) -> Option<&Alert> {
        self.visible().nth(self.selected)
    }

    /// The drill-down's alert (from the merged list, so it stays current).
    pub fn open_alert(&self) -> Option<&Alert> {
        let key = self.open.as_ref()?;
        self.merged.iter().find(|a| &a.labels == key)
    }

    /// Re-parses the filter line; a bad filter keeps the previous one in force.
    pub fn set_filter(&mut self, group_by: &[String]) {
        match Filter::parse(&self.filter_input.text) {
            Ok(f) => {
                self.filter = f;
                self.filter_error = None;
                self.regroup(group_by);
            }
            Err(e) => self.filter_error = Some(e),
        }
    }

    /// Rebuilds the silence list from every Alertmanager's answer.
    pub fn rebuild_silences(&mut self) {
        let mut by_id: BTreeMap<String, SilenceRow> = BTreeMap::new();
        for (am, list) in &self.am_silences {
            for s in list {
                if s.status == SilenceState::Expired {
                    continue;
                }
                by_id
                    .entry(s.id.clone())
                    .and_modify(|row| row.alertmanagers.push(am.clone()))
                    .or_insert_with(|| SilenceRow {
                        silence: s.clone(),
                        alertmanagers: vec![am.clone()],
                    });
            }
        }
        let mut rows: Vec<SilenceRow> = by_id.into_values().collect();
        rows.sort_by(|a, b| {
            let key =
                |r: &SilenceRow| (r.silence.status != SilenceState::Active, r.silence.ends_at);
            key(a)
                .cmp(&key(b))
                .then_with(|| a.silence.id.cmp(&b.silence.id))
        });
        self.silences = rows;
        self.silence_selected = self
            .silence_selected
            .min(self.silences.len().saturating_sub(1));
    }

    /// The alerting rule behind an alert: same name, and the rule's own labels all on the
    /// alert.
    pub fn rule_for(&self, alert: &Alert) -> Option<&AlertRule> {
        self.rules.values().flatten().find(|r| {
            r.name == alert.name()
                && r.labels
                    .iter()
                    .all(|(k, v)| alert.labels.get(k).is_some_and(|x| x == v))
        })
    }

    /// Records an answer; returns whether the merged list must be rebuilt.
    pub fn record(
        &mut self,
        poll: usize,
        result: Result<AlertData, PromError>,
        now: DateTime<Utc>,
        every: chrono::Duration,
    ) -> Option<Result<(), PromError>> {
        let p = self.polls.get_mut(poll)?;
        p.in_flight = false;
        let source = p.source.clone();
        let sent = now;
        let again = p.feed.is_alertmanager() && self.repoll.remove(&source);
        match result {
            Ok(data) => {
                p.last_ok = Some(now);
                p.last_error = None;
                p.failures = 0;
                p.next_due = Some(if again { now } else { sent + every });
                match data {
                    AlertData::PromAlerts(a) => {
                        self.prom_alerts.insert(source, a);
                    }
                    AlertData::Rules(groups) => {
                        let rules = groups.into_iter().flat_map(|g| g.rules).collect();
                        self.rules.insert(source, rules);
                    }
                    AlertData::AmAlerts(a) => {
                        self.am_alerts.insert(source, a);
                    }
                    AlertData::Silences(s) => {
                        self.am_silences.insert(source, s);
                        self.rebuild_silences();
                    }
                }
                Some(Ok(()))
            }
            Err(e) => {
                p.last_error = Some((now, e.to_string()));
                if e.is_transport() {
                    p.failures += 1;
                    let backoff =
                        (1i64 << p.failures.min(6).saturating_sub(1)).min(super::MAX_BACKOFF_SECS);
                    p.next_due = Some(sent + chrono::Duration::seconds(backoff));
                } else {
                    p.next_due = Some(sent + every);
                }
                Some(Err(e))
            }
        }
    }
}

/// The answer to an alert poll.
#[derive(Debug)]
pub struct AlertFetched {
    pub poll: usize,
    pub generation: u64,
    pub result: Result<AlertData, PromError>,
}

/// What an expression-chart request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExprPart {
    /// The expression's value.
    Value,
    /// `ALERTS{alertstate="firing", …}` for the firing intervals.
    Firing,
}

/// The answer to an expression-chart request.
#[derive(Debug)]
pub struct ExprFetched {
    pub token: u64,
    pub part: ExprPart,
    pub window: Window,
    pub result: Result<QueryResponse, PromError>,
}
