//! One alert: what fires, since when, why (annotations, the rule's expression and health),
//! what to do (runbook), a chart of the expression over the selected range with the firing
//! intervals marked, the services and SLOs it relates to, and the silences that match it.
//!
//! ```text
//!  HighErrorRate  ● FIRING crit  for 12m (since 03:12)  value 0.072  from prom, am1
//!  summary      Checkout error ratio is 7.2%
//!  runbook      https://runbooks.example.com/HighErrorRate   (y copies)
//!  labels       alertname=HighErrorRate service=checkout severity=critical
//!  rule         rate(errors[5m]) / rate(requests[5m]) > 0.05 · for 1m · ok
//! ┌ rate(errors[5m]) / rate(requests[5m])  > 0.05 ──────────────┐
//! │ ▔▔▔▔▔▔▔▔ firing                                              │
//! │        ⣀⡠⠤⠒⠊⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉                                         │
//! └──────────────────────────────────────────────────────────────┘
//!  related      service checkout (v) · SLO checkout/availability (b)
//!  silences     none match
//! ```

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Wrap};
use ratatui::Frame;

use super::alerts::{alert_style, since, state_label};
use super::theme::THEME;
use super::widgets::{clock, fit, hhmm, time_axis};
use crate::app::App;
use crate::domain::alerts::{Alert, AlertState};
use crate::domain::format;
use crate::domain::silence::{format_matcher, matching_silences};
use crate::prom::alerts::RuleHealth;

const LABEL_W: usize = 13;

fn field(name: &str, value: impl Into<String>, style: Style) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" {name:<w$}", w = LABEL_W - 1), THEME.dim),
        Span::styled(value.into(), style),
    ])
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let Some(alert) = app.alerts.open_alert() else {
        let msg = if app.alerts.open.is_some() {
            "  This alert is no longer firing or pending (Esc: back to the list)."
        } else {
            "  No alert selected: pick one in the Alerts list (a) and press Enter."
        };
        frame.render_widget(
            Paragraph::new(vec![Line::raw(""), Line::styled(msg, THEME.dim)]),
            area,
        );
        return;
    };
    let width = usize::from(area.width);
    let info = info_lines(app, alert, width);
    let bottom = bottom_lines(app, alert, width);
    // The chart gets what is left, but at least 6 rows when the screen allows.
    let chart_min = 6u16.min(area.height.saturating_sub(4));
    let bottom_h = (bottom.len() as u16).min(area.height.saturating_sub(chart_min) / 2);
    let info_h = (info.len() as u16).min(area.height.saturating_sub(chart_min + bottom_h));
    let [top, chart_area, foot] = Layout::vertical([
        Constraint::Length(info_h),
        Constraint::Min(0),
        Constraint::Length(bottom_h),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(info), top);
    chart(frame, chart_area, app);
    frame.render_widget(Paragraph::new(bottom).wrap(Wrap { trim: false }), foot);
}

