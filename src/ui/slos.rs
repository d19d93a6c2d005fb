//! The SLO list: one row per SLO with objective, SLI over the window, a budget gauge coloured
//! by the policy band, burn rates, which alert conditions hold, time to exhaustion, and the
//! remaining budget over the selected range.
//!
//! ```text
//!   SLO                     OBJ     SLI     BUDGET LEFT        BURN 1h   ALERT  EXHAUSTS
//! ● api/availability       99.9%  99.98%  ████████░░  80.0%    0.20×    —      never
//! ✖ checkout/availability  99.5%  99.38%  ░░░░░░░░░░ -24.0%   24.0×    PAGE   now
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use ratatui::Frame;

use super::theme::THEME;
use super::widgets::{freshness_style, sparkline_into, visible_rows};
use crate::app::slo::{SloState, SloStatus};
use crate::app::{App, Freshness};
use crate::domain::format;
use crate::domain::health::Status;
use crate::domain::slo::{Band, Exhaustion, Severity};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let mut title = vec![Span::styled(
        format!(" SLOs ({}) ", app.slos.len()),
        THEME.title,
    )];
    let statuses: Vec<SloStatus> = app
        .slos
        .iter()
        .map(|s| s.status(&app.config.policy, app.now))
        .collect();
    for band in [Band::Exhausted, Band::Red, Band::Yellow] {
        let n = statuses.iter().filter(|s| s.band == band).count();
        if n > 0 {
            title.push(Span::styled(
                format!("{n} {} ", band.label()),
                band_style(band),
            ));
        }
    }
    let paging = statuses.iter().filter(|s| s.burn.page_firing).count();
    if paging > 0 {
        title.push(Span::styled(format!("{paging} paging "), THEME.crit));
    }
    // Stale counts are not live ones: say how old they are, as the overview does.
    let feeds: Vec<usize> = app
        .slos
        .iter()
        .flat_map(|s| s.feeds.iter().copied())
        .collect();
    let fresh = app.freshness(&feeds);
    if matches!(fresh, Freshness::Stale { .. } | Freshness::Failed { .. }) {
        title.push(super::widgets::freshness_span(&fresh));
        title.push(Span::raw(" "));
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(THEME.border)
        .title(Line::from(title));
    if app.slos.is_empty() {
        let text = vec![
            Line::raw(""),
            Line::raw("  No SLOs configured."),
            Line::raw("  Add `slos:` to a service in the config (see config.example.yaml)."),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(
        SloList {
            app,
            statuses: &statuses,
        },
        inner,
    );
}

/// The style of a policy band.
pub fn band_style(band: Band) -> Style {
    match band {
        Band::Green => THEME.ok,
        Band::Yellow => THEME.warn,
        Band::Red => THEME.crit,
        Band::Exhausted => THEME.crit.patch(THEME.selected),
        Band::NoData => THEME.no_data,
    }
}

/// The band as a status, for glyphs shared with the overview.
pub fn band_status(band: Band) -> Status {
    match band {
        Band::Green => Status::Ok,
        Band::Yellow => Status::Warn,
        Band::Red | Band::Exhausted => Status::Crit,
        Band::NoData => Status::NoData,
    }
}

/// `████░░░░ 42.0%`: a gauge of the remaining budget (empty when overspent; `-897%` keeps
/// its sign and magnitude, never clamped away).
pub fn gauge(remaining: Option<f64>, width: usize) -> String {
    let bars = width.saturating_sub(7);
    let filled = remaining
        .map(|r| (r.clamp(0.0, 1.0) * bars as f64).round() as usize)
        .unwrap_or(0);
    let value = match remaining {
        Some(r) if (r * 100.0).abs() >= 99.95 => format!("{:>6}", format!("{:.0}%", r * 100.0)),
        Some(r) => format!("{:>6}", format!("{:.1}%", r * 100.0)),
        None => format!("{:>6}", "—"),
    };
    format!(
        "{}{} {value}",
        "█".repeat(filled),
        "░".repeat(bars.saturating_sub(filled))
    )
}

/// `14.4×`, `0.20×`, `—`.
pub fn burn(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(b) if b >= 100.0 => format!("{b:.0}×"),
        Some(b) if b >= 10.0 => format!("{b:.1}×"),
        Some(b) => format!("{b:.2}×"),
    }
}

/// `3d`, `5h04m`, `now`, `never`, `—`.
pub fn exhaustion(e: &Exhaustion) -> String {
    match e {
        Exhaustion::Exhausted => "now".into(),
        Exhaustion::NotBurning => "never".into(),
        Exhaustion::NoData => "—".into(),
        Exhaustion::In(d) => {
            // An estimate: round, so 119.99999 days reads as 120d.
            let secs = d.as_secs_f64().round().min(i64::MAX as f64) as i64;
            format::age(secs)
        }
    }
}

/// `PAGE`, `TICKET`, `—`.
pub fn alert_state(status: &SloStatus) -> (&'static str, Style) {
    if status.burn.firing(Severity::Page) {
        ("PAGE", THEME.crit)
    } else if status.burn.firing(Severity::Ticket) {
        ("TICKET", THEME.warn)
    } else {
        ("—", THEME.dim)
    }
}

/// `99.98%` for an SLI ratio.
pub fn sli(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(v) if v >= 0.9999 => format!("{:.3}%", v * 100.0),
        Some(v) => format!("{:.2}%", v * 100.0),
    }
}

