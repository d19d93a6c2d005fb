//! The alert views' side of [`App::update`]: keys, the filter line, the silence form,
//! confirmations, the drill-down chart, and alert poll answers.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::alerts::{
    AlertData, AlertFeed, AlertFetched, Confirm, ExprChart, ExprFetched, ExprPart, SilenceForm,
};
use super::input::{Edit, TextInput};
use super::{labelled, App, Cmd, ExprRequest, View};
use crate::domain::alerts::{Alert, SortBy};
use crate::domain::series::Series;
use crate::domain::silence::{format_matcher, parse_matcher, prefill_matchers, silence_matches};
use crate::domain::{expr, signals};
use crate::keys::Action;
use crate::prom::alertmanager::{validate_silence, NewSilence};
use crate::prom::PromError;

/// The longest silence the form sends.
pub const MAX_SILENCE_SECS: i64 = 366 * 86_400;

impl App {
    /// Keys taken by a confirmation, the silence form or the filter line. Returns whether the
    /// key was used. Ctrl-C always reaches the key table (quit).
    pub(super) fn modal_key(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return false;
        }
        if let Some(confirm) = self.alerts.confirm.clone() {
            match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.alerts.confirm = None;
                    self.confirmed(confirm);
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    self.alerts.confirm = None;
                    if matches!(confirm, Confirm::Expire { .. }) {
                        self.notice("expire cancelled", false);
                    }
                }
                _ => {}
            }
            return true;
        }
        if self.alerts.form.is_some() {
            self.form_key(key);
            return true;
        }
        if self.alerts.editing_filter {
            match key.code {
                KeyCode::Enter | KeyCode::Esc => self.alerts.editing_filter = false,
                _ => {
                    if self.alerts.filter_input.key(key) == Edit::Changed {
                        self.alerts.set_filter(&self.config.alerts.group_by);
                    }
                }
            }
            return true;
        }
        false
    }

    /// Pasted text goes into the field being edited, line breaks and tabs as spaces; with no
    /// field open, or a confirmation showing, a paste does nothing.
    pub(super) fn on_paste(&mut self, text: &str) {
        if self.alerts.confirm.is_some() {
            return;
        }
        let clean: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if let Some(form) = self.alerts.form.as_mut() {
            form.input_mut().insert_str(&clean);
            form.error = None;
            if let Some(form) = self.alerts.form.as_ref() {
                let matching = self.count_matching(form);
                if let Some(form) = self.alerts.form.as_mut() {
                    form.matching = matching;
                }
            }
            self.dirty = true;
        } else if self.alerts.editing_filter {
            self.alerts.filter_input.insert_str(&clean);
            self.alerts.set_filter(&self.config.alerts.group_by);
            self.dirty = true;
        }
    }

    /// Alert-specific actions; returns whether the action was handled here.
    pub(super) fn alert_action(&mut self, action: Action) -> bool {
        if self.help {
            return false;
        }
        match action {
            Action::Alerts => {
                self.view = View::Alerts;
                true
            }
            Action::Filter => {
                self.alerts.editing_filter = true;
                true
            }
            Action::Sort => {
                self.alerts.sort = match self.alerts.sort {
                    SortBy::Severity => SortBy::Age,
                    SortBy::Age => SortBy::Name,
                    SortBy::Name => SortBy::Severity,
                };
                self.alerts.regroup(&self.config.alerts.group_by);
                true
            }
            Action::Silence => {
                self.start_silence();
                true
            }
            Action::Expire => {
                self.start_expire();
                true
            }
            Action::CopyRunbook | Action::CopyGenerator => {
                let runbook = action == Action::CopyRunbook;
                let link = self.alerts.open_alert().and_then(|a| {
                    if runbook {
                        a.runbook_url().map(str::to_owned)
                    } else {
                        a.generator_url.clone()
                    }
                });
                let what = if runbook { "runbook" } else { "expression" };
                match link {
                    Some(url) => {
                        self.pending.push(Cmd::Copy(url));
                        self.notice(format!("{what} link copied (OSC 52)"), false);
                    }
                    None => self.notice(format!("this alert has no {what} link"), true),
                }
                true
            }
            Action::RelatedService => {
                let target = self
                    .alerts
                    .open_alert()
                    .and_then(|a| self.related_services(a).first().copied());
                match target {
                    Some(i) => {
                        self.selected = i;
                        self.view = View::Service;
                    }
                    None => self.notice("no configured service matches this alert", true),
                }
                true
            }
            Action::RelatedSlo => {
                let target = self
                    .alerts
                    .open_alert()
                    .and_then(|a| self.related_slos(a).first().copied());
                match target {
                    Some(i) => {
                        self.slo_selected = i;
                        self.view = View::Slo;
                    }
                    None => self.notice("no configured SLO matches this alert", true),
                }
                true
            }
            Action::Up | Action::Down if self.view == View::Alert => {
                // In the drill-down, j/k step through the list without leaving.
                let last = self.alerts.visible_len().saturating_sub(1);
                self.alerts.selected = if action == Action::Up {
                    self.alerts.selected.saturating_sub(1)
                } else {
                    (self.alerts.selected + 1).min(last)
                };
                self.open_selected_alert();
                true
            }
            _ => false,
        }
    }

    /// Services whose service label value appears on the alert (under the source's
    /// `service_label`, `service`, `job` or `app`).
    pub fn related_services(&self, alert: &Alert) -> Vec<usize> {
        self.config
            .services
            .iter()
            .enumerate()
            .filter(|(_, svc)| {
                let value = svc.label_value.as_deref().unwrap_or(&svc.name);
                let label = self
                    .config
                    .source_of(svc)
                    .map_or("service", |s| s.service_label.as_str());
                [label, "service", "job", "app"]
                    .iter()
                    .any(|l| alert.labels.get(*l).is_some_and(|v| v == value))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// SLOs named by the alert (their alert name) or of a related service.
    pub fn related_slos(&self, alert: &Alert) -> Vec<usize> {
        let services = self.related_services(alert);
        self.slos
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.spec.alert_name.as_deref() == Some(alert.name())
                    || services.contains(&s.spec.service)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Opens the drill-down on the selected alert and asks for its chart (for `snapshot` and
    /// tests; the chart requests go out with the next `update`).
    pub fn open_alert_and_chart(&mut self) {
        self.open_selected_alert();
    }

    /// Opens the drill-down on the selected alert and asks for its chart.
    pub(super) fn open_selected_alert(&mut self) {
        let Some(alert) = self.alerts.selected_alert() else {
            return;
        };
        let key = alert.labels.clone();
        self.view = View::Alert;
        if self.alerts.open.as_ref() != Some(&key) || self.alerts.chart.key != key {
            self.alerts.open = Some(key);
            self.request_chart();
        }
    }

    /// (Re)queries the open alert's expression and firing history over the screen's window.
    pub(super) fn request_chart(&mut self) {
        let Some(alert) = self.alerts.open_alert().cloned() else {
            return;
        };
        let token = self.alerts.chart.token + 1;
        let expr = self
            .alerts
            .rule_for(&alert)
            .map(|r| r.query.clone())
            .or_else(|| {
                alert
                    .generator_url
                    .as_deref()
                    .and_then(expr::generator_expr)
            });
        let threshold = expr.as_deref().and_then(expr::split_threshold);
        let promql = threshold
            .as_ref()
            .map(|t| t.lhs.clone())
            .or_else(|| expr.clone());
        let mut window = self.window();
        if self.is_live() && window.end < self.now.timestamp() {
            // The screen's window ends at the last whole step; an alert that started firing
            // since then would be missing from its own chart. Chart one step further.
            window.start += window.step;
            window.end += window.step;
        }
        let has_source = self.config.source(&self.context).is_some();
        self.alerts.chart = ExprChart {
            key: alert.labels.clone(),
            token,
            expr,
            threshold,
            promql: promql.clone(),
            window: Some(window),
            loading: has_source,
            ..ExprChart::default()
        };
        if !has_source {
            return;
        }
        if let Some(promql) = promql {
            self.pending.push(Cmd::Expr(ExprRequest {
                token,
                part: ExprPart::Value,
                source: self.context.clone(),
                promql,
                window,
            }));
        }
        let mut matchers = vec![r#"alertstate="firing""#.to_string()];
        for (k, v) in &alert.labels {
            matchers.push(format!("{k}={}", signals::promql_string(v)));
        }
        self.pending.push(Cmd::Expr(ExprRequest {
            token,
            part: ExprPart::Firing,
            source: self.context.clone(),
            promql: format!("ALERTS{{{}}}", matchers.join(", ")),
            window,
        }));
    }

    pub(super) fn on_expr_fetched(&mut self, f: ExprFetched) {
        let chart = &mut self.alerts.chart;
        if f.token != chart.token {
            return;
        }
        self.dirty = true;
        chart.loading = false;
        let data = match f.result {
            Ok(resp) => resp.data,
            Err(e) => {
                if f.part == ExprPart::Value {
                    chart.error = Some(e.to_string());
                }
                return;
            }
        };
        let series = labelled(data);
        match f.part {
            ExprPart::Value => {
                let key = chart.key.clone();
                let fit = series
                    .iter()
                    .find(|(labels, _)| expr::labels_fit(labels, &key))
                    .or_else(|| (series.len() == 1).then(|| &series[0]));
                chart.values =
                    fit.map(|(_, samples)| Series::from_samples(f.window, samples.iter().copied()));
                if chart.values.is_none() {
                    chart.error = Some(if series.is_empty() {
                        "the expression has no data in this range".into()
                    } else {
                        format!(
                            "none of the expression's {} series has this alert's labels",
                            series.len()
                        )
                    });
                }
            }
            ExprPart::Firing => {
                chart.firing_known = true;
                chart.firing = series
                    .iter()
                    .flat_map(|(_, samples)| expr::firing_intervals(samples, f.window.step))
                    .collect();
                chart.firing.sort_unstable();
            }
        }
    }

    pub(super) fn on_alerts_fetched(&mut self, f: AlertFetched) {
        if f.generation != self.alerts.epoch {
            // A poll of feeds since rebuilt (context switch): the new polls are not in flight
            // and this answer says nothing about them.
            return;
        }
        let every = match self.alerts.polls.get(f.poll).map(|p| p.feed) {
            // Rules change with deploys, not every few seconds.
            Some(AlertFeed::PromRules) => self.alert_refresh().max(chrono::Duration::seconds(60)),
            _ => self.alert_refresh(),
        };
        let every = every + super::jitter_delay(self.jitter, 3 + f.poll as u64, self.now, every);
        let (feed, source) = match self.alerts.polls.get(f.poll) {
            Some(p) => (p.feed, p.source.clone()),
            None => return,
        };
        let rules = matches!(f.result, Ok(AlertData::Rules(_)));
        let now = self.now;
        let Some(outcome) = self.alerts.record(f.poll, f.result, now, every) else {
            return;
        };
        self.dirty = true;
        match outcome {
            Ok(()) => {
                if feed.is_alertmanager() {
                    self.alerts.am_down.remove(&source);
                }
                // Silences and rules do not change the merged alerts (rules are looked up when
                // an alert is shown): no remerge, which costs ~100 ms with 10,000 alerts.
                if !matches!(feed, AlertFeed::AmSilences | AlertFeed::PromRules) {
                    self.remerge_alerts();
                }
                if rules && self.alerts.chart.expr.is_none() && self.view == View::Alert {
                    self.request_chart();
                }
            }
            Err(e) => {
                let unreachable = matches!(
                    e,
                    PromError::Connect { .. } | PromError::Dns { .. } | PromError::Tls { .. }
                );
                if feed.is_alertmanager() {
                    if e.is_transport() {
                        self.alerts
                            .am_down
                            .entry(source)
                            .or_insert_with(|| (now, e.to_string()))
                            .1 = e.to_string();
                    }
                } else if unreachable {
                    let s = self.sources.entry(source).or_default();
                    s.down_since.get_or_insert(now);
                    s.last_error = Some(e.to_string());
                }
                if feed != AlertFeed::AmSilences && feed != AlertFeed::PromRules {
                    // What this source said before stays listed (marked stale by the
                    // header), rather than alerts vanishing during an outage.
                    self.remerge_alerts();
                }
            }
        }
    }

    /// A write asked for in read-only mode: the user is told, and the refusal goes to the
    /// audit log with the writes that were made.
    pub(super) fn refuse_write(&mut self, why: &str) {
        let user = self.user.as_deref().unwrap_or("unknown");
        tracing::info!(target: "sretop::audit", user = %user, "refused: {why}");
        self.notice(why.to_owned(), true);
    }

    /// A key that is bound to a write but unbound (and hidden) in read-only mode: say why
    /// nothing happens, rather than nothing.
    pub(super) fn refuse_write_key(&mut self, key: &KeyEvent) {
        if !self.config.read_only {
            return;
        }
        let writable = crate::keys::KeyContext {
            read_only: false,
            ..self.key_context()
        };
        let why = match self.keymap.lookup(key, writable) {
            None => return,
            Some(Action::Silence) => "read-only mode: silences cannot be created",
            Some(Action::Expire) => "read-only mode: silences cannot be expired",
            Some(_) => "read-only mode: writes are disabled",
        };
        self.dirty = true;
        self.refuse_write(why);
    }

    /// Opens the silence form for the selected (or open) alert.
    fn start_silence(&mut self) {
        if self.config.read_only {
            self.refuse_write("read-only mode: silences cannot be created");
            return;
        }
        let alert = match self.view {
            View::Alert => self.alerts.open_alert(),
            _ => self.alerts.selected_alert(),
        };
        let Some(alert) = alert.cloned() else {
            self.notice("no alert selected", true);
            return;
        };
        let am_names: Vec<&str> = self
            .config
            .alertmanagers
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        let target = alert
            .sources
            .iter()
            .find(|s| am_names.contains(&s.as_str()))
            .cloned()
            .or_else(|| am_names.first().map(|s| s.to_string()));
        let Some(alertmanager) = target else {
            self.notice(
                "no Alertmanager configured: silences need one (alertmanagers: in the config, or --alertmanager URL)",
                true,
            );
            return;
        };
        let ext: Vec<&str> = self
            .config
            .alerts
            .external_labels
            .iter()
            .map(String::as_str)
            .collect();
        let matchers: Vec<TextInput> = prefill_matchers(&alert.labels, &ext)
            .iter()
            .map(|m| TextInput::new(format_matcher(m)))
            .collect();
        let author = self
            .config
            .alerts
            .author
            .clone()
            .or_else(|| self.user.clone())
            .unwrap_or_default();
        let focus = matchers.len() + 2; // the comment: the one field with no default
        let mut form = SilenceForm {
            alertmanager,
            duration: TextInput::new(self.config.alerts.silence_duration.to_string()),
            author: TextInput::new(author),
            comment: TextInput::default(),
            matchers,
            focus,
            error: None,
            matching: 0,
        };
        form.matching = self.count_matching(&form);
        self.alerts.form = Some(form);
    }

    /// How many current alerts the form's (valid) matchers select.
    fn count_matching(&self, form: &SilenceForm) -> usize {
        let matchers: Vec<_> = form
            .matchers
            .iter()
            .filter(|m| !m.text.trim().is_empty())
            .filter_map(|m| parse_matcher(&m.text).ok())
            .collect();
        if matchers.is_empty() {
            return 0;
        }
        self.alerts
            .merged
            .iter()
            .filter(|a| silence_matches(&matchers, &a.labels))
            .count()
    }

    fn form_key(&mut self, key: &KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let Some(form) = self.alerts.form.as_mut() else {
            return;
        };
        let n = form.fields();
        match key.code {
            KeyCode::Esc => {
                self.alerts.form = None;
                self.notice("silence cancelled", false);
                return;
            }
            KeyCode::Tab | KeyCode::Down => form.focus = (form.focus + 1) % n,
            KeyCode::BackTab | KeyCode::Up => form.focus = (form.focus + n - 1) % n,
            KeyCode::Enter => {
                self.submit_form();
                return;
            }
            KeyCode::Char('n') if ctrl => {
                let at = match form.field() {
                    super::alerts::FormField::Matcher(i) => i + 1,
                    _ => form.matchers.len(),
                };
                form.matchers.insert(at, TextInput::default());
                form.focus = at;
            }
            KeyCode::Char('d') if ctrl => {
                if let super::alerts::FormField::Matcher(i) = form.field() {
                    form.matchers.remove(i);
                    form.focus = form.focus.min(form.fields() - 1);
                }
            }
            _ => {
                form.input_mut().key(key);
            }
        }
        if let Some(form) = self.alerts.form.as_ref() {
            let matching = self.count_matching(form);
            if let Some(form) = self.alerts.form.as_mut() {
                form.matching = matching;
                form.error = None;
            }
        }
    }

    /// Checks the form; when it is complete, asks for confirmation.
    fn submit_form(&mut self) {
        let now = self.now;
        let Some(form) = self.alerts.form.as_mut() else {
            return;
        };
        let mut matchers = Vec::new();
        for (i, m) in form.matchers.iter().enumerate() {
            if m.text.trim().is_empty() {
                continue;
            }
            match parse_matcher(&m.text) {
                Ok(m) => matchers.push(m),
                Err(e) => {
                    form.error = Some(format!("matcher {}: {e}", i + 1));
                    form.focus = i;
                    return;
                }
            }
        }
        let m = form.matchers.len();
        if matchers.is_empty() {
            form.error = Some("add at least one matcher".into());
            return;
        }
        let duration = match crate::config::Duration::parse(form.duration.text.trim()) {
            Ok(d) if d.as_secs() > 0 => d,
            Ok(_) => {
                form.error = Some("duration: must be longer than 0s".into());
                form.focus = m;
                return;
            }
            Err(e) => {
                form.error = Some(format!("duration: {e}"));
                form.focus = m;
                return;
            }
        };
        let author = form.author.text.trim().to_string();
        if author.is_empty() {
            form.error = Some("author: required".into());
            form.focus = m + 1;
            return;
        }
        let comment = form.comment.text.trim().to_string();
        if comment.is_empty() {
            form.error =
                Some("comment: required (why is this silenced? a ticket link helps)".into());
            form.focus = m + 2;
            return;
        }
        let ends_at = i64::try_from(duration.as_secs())
            .ok()
            .filter(|s| *s <= MAX_SILENCE_SECS)
            .and_then(chrono::Duration::try_seconds)
            .and_then(|d| now.checked_add_signed(d));
        let Some(ends_at) = ends_at else {
            form.error = Some(
                "duration: at most 1y (a long silence hides real pages; extend it later instead)"
                    .into(),
            );
            form.focus = m;
            return;
        };
        let silence = NewSilence {
            matchers,
            starts_at: now,
            ends_at,
            created_by: author,
            comment,
            id: None,
        };
        if let Err(e) = validate_silence(&silence, now) {
            form.error = Some(e.to_string());
            return;
        }
        let alertmanager = form.alertmanager.clone();
        self.alerts.confirm = Some(Confirm::Create {
            alertmanager,
            silence,
        });
    }

    fn start_expire(&mut self) {
        if self.config.read_only {
            self.refuse_write("read-only mode: silences cannot be expired");
            return;
        }
        let Some(row) = self.alerts.silences.get(self.alerts.silence_selected) else {
            self.notice("no silence selected", true);
            return;
        };
        // Any member of an HA pair will do; prefer one that is up.
        let up = row
            .alertmanagers
            .iter()
            .find(|a| !self.alerts.am_down.contains_key(*a));
        let Some(alertmanager) = up.or(row.alertmanagers.first()).cloned() else {
            return;
        };
        let matchers: Vec<String> = row.silence.matchers.iter().map(format_matcher).collect();
        self.alerts.confirm = Some(Confirm::Expire {
            alertmanager,
            id: row.silence.id.clone(),
            what: format!("{{{}}} — {}", matchers.join(", "), row.silence.comment),
        });
    }

    /// The user said yes: hand the write to the runtime.
    fn confirmed(&mut self, confirm: Confirm) {
        if self.config.read_only {
            self.refuse_write("read-only mode: nothing was sent");
            return;
        }
        let user = self.user.clone().unwrap_or_else(|| "unknown".into());
        match confirm {
            Confirm::Create {
                alertmanager,
                silence,
            } => {
                // Kept until Alertmanager answers: a refused silence reopens the form as typed.
                self.alerts.sent_form = self.alerts.form.take();
                self.notice(format!("creating silence on {alertmanager}…"), false);
                self.pending.push(Cmd::CreateSilence {
                    alertmanager,
                    silence,
                    user,
                });
            }
            Confirm::Expire {
                alertmanager, id, ..
            } => {
                self.notice(format!("expiring silence {id}…"), false);
                self.pending.push(Cmd::ExpireSilence {
                    alertmanager,
                    id,
                    user,
                });
            }
        }
    }
}