fn info_lines(app: &App, alert: &Alert, width: usize) -> Vec<Line<'static>> {
    let value_w = width.saturating_sub(LABEL_W + 1);
    let style = alert_style(alert);
    let mut head = vec![
        Span::styled(format!(" {} ", alert.name()), THEME.title),
        Span::styled(
            format!(" {} {} ", state_label(alert.state), alert.label("severity")),
            style,
        ),
        Span::raw(format!(" {}", since(alert, app.now))),
    ];
    if let Some(t) = alert.since {
        head.push(Span::styled(
            format!(" (since {})", clock(t, &app.tz)),
            THEME.dim,
        ));
    }
    if let Some(v) = alert.value {
        head.push(Span::raw(format!("  value {}", format::si(v))));
    }
    head.push(Span::styled(
        format!("  from {}", alert.sources.join(", ")),
        THEME.dim,
    ));
    if app.alerts.new_since.contains_key(&alert.labels) {
        head.push(Span::styled(
            " NEW ",
            THEME.crit.add_modifier(ratatui::style::Modifier::REVERSED),
        ));
    }
    let mut lines = vec![Line::from(head)];
    if let Some(s) = alert.summary() {
        lines.push(field("summary", fit(s, value_w), Style::default()));
    }
    if let Some(d) = alert.description() {
        // Up to three rows of description, broken between words.
        for (i, row) in wrap_words(d, value_w.max(10), 3).into_iter().enumerate() {
            lines.push(field(
                if i == 0 { "description" } else { "" },
                row,
                THEME.dim,
            ));
        }
    }
    let link_style = THEME
        .title
        .remove_modifier(ratatui::style::Modifier::BOLD)
        .underlined();
    match alert.runbook_url() {
        Some(url) => lines.push(
            field("runbook", fit(url, value_w.saturating_sub(11)), link_style)
                .patch_push("  (y copies)"),
        ),
        None => lines.push(field(
            "runbook",
            "none (no runbook_url annotation)",
            THEME.warn,
        )),
    }
    if let Some(url) = &alert.generator_url {
        lines.push(
            field("source", fit(url, value_w.saturating_sub(11)), link_style)
                .patch_push("  (Y copies)"),
        );
    }
    let labels: Vec<String> = alert
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    lines.push(field(
        "labels",
        fit(&labels.join(" "), value_w),
        Style::default(),
    ));
    let extra: Vec<String> = alert
        .annotations
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "summary" | "description" | "runbook_url" | "runbook"
            )
        })
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    if !extra.is_empty() {
        lines.push(field(
            "annotations",
            fit(&extra.join(" · "), value_w),
            THEME.dim,
        ));
    }
    match app.alerts.rule_for(alert) {
        Some(rule) => {
            let (health, hs) = match &rule.health {
                RuleHealth::Ok => ("ok".to_string(), THEME.ok),
                RuleHealth::Unknown => ("not evaluated yet".to_string(), THEME.warn),
                other => (format!("{other:?}").to_lowercase(), THEME.crit),
            };
            let for_ = if rule.duration > 0.0 {
                format!(" · for {}", format::age(rule.duration as i64))
            } else {
                String::new()
            };
            let expr = fit(
                &one_line(&rule.query),
                value_w.saturating_sub(for_.len() + health.len() + 3),
            );
            lines.push(Line::from(vec![
                Span::styled(format!(" {:<w$}", "rule", w = LABEL_W - 1), THEME.dim),
                Span::raw(expr),
                Span::styled(format!("{for_} · "), THEME.dim),
                Span::styled(health, hs),
            ]));
            if let Some(err) = &rule.last_error {
                lines.push(field("rule error", fit(err, value_w), THEME.crit));
            }
        }
        None => {
            let note = match &app.alerts.chart.expr {
                Some(e) => format!("{} (from the source link)", one_line(e)),
                None => "unknown (no Prometheus rule matches this alert)".into(),
            };
            lines.push(field("rule", fit(&note, value_w), THEME.dim));
        }
    }
    if !alert.silenced_by.is_empty() {
        lines.push(field(
            "silenced by",
            fit(&alert.silenced_by.join(", "), value_w),
            THEME.dim,
        ));
    }
    if !alert.inhibited_by.is_empty() {
        lines.push(field(
            "inhibited by",
            fit(&alert.inhibited_by.join(", "), value_w),
            THEME.dim,
        ));
    }
    lines
}

trait PushSpan {
    fn patch_push(self, text: &'static str) -> Self;
}

impl PushSpan for Line<'static> {
    fn patch_push(mut self, text: &'static str) -> Self {
        self.spans.push(Span::styled(text, THEME.dim));
        self
    }
}

