//! Active and pending silences, ending soonest first; the ones ending in the next 12 hours
//! are marked (they will let alerts through during the coming shift). Plus the silence form
//! and the confirmation prompt, drawn over any view.
//!
//! ```text
//!  Silences 2 active, 1 pending · 1 ends within 12h
//!  STATE    ENDS                 BY      MATCHERS / COMMENT
//! ▶ active  ⚠ 05:00 (in 2h)      alice   {alertname="HighErrorRate", service="checkout"}
//!                                        deploying the fix, INC-1234
//! ```

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::theme::THEME;
use super::widgets::{fit, hhmm, visible_rows};
use crate::app::alerts::{Confirm, FormField, SilenceRow, ENDING_SOON_SECS};
use crate::app::input::TextInput;
use crate::app::App;
use crate::domain::format;
use crate::domain::silence::format_matcher;
use crate::prom::alertmanager::SilenceState;

fn ends_soon(app: &App, row: &SilenceRow) -> bool {
    matches!(
        row.silence.status,
        SilenceState::Active | SilenceState::Pending
    ) && row
        .silence
        .ends_at
        .is_some_and(|t| (t - app.now).num_seconds() <= ENDING_SOON_SECS)
}

/// Rows per silence in the list: matchers, then the comment.
const ROWS_PER_SILENCE: u16 = 2;

/// The list's area inside the view's `area` (below the title line and the column heads), or
/// `None` when no list is drawn (no Alertmanager, no silences).
fn list_area(app: &App, area: Rect) -> Option<Rect> {
    if app.config.alertmanagers.is_empty() || app.alerts.silences.is_empty() {
        return None;
    }
    let inner = Block::default().borders(Borders::TOP).inner(area);
    let [_, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    Some(list)
}

/// The silence (index into `app.alerts.silences`) drawn at screen cell `(column, row)`, from
/// the geometry [`render`] uses; either of its two lines counts.
pub fn silence_at(app: &App, area: Rect, column: u16, row: u16) -> Option<usize> {
    let list = list_area(app, area)?;
    if !list.contains(ratatui::layout::Position::new(column, row)) {
        return None;
    }
    let a = &app.alerts;
    let rows = usize::from(list.height / ROWS_PER_SILENCE).max(1);
    let first = visible_rows(&a.silences, a.silence_selected, rows)
        .next()
        .map(|(i, _)| i)?;
    let i = first + usize::from((row - list.y) / ROWS_PER_SILENCE);
    (i < a.silences.len() && i - first < rows).then_some(i)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let a = &app.alerts;
    let active = a
        .silences
        .iter()
        .filter(|r| r.silence.status == SilenceState::Active)
        .count();
    let pending = a
        .silences
        .iter()
        .filter(|r| r.silence.status == SilenceState::Pending)
        .count();
    let soon = a.silences.iter().filter(|r| ends_soon(app, r)).count();
    let mut title = vec![Span::styled(
        format!(" Silences {active} active, {pending} pending "),
        THEME.title,
    )];
    if soon > 0 {
        title.push(Span::styled(
            format!("· ⚠ {soon} end within 12h "),
            THEME.warn,
        ));
    }
    // A feed that cannot be read: what is listed may be old or incomplete.
    let feeds = || {
        a.polls
            .iter()
            .filter(|p| p.feed == crate::app::alerts::AlertFeed::AmSilences)
    };
    for p in feeds() {
        if let Some((since, reason)) = &p.last_error {
            let age = format::age((app.now - *since).num_seconds().max(0));
            title.push(Span::styled(
                format!("· ✖ {}: {reason} ({age} ago) ", p.source),
                THEME.crit,
            ));
        }
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(THEME.border)
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.config.alertmanagers.is_empty() {
        frame.render_widget(
            Paragraph::new(vec![
                Line::raw(""),
                Line::raw("  No Alertmanager configured: add `alertmanagers:` to the config"),
                Line::raw("  or pass --alertmanager URL."),
            ]),
            inner,
        );
        return;
    }
    if a.silences.is_empty() {
        let all_read = feeds().all(|p| p.last_ok.is_some() && p.last_error.is_none());
        let failing = feeds().any(|p| p.last_error.is_some());
        let msg = if all_read {
            "  No active or pending silences."
        } else if failing {
            "  Silences could not be read (see above)."
        } else {
            "  Loading silences…"
        };
        frame.render_widget(
            Paragraph::new(vec![Line::raw(""), Line::styled(msg, THEME.dim)]),
            inner,
        );
        return;
    }
    let width = usize::from(inner.width);
    let [head, _] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let Some(list) = list_area(app, area) else {
        return;
    };
    let ends_w = 20;
    let by_w = 10;
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(
                "  {:<9}{:<ends_w$}{:<by_w$}MATCHERS / COMMENT",
                "STATE", "ENDS", "BY"
            ),
            THEME.dim,
        )),
        head,
    );
    let rest = width.saturating_sub(2 + 9 + ends_w + by_w);
    let rows = usize::from(list.height / ROWS_PER_SILENCE);
    let mut lines = Vec::new();
    for (i, row) in visible_rows(&a.silences, a.silence_selected, rows.max(1)) {
        let s = &row.silence;
        let selected = i == a.silence_selected;
        let soon = ends_soon(app, row);
        let at = |t: chrono::DateTime<chrono::Utc>| {
            let d = format::age((t - app.now).num_seconds().max(0));
            format!("{} (in {d})", hhmm(t.timestamp(), &app.tz))
        };
        let ends = s
            .ends_at
            .map(|t| format!("{}{}", if soon { "⚠ " } else { "" }, at(t)))
            .unwrap_or_else(|| "—".into());
        let starts = match (&s.status, s.starts_at) {
            (SilenceState::Pending, Some(t)) => format!("starts {} · ", at(t)),
            _ => String::new(),
        };
        let state_style = if s.status == SilenceState::Active {
            THEME.ok
        } else {
            THEME.dim
        };
        let matchers: Vec<String> = s.matchers.iter().map(format_matcher).collect();
        let mut first = Line::from(vec![
            Span::raw(if selected { "▶ " } else { "  " }),
            Span::styled(format!("{:<9}", s.status.as_str()), state_style),
            Span::styled(
                format!("{:<ends_w$}", fit(&ends, ends_w - 1)),
                if soon { THEME.warn } else { Style::default() },
            ),
            Span::raw(format!("{:<by_w$}", fit(&s.created_by, by_w - 1))),
            Span::raw(fit(&format!("{{{}}}", matchers.join(", ")), rest)),
        ]);
        let comment = format!(
            "{starts}{} · {} · on {}",
            s.comment,
            short_id(&s.id),
            row.alertmanagers.join(", ")
        );
        let mut second = Line::from(vec![
            Span::raw(" ".repeat(2 + 9 + ends_w + by_w)),
            Span::styled(fit(&comment, rest), THEME.dim),
        ]);
        if selected {
            first = first.style(THEME.selected);
            second = second.style(THEME.selected);
        }
        lines.push(first);
        lines.push(second);
    }
    frame.render_widget(Paragraph::new(lines), list);
}

