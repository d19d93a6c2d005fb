//! The alert list: alerts grouped like Alertmanager groups them, pages first, with state,
//! severity, service, how long each has been firing, and its summary; a `/` filter line.
//!
//! ```text
//!  Alerts 4 (3 firing) · sort: severity · 2 groups
//! ▾ alertname=HighErrorRate  2 firing
//!   ● FIRING   crit  checkout     for 12m  Checkout error ratio is 7.2%     NEW
//!   ◌ SILENCED warn  api          for 3h   API error ratio is 1.2%
//! ```

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::theme::THEME;
use super::widgets::{fit, visible_rows};
use crate::app::App;
use crate::domain::alerts::{Alert, AlertGroup, AlertState, Severity, SortBy};
use crate::domain::format;

/// The style of an alert's state and severity.
pub fn alert_style(alert: &Alert) -> Style {
    match alert.state {
        AlertState::Firing => severity_style(alert.severity),
        AlertState::Pending => THEME.warn.remove_modifier(Modifier::BOLD),
        AlertState::Silenced | AlertState::Inhibited => THEME.dim,
    }
}

/// The colour of a severity.
pub fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Critical => THEME.crit,
        Severity::Warning => THEME.warn,
        Severity::Info => THEME.title.remove_modifier(Modifier::BOLD),
        Severity::Other => Style::default(),
    }
}

/// `● FIRING`, `◐ PENDING`, …
pub fn state_label(state: AlertState) -> &'static str {
    match state {
        AlertState::Firing => "● FIRING",
        AlertState::Pending => "◐ PENDING",
        AlertState::Silenced => "◌ SILENCED",
        AlertState::Inhibited => "◌ INHIBITED",
    }
}

/// `crit`, `warn`, `info`, or the label's own value.
pub fn severity_label(alert: &Alert) -> String {
    match alert.severity {
        Severity::Critical => "crit".into(),
        Severity::Warning => "warn".into(),
        Severity::Info => "info".into(),
        Severity::Other => alert.label("severity").chars().take(5).collect(),
    }
}

/// `for 12m` (firing or pending), or `12m` ago for the others; `—` when unknown.
pub fn since(alert: &Alert, now: DateTime<Utc>) -> String {
    match alert.since {
        Some(t) => format!("for {}", format::age((now - t).num_seconds().max(0))),
        None => "—".into(),
    }
}

/// The service an alert is about: the `service` label, else `job`.
pub fn service_of(alert: &Alert) -> &str {
    ["service", "job", "app", "namespace"]
        .iter()
        .map(|l| alert.label(l))
        .find(|v| !v.is_empty())
        .unwrap_or("")
}

fn sort_name(sort: SortBy) -> &'static str {
    match sort {
        SortBy::Severity => "severity",
        SortBy::Age => "age",
        SortBy::Name => "name",
    }
}