struct SloList<'a> {
    app: &'a App,
    statuses: &'a [SloStatus],
}

impl Widget for SloList<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        if area.height < 2 {
            return;
        }
        let name_w = app
            .slos
            .iter()
            .map(|s| slo_name(app, s).chars().count())
            .max()
            .unwrap_or(10)
            .clamp(10, 32) as u16;
        let wide = area.width >= 120;
        let pairs = app.slos.first().map_or(0, |s| s.pairs.len());
        // Column widths: marker, name, objective, SLI, gauge, burns, alert, exhaustion.
        let mut cols: Vec<(&str, u16)> = vec![
            ("", 1),
            ("SLO", name_w),
            ("OBJ", 6),
            ("SLI", 7),
            ("BUDGET LEFT", 17),
        ];
        let burn_labels: Vec<String> = app
            .slos
            .first()
            .map(|s| {
                s.pairs
                    .iter()
                    .map(|p| format!("{}/{}", p.long, p.short))
                    .collect()
            })
            .unwrap_or_default();
        if wide {
            for label in &burn_labels {
                cols.push((label.as_str(), 9));
            }
        } else {
            cols.push(("BURN 1h", 7));
        }
        cols.push(("ALERT", 6));
        cols.push(("EXHAUSTS", 8));
        let used: u16 = cols.iter().map(|c| c.1 + 1).sum();
        let trend_w = area.width.saturating_sub(used + 1);
        if wide && trend_w >= 8 {
            cols.push(("TREND", trend_w));
        }
        let mut x = area.x;
        for (label, w) in &cols {
            buf.set_stringn(x, area.y, label, usize::from(*w), THEME.dim);
            x = x.saturating_add(*w + 1);
        }
        let visible = usize::from(area.height - 1);
        for (row, (i, state)) in visible_rows(&app.slos, app.slo_selected, visible).enumerate() {
            let y = area.y + 1 + row as u16;
            if i == app.slo_selected {
                buf.set_style(Rect::new(area.x, y, area.width, 1), THEME.selected);
            }
            let status = &self.statuses[i];
            let dim = freshness_style(&app.freshness(&state.feeds));
            let band = band_style(status.band).patch(dim);
            let mut cells: Vec<(String, Style)> = vec![
                (band_glyph(status.band).into(), band),
                (slo_name(app, state), Style::new()),
                (
                    format!("{}%", trim_float(state.spec.objective)),
                    Style::new().patch(dim),
                ),
                (sli(status.budget.sli), band),
                (gauge(status.budget.remaining, 17), band),
            ];
            if wide {
                for (k, _) in burn_labels.iter().enumerate().take(pairs) {
                    let p = status.burn.pairs.get(k);
                    let style = match p {
                        Some(p) if p.holds => THEME.crit,
                        Some(p) if p.long.is_some_and(|b| b > p.factor) => THEME.warn,
                        _ => Style::new(),
                    };
                    cells.push((burn(p.and_then(|p| p.long)), style.patch(dim)));
                }
            } else {
                cells.push((burn(status.burn_1h), Style::new().patch(dim)));
            }
            let (alert, alert_style) = alert_state(status);
            cells.push((alert.into(), alert_style.patch(dim)));
            cells.push((exhaustion(&status.exhaustion), band));
            let mut x = area.x;
            for ((text, style), (_, w)) in cells.iter().zip(&cols) {
                buf.set_stringn(x, y, text, usize::from(*w), *style);
                x = x.saturating_add(*w + 1);
            }
            if cols.len() > cells.len() {
                if let Some(history) = state.remaining_history() {
                    sparkline_into(
                        buf,
                        Rect::new(x, y, trend_w, 1),
                        Some(&history),
                        100.0,
                        band,
                    );
                }
            }
        }
    }
}

pub fn band_glyph(band: Band) -> &'static str {
    match band {
        Band::Green => "●",
        Band::Yellow => "▲",
        Band::Red => "✖",
        Band::Exhausted => "✖",
        Band::NoData => "○",
    }
}

/// `service/slo`.
pub fn slo_name(app: &App, state: &SloState) -> String {
    let service = app
        .services
        .get(state.spec.service)
        .map_or("?", |s| s.name.as_str());
    format!("{service}/{}", state.spec.name)
}

/// `99.9`, `99`, `99.95`.
pub fn trim_float(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
