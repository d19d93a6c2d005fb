//! The handoff view: the latest (or opened) note, the live status it refers to (firing
//! alerts, SLO budgets not green), the history of notes and the on-call schedule.
//!
//! ```text
//! wide (≥ 120 columns)                 narrow
//! ┌ note ──────────┬ live now ──────┐  ┌ note ──────────────────────┐
//! │                │                │  │                            │
//! │                ├ history ───────┤  ├ live now ──────────────────┤
//! │                ├ on call ───────┤  ├ history ─────┬ on call ────┤
//! └────────────────┴────────────────┘  └──────────────┴─────────────┘
//! ```

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::slos::{band_glyph, band_style, gauge, slo_name};
use super::theme::THEME;
use super::widgets::{fit, visible_rows};
use crate::app::handoff::NoteRow;
use crate::app::App;
use crate::domain::alerts::{AlertState, Severity};
use crate::domain::format;
use crate::domain::handoff::Note;
use crate::domain::oncall::{self, Role, Shift};
use crate::domain::slo::Band;

/// How far ahead the schedule looks.
pub const SCHEDULE_DAYS: i64 = 28;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    if area.width >= 120 {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(area);
        let live = live_lines(app, right.width);
        let notes = app.handoff.notes.len().max(1) as u16;
        let [live_area, hist, sched] = Layout::vertical([
            Constraint::Length((live.len() as u16 + 1).min(right.height / 2)),
            Constraint::Length((notes + 1).min(10)),
            Constraint::Min(3),
        ])
        .areas(right);
        let history = history_lines(app, usize::from(hist.height.saturating_sub(1)));
        wrapped(frame, left, note_title(app), note_lines(app, left.width));
        section(frame, live_area, " live now ".into(), live);
        section(frame, hist, history_title(app), history);
        section(frame, sched, schedule_title(), schedule_lines(app));
    } else {
        let live = live_lines(app, area.width);
        let bottom_rows = 6u16;
        let live_rows = (live.len() as u16 + 1).min(5);
        let [note, live_area, bottom] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(live_rows),
            Constraint::Length(bottom_rows),
        ])
        .areas(area);
        let [hist, sched] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(bottom);
        wrapped(frame, note, note_title(app), note_lines(app, note.width));
        section(frame, live_area, " live now ".into(), live);
        let history = history_lines(app, usize::from(bottom_rows - 1));
        section(frame, hist, history_title(app), history);
        section(frame, sched, schedule_title(), schedule_lines(app));
    }
}

fn block(title: String) -> Block<'static> {
    Block::default()
        .borders(Borders::TOP)
        .border_style(THEME.border)
        .title(Span::styled(title, THEME.title))
}

/// A titled list: a top rule with the title, one row per line, cut to what fits.
fn section(frame: &mut Frame, area: Rect, title: String, lines: Vec<Line<'static>>) {
    frame.render_widget(Paragraph::new(lines).block(block(title)), area);
}

/// A titled text: long lines wrap.
fn wrapped(frame: &mut Frame, area: Rect, title: String, lines: Vec<Line<'static>>) {
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(title))
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn note_title(app: &App) -> String {
    match (&app.handoff.open, &app.handoff.latest) {
        (Some(n), _) => format!(" handoff {} (Esc: latest) ", n.id),
        (None, Some(n)) => format!(" latest handoff {} ", n.id),
        (None, None) => " handoff ".into(),
    }
}

fn history_title(app: &App) -> String {
    format!(" history ({}) ", app.handoff.notes.len())
}

fn schedule_title() -> String {
    format!(" on call, next {} weeks ", SCHEDULE_DAYS / 7)
}

/// `Sun 22 Nov 09:00` in the display time zone.
fn when(app: &App, t: DateTime<Utc>) -> String {
    t.with_timezone(&app.tz)
        .format("%a %d %b %H:%M")
        .to_string()
}

fn ago(app: &App, t: DateTime<Utc>) -> String {
    format!("{} ago", format::age((app.now - t).num_seconds().max(0)))
}

fn heading(text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), THEME.title))
}

