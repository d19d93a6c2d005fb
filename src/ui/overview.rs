//! The overview: one row per service, each golden signal as a current value and a sparkline.
//!
//! ```text
//!   SERVICE   TRAFFIC           ERRORS          LATENCY p50/p95/p99        SATURATION
//! ● api       118/s ▃▄▅▆▅▄▃▄   0.21% ▁▁▂▁▁▁   38ms/92ms/180ms ▂▂▃▂    cpu 41% ▃▃▄▃
//! ```
//!
//! Rows are written straight into the buffer (no `Table`, no per-glyph `Span`): a screen of
//! fifty services with five sparklines each is redrawn in well under a millisecond.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use ratatui::Frame;

use super::slos::{band_style, gauge};
use super::theme::THEME;
use super::widgets::{
    freshness_glyph, freshness_span, freshness_style, sparkline_into, visible_rows,
};
use crate::app::slo::SloStatus;
use crate::app::{App, Freshness, ServiceState};
use crate::domain::format;
use crate::domain::health::{judge, judge_low, Status};
use crate::domain::series::Series;
use crate::domain::signals::quantile_label;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let all: Vec<usize> = (0..app.queries.len()).collect();
    let fresh = app.freshness(&all);
    let mut title = vec![Span::styled(
        format!(" Services ({}) ", app.services.len()),
        THEME.title,
    )];
    for (status, word) in [(Status::Crit, "critical"), (Status::Warn, "warning")] {
        let n = app.services.iter().filter(|s| s.status() == status).count();
        if n > 0 {
            title.push(Span::styled(format!("{n} {word}"), THEME.status(status)));
            title.push(Span::raw(" "));
        }
    }
    if !matches!(fresh, Freshness::Fresh) {
        title.push(freshness_span(&fresh));
        title.push(Span::raw(" "));
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(THEME.border)
        .title(Line::from(title));
    if app.services.is_empty() {
        let text = vec![
            Line::raw(""),
            Line::raw("  No services configured."),
            Line::raw("  Add a `services:` list to the config file (see config.example.yaml)."),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(ServiceList { app }, inner);
}

/// Column positions, computed once per frame from the width.
struct Columns {
    name: (u16, u16),
    /// The worst SLO's budget gauge, when any SLO is configured.
    budget: Option<(u16, u16)>,
    traffic: (u16, u16),
    errors: (u16, u16),
    latency: (u16, u16),
    saturation: (u16, u16),
}

impl Columns {
    fn new(app: &App, width: u16) -> Self {
        let name_w = app
            .services
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(8)
            .clamp(7, 20) as u16;
        let budget_w: u16 = if app.slos.is_empty() { 0 } else { 11 };
        // Freshness marker (1) and the gaps of one cell.
        let rest =
            width.saturating_sub(name_w + 2 + 4 + if budget_w > 0 { budget_w + 1 } else { 0 });
        let traffic = rest * 22 / 100;
        let errors = rest * 20 / 100;
        let latency = rest * 33 / 100;
        let saturation = rest.saturating_sub(traffic + errors + latency);
        let mut x: u16 = 2;
        let mut next = |w: u16| {
            let col = (x, w);
            x = x.saturating_add(w).saturating_add(1);
            col
        };
        let name = next(name_w);
        let budget = (budget_w > 0).then(|| next(budget_w));
        Columns {
            name,
            budget,
            traffic: next(traffic),
            errors: next(errors),
            latency: next(latency),
            saturation: next(saturation),
        }
    }
}

struct ServiceList<'a> {
    app: &'a App,
}

impl Widget for ServiceList<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        if area.height < 2 {
            return;
        }
        let cols = Columns::new(app, area.width);
        let quantiles = app
            .services
            .first()
            .map(|s| {
                s.latency
                    .iter()
                    .map(|(q, _)| format!("p{}", quantile_label(*q)))
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default();
        let y = area.y;
        let put = |buf: &mut Buffer, col: (u16, u16), y: u16, text: &str, style: Style| {
            buf.set_stringn(area.x + col.0, y, text, usize::from(col.1), style);
        };
        put(buf, cols.name, y, "SERVICE", THEME.dim);
        if let Some(col) = cols.budget {
            put(buf, col, y, "SLO BUDGET", THEME.dim);
        }
        let worst = worst_slos(app);
        put(buf, cols.traffic, y, "TRAFFIC", THEME.dim);
        put(buf, cols.errors, y, "ERRORS", THEME.dim);
        put(
            buf,
            cols.latency,
            y,
            &format!("LATENCY {quantiles}"),
            THEME.dim,
        );
        put(buf, cols.saturation, y, "SATURATION", THEME.dim);

        let visible = usize::from(area.height - 1);
        for (row, (i, svc)) in visible_rows(&app.services, app.selected, visible).enumerate() {
            let y = area.y + 1 + row as u16;
            let line = Rect::new(area.x, y, area.width, 1);
            if i == app.selected {
                buf.set_style(line, THEME.selected);
            }
            let fresh = app.freshness(&svc.feeds);
            let dim = freshness_style(&fresh);
            let glyph = freshness_glyph(&fresh);
            buf.set_span(area.x, y, &glyph, 1);
            put(buf, cols.name, y, &svc.name, Style::new());
            if let (Some(col), Some(Some(status))) = (cols.budget, worst.get(i)) {
                let style = band_style(status.band).patch(dim);
                put(
                    buf,
                    col,
                    y,
                    &gauge(status.budget.remaining, usize::from(col.1)),
                    style,
                );
            }
            for (col, cell) in [
                (cols.traffic, traffic(svc)),
                (cols.errors, errors(svc)),
                (cols.latency, latency(svc)),
                (cols.saturation, saturation(svc)),
            ] {
                draw_signal(buf, Rect::new(area.x + col.0, y, col.1, 1), &cell, dim);
            }
        }
    }
}

/// Each service's worst SLO (lowest remaining budget; "no data" only when nothing else is
/// known), or `None` for a service without SLOs.
fn worst_slos(app: &App) -> Vec<Option<SloStatus>> {
    let mut worst: Vec<Option<SloStatus>> = vec![None; app.services.len()];
    for state in &app.slos {
        let status = state.status(&app.config.policy, app.now);
        let Some(slot) = worst.get_mut(state.spec.service) else {
            continue;
        };
        let rank = |s: &SloStatus| s.budget.remaining.unwrap_or(f64::INFINITY);
        if slot.as_ref().is_none_or(|w| rank(&status) < rank(w)) {
            *slot = Some(status);
        }
    }
    worst
}

/// What one signal cell shows.
struct SignalCell<'a> {
    text: String,
    status: Status,
    series: Option<&'a Series>,
    /// The sparkline's full scale is at least this (a threshold, or 100%).
    floor: f64,
}

