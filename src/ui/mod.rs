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
pub mod palette;
pub mod service;
pub mod silences;
pub mod slo;
pub mod slos;
pub mod theme;
pub mod widgets;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::app::{App, View};
use theme::THEME;

/// The screen's rows: header, tabs, the view, status line.
pub fn layout(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The list row (index into the view's items) at screen cell `(column, row)` in the overview,
/// SLO, alert and silence lists; from the same layout and scrolling the renderers use.
pub fn row_at(app: &App, area: Rect, column: u16, row: u16) -> Option<usize> {
    let [_, _, body, _] = layout(area);
    if !body.contains(ratatui::layout::Position::new(column, row)) {
        return None;
    }
    let (len, selected) = match app.view {
        View::Overview => (app.services.len(), app.selected),
        View::Slos => (app.slos.len(), app.slo_selected),
        View::Alerts => return alerts::alert_at(app, body, row),
        View::Silences => return silences::silence_at(app, body, column, row),
        _ => return None,
    };
    let inner = Block::default().borders(Borders::TOP).inner(body);
    if inner.height < 2 || len == 0 {
        return None;
    }
    let rows = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    if !rows.contains(ratatui::layout::Position::new(column, row)) {
        return None;
    }
    let first = widgets::visible_rows(&vec![(); len], selected, usize::from(rows.height))
        .next()
        .map(|(i, _)| i)?;
    let i = first + usize::from(row - rows.y);
    (i < len).then_some(i)
}

/// The view whose tab is at screen cell `(column, row)` on the tab line; from the same spans
/// [`render`] draws (` Title ` then a space, from the left edge).
pub fn tab_at(area: Rect, column: u16, row: u16) -> Option<View> {
    let [_, tabs, _, _] = layout(area);
    if row != tabs.y || column < tabs.x {
        return None;
    }
    let mut x = usize::from(tabs.x);
    let column = usize::from(column);
    for v in View::ALL {
        let width = Span::raw(format!(" {} ", v.title())).width();
        if (x..x + width).contains(&column) {
            return Some(v);
        }
        x += width + 1;
    }
    None
}

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let [header, tabs, body, status] = layout(frame.area());
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