/// The note on screen, readable: who, which shift, when, acknowledged or not, then its
/// sections (empty ones left out).
pub fn note_lines(app: &App, _width: u16) -> Vec<Line<'static>> {
    let h = &app.handoff;
    let mut out = Vec::new();
    if let Some(e) = &h.load_error {
        out.push(Line::from(Span::styled(
            format!("✖ cannot read the handoff notes: {e}"),
            THEME.crit,
        )));
    }
    let Some(note) = h.shown() else {
        if !h.loaded && h.load_error.is_none() {
            let text = if app.handoff_dir.is_some() {
                "loading…"
            } else {
                "no handoff directory: set handoff.dir in the config"
            };
            out.push(Line::from(Span::styled(text, THEME.dim)));
        } else if h.load_error.is_none() {
            out.push(Line::from(Span::styled(
                "No handoff notes yet. `sretop handoff new` writes one.",
                THEME.dim,
            )));
        }
        return out;
    };
    out.extend(note_body(app, note));
    out
}

fn note_body(app: &App, note: &Note) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut meta = vec![
        Span::raw("by "),
        Span::styled(note.author.clone(), THEME.title),
    ];
    match (note.shift_start, note.shift_end) {
        (Some(s), Some(e)) => {
            meta.push(Span::raw(format!(
                " · shift {} – {}",
                when(app, s),
                when(app, e)
            )));
        }
        (Some(s), None) => meta.push(Span::raw(format!(" · shift from {}", when(app, s)))),
        _ => {}
    }
    meta.push(Span::styled(
        format!(" · written {}", ago(app, note.created)),
        THEME.dim,
    ));
    out.push(Line::from(meta));
    out.push(match (&note.acked_by, note.acked_at) {
        (Some(by), at) => Line::from(Span::styled(
            format!(
                "✓ acknowledged by {by}{}",
                at.map(|t| format!(" {}", ago(app, t))).unwrap_or_default()
            ),
            THEME.ok,
        )),
        (None, _) => {
            let hint = if app.config.read_only {
                ""
            } else {
                " (A: acknowledge)"
            };
            Line::from(Span::styled(
                format!("✎ not acknowledged{hint}"),
                THEME.warn,
            ))
        }
    });
    for line in note.preamble.lines() {
        out.push(Line::raw(line.to_string()));
    }
    if !note.incidents.is_empty() {
        out.push(heading("Open incidents"));
        for i in &note.incidents {
            let mut spans = vec![Span::raw("  ")];
            if !i.severity.is_empty() {
                spans.push(Span::styled(format!("[{}] ", i.severity), THEME.crit));
            }
            if !i.id.is_empty() {
                spans.push(Span::styled(format!("{} ", i.id), THEME.title));
            }
            if !i.status.is_empty() {
                spans.push(Span::styled(format!("({}) ", i.status), THEME.warn));
            }
            spans.push(Span::raw(i.summary.clone()));
            out.push(Line::from(spans));
        }
    }
    if !note.ongoing.is_empty() {
        out.push(heading("Ongoing issues"));
        for item in &note.ongoing {
            let (mark, style) = if item.done {
                ("[x]", THEME.dim)
            } else {
                ("[ ]", Style::default())
            };
            out.push(Line::from(Span::styled(
                format!("  {mark} {}", item.text),
                style,
            )));
        }
    }
    if !note.maintenance.is_empty() {
        out.push(heading("Upcoming maintenance"));
        for m in &note.maintenance {
            out.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(m.when.clone(), THEME.warn),
                Span::raw(format!(": {}", m.what)),
            ]));
        }
    }
    if !note.tips.is_empty() {
        out.push(heading("Tips"));
        for t in &note.tips {
            out.push(Line::raw(format!("  • {}", t.text)));
        }
    }
    for (title, body) in &note.extra_sections {
        out.push(heading(title));
        for line in body.lines() {
            out.push(Line::raw(format!("  {line}")));
        }
    }
    out
}

