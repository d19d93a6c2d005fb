//! Rendering: a pure function of `&App`. Nothing here changes state or does I/O.
//!
//! ```text
//! ┌───────────────────────────────────────────────────────────────┐
//! │ header: sretop · context · range · LIVE/HISTORY · updated …   │ 1 line
//! │ tabs: Overview | Service | SLOs | SLO | … | Handoff           │ 1 line
//! │                                                               │
//! │ the view (overview.rs, service.rs, slos.rs, slo.rs)           │ the rest
//! │                                                               │
//! │ status: source health, query errors, key hints                │ 1 line
//! │   (the `:` command line, cmdline.rs, while it is open)         │
//! └───────────────────────────────────────────────────────────────┘
//!   `?` draws help.rs on top.
//! ```

pub mod alert;
pub mod alerts;
pub mod cmdline;
pub mod degrade;
pub mod handoff;
pub mod help;
pub mod osc;
pub mod overview;
pub mod service;
pub mod silences;
pub mod slo;
pub mod slos;
pub mod theme;
pub mod widgets;

use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::{App, View};
use theme::THEME;

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let [header, tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    widgets::header(frame, header, app);
    let mut spans = Vec::new();
    for v in View::ALL {
        let style = if v == app.view {
            THEME.title.patch(THEME.selected)
        } else {
            THEME.dim
        };
        spans.push(Span::styled(format!(" {} ", v.title()), style));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(" Tab: next view", THEME.dim));
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);
    match app.view {
        View::Overview => overview::render(frame, body, app),
        View::Service => service::render(frame, body, app),
        View::Slos => slos::render(frame, body, app),
        View::Slo => slo::render(frame, body, app),
        View::Alerts => alerts::render(frame, body, app),
        View::Alert => alert::render(frame, body, app),
        View::Silences => silences::render(frame, body, app),
        View::Handoff => handoff::render(frame, body, app),
    }
    if app.command.active {
        cmdline::render(frame, status, app);
    } else {
        widgets::status_line(frame, status, app);
    }
    if app.alerts.confirm.is_some() {
        silences::render_confirm(frame, frame.area(), app);
    } else {
        silences::render_form(frame, body, app);
    }
    if app.help {
        help::render(frame, frame.area(), app);
    }
    degrade::apply(frame.buffer_mut(), app.degrade);
}

/// URLs on screen that the runtime turns into OSC 8 hyperlinks after drawing.
pub fn links(app: &App) -> Vec<String> {
    alert::links(app)
}