/// `text` in rows of at most `width` characters, broken between words (a word longer than a
/// row is cut), at most `max_rows` rows, the last one ending in `…` when text was left out.
fn wrap_words(text: &str, width: usize, max_rows: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let need = cur.chars().count() + usize::from(!cur.is_empty()) + word.chars().count();
        if !cur.is_empty() && need > width {
            rows.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        rows.push(cur);
    }
    let cut = rows.len() > max_rows;
    rows.truncate(max_rows);
    let last = rows.len().saturating_sub(1);
    for (i, row) in rows.iter_mut().enumerate() {
        let ellipsis = cut && i == last;
        if ellipsis || row.chars().count() > width {
            *row = fit(&format!("{row}{}", if ellipsis { " …" } else { "" }), width);
        }
    }
    rows
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn bottom_lines(app: &App, alert: &Alert, width: usize) -> Vec<Line<'static>> {
    let value_w = width.saturating_sub(LABEL_W + 1);
    let mut related = Vec::new();
    for i in app.related_services(alert) {
        if let Some(s) = app.services.get(i) {
            related.push(format!("service {}", s.name));
        }
    }
    let slos = app.related_slos(alert);
    for i in &slos {
        if let Some(s) = app.slos.get(*i) {
            related.push(format!("SLO {}", super::slos::slo_name(app, s)));
        }
    }
    let mut lines = Vec::new();
    if related.is_empty() {
        lines.push(field(
            "related",
            "no configured service or SLO shares its labels",
            THEME.dim,
        ));
    } else {
        let keys = match (app.related_services(alert).is_empty(), slos.is_empty()) {
            (false, false) => "  (v service, b SLO)",
            (false, true) => "  (v opens)",
            (true, false) => "  (b opens)",
            (true, true) => "",
        };
        let text = fit(&related.join(" · "), value_w.saturating_sub(keys.len()));
        lines.push(field("related", text, THEME.title).patch_push(keys));
    }
    let all: Vec<_> = app
        .alerts
        .silences
        .iter()
        .map(|r| r.silence.clone())
        .collect();
    // Matched on the identity labels, plus the silences Alertmanager says mute it (those may
    // match on external labels, which identities leave out).
    let mut matching = matching_silences(&all, &alert.labels);
    for s in &all {
        if alert.silenced_by.contains(&s.id) && !matching.iter().any(|m| m.id == s.id) {
            matching.push(s);
        }
    }
    if matching.is_empty() {
        lines.push(field("silences", "none match", THEME.dim));
    } else {
        for (i, s) in matching.iter().enumerate() {
            let ends = s
                .ends_at
                .map(|t| {
                    format!(
                        "until {} (in {})",
                        hhmm(t.timestamp(), &app.tz),
                        format::age((t - app.now).num_seconds().max(0))
                    )
                })
                .unwrap_or_default();
            let matchers: Vec<String> = s.matchers.iter().map(format_matcher).collect();
            let text = format!(
                "{} by {} {ends} {{{}}}",
                s.comment,
                s.created_by,
                matchers.join(", ")
            );
            lines.push(field(
                if i == 0 { "silences" } else { "" },
                fit(&text, value_w),
                Style::default(),
            ));
        }
    }
    lines
}

