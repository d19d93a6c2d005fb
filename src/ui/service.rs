//! One service in detail: a chart per golden signal, with a time axis, the current value in
//! the title, and the warning threshold drawn as a line.
//!
//! ```text
//! ┌ traffic 118/s ───────────┐┌ errors 0.21% ────────────┐
//! │ ⠀⠀⣀⡠⠤⠒⠊⠉⠉⠑⠒⠤⣀⠀⠀          ││                          │
//! └──────────────────────────┘└──────────────────────────┘
//! ┌ latency p50/p95/p99 ─────┐┌ saturation cpu 41% ──────┐
//! └──────────────────────────┘└──────────────────────────┘
//! ```

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use super::theme::THEME;
use super::widgets::{freshness_span, time_axis};
use crate::app::{App, ServiceState};
use crate::domain::format;
use crate::domain::health::{judge, judge_low, Status};
use crate::domain::series::Series;
use crate::domain::signals::quantile_label;
use crate::domain::window::Window;

const PALETTE: [Color; 6] = [
    Color::Cyan,
    Color::Magenta,
    Color::LightBlue,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightRed,
];

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let Some(svc) = app.selected_service() else {
        frame.render_widget(Paragraph::new("No service selected."), area);
        return;
    };
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let fresh = app.freshness(&svc.feeds);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!(" {} ", svc.name), THEME.title),
            Span::styled(format!("on {} ", svc.source), THEME.dim),
            freshness_span(&fresh),
            Span::styled(
                format!(
                    "  ({}/{}, j/k: other service, Esc: back)",
                    app.selected + 1,
                    app.services.len()
                ),
                THEME.dim,
            ),
        ])),
        title,
    );
    let [top, bottom] = Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(body);
    let [a, b] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(top);
    let [c, d] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(bottom);
    traffic_chart(frame, a, app, svc);
    errors_chart(frame, b, app, svc);
    latency_chart(frame, c, app, svc);
    saturation_chart(frame, d, app, svc);
}

/// A line to draw: name, points, colour.
struct Line_ {
    name: String,
    points: Vec<(f64, f64)>,
    color: Color,
}

fn chart(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    title: Vec<Span<'static>>,
    lines: Vec<Line_>,
    threshold: Option<f64>,
    fmt: fn(Option<f64>) -> String,
) {
    let window = shown_window(app);
    let (x0, x1) = (window.start as f64, window.end as f64);
    let data_max = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    let mut y_max = data_max;
    let threshold = threshold.filter(|t| *t <= data_max * 1.5 && *t > 0.0);
    if let Some(t) = threshold {
        y_max = y_max.max(t);
    }
    let y_max = if y_max <= 0.0 { 1.0 } else { y_max * 1.1 };
    let threshold_points: Vec<(f64, f64)> = threshold
        .map(|t| vec![(x0, t), (x1, t)])
        .unwrap_or_default();
    let mut datasets: Vec<Dataset> = lines
        .iter()
        .map(|l| {
            Dataset::default()
                .name(l.name.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(l.color))
                .data(&l.points)
        })
        .collect();
    if threshold.is_some() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Dot)
                .graph_type(GraphType::Line)
                .style(THEME.warn)
                .data(&threshold_points),
        );
    }
    let no_data = lines.iter().all(|l| l.points.is_empty());
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
                .bounds([0.0, y_max])
                .labels(vec![Span::raw(fmt(Some(0.0))), Span::raw(fmt(Some(y_max)))]),
        )
        .legend_position(if lines.len() > 1 {
            Some(ratatui::widgets::LegendPosition::TopLeft)
        } else {
            None
        })
        .hidden_legend_constraints((Constraint::Percentage(50), Constraint::Percentage(50)));
    frame.render_widget(chart, area);
    if no_data && area.height > 4 && area.width > 12 {
        let msg = Rect {
            x: area.x + 2,
            y: area.y + area.height / 2,
            width: area.width - 4,
            height: 1,
        };
        frame.render_widget(
            Paragraph::new(Span::styled("no data in this range", THEME.no_data))
                .alignment(ratatui::layout::Alignment::Center),
            msg,
        );
    }
}