enum Row<'a> {
    Group(&'a AlertGroup),
    Alert(&'a Alert, usize),
}

/// The filter line (zero, one or two rows) and the list below it, inside the view's top border.
fn areas(app: &App, area: Rect) -> [Rect; 2] {
    let a = &app.alerts;
    let inner = Block::default().borders(Borders::TOP).inner(area);
    let filter_rows = u16::from(a.editing_filter || !a.filter_input.text.is_empty())
        + u16::from(a.filter_error.is_some());
    Layout::vertical([Constraint::Length(filter_rows), Constraint::Min(0)]).areas(inner)
}

/// The list's lines: each group's header, then its alerts (with their index among the visible
/// alerts); and the line of the selected alert.
fn rows(app: &App) -> (Vec<Row<'_>>, usize) {
    let a = &app.alerts;
    let mut rows = Vec::with_capacity(a.visible_len() + a.groups.len());
    let mut selected_row = 0;
    let mut n = 0;
    for g in &a.groups {
        rows.push(Row::Group(g));
        for alert in g.alerts(&a.merged) {
            if n == a.selected {
                selected_row = rows.len();
            }
            rows.push(Row::Alert(alert, n));
            n += 1;
        }
    }
    (rows, selected_row)
}

/// The alert (index among the visible ones) drawn on screen line `y` of a view in `area`,
/// if that line shows an alert (not a group header): the geometry `render` draws with.
pub fn alert_at(app: &App, area: Rect, y: u16) -> Option<usize> {
    if !app.has_alert_feeds() || app.alerts.visible_len() == 0 {
        return None;
    }
    let [_, list] = areas(app, area);
    if y < list.y || y >= list.bottom() {
        return None;
    }
    let (rows, selected_row) = rows(app);
    let line = usize::from(y - list.y);
    let found = visible_rows(&rows, selected_row, usize::from(list.height))
        .nth(line)
        .and_then(|(_, row)| match row {
            Row::Alert(_, n) => Some(*n),
            Row::Group(_) => None,
        });
    found
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let a = &app.alerts;
    let total = a.merged.len();
    let shown = a.visible_len();
    let mut title = vec![Span::styled(format!(" Alerts {total} "), THEME.title)];
    if shown != total {
        title.push(Span::styled(format!("({shown} shown) "), THEME.warn));
    }
    title.push(Span::styled(
        format!(
            "· sort: {} (o) · {} groups ",
            sort_name(a.sort),
            a.groups.len()
        ),
        THEME.dim,
    ));
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(THEME.border)
        .title(Line::from(title));
    frame.render_widget(block, area);
    let [filter_area, list] = areas(app, area);
    filter_line(frame, filter_area, app);

    if !app.has_alert_feeds() {
        let text = vec![
            Line::raw(""),
            Line::raw("  No alert sources: `alerts.from_prometheus` is off and no"),
            Line::raw("  `alertmanagers:` are configured (or pass --alertmanager URL)."),
        ];
        frame.render_widget(Paragraph::new(text), list);
        return;
    }
    if shown == 0 {
        let never = a.polls.iter().all(|p| p.last_ok.is_none());
        let msg = if total > 0 {
            format!("  No alert matches the filter ({total} hidden). Esc clears it.")
        } else if never && a.polls.iter().any(|p| p.last_error.is_some()) {
            "  Alerts could not be read yet (see the status line).".into()
        } else if never {
            "  Loading alerts…".into()
        } else {
            "  Nothing is firing.".into()
        };
        let style = if total > 0 || never {
            THEME.warn
        } else {
            THEME.ok
        };
        frame.render_widget(
            Paragraph::new(vec![Line::raw(""), Line::styled(msg, style)]),
            list,
        );
        return;
    }

    let (rows, selected_row) = rows(app);
    let width = usize::from(list.width);
    let service_w = if width >= 100 { 18 } else { 12 };
    let lines: Vec<Line> = visible_rows(&rows, selected_row, usize::from(list.height))
        .map(|(_, row)| match row {
            Row::Group(g) => group_line(g, &a.merged, width),
            Row::Alert(alert, i) => alert_line(app, alert, *i == a.selected, service_w, width),
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
}

fn filter_line(frame: &mut Frame, area: Rect, app: &App) {
    if area.height == 0 {
        return;
    }
    let a = &app.alerts;
    let width = usize::from(area.width).saturating_sub(3);
    let (shown, cursor) = a.filter_input.window(width);
    let mut spans = vec![Span::styled(" / ", THEME.key)];
    if a.editing_filter {
        let chars: Vec<char> = shown.chars().collect();
        let before: String = chars.iter().take(cursor).collect();
        let at: String = chars.get(cursor).map_or(" ".into(), |c| c.to_string());
        let after: String = chars.iter().skip(cursor + 1).collect();
        spans.push(Span::raw(before));
        spans.push(Span::styled(
            at,
            Style::default().add_modifier(Modifier::REVERSED),
        ));
        spans.push(Span::raw(after));
    } else {
        spans.push(Span::styled(shown, THEME.title));
    }
    let mut lines = vec![Line::from(spans)];
    if let Some(e) = &a.filter_error {
        // A caret under the offending character, when it is on screen.
        let start = a.filter_input.cursor + 1 - (cursor + 1).min(a.filter_input.cursor + 1);
        let col = e.position.saturating_sub(start) + 3;
        let col = col.min(usize::from(area.width).saturating_sub(1));
        let total = usize::from(area.width);
        let msg = if col + 2 + e.message.chars().count() <= total {
            format!("{}^ {}", " ".repeat(col), e.message)
        } else {
            // Not enough room right of the caret: the message goes to its left.
            let room = col.saturating_sub(1);
            let text = fit(&e.message, room);
            format!("{}{text} ^", " ".repeat(room - text.chars().count()))
        };
        lines.push(Line::styled(fit(&msg, usize::from(area.width)), THEME.crit));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn group_line(g: &AlertGroup, all: &[Alert], width: usize) -> Line<'static> {
    let labels: Vec<String> = g.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut by_state = [0usize; 4];
    for a in g.alerts(all) {
        by_state[a.state as usize] += 1;
    }
    let mut counts = Vec::new();
    for (i, name) in ["firing", "pending", "silenced", "inhibited"]
        .iter()
        .enumerate()
    {
        if by_state[i] > 0 {
            counts.push(format!("{} {name}", by_state[i]));
        }
    }
    let head = format!("▾ {} ", labels.join(" "));
    let style = if g.has_firing_page() {
        THEME.crit
    } else {
        THEME.title
    };
    let tail = format!(" {}", counts.join(", "));
    let head = fit(&head, width.saturating_sub(tail.chars().count()));
    Line::from(vec![
        Span::styled(head, style),
        Span::styled(tail, THEME.dim),
    ])
}

fn alert_line(
    app: &App,
    alert: &Alert,
    selected: bool,
    service_w: usize,
    width: usize,
) -> Line<'static> {
    let style = alert_style(alert);
    let is_new = app.alerts.new_since.contains_key(&alert.labels);
    let new = if is_new { " NEW" } else { "" };
    let summary = alert
        .summary()
        .or_else(|| alert.description())
        .unwrap_or_else(|| alert.name());
    let fixed = 2 + 12 + 6 + service_w + 1 + 11;
    let summary_w = width.saturating_sub(fixed + new.len());
    let mut spans = vec![
        Span::raw(if selected { "▶ " } else { "  " }),
        Span::styled(format!("{:<12}", state_label(alert.state)), style),
        Span::styled(format!("{:<6}", severity_label(alert)), style),
        Span::raw(format!(
            "{:<w$} ",
            fit(service_of(alert), service_w),
            w = service_w
        )),
        Span::styled(format!("{:<11}", since(alert, app.now)), THEME.dim),
        Span::raw(fit(summary, summary_w)),
    ];
    if is_new {
        spans.push(Span::styled(
            new,
            THEME.crit.add_modifier(Modifier::REVERSED),
        ));
    }
    let mut line = Line::from(spans);
    if selected {
        line = line.style(THEME.selected);
    }
    line
}