fn chart(frame: &mut Frame, area: Rect, app: &App) {
    if area.height < 3 {
        return;
    }
    let c = &app.alerts.chart;
    let window = c.window.unwrap_or_else(|| app.window());
    let (x0, x1) = (window.start as f64, window.end as f64);
    let points = c.values.as_ref().map(|s| s.points()).unwrap_or_default();
    let data_max = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let data_min = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut lo = if data_min.is_finite() {
        data_min.min(0.0)
    } else {
        0.0
    };
    let mut hi = if data_max.is_finite() { data_max } else { 1.0 };
    if let Some(t) = &c.threshold {
        hi = hi.max(t.value);
        lo = lo.min(t.value);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let hi = hi + (hi - lo) * 0.15;
    let threshold: Vec<(f64, f64)> = c
        .threshold
        .as_ref()
        .map(|t| vec![(x0, t.value), (x1, t.value)])
        .unwrap_or_default();
    // Firing intervals as a bar along the top of the plot. An alert firing now whose
    // `ALERTS` series has no point yet is drawn from its start.
    let mut intervals = c.firing.clone();
    let open = app.alerts.open_alert();
    let firing_now = open.is_some_and(|a| a.state == AlertState::Firing);
    if intervals.is_empty() && firing_now {
        if let Some(since) = open.and_then(|a| a.since) {
            intervals.push((since.timestamp(), window.end));
        }
    }
    let firing: Vec<Vec<(f64, f64)>> = intervals
        .iter()
        .map(|(s, e)| {
            let (s, e) = ((*s as f64).max(x0), (*e as f64).min(x1));
            vec![(s, hi), (e.max(s), hi)]
        })
        .collect();
    let mut datasets = vec![Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::new().fg(Color::Cyan))
        .data(&points)];
    if !threshold.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Dot)
                .graph_type(GraphType::Line)
                .style(THEME.warn)
                .data(&threshold),
        );
    }
    for f in &firing {
        datasets.push(
            Dataset::default()
                .marker(Marker::Block)
                .graph_type(GraphType::Line)
                .style(THEME.crit)
                .data(f),
        );
    }
    let mut title = vec![Span::styled(" expression ", THEME.title)];
    if let Some(t) = &c.threshold {
        title.push(Span::styled(
            format!("{} {} ", t.op, format::si(t.value)),
            THEME.warn,
        ));
    }
    if !intervals.is_empty() {
        title.push(Span::styled("█ firing ", THEME.crit));
    } else if c.firing_known {
        title.push(Span::styled("not firing in this range ", THEME.dim));
    }
    let status = if c.loading {
        Some(("loading…".to_string(), THEME.dim))
    } else if let Some(e) = &c.error {
        Some((e.clone(), THEME.warn))
    } else if c.promql.is_none() {
        Some(("no expression known for this alert".to_string(), THEME.dim))
    } else {
        None
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(THEME.border)
        .title(Line::from(title));
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(time_axis(&window, &app.tz))
        .y_axis(
            Axis::default()
                .style(THEME.dim)
                .bounds([lo, hi])
                .labels(vec![Span::raw(format::si(lo)), Span::raw(format::si(hi))]),
        );
    frame.render_widget(chart, area);
    if let Some((msg, style)) = status {
        if area.height > 4 && area.width > 12 {
            let at = Rect {
                x: area.x + 2,
                y: area.y + area.height / 2,
                width: area.width - 4,
                height: 1,
            };
            frame.render_widget(
                Paragraph::new(Span::styled(fit(&msg, usize::from(at.width)), style))
                    .alignment(ratatui::layout::Alignment::Center),
                at,
            );
        }
    }
    if let Some(promql) = &c.promql {
        // The PromQL charted, on the bottom border, so it can be pasted into Prometheus.
        if area.width > 6 {
            let at = Rect {
                x: area.x + 1,
                y: area.y + area.height - 1,
                width: area.width - 2,
                height: 1,
            };
            let text = fit(&format!(" {} ", one_line(promql)), usize::from(at.width));
            frame.render_widget(Paragraph::new(Span::styled(text, THEME.dim)), at);
        }
    }
}

/// The URLs the drill-down shows, for OSC 8 hyperlinks (empty on other views).
pub fn links(app: &App) -> Vec<String> {
    if app.view != crate::app::View::Alert || app.alerts.form.is_some() {
        return Vec::new();
    }
    let Some(alert) = app.alerts.open_alert() else {
        return Vec::new();
    };
    alert
        .runbook_url()
        .map(str::to_owned)
        .into_iter()
        .chain(alert.generator_url.clone())
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::wrap_words;

    #[test]
    fn wraps_between_words() {
        assert_eq!(
            wrap_words("check the latest deploy and the deps", 16, 3),
            ["check the latest", "deploy and the", "deps"]
        );
        assert_eq!(wrap_words("a b c d e f", 3, 2), ["a b", "c …"]);
        assert_eq!(wrap_words("averyveryverylongword x", 6, 3), ["avery…", "x"]);
        assert!(wrap_words("   ", 5, 3).is_empty());
    }
}