/// The window the data on screen was fetched for (it lags `app.window()` by up to one
/// refresh while live), so the time axis matches the lines.
fn shown_window(app: &App) -> Window {
    app.selected_service()
        .and_then(|svc| {
            svc.traffic
                .iter()
                .chain(svc.latency.iter().filter_map(|(_, s)| s.as_ref()))
                .chain(svc.saturation.iter().filter_map(|(_, s)| s.as_ref()))
                .map(|s| s.window)
                .max_by_key(|w| w.end)
        })
        .unwrap_or_else(|| app.window())
}

fn title(name: &str, value: String, status: Status) -> Vec<Span<'static>> {
    vec![
        Span::styled(format!(" {name} "), THEME.title),
        Span::styled(format!("{value} "), THEME.status(status)),
    ]
}

fn points(s: Option<&Series>) -> Vec<(f64, f64)> {
    s.map(Series::points).unwrap_or_default()
}

fn traffic_chart(frame: &mut Frame, area: Rect, app: &App, svc: &ServiceState) {
    let v = svc.traffic.as_ref().and_then(Series::current);
    let status = judge_low(v, svc.thresholds.traffic.as_ref());
    chart(
        frame,
        area,
        app,
        title("traffic", format::rate(v), status),
        vec![Line_ {
            name: "req/s".into(),
            points: points(svc.traffic.as_ref()),
            color: PALETTE[0],
        }],
        svc.thresholds.traffic.map(|t| t.warn_below),
        format::rate,
    );
}

fn errors_chart(frame: &mut Frame, area: Rect, app: &App, svc: &ServiceState) {
    let v = svc.error_ratio.as_ref().and_then(Series::current);
    let status = judge(v, &svc.thresholds.errors);
    chart(
        frame,
        area,
        app,
        title("errors", format::ratio_pct(v), status),
        vec![Line_ {
            name: "error ratio".into(),
            points: points(svc.error_ratio.as_ref()),
            color: PALETTE[5],
        }],
        Some(svc.thresholds.errors.warn),
        format::ratio_pct,
    );
}

fn latency_chart(frame: &mut Frame, area: Rect, app: &App, svc: &ServiceState) {
    let values: Vec<String> = svc
        .latency
        .iter()
        .map(|(_, s)| format::latency(s.as_ref().and_then(Series::current)))
        .collect();
    let labels: Vec<String> = svc
        .latency
        .iter()
        .map(|(q, _)| format!("p{}", quantile_label(*q)))
        .collect();
    let status = judge(
        svc.top_latency().and_then(Series::current),
        &svc.thresholds.latency,
    );
    let lines = svc
        .latency
        .iter()
        .enumerate()
        .map(|(i, (q, s))| Line_ {
            name: format!("p{}", quantile_label(*q)),
            points: points(s.as_ref()),
            color: PALETTE[(i + 1) % PALETTE.len()],
        })
        .collect();
    chart(
        frame,
        area,
        app,
        title(
            &format!("latency {}", labels.join("/")),
            values.join("/"),
            status,
        ),
        lines,
        Some(svc.thresholds.latency.warn),
        format::latency,
    );
}

fn saturation_chart(frame: &mut Frame, area: Rect, app: &App, svc: &ServiceState) {
    let mut spans = vec![Span::styled(" saturation ", THEME.title)];
    for (name, s) in &svc.saturation {
        let v = s.as_ref().and_then(Series::current);
        spans.push(Span::styled(
            format!("{name} {} ", format::percent(v)),
            THEME.status(judge(v, &svc.thresholds.saturation)),
        ));
    }
    let lines = svc
        .saturation
        .iter()
        .enumerate()
        .map(|(i, (name, s))| Line_ {
            name: name.clone(),
            points: points(s.as_ref()),
            color: PALETTE[(i + 3) % PALETTE.len()],
        })
        .collect();
    chart(
        frame,
        area,
        app,
        spans,
        lines,
        Some(svc.thresholds.saturation.warn),
        format::percent,
    );
}