/// Firing alerts (pages first) and SLOs whose budget is not green.
pub fn live_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width);
    let mut out = Vec::new();
    let mut firing: Vec<_> = app
        .alerts
        .merged
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .collect();
    firing.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then(a.since.cmp(&b.since))
            .then_with(|| a.name().cmp(b.name()))
    });
    for a in &firing {
        let (sev, style) = match a.severity {
            Severity::Critical => ("crit", THEME.crit),
            Severity::Warning => ("warn", THEME.warn),
            Severity::Info => ("info", THEME.title),
            Severity::Other => ("    ", Style::default()),
        };
        let since = a
            .since
            .map(|t| format!(" {}", format::age((app.now - t).num_seconds().max(0))))
            .unwrap_or_default();
        let head = format!("▲ {sev} {}{since}", a.name());
        let rest = a.summary().map(|s| format!("  {s}")).unwrap_or_default();
        let room = width.saturating_sub(head.chars().count());
        out.push(Line::from(vec![
            Span::styled(head, style),
            Span::styled(fit(&rest, room), THEME.dim),
        ]));
    }
    let mut slos = 0;
    for state in &app.slos {
        let status = state.status(&app.config.policy, app.now);
        if matches!(status.band, Band::Green | Band::NoData) {
            continue;
        }
        slos += 1;
        out.push(Line::from(vec![
            Span::styled(
                format!("{} SLO {} ", band_glyph(status.band), slo_name(app, state)),
                band_style(status.band),
            ),
            Span::raw(gauge(status.budget.remaining, 15)),
        ]));
    }
    // What could not be read is said, never shown as quiet.
    let alerts_unread = app
        .alerts
        .polls
        .iter()
        .filter(|p| p.feed != crate::app::alerts::AlertFeed::AmSilences)
        .filter(|p| p.last_error.is_some() || p.last_ok.is_none())
        .map(|p| match &p.last_error {
            Some((_, e)) => format!("{} {}: {e}", p.source, p.feed.label()),
            None => format!("{} {}: not read yet", p.source, p.feed.label()),
        })
        .collect::<Vec<_>>();
    let slos_unknown = app
        .slos
        .iter()
        .filter(|s| s.status(&app.config.policy, app.now).band == Band::NoData)
        .count();
    for why in &alerts_unread {
        out.push(Line::from(Span::styled(
            fit(&format!("✖ alerts unavailable: {why}"), width),
            THEME.crit,
        )));
    }
    if slos_unknown > 0 {
        out.push(Line::from(Span::styled(
            format!("? {slos_unknown} SLO(s) without data"),
            THEME.warn,
        )));
    }
    if firing.is_empty() && slos == 0 && alerts_unread.is_empty() && slos_unknown == 0 {
        let text = if app.has_alert_feeds() || !app.slos.is_empty() {
            "✓ nothing firing, every SLO budget green"
        } else {
            "no alert feeds or SLOs configured"
        };
        out.push(Line::from(Span::styled(text, THEME.ok)));
    }
    out
}

/// The notes, newest first, with the selection in view: `rows` lines at most.
pub fn history_lines(app: &App, rows: usize) -> Vec<Line<'static>> {
    let h = &app.handoff;
    if h.notes.is_empty() {
        return vec![Line::from(Span::styled("no notes", THEME.dim))];
    }
    visible_rows(&h.notes, h.selected, rows.max(1))
        .map(|(i, row)| history_row(app, row, i == h.selected))
        .collect()
}