fn short_id(id: &str) -> String {
    id.chars().take(8).collect()
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    popup
}

fn input_spans(input: &TextInput, focused: bool, width: usize) -> Vec<Span<'static>> {
    if !focused {
        return vec![Span::raw(fit(&input.text, width))];
    }
    let (shown, cursor) = input.window(width.saturating_sub(1).max(1));
    let chars: Vec<char> = shown.chars().collect();
    let before: String = chars.iter().take(cursor).collect();
    let at: String = chars.get(cursor).map_or(" ".into(), |c| c.to_string());
    let after: String = chars.iter().skip(cursor + 1).collect();
    vec![
        Span::styled(before, THEME.title),
        Span::styled(at, Style::default().add_modifier(Modifier::REVERSED)),
        Span::styled(after, THEME.title),
    ]
}

/// The silence form over the current view.
pub fn render_form(frame: &mut Frame, area: Rect, app: &App) {
    let Some(form) = &app.alerts.form else {
        return;
    };
    let width = area.width.clamp(20, 100);
    let inner_w = usize::from(width.saturating_sub(2));
    let label_w = 11;
    let value_w = inner_w.saturating_sub(label_w + 1);
    let mut lines = Vec::new();
    let focus = form.field();
    for (i, m) in form.matchers.iter().enumerate() {
        let focused = focus == FormField::Matcher(i);
        let label = if i == 0 { "matchers" } else { "" };
        let mut spans = vec![Span::styled(
            format!(" {label:<w$}", w = label_w),
            if focused { THEME.key } else { THEME.dim },
        )];
        spans.extend(input_spans(m, focused, value_w));
        lines.push(Line::from(spans));
    }
    let ends = crate::config::Duration::parse(form.duration.text.trim())
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .and_then(chrono::Duration::try_seconds)
        .and_then(|d| app.now.checked_add_signed(d))
        .map(|t| format!("  ends {}", t.with_timezone(&app.tz).format("%a %H:%M")))
        .unwrap_or_default();
    for (name, input, field, hint) in [
        ("duration", &form.duration, FormField::Duration, ends),
        ("author", &form.author, FormField::Author, String::new()),
        ("comment", &form.comment, FormField::Comment, String::new()),
    ] {
        let focused = focus == field;
        let mut spans = vec![Span::styled(
            format!(" {name:<w$}", w = label_w),
            if focused { THEME.key } else { THEME.dim },
        )];
        spans.extend(input_spans(
            input,
            focused,
            value_w.saturating_sub(hint.chars().count()),
        ));
        spans.push(Span::styled(hint, THEME.dim));
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    let matching = match form.matching {
        0 => Span::styled(" matches no current alert", THEME.warn),
        1 => Span::styled(" matches 1 current alert", THEME.dim),
        n => Span::styled(format!(" matches {n} current alerts"), THEME.warn),
    };
    lines.push(Line::from(vec![
        matching,
        Span::styled(format!(" · sent to {}", form.alertmanager), THEME.dim),
    ]));
    // The error, else the keys, on the bottom border: visible even when the form is taller
    // than the screen.
    let bottom = match &form.error {
        Some(e) => Line::styled(
            format!(" ✖ {} ", fit(e, inner_w.saturating_sub(4))),
            THEME.crit,
        ),
        None => Line::styled(
            fit(
                " Enter: review · Tab ↑↓: field · ^N / ^D: add / drop matcher · Esc: cancel ",
                inner_w,
            ),
            THEME.dim,
        ),
    };
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let popup = centered(area, width, height);
    // Taller than the screen: scroll so the focused field stays in view.
    let inner_h = usize::from(popup.height.saturating_sub(2)).max(1);
    let scroll = u16::try_from(form.focus.saturating_sub(inner_h - 1)).unwrap_or(0);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(THEME.title)
                .title(Span::styled(" New silence ", THEME.title))
                .title_bottom(bottom),
        ),
        popup,
    );
}

