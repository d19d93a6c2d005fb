//! Small shared pieces: sparklines as text, times, the header and the status line.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Paragraph};
use ratatui::Frame;

use super::theme::THEME;
use crate::app::{App, Freshness};
use crate::domain::format;
use crate::domain::series::Series;
use crate::keys::Action;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A one-line sparkline, `width` cells wide, scaled from 0 to the larger of the series'
/// maximum and `floor` (so a steady 0.2% error ratio draws low when the threshold is 5%, not
/// as a wall of full blocks). Gaps (no sample, NaN) are blank.
pub fn sparkline(series: Option<&Series>, width: usize, floor: f64) -> String {
    let Some(series) = series else {
        return " ".repeat(width);
    };
    let buckets = series.downsample_max(width);
    let max = buckets
        .iter()
        .flatten()
        .copied()
        .fold(floor.max(0.0), f64::max);
    buckets
        .iter()
        .map(|b| match b {
            None => ' ',
            Some(v) if max <= 0.0 => {
                let _ = v;
                BARS[0]
            }
            Some(v) => {
                let i = ((v / max) * 7.0).round().clamp(0.0, 7.0) as usize;
                BARS[i]
            }
        })
        .collect()
}

/// Draws [`sparkline`] straight into the buffer, one cell per bucket (cheaper than a `Span`,
/// which segments graphemes).
pub fn sparkline_into(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    series: Option<&Series>,
    floor: f64,
    style: Style,
) {
    let Some(series) = series else {
        return;
    };
    let buckets = series.downsample_max(usize::from(area.width));
    let max = buckets
        .iter()
        .flatten()
        .copied()
        .fold(floor.max(0.0), f64::max);
    for (i, b) in buckets.iter().enumerate() {
        let Some(v) = b else { continue };
        let glyph = if max <= 0.0 {
            BARS[0]
        } else {
            BARS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize]
        };
        if let Some(cell) = buf.cell_mut((area.x + i as u16, area.y)) {
            cell.set_char(glyph).set_style(style);
        }
    }
}

/// The rows of a list that fit in `rows` lines with `selected` in view, without remembering a
/// scroll offset: `(index, item)` pairs from the first visible one.
pub fn visible_rows<T>(
    items: &[T],
    selected: usize,
    rows: usize,
) -> impl Iterator<Item = (usize, &T)> {
    let first = selected.saturating_sub(rows.saturating_sub(1));
    items.iter().enumerate().skip(first).take(rows)
}

/// `s` cut to `width` characters, with `…` where it was cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// A chart's time axis over `window`: `HH:MM` at the start, middle and end.
pub fn time_axis(window: &crate::domain::window::Window, tz: &FixedOffset) -> Axis<'static> {
    let mid = (window.start + window.end) / 2;
    Axis::default()
        .style(THEME.dim)
        .bounds([window.start as f64, window.end as f64])
        .labels(vec![
            Span::raw(hhmm(window.start, tz)),
            Span::raw(hhmm(mid, tz)),
            Span::raw(hhmm(window.end, tz)),
        ])
}

/// `HH:MM:SS` in the display time zone.
pub fn clock(t: DateTime<Utc>, tz: &FixedOffset) -> String {
    t.with_timezone(tz).format("%H:%M:%S").to_string()
}

/// `HH:MM` of a unix timestamp in the display time zone.
pub fn hhmm(ts: i64, tz: &FixedOffset) -> String {
    tz.timestamp_opt(ts, 0)
        .single()
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default()
}

/// Alert counts for the header: firing per severity, then pending and muted; first on the
/// line so a narrow terminal never cuts off a page.
pub fn alert_counts(app: &App) -> Vec<Span<'static>> {
    use crate::domain::alerts::Severity;
    let a = &app.alerts;
    if !app.has_alert_feeds() {
        return Vec::new();
    }
    let feeds = a.polls.iter().filter(|p| {
        matches!(
            p.feed,
            crate::app::alerts::AlertFeed::PromAlerts | crate::app::alerts::AlertFeed::AmAlerts
        )
    });
    let answered = feeds.clone().any(|p| p.last_ok.is_some());
    let failing = feeds.clone().any(|p| p.last_error.is_some());
    if !answered {
        return vec![if failing {
            Span::styled(" alerts ✖ ", THEME.crit)
        } else {
            Span::styled(" alerts … ", THEME.dim)
        }];
    }
    let c = &a.counts;
    let mut out = Vec::new();
    if c.firing() == 0 {
        out.push(Span::styled(" ✓ 0 firing", THEME.ok));
    } else {
        out.push(Span::raw(" "));
        for (sev, n) in &c.firing_by_severity {
            let (name, style) = match sev {
                Severity::Critical => (
                    "crit",
                    THEME.crit.add_modifier(ratatui::style::Modifier::REVERSED),
                ),
                Severity::Warning => ("warn", THEME.warn),
                Severity::Info => ("info", THEME.title),
                Severity::Other => ("other", Style::default()),
            };
            out.push(Span::styled(format!("▲{n} {name}"), style));
            out.push(Span::raw(" "));
        }
        out.pop();
    }
    if c.pending > 0 {
        out.push(Span::styled(format!(" ◐{}", c.pending), THEME.warn));
    }
    let muted = c.silenced + c.inhibited;
    if muted > 0 {
        out.push(Span::styled(format!(" ◌{muted}"), THEME.dim));
    }
    if failing {
        // Some feed is failing: the counts may be missing alerts.
        out.push(Span::styled(" ?", THEME.crit));
    }
    out.push(Span::raw(" "));
    out
}

