//! The overview: one row per service, each golden signal as a current value and a sparkline.
//!
//! ```text
//!   SERVICE   TRAFFIC           ERRORS          LATENCY p50/p95/p99        SATURATION
//! ● api       118/s ▃▄▅▆▅▄▃▄   0.21% ▁▁▂▁▁▁   38ms/92ms/180ms ▂▂▃▂    cpu 41% ▃▃▄▃
//! ```

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::theme::THEME;
use super::widgets::{freshness_glyph, freshness_span, freshness_style, sparkline};
use crate::app::{App, ServiceState};
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
    if !matches!(fresh, crate::app::Freshness::Fresh) {
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
    let inner_width = usize::from(area.width).saturating_sub(2);
    let name_w = app
        .services
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(7, 20);
    // Columns after the freshness marker (2) and name: traffic, errors, latency, saturation.
    let rest = inner_width.saturating_sub(name_w + 2 + 4);
    let traffic_w = rest * 22 / 100;
    let errors_w = rest * 20 / 100;
    let latency_w = rest * 33 / 100;
    let sat_w = rest.saturating_sub(traffic_w + errors_w + latency_w);
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
    let header = Row::new(vec![
        Cell::from(""),
        Cell::from("SERVICE"),
        Cell::from("TRAFFIC"),
        Cell::from("ERRORS"),
        Cell::from(format!("LATENCY {quantiles}")),
        Cell::from("SATURATION"),
    ])
    .style(THEME.dim);
    let rows = app.services.iter().map(|svc| {
        let fresh = app.freshness(&svc.feeds);
        let dim = freshness_style(&fresh);
        Row::new(vec![
            Cell::from(freshness_glyph(&fresh)),
            Cell::from(svc.name.clone()),
            traffic_cell(svc, traffic_w, dim),
            errors_cell(svc, errors_w, dim),
            latency_cell(svc, latency_w, dim),
            saturation_cell(svc, sat_w, dim),
        ])
    });
    let widths = [
        Constraint::Length(1),
        Constraint::Length(name_w as u16),
        Constraint::Length(traffic_w as u16),
        Constraint::Length(errors_w as u16),
        Constraint::Length(latency_w as u16),
        Constraint::Length(sat_w as u16),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(THEME.selected);
    let mut state = TableState::default().with_selected(Some(app.selected));
    frame.render_stateful_widget(table, area, &mut state);
}

/// `value sparkline`, the value coloured by status, the sparkline filling the rest.
fn signal_cell(
    value: String,
    status: Status,
    series: Option<&Series>,
    width: usize,
    floor: f64,
    dim: Style,
) -> Cell<'static> {
    let value_w = value.chars().count();
    let spark_w = width.saturating_sub(value_w + 1);
    let style = THEME.status(status).patch(dim);
    Cell::from(Line::from(vec![
        Span::styled(value, style),
        Span::raw(" "),
        Span::styled(
            sparkline(series, spark_w, floor),
            THEME.status(status).patch(dim),
        ),
    ]))
}

fn traffic_cell(svc: &ServiceState, width: usize, dim: Style) -> Cell<'static> {
    let v = svc.traffic.as_ref().and_then(Series::current);
    let status = judge_low(v, svc.thresholds.traffic.as_ref());
    signal_cell(
        format!("{:>7}", format::rate(v)),
        status,
        svc.traffic.as_ref(),
        width,
        0.0,
        dim,
    )
}

fn errors_cell(svc: &ServiceState, width: usize, dim: Style) -> Cell<'static> {
    let v = svc.error_ratio.as_ref().and_then(Series::current);
    let status = judge(v, &svc.thresholds.errors);
    signal_cell(
        format!("{:>6}", format::ratio_pct(v)),
        status,
        svc.error_ratio.as_ref(),
        width,
        svc.thresholds.errors.crit,
        dim,
    )
}

fn latency_cell(svc: &ServiceState, width: usize, dim: Style) -> Cell<'static> {
    let values: Vec<String> = svc
        .latency
        .iter()
        .map(|(_, s)| format::latency(s.as_ref().and_then(Series::current)))
        .collect();
    let top = svc.top_latency();
    let status = judge(top.and_then(Series::current), &svc.thresholds.latency);
    signal_cell(
        format!("{:>15}", values.join("/")),
        status,
        top,
        width,
        svc.thresholds.latency.crit,
        dim,
    )
}

fn saturation_cell(svc: &ServiceState, width: usize, dim: Style) -> Cell<'static> {
    match svc.worst_saturation() {
        Some((name, series)) => {
            let v = series.current();
            let status = judge(v, &svc.thresholds.saturation);
            signal_cell(
                format!("{name} {:>4}", format::percent(v)),
                status,
                Some(series),
                width,
                100.0,
                dim,
            )
        }
        None if svc.saturation.is_empty() => Cell::from(Span::styled("—", THEME.no_data)),
        None => signal_cell("—".into(), Status::NoData, None, width, 0.0, dim),
    }
}