/// `value sparkline`: the value coloured by status, the sparkline filling the rest.
fn draw_signal(buf: &mut Buffer, area: Rect, cell: &SignalCell, dim: Style) {
    let style = THEME.status(cell.status).patch(dim);
    let (x, _) = buf.set_stringn(area.x, area.y, &cell.text, usize::from(area.width), style);
    let used = x.saturating_sub(area.x) + 1;
    if used < area.width {
        let spark = Rect::new(area.x + used, area.y, area.width - used, 1);
        sparkline_into(buf, spark, cell.series, cell.floor, style);
    }
}

fn traffic(svc: &ServiceState) -> SignalCell<'_> {
    let v = svc.traffic.as_ref().and_then(Series::current);
    SignalCell {
        text: format!("{:>7}", format::rate(v)),
        status: judge_low(v, svc.thresholds.traffic.as_ref()),
        series: svc.traffic.as_ref(),
        floor: 0.0,
    }
}

fn errors(svc: &ServiceState) -> SignalCell<'_> {
    let v = svc.error_ratio.as_ref().and_then(Series::current);
    SignalCell {
        text: format!("{:>6}", format::ratio_pct(v)),
        status: judge(v, &svc.thresholds.errors),
        series: svc.error_ratio.as_ref(),
        floor: svc.thresholds.errors.crit,
    }
}

fn latency(svc: &ServiceState) -> SignalCell<'_> {
    let values: Vec<String> = svc
        .latency
        .iter()
        .map(|(_, s)| format::latency(s.as_ref().and_then(Series::current)))
        .collect();
    let top = svc.top_latency();
    SignalCell {
        text: format!("{:>15}", values.join("/")),
        status: judge(top.and_then(Series::current), &svc.thresholds.latency),
        series: top,
        floor: svc.thresholds.latency.crit,
    }
}

fn saturation(svc: &ServiceState) -> SignalCell<'_> {
    match svc.worst_saturation() {
        Some((name, series)) => {
            let v = series.current();
            SignalCell {
                text: format!("{name} {:>4}", format::percent(v)),
                status: judge(v, &svc.thresholds.saturation),
                series: Some(series),
                floor: 100.0,
            }
        }
        None => SignalCell {
            text: "—".into(),
            status: Status::NoData,
            series: None,
            floor: 0.0,
        },
    }
}
