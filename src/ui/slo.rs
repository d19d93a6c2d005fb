//! One SLO in detail: budget and policy, the burn-rate table (each window pair's long and short
//! burn against its threshold), the budget consumed over the window, and the exact PromQL
//! sretop ran.
//!
//! ```text
//!  checkout/availability  99.5% over rolling 30d (occurrences)            EXHAUSTED
//!  remaining -24.0% · consumed 124.0% · SLI 99.38% · 1.23k bad of 200k · exhausts: now
//!  policy: Budget exhausted: halt all changes …                     deploys: NOT ALLOWED
//! ┌ burn-rate conditions ───────────────────────────────────────────────────────┐
//! │ SEVERITY  LONG/SHORT  FACTOR  THRESHOLD  LONG BURN  SHORT BURN  EVENTS  HOLDS │
//! └─────────────────────────────────────────────────────────────────────────────┘
//! ┌ budget consumed ─────────────────┐┌ PromQL ──────────────────────────────────┐
//! ```

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Dataset, GraphType, Paragraph, Row, Table, Wrap,
};
use ratatui::Frame;

use super::slos::{alert_state, band_style, burn, exhaustion, sli, slo_name, trim_float};
use super::theme::THEME;
use super::widgets::{freshness_span, hhmm};
use crate::app::slo::SloStatus;
use crate::app::{App, Plan};
use crate::config::CalendarPeriod;
use crate::domain::format;
use crate::domain::slo::Band;
use crate::domain::slo_plan::{promql_duration, WindowSpec};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let Some(state) = app.selected_slo() else {
        frame.render_widget(Paragraph::new("No SLO selected (none configured)."), area);
        return;
    };
    let status = state.status(&app.config.policy, app.now);
    let spec = &state.spec;
    let window = match spec.window {
        WindowSpec::Rolling(s) => format!("rolling {}", promql_duration(s)),
        WindowSpec::Calendar(CalendarPeriod::Month) => "calendar month (UTC)".into(),
        WindowSpec::Calendar(CalendarPeriod::Week) => "calendar week (UTC)".into(),
    };
    let method = match spec.time_slice {
        Some((slice, target)) => format!(
            "time slices of {}, good when ≥ {}%",
            promql_duration(slice),
            trim_float(target * 100.0)
        ),
        None => "occurrences".into(),
    };
    let band = status.band;
    let deploy = match band.deploy_allowed() {
        Some(true) => Span::styled("deploys: allowed", THEME.ok),
        Some(false) => Span::styled("deploys: NOT ALLOWED", THEME.crit),
        None => Span::styled("deploys: unknown (no data)", THEME.no_data),
    };
    let b = &status.budget;
    let mut facts = vec![
        Span::styled("remaining ", THEME.dim),
        Span::styled(
            b.remaining
                .map_or("—".into(), |r| format!("{:.1}%", r * 100.0)),
            band_style(band),
        ),
        Span::styled(" · consumed ", THEME.dim),
        Span::raw(
            b.consumed
                .map_or("—".into(), |c| format!("{:.1}%", c * 100.0)),
        ),
        Span::styled(" · SLI ", THEME.dim),
        Span::raw(sli(b.sli)),
        Span::styled(" · ", THEME.dim),
        Span::raw(if spec.time_slice.is_some() {
            format!(
                "{} bad of {} slices",
                format::si(b.events.bad),
                format::si(b.events.total)
            )
        } else {
            format!(
                "{} bad of {} events",
                format::si(b.events.bad),
                format::si(b.events.total)
            )
        }),
        Span::styled(" · exhausts: ", THEME.dim),
        Span::raw(exhaustion(&status.exhaustion)),
    ];
    if matches!(status.exhaustion, crate::domain::slo::Exhaustion::In(_)) {
        facts.push(Span::styled(" (estimate at the 1h burn rate)", THEME.dim));
    }
    if let Some(elapsed) = status.elapsed {
        facts.push(Span::styled(
            format!(" · {:.0}% of the period elapsed", elapsed * 100.0),
            THEME.dim,
        ));
        if crate::domain::slo::ahead_of_plan(b.consumed, Some(elapsed)) {
            facts.push(Span::styled(
                " · spending ahead of plan (consumed > elapsed)",
                THEME.warn,
            ));
        }
    }
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", slo_name(app, state)), THEME.title),
            Span::raw(format!(
                " {}% over {window} ({method})  ",
                trim_float(spec.objective)
            )),
            Span::styled(
                format!(" {} ", band.label().to_uppercase()),
                band_style(band),
            ),
            Span::raw("  "),
            freshness_span(&app.freshness(&state.feeds)),
        ]),
        Line::from(facts),
        Line::from(vec![
            Span::styled(format!(" policy ({}): ", band.label()), THEME.dim),
            Span::styled(
                band.actions(&app.config.policy.actions).to_string(),
                band_style(band),
            ),
            Span::raw("   "),
            deploy,
        ]),
    ];
    if state.missing_bucket() {
        lines.push(Line::styled(
            " ⚠ no histogram bucket at the latency threshold: the threshold must be one of the histogram's `le` values",
            THEME.warn,
        ));
    }
    if let Some(d) = &spec.description {
        lines.push(Line::styled(format!(" {d}"), THEME.dim));
    }
    // Lines wrap on narrow terminals: reserve the rows they will take.
    let width = usize::from(area.width.max(1));
    let header_h = lines
        .iter()
        .map(|l| l.width().div_ceil(width).max(1))
        .sum::<usize>()
        .min(usize::from(area.height)) as u16;
    let table_h = state.pairs.len() as u16 + 3;
    let [head, table_area, rest] = Layout::vertical([
        Constraint::Length(header_h),
        Constraint::Length(table_h),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), head);
    burn_table(frame, table_area, app, &status);
    if rest.height < 3 {
        return;
    }
    let [chart_area, promql_area] = if rest.width >= 120 {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(rest)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(rest)
    };
    consumption_chart(frame, chart_area, app, &status);
    promql(frame, promql_area, app);
}