/// The y/n prompt before any write.
pub fn render_confirm(frame: &mut Frame, area: Rect, app: &App) {
    let Some(confirm) = &app.alerts.confirm else {
        return;
    };
    let width = area.width.clamp(20, 90);
    let inner_w = usize::from(width.saturating_sub(4));
    let mut text: Vec<Line> = Vec::new();
    let title = match confirm {
        Confirm::Create {
            alertmanager,
            silence,
        } => {
            let secs = (silence.ends_at - silence.starts_at).num_seconds();
            text.push(Line::raw(format!(
                "Silence for {} (until {}) on {alertmanager}:",
                format::age(secs),
                silence.ends_at.with_timezone(&app.tz).format("%a %H:%M")
            )));
            for m in &silence.matchers {
                text.push(Line::styled(
                    format!("  {}", fit(&format_matcher(m), inner_w)),
                    THEME.title,
                ));
            }
            text.push(Line::raw(fit(
                &format!("by {}: {}", silence.created_by, silence.comment),
                inner_w,
            )));
            " Create this silence? "
        }
        Confirm::Expire {
            alertmanager,
            id,
            what,
        } => {
            text.push(Line::raw(format!(
                "Expire silence {} on {alertmanager}?",
                short_id(id)
            )));
            text.push(Line::styled(what.clone(), THEME.dim));
            text.push(Line::raw("Alerts it mutes will notify again."));
            " Expire this silence? "
        }
    };
    // The answer keys sit on the bottom border: never cut off, however long the text.
    let keys = Line::from(vec![
        Span::styled(" y ", THEME.key),
        Span::raw("yes, send it   "),
        Span::styled(" n ", THEME.key),
        Span::raw("no, go back "),
    ]);
    // Rows after wrapping, so the y/n line is never pushed out of the box.
    let row_w = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = text.iter().map(|l| l.width().max(1).div_ceil(row_w)).sum();
    let height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(THEME.warn)
                .title(Span::styled(title, THEME.warn))
                .title_bottom(keys),
        ),
        popup,
    );
}