/// The top line: name, alert counts, who is on call, an unacknowledged handoff, context,
/// range, live or historical, freshness. On a narrow screen the on-call part shrinks (or goes)
/// before the alert counts or the freshness would be cut.
pub fn header(frame: &mut Frame, area: Rect, app: &App) {
    let width = usize::from(area.width);
    let variants = super::handoff::oncall_header_variants(app);
    let last = variants.len().saturating_sub(1);
    // Richest first; each on-call form is tried compact too (`✎` alone, no range) before a
    // shorter one, so `NOBODY ON CALL` outlives the rest.
    // Without anything of ours to show, the line is what it always was.
    let ours = last > 0 || app.handoff.latest_unacked();
    let attempts = (0..=last).flat_map(|i| [(i, false), (i, true)]);
    let attempts = attempts.filter(|(_, compact)| ours || !compact);
    let mut line = Vec::new();
    for (i, compact) in attempts {
        let oncall = variants.get(i).cloned().unwrap_or_default();
        line = header_spans(app, width, oncall, compact);
        if line.iter().map(Span::width).sum::<usize>() <= width {
            break;
        }
    }
    frame.render_widget(Paragraph::new(Line::from(line)), area);
}

fn header_spans(
    app: &App,
    width: usize,
    oncall: Vec<Span<'static>>,
    compact: bool,
) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(" sretop ", THEME.header)];
    let counts = alert_counts(app);
    let narrow = width < 100 && !counts.is_empty();
    spans.extend(counts);
    let handoff = !oncall.is_empty() || app.handoff.latest_unacked();
    spans.extend(oncall);
    if app.handoff.latest_unacked() {
        let text = if compact { " ✎" } else { " ✎ unacked" };
        spans.push(Span::styled(text, THEME.warn));
    }
    if handoff {
        spans.push(Span::raw(" "));
    }
    spans.extend([
        Span::raw(" "),
        Span::styled(app.context.clone(), THEME.title),
    ]);
    if !compact {
        spans.extend([
            Span::raw(if narrow { "  " } else { "  range " }),
            Span::styled(app.range.to_string(), THEME.title),
        ]);
    }
    spans.push(Span::raw("  "));
    if app.is_live() && data_is_stale(app) {
        // The window follows the clock but the data does not: never call that live.
        spans.push(Span::styled("✖ STALE", THEME.warn));
    } else if app.is_live() {
        spans.push(Span::styled("● LIVE", THEME.live));
    } else {
        let w = app.window();
        let ago = format::age(app.now.timestamp() - w.end);
        spans.push(Span::styled(
            format!(
                " ◀ HISTORY {}–{} ({ago} ago) ",
                hhmm(w.start, &app.tz),
                hhmm(w.end, &app.tz)
            ),
            THEME.history,
        ));
    }
    spans.push(Span::raw("  "));
    let used: usize = spans.iter().map(Span::width).sum();
    match app.last_success() {
        Some(t) => {
            let age = (app.now - t).num_seconds();
            let full = format!("updated {} ({} ago)", clock(t, &app.tz), format::age(age));
            // Freshness must stay visible on a narrow screen: drop the clock time first.
            let text = if used + full.chars().count() <= width {
                full
            } else {
                format!("updated {} ago", format::age(age))
            };
            spans.push(Span::styled(
                text,
                if age > 2 * app.refresh_secs() + 5 {
                    THEME.warn
                } else {
                    THEME.dim
                },
            ));
        }
        None if app.in_flight() => spans.push(Span::styled("loading…", THEME.dim)),
        None => spans.push(Span::styled("no data yet", THEME.warn)),
    }
    spans
}