fn burn_table(frame: &mut Frame, area: Rect, app: &App, status: &SloStatus) {
    let min_events = app.config.slo_defaults.min_events;
    let header = Row::new(
        [
            "SEVERITY",
            "LONG/SHORT",
            "FACTOR",
            "THRESHOLD",
            "LONG BURN",
            "SHORT BURN",
            "EVENTS",
            "HOLDS",
        ]
        .map(Cell::from),
    )
    .style(THEME.dim);
    let rows = status.burn.pairs.iter().map(|p| {
        let holds = if !p.can_fire {
            Span::styled("never (factor > 1/B)", THEME.warn)
        } else if p.holds {
            Span::styled("YES", THEME.crit)
        } else {
            Span::styled("no", THEME.ok)
        };
        let over = |b: Option<f64>| match b {
            Some(b) if b > p.factor => THEME.crit,
            Some(_) => Style::new(),
            None => THEME.no_data,
        };
        let events = if p.low_traffic(min_events) {
            Span::styled(format!("{} (low)", format::si(p.long_events)), THEME.warn)
        } else {
            Span::raw(format::si(p.long_events))
        };
        Row::new(vec![
            Cell::from(p.pair.severity.label()),
            Cell::from(format!("{}/{}", p.pair.long, p.pair.short)),
            Cell::from(trim_float(p.factor)),
            Cell::from(format!("{}%", trim_float(p.threshold * 100.0))),
            Cell::from(Span::styled(burn(p.long), over(p.long))),
            Cell::from(Span::styled(burn(p.short), over(p.short))),
            Cell::from(events),
            Cell::from(holds),
        ])
    });
    let (alert, style) = alert_state(status);
    let table = Table::new(
        rows,
        [
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Length(12),
            Constraint::Min(5),
        ],
    )
    .header(header)
    .block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(THEME.border)
            .title(Line::from(vec![
                Span::styled(" burn-rate conditions ", THEME.title),
                Span::styled(format!("{alert} "), style),
            ])),
    );
    frame.render_widget(table, area);
}

fn consumption_chart(frame: &mut Frame, area: Rect, app: &App, status: &SloStatus) {
    let Some(state) = app.selected_slo() else {
        return;
    };
    let points = state.consumption_curve();
    let window = state
        .consumption
        .values()
        .next()
        .map(|s| s.window)
        .unwrap_or_else(|| app.window());
    let (x0, x1) = (window.start as f64, window.end as f64);
    let max = points.iter().map(|p| p.1).fold(100.0f64, f64::max) * 1.05;
    let full = [(x0, 100.0), (x1, 100.0)];
    let band = status.band;
    let style = if band == Band::NoData {
        THEME.no_data
    } else {
        band_style(band)
    };
    let datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(style)
            .data(&points),
        Dataset::default()
            .marker(Marker::Dot)
            .graph_type(GraphType::Line)
            .style(THEME.crit)
            .data(&full),
    ];
    let label = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.with_timezone(&app.tz).format("%m-%d").to_string())
            .unwrap_or_default()
    };
    let short = window.end - window.start <= 2 * 86_400;
    let fmt = |t: i64| if short { hhmm(t, &app.tz) } else { label(t) };
    let chart = Chart::new(datasets)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(THEME.border)
                .title(Span::styled(
                    " budget consumed over the window (100% = all of it) ",
                    THEME.title,
                )),
        )
        .x_axis(
            Axis::default()
                .style(THEME.dim)
                .bounds([x0, x1])
                .labels(vec![
                    Span::raw(fmt(window.start)),
                    Span::raw(fmt((window.start + window.end) / 2)),
                    Span::raw(fmt(window.end)),
                ]),
        )
        .y_axis(
            Axis::default()
                .style(THEME.dim)
                .bounds([0.0, max])
                .labels(vec![Span::raw("0%"), Span::raw(format!("{max:.0}%"))]),
        );
    frame.render_widget(chart, area);
    if points.is_empty() && area.height > 4 && area.width > 12 {
        let msg = Rect::new(area.x + 2, area.y + area.height / 2, area.width - 4, 1);
        frame.render_widget(
            Paragraph::new(Span::styled("no data in the window", THEME.no_data))
                .alignment(ratatui::layout::Alignment::Center),
            msg,
        );
    }
}

fn promql(frame: &mut Frame, area: Rect, app: &App) {
    let Some(state) = app.selected_slo() else {
        return;
    };
    let mut lines = Vec::new();
    for q in state.feeds.iter().filter_map(|i| app.queries.get(*i)) {
        let Plan::Slo(_) = &q.plan else { continue };
        let Some(text) = &q.last_promql else { continue };
        lines.push(Line::styled(q.plan.label(), THEME.dim));
        lines.push(Line::raw(text.clone()));
        if let Some((_, err)) = &q.last_error {
            lines.push(Line::styled(format!("  ✖ {err}"), THEME.crit));
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled("not queried yet", THEME.dim));
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(THEME.border)
                .title(Span::styled(" PromQL sretop ran ", THEME.title)),
        ),
        area,
    );
}