fn history_row(app: &App, row: &NoteRow, selected: bool) -> Line<'static> {
    let mark = if selected { "▶ " } else { "  " };
    let base = if selected {
        THEME.selected
    } else {
        Style::default()
    };
    let created = row
        .created
        .map(|t| {
            t.with_timezone(&app.tz)
                .format("%a %d %b %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "?".into());
    let mut spans = vec![Span::styled(format!("{mark}{created} "), base)];
    match (&row.error, &row.acked_by) {
        (Some(e), _) => spans.push(Span::styled(format!("✖ {}: {e}", row.id), THEME.crit)),
        (None, Some(by)) => {
            spans.push(Span::styled(format!("{} ", row.author), base));
            spans.push(Span::styled(format!("✓ {by}"), THEME.ok));
        }
        (None, None) => {
            spans.push(Span::styled(format!("{} ", row.author), base));
            spans.push(Span::styled("✎ unacked", THEME.warn));
        }
    }
    Line::from(spans)
}

/// The primary shifts of the next [`SCHEDULE_DAYS`] days with the secondary at their start,
/// overrides marked, gaps warned.
pub fn schedule_lines(app: &App) -> Vec<Line<'static>> {
    let Some(cfg) = &app.config.oncall else {
        return vec![Line::from(Span::styled(
            "no on-call rotation configured (oncall:)",
            THEME.dim,
        ))];
    };
    let from = app.now;
    let until = from + chrono::Duration::days(SCHEDULE_DAYS);
    let shifts = oncall::schedule(cfg, from, until);
    let of = |role| -> Vec<&Shift> { shifts.iter().filter(|s| s.role == role).collect() };
    let (primary, secondary) = (of(Role::Primary), of(Role::Secondary));
    let mut out = Vec::new();
    for (a, b) in gaps(&primary, from, until) {
        out.push(Line::from(Span::styled(
            format!("⚠ no primary {} – {}", when(app, a), when(app, b)),
            THEME.crit,
        )));
    }
    for (a, b) in gaps(&secondary, from, until) {
        out.push(Line::from(Span::styled(
            format!("⚠ no secondary {} – {}", when(app, a), when(app, b)),
            THEME.warn,
        )));
    }
    for p in &primary {
        let at = p.start.max(from);
        let second = secondary.iter().find(|s| s.start <= at && at < s.end);
        let second = match second {
            Some(s) if s.overridden.is_some() => format!("{} ⇄", s.who),
            Some(s) => s.who.clone(),
            None => "—".into(),
        };
        let now = p.start <= from;
        let style = if now { THEME.title } else { Style::default() };
        let mut spans = vec![
            Span::styled(if now { "● " } else { "  " }, THEME.ok),
            Span::styled(format!("{} ", when(app, p.start)), THEME.dim),
            Span::styled(format!("{}/{second}", p.who), style),
        ];
        if let Some(reason) = &p.overridden {
            let why = if reason.is_empty() {
                String::new()
            } else {
                format!(": {reason}")
            };
            spans.push(Span::styled(format!(" ⇄ override{why}"), THEME.warn));
        }
        out.push(Line::from(spans));
    }
    if primary.is_empty() && secondary.is_empty() {
        out.push(Line::from(Span::styled(
            "nobody scheduled in the next 4 weeks",
            THEME.crit,
        )));
    }
    // The escalation policy with the names of who holds each role now.
    let levels = oncall::escalation(cfg, from);
    if !levels.is_empty() {
        let steps: Vec<String> = levels
            .iter()
            .map(|(after, who)| {
                let who = if who.is_empty() {
                    "NOBODY".to_string()
                } else {
                    who.join(", ")
                };
                format!("+{after} {who}")
            })
            .collect();
        out.push(Line::from(vec![
            Span::styled("escalation ", THEME.dim),
            Span::raw(steps.join(" → ")),
        ]));
    }
    out
}

/// The stretches of `[from, until)` no shift covers (`shifts` in time order).
fn gaps(
    shifts: &[&Shift],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut covered = from;
    for s in shifts {
        if s.start > covered {
            out.push((covered, s.start.min(until)));
        }
        covered = covered.max(s.end);
    }
    if covered < until {
        out.push((covered, until));
    }
    out
}

/// The header's on-call part, richest first, ending with nothing: `☎ alice/dave → bob 2d 3h`,
/// then shorter forms for narrow screens. A gap is `☎ NOBODY ON CALL` in the crit style.
pub fn oncall_header_variants(app: &App) -> Vec<Vec<Span<'static>>> {
    let Some(cfg) = &app.config.oncall else {
        return vec![Vec::new()];
    };
    let now = oncall::now(cfg, app.now);
    let countdown = now
        .next_handoff
        .map(|t| oncall::countdown(app.now, t))
        .unwrap_or_default();
    let mut out = Vec::new();
    match &now.primary {
        None => {
            let crit = THEME.crit;
            if let Some(next) = &now.next_primary {
                out.push(vec![Span::styled(
                    format!(" ☎ NOBODY ON CALL → {} {countdown}", next.who),
                    crit,
                )]);
            }
            out.push(vec![Span::styled(" ☎ NOBODY ON CALL", crit)]);
            out.push(vec![Span::styled(" ☎ NOBODY", crit)]);
        }
        Some(p) => {
            let who = match &now.secondary {
                Some(s) => format!("{}/{}", p.who, s.who),
                None => p.who.clone(),
            };
            let style = THEME.title;
            let next = now.next_primary.as_ref().map(|n| n.who.clone());
            if let Some(next) = &next {
                out.push(vec![
                    Span::styled(format!(" ☎ {who}"), style),
                    Span::raw(format!(" → {next} {countdown}")),
                ]);
            }
            out.push(vec![
                Span::styled(format!(" ☎ {who}"), style),
                Span::raw(format!(" {countdown}")),
            ]);
            out.push(vec![
                Span::styled(format!(" ☎ {}", p.who), style),
                Span::raw(format!(" {countdown}")),
            ]);
            out.push(vec![Span::styled(format!(" ☎ {}", p.who), style)]);
        }
    }
    out.push(Vec::new());
    out
}