/// True when data was fetched but a source this context uses is down since, or nothing has
/// come for longer than two refreshes: what is on screen is no longer live. (Before anything
/// came there is nothing to be stale: the header says "no data yet".)
pub fn data_is_stale(app: &App) -> bool {
    let down = app.sources.iter().any(|(name, src)| {
        src.down_since.is_some()
            && src.last_ok.is_some()
            && app.services.iter().any(|s| s.source == *name)
    });
    let old = app
        .last_success()
        .is_some_and(|t| (app.now - t).num_seconds() > 2 * app.refresh_secs() + 5);
    down || old
}

/// The bottom line: the state of every source (down since when, why, next retry), else key
/// hints.
pub fn status_line(frame: &mut Frame, area: Rect, app: &App) {
    let mut spans = Vec::new();
    for (name, src) in &app.sources {
        // Only the sources this context uses: a source left behind by `c` is not polled.
        let used = app.services.iter().any(|s| s.source == *name)
            || app.alerts.polls.iter().any(|p| p.source == *name);
        if !used {
            continue;
        }
        if let Some(since) = src.down_since {
            let retry = app
                .next_attempt(name)
                .map(|t| format!(" · retry in {}s", (t - app.now).num_seconds().max(0)))
                .unwrap_or_default();
            spans.push(Span::styled(
                format!(
                    "✖ {name} down since {} ({}){retry} ",
                    clock(since, &app.tz),
                    src.last_error.as_deref().unwrap_or("unknown error")
                ),
                THEME.crit,
            ));
        } else if src.last_ok.is_some() {
            spans.push(Span::styled(format!("● {name} ok "), THEME.ok));
        }
    }
    for (name, src) in &app.sources {
        if let Some(text) = src.clock_skew.and_then(|skew| skew_text(name, skew)) {
            spans.push(Span::styled(format!("⚠ {text} "), THEME.warn));
        }
    }
    for (name, (since, reason)) in &app.alerts.am_down {
        let retry = app
            .next_attempt(name)
            .map(|t| format!(" · retry in {}s", (t - app.now).num_seconds().max(0)))
            .unwrap_or_default();
        spans.push(Span::styled(
            format!(
                "✖ {name} down since {} ({reason}){retry} ",
                clock(*since, &app.tz)
            ),
            THEME.crit,
        ));
    }
    // Alert feeds that answer with an error (401, 403, garbage) while their server is up.
    for p in &app.alerts.polls {
        let Some((_, reason)) = &p.last_error else {
            continue;
        };
        let down = app.alerts.am_down.contains_key(&p.source)
            || app
                .sources
                .get(&p.source)
                .is_some_and(|s| s.down_since.is_some());
        if !down {
            spans.push(Span::styled(
                format!("⚠ {} {}: {reason} ", p.source, p.feed.label()),
                THEME.warn,
            ));
        }
    }
    if let Some((at, text, bad)) = &app.alerts.notice {
        if (app.now - *at).num_seconds() < 30 {
            spans.insert(
                0,
                Span::styled(format!("{text} "), if *bad { THEME.warn } else { THEME.ok }),
            );
        }
    }
    // Query-level errors (bad PromQL and the like) with the source up.
    let failing = app
        .queries
        .iter()
        .filter(|q| q.last_error.is_some())
        .filter(|q| {
            app.sources
                .get(q.plan.source())
                .is_none_or(|s| s.down_since.is_none())
        })
        .collect::<Vec<_>>();
    if let Some(q) = failing.first() {
        let reason = q.last_error.as_ref().map(|(_, e)| e.as_str()).unwrap_or("");
        spans.push(Span::styled(
            format!("⚠ {} query failed: {reason} ", q.plan.label()),
            THEME.warn,
        ));
    }
    if let Some(w) = app.queries.iter().flat_map(|q| q.warnings.first()).next() {
        spans.push(Span::styled(format!("⚠ {w} "), THEME.warn));
    }
    for w in &app.warnings {
        spans.push(Span::styled(format!("⚠ {w} "), THEME.warn));
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    // The keys in use (remapped ones too); `? help  q quit ` by default.
    let hint: String = [(Action::Help, "help"), (Action::Quit, "quit")]
        .iter()
        .filter_map(|(a, what)| Some(format!("{} {what}  ", app.keymap.label(*a)?)))
        .collect::<String>();
    let hint = hint.strip_suffix(' ').unwrap_or(&hint);
    let width = usize::from(area.width);
    if used + hint.len() < width {
        spans.push(Span::raw(" ".repeat(width - used - hint.chars().count())));
        spans.push(Span::styled(hint.to_string(), THEME.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A clock skew smaller than this is not shown: it is within a scrape or two.
pub const CLOCK_SKEW_SHOWN_SECS: i64 = 30;

/// `clock skew: demo is 2m 5s ahead of this host` when the skew is large enough to matter
/// (windows are computed from the host's clock), else `None`.
pub fn skew_text(source: &str, skew: chrono::Duration) -> Option<String> {
    // To the nearest second (the measurement is no finer).
    let secs = (skew.num_milliseconds() + 500).div_euclid(1000);
    if secs.abs() < CLOCK_SKEW_SHOWN_SECS {
        return None;
    }
    let abs = secs.unsigned_abs();
    let amount = match abs {
        0..60 => format!("{abs}s"),
        60..3600 => format!("{}m {}s", abs / 60, abs % 60),
        3600..86400 => format!("{}h {}m", abs / 3600, (abs % 3600) / 60),
        _ => format!("{}d {}h", abs / 86400, (abs % 86400) / 3600),
    };
    let way = if secs > 0 { "ahead of" } else { "behind" };
    Some(format!("clock skew: {source} is {amount} {way} this host"))
}

/// A one-cell freshness marker for a row: `●` fresh, `…` loading, `!` stale, `✖` failed.
pub fn freshness_glyph(f: &Freshness) -> Span<'static> {
    match f {
        Freshness::Fresh => Span::styled("●", THEME.ok),
        Freshness::Loading => Span::styled("…", THEME.dim),
        Freshness::Stale { .. } => Span::styled("!", THEME.warn),
        Freshness::Failed { .. } => Span::styled("✖", THEME.crit),
    }
}

/// A freshness label for a panel title: ``, `loading`, `stale 2m`, `failed: reason`.
pub fn freshness_span(f: &Freshness) -> Span<'static> {
    match f {
        Freshness::Fresh => Span::styled("● live data", THEME.ok),
        Freshness::Loading => Span::styled("loading…", THEME.dim),
        Freshness::Stale { age_secs, .. } => {
            Span::styled(format!("STALE {} old", format::age(*age_secs)), THEME.warn)
        }
        Freshness::Failed { reason } => Span::styled(format!("no data: {reason}"), THEME.crit),
    }
}

/// Style applied over values whose data is not fresh.
pub fn freshness_style(f: &Freshness) -> Style {
    match f {
        Freshness::Fresh | Freshness::Loading => Style::new(),
        Freshness::Stale { .. } | Freshness::Failed { .. } => THEME.dim,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::window::Window;

    #[test]
    fn sparkline_scales_to_the_max_and_leaves_gaps_blank() {
        let w = Window {
            start: 0,
            end: 30,
            step: 10,
        };
        let s = Series::from_samples(w, [(0.0, 0.0), (10.0, 5.0), (30.0, 10.0)]);
        assert_eq!(sparkline(Some(&s), 4, 0.0), "▁▅ █");
        assert_eq!(sparkline(Some(&s), 4, 70.0), "▁▂ ▂", "scaled to the floor");
        assert_eq!(sparkline(None, 3, 0.0), "   ");
        let zeros = Series::from_samples(w, [(0.0, 0.0), (10.0, 0.0)]);
        assert_eq!(sparkline(Some(&zeros), 2, 0.0), "▁ ");
    }

    #[test]
    fn clock_skew_is_said_only_when_large() {
        let secs = chrono::Duration::seconds;
        assert_eq!(skew_text("demo", secs(29)), None);
        assert_eq!(
            skew_text("demo", chrono::Duration::milliseconds(299_750)).as_deref(),
            Some("clock skew: demo is 5m 0s ahead of this host")
        );
        assert_eq!(skew_text("demo", secs(-29)), None);
        assert_eq!(
            skew_text("demo", secs(125)).as_deref(),
            Some("clock skew: demo is 2m 5s ahead of this host")
        );
        assert_eq!(
            skew_text("demo", secs(-45)).as_deref(),
            Some("clock skew: demo is 45s behind this host")
        );
        assert_eq!(
            skew_text("demo", secs(2 * 3600 + 300)).as_deref(),
            Some("clock skew: demo is 2h 5m ahead of this host")
        );
        assert_eq!(
            skew_text("demo", secs(-3 * 86400)).as_deref(),
            Some("clock skew: demo is 3d 0h behind this host")
        );
    }
}
