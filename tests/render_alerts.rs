//! Snapshot tests of the alert views (list, drill-down, silences, the silence form and its
//! confirmation), at 80x24 and 160x48, fed through the real `App::update`; plus the filter
//! line and read-only mode as a user drives them with keys.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use sretop::app::alerts::{AlertData, AlertFeed, AlertFetched, ExprFetched, ExprPart};
use sretop::app::{App, Cmd, Msg, View};
use sretop::domain::alerts::{AlertState, Counts, Severity};
use sretop::fixture;
use sretop::prom::{QueryData, QueryResponse, RangeSeries, Sample};
use sretop::snapshot::{render_buffer, to_text};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    let now = app.now;
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), now)
}

fn ctrl(app: &mut App, c: char) -> Vec<Cmd> {
    let now = app.now;
    app.update(
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
        now,
    )
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn check(name: &str, app: &App) {
    for (w, h) in SIZES {
        let text = to_text(&render_buffer(app, w, h));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

/// The fixture dashboard with `n` fixture alerts and silences, and an Alertmanager named
/// `am1` configured.
fn app_with_alerts(n: usize) -> App {
    let mut app = fixture::app(&fixture::demo_names());
    app.user = Some("alice".into());
    let mut am = sretop::config::minimal("http://127.0.0.1:9093")
        .sources
        .remove(0);
    am.name = "am1".into();
    app.config.alertmanagers.push(am);
    let alerts = fixture::alerts(n, app.now);
    let group_by = app.config.alerts.group_by.clone();
    app.alerts.load_merged(alerts, &group_by);
    app.alerts
        .am_silences
        .insert("am1".into(), fixture::silences(app.now));
    app.alerts.rebuild_silences();
    app
}

#[test]
fn alert_list_empty() {
    let mut app = fixture::app(&fixture::demo_names());
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.view, View::Alerts);
    check("alerts_empty", &app);
    let text = to_text(&render_buffer(&app, 80, 24));
    assert!(text.contains("Nothing is firing."), "{text}");
    assert!(text.contains("✓ 0 firing"), "{text}");
}

#[test]
fn alert_list_few() {
    let mut app = app_with_alerts(8);
    key(&mut app, KeyCode::Char('a'));
    check("alerts_few", &app);
}

#[test]
fn alert_list_500_with_header_counts_on_every_view() {
    let mut app = app_with_alerts(500);
    key(&mut app, KeyCode::Char('a'));
    check("alerts_500", &app);
    let counts = Counts::of(&app.alerts.merged);
    let crit = counts.firing_by_severity[&Severity::Critical];
    let want = format!("▲{crit} crit");
    for view in View::ALL {
        app.view = view;
        let text = to_text(&render_buffer(&app, 80, 24));
        let header = text.lines().next().unwrap();
        assert!(header.contains(&want), "{view:?}: {header}");
    }
    // Firing pages come first.
    let first = app.alerts.visible().next().unwrap();
    assert_eq!(
        (first.state, first.severity),
        (AlertState::Firing, Severity::Critical)
    );
}

#[test]
fn filter_line_narrows_and_reports_bad_input() {
    let mut app = app_with_alerts(500);
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('/'));
    assert!(app.alerts.editing_filter);
    typed(&mut app, "@firing severity=critical service=~\"check.*\"");
    key(&mut app, KeyCode::Enter);
    let listed: Vec<_> = app.alerts.visible().collect();
    assert!(!listed.is_empty());
    assert!(listed.iter().all(|a| a.state == AlertState::Firing
        && a.label("severity") == "critical"
        && a.label("service").starts_with("check")));
    let want = app
        .alerts
        .merged
        .iter()
        .filter(|a| {
            a.state == AlertState::Firing
                && a.label("severity") == "critical"
                && a.label("service").starts_with("check")
        })
        .count();
    assert_eq!(listed.len(), want);
    check("alerts_filtered", &app);

    // A bad regex: a message with a caret under the line, no panic; fixing it applies it.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, " instance=~\"((\"");
    let err = app.alerts.filter_error.clone().expect("a parse error");
    assert!(err.message.contains("regex"), "{err:?}");
    let text = to_text(&render_buffer(&app, 80, 24));
    assert!(text.contains(&err.message), "{}\n{text}", err.message);
    assert!(text.contains('^'), "{text}");
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, ".*\"");
    assert_eq!(app.alerts.filter_error, None);
    assert_eq!(app.alerts.visible().count(), want);
    // Esc leaves the line, a second Esc clears the filter.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.alerts.visible().count(), 500);
    assert_eq!(app.view, View::Alerts);
}

#[test]
fn help_lists_the_views_own_keys_in_two_columns_at_80x24() {
    let mut app = app_with_alerts(8);
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('?'));
    check("alerts_help", &app);
    let text = to_text(&render_buffer(&app, 80, 24));
    for want in ["silence the selected alert", "sort by", "quit"] {
        assert!(text.contains(want), "{want}: {text}");
    }
}

#[test]
fn sort_cycles() {
    let mut app = app_with_alerts(50);
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('o'));
    let text = to_text(&render_buffer(&app, 80, 24));
    assert!(text.contains("sort: age"), "{text}");
    for g in &app.alerts.groups {
        let since: Vec<_> = g.alerts(&app.alerts.merged).map(|a| a.since).collect();
        assert!(
            since.windows(2).all(|w| w[0] >= w[1]),
            "newest first: {since:?}"
        );
    }
    key(&mut app, KeyCode::Char('o'));
    let text = to_text(&render_buffer(&app, 80, 24));
    assert!(text.contains("sort: name"), "{text}");
    // Groups without a firing page follow in name order.
    let names: Vec<&str> = app
        .alerts
        .groups
        .iter()
        .filter(|g| !g.has_firing_page())
        .map(|g| g.labels["alertname"].as_str())
        .collect();
    assert!(
        names.len() > 1 && names.windows(2).all(|w| w[0] <= w[1]),
        "{names:?}"
    );
}

fn matrix(labels: &BTreeMap<String, String>, points: &[(i64, f64)]) -> QueryResponse {
    QueryResponse {
        data: QueryData::Matrix(vec![RangeSeries {
            metric: labels.clone(),
            values: points
                .iter()
                .map(|(t, v)| Sample {
                    t: *t as f64,
                    v: *v,
                })
                .collect(),
        }]),
        warnings: Vec::new(),
    }
}

/// Opens the first alert and answers its chart queries: the value rising through the
/// threshold, firing for the last 20 minutes.
fn drill_down() -> App {
    let mut app = app_with_alerts(8);
    key(&mut app, KeyCode::Char('a'));
    let cmds = key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Alert);
    let alert = app.alerts.open_alert().cloned().unwrap();
    let mut series_labels = alert.labels.clone();
    series_labels.remove("severity");
    series_labels.remove("alertname");
    let exprs: Vec<_> = cmds
        .into_iter()
        .filter_map(|c| match c {
            Cmd::Expr(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(exprs.len(), 2, "value and firing history");
    for r in exprs {
        let w = r.window;
        let resp = match r.part {
            ExprPart::Value => {
                assert!(!r.promql.contains('>'), "threshold split off: {}", r.promql);
                let points: Vec<(i64, f64)> = (0..=60)
                    .map(|i| {
                        let t = w.start + i * (w.end - w.start) / 60;
                        (t, 0.01 + 0.08 * (i as f64 / 60.0).powi(3))
                    })
                    .collect();
                matrix(&series_labels, &points)
            }
            ExprPart::Firing => {
                assert!(r.promql.starts_with("ALERTS{"), "{}", r.promql);
                assert!(r.promql.contains("alertstate=\"firing\""), "{}", r.promql);
                // One point per step while firing, as query_range returns them.
                let n = 1200 / w.step;
                let points: Vec<(i64, f64)> =
                    (0..=n).map(|i| (w.end - 1200 + i * w.step, 1.0)).collect();
                let mut l = alert.labels.clone();
                l.insert("alertstate".into(), "firing".into());
                matrix(&l, &points)
            }
        };
        let later = app.update(
            Msg::ExprFetched(Box::new(ExprFetched {
                token: r.token,
                part: r.part,
                window: w,
                result: Ok(resp),
            })),
            app.now,
        );
        assert!(later.is_empty());
    }
    app
}

#[test]
fn alert_drill_down() {
    let app = drill_down();
    let chart = &app.alerts.chart;
    assert!(chart.values.is_some(), "{:?}", chart.error);
    assert_eq!(chart.firing.len(), 1, "{:?}", chart.firing);
    let (start, end) = chart.firing[0];
    assert_eq!(end - start, 1200);
    check("alert_drill_down", &app);
    let text = to_text(&render_buffer(&app, 160, 48));
    let alert = app.alerts.open_alert().unwrap();
    assert!(text.contains(alert.name()), "{text}");
    assert!(text.contains("firing"), "{text}");
}

#[test]
fn copy_keys_and_links() {
    let mut app = drill_down();
    let runbook = app
        .alerts
        .open_alert()
        .and_then(|a| a.runbook_url())
        .map(str::to_owned);
    let cmds = key(&mut app, KeyCode::Char('y'));
    match runbook {
        Some(url) => {
            assert!(cmds.contains(&Cmd::Copy(url.clone())), "{cmds:?}");
            assert!(sretop::ui::links(&app).contains(&url));
        }
        None => assert!(cmds.is_empty()),
    }
    app.view = View::Alerts;
    assert!(
        sretop::ui::links(&app).is_empty(),
        "links only on the drill-down"
    );
}

#[test]
fn silence_form_and_confirmation() {
    let mut app = app_with_alerts(8);
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('s'));
    let form = app.alerts.form.clone().expect("form opens");
    assert_eq!(form.alertmanager, "am1");
    assert_eq!(form.author.text, "alice");
    assert_eq!(form.duration.text, "2h");
    let selected = app.alerts.selected_alert().unwrap().clone();
    assert_eq!(form.matchers.len(), selected.labels.len());
    assert!(form.matchers[0].text.starts_with("alertname=\""));
    assert_eq!(
        form.matching, 1,
        "prefilled matchers select exactly this alert"
    );
    // The comment is required.
    key(&mut app, KeyCode::Enter);
    let err = app.alerts.form.as_ref().unwrap().error.clone().unwrap();
    assert!(err.starts_with("comment"), "{err}");
    typed(&mut app, "rolling back deploy 4711, INC-1234");
    check("silence_form", &app);
    // A matcher broken by hand is refused with its row number.
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    ctrl(&mut app, 'n');
    typed(&mut app, "instance=~\"((\"");
    key(&mut app, KeyCode::Enter);
    let err = app.alerts.form.as_ref().unwrap().error.clone().unwrap();
    assert!(err.starts_with("matcher "), "{err}");
    ctrl(&mut app, 'd');
    key(&mut app, KeyCode::Enter);
    assert!(app.alerts.confirm.is_some(), "{:?}", app.alerts.form);
    check("silence_confirm", &app);
    let cmds = key(&mut app, KeyCode::Char('y'));
    let create = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::CreateSilence {
                alertmanager,
                silence,
                user,
            } => Some((alertmanager, silence, user)),
            _ => None,
        })
        .expect("create command");
    assert_eq!(create.0, "am1");
    assert_eq!(create.2, "alice");
    assert_eq!(create.1.comment, "rolling back deploy 4711, INC-1234");
    assert_eq!((create.1.ends_at - create.1.starts_at).num_hours(), 2);
    assert!(sretop::domain::silence::silence_matches(
        &create.1.matchers,
        &selected.labels
    ));
    assert!(app.alerts.form.is_none());
}

#[test]
fn silences_list_and_expire() {
    let mut app = app_with_alerts(8);
    app.view = View::Silences;
    check("silences", &app);
    let text = to_text(&render_buffer(&app, 160, 48));
    assert!(
        text.contains("⚠"),
        "the silence ending within 12h is marked: {text}"
    );
    key(&mut app, KeyCode::Char('x'));
    assert!(app.alerts.confirm.is_some());
    let cmds = key(&mut app, KeyCode::Char('n'));
    assert!(cmds.is_empty(), "n sends nothing");
    key(&mut app, KeyCode::Char('x'));
    let cmds = key(&mut app, KeyCode::Char('y'));
    let id = app.alerts.silences[0].silence.id.clone();
    assert!(
        cmds.iter().any(|c| matches!(c,
        Cmd::ExpireSilence { id: sent, alertmanager, .. } if *sent == id && alertmanager == "am1"))
    );
}

#[test]
fn read_only_hides_and_refuses_writes() {
    let mut app = app_with_alerts(8);
    app.config.read_only = true;
    key(&mut app, KeyCode::Char('a'));
    assert!(key(&mut app, KeyCode::Char('s')).is_empty());
    assert!(app.alerts.form.is_none());
    let text = to_text(&render_buffer(&app, 160, 48));
    assert!(
        text.contains("read-only mode: silences cannot be created"),
        "the refusal is shown: {text}"
    );
    key(&mut app, KeyCode::Char('?'));
    let text = to_text(&render_buffer(&app, 160, 48));
    assert!(!text.contains("silence the selected alert"), "{text}");
    assert!(text.contains("read-only"), "{text}");
    key(&mut app, KeyCode::Esc);
    app.view = View::Silences;
    assert!(key(&mut app, KeyCode::Char('x')).is_empty());
    assert!(app.alerts.confirm.is_none());
}

#[test]
fn new_firing_alert_is_highlighted_and_rings() {
    use sretop::prom::alerts::{PromAlert, PromAlertState};
    let mut app = fixture::app(&fixture::demo_names());
    app.config.alerts.bell = true;
    let poll = app
        .alerts
        .polls
        .iter()
        .position(|p| p.feed == AlertFeed::PromAlerts)
        .unwrap();
    let answer = |app: &mut App, alerts: Vec<PromAlert>, secs: i64| {
        let now = app.now + chrono::Duration::seconds(secs);
        app.alerts.polls[poll].in_flight = true;
        app.update(
            Msg::AlertsFetched(Box::new(AlertFetched {
                poll,
                generation: app.alerts.epoch,
                result: Ok(AlertData::PromAlerts(alerts)),
            })),
            now,
        )
    };
    let page = PromAlert {
        labels: [
            ("alertname", "HighErrorRate"),
            ("service", "checkout"),
            ("severity", "critical"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        annotations: BTreeMap::new(),
        state: PromAlertState::Firing,
        active_at: Some(app.now),
        value: Some(0.07),
    };
    // The fixture already answered once with no alerts: the next page is new.
    let cmds = answer(&mut app, vec![page.clone()], 15);
    assert!(cmds.contains(&Cmd::Bell), "{cmds:?}");
    assert_eq!(app.alerts.new_since.len(), 1);
    key(&mut app, KeyCode::Char('a'));
    let text = to_text(&render_buffer(&app, 80, 24));
    assert!(text.contains("NEW"), "{text}");
    // Still firing at the next poll: no second bell.
    let cmds = answer(&mut app, vec![page], 30);
    assert!(!cmds.contains(&Cmd::Bell), "{cmds:?}");
}

#[test]
fn alertmanager_down_is_shown_on_every_view() {
    use sretop::prom::PromError;
    let names = fixture::demo_names();
    let mut config = fixture::config(&names);
    let mut am = sretop::config::minimal("http://127.0.0.1:9093")
        .sources
        .remove(0);
    am.name = "demo-am".into();
    config.alertmanagers.push(am);
    let now = fixture::fixed_now();
    let mut app = App::new(config, now, chrono::FixedOffset::east_opt(0).unwrap());
    let cmds = app.update(Msg::Tick, now);
    let mut am_polls = 0;
    for cmd in cmds {
        match cmd {
            Cmd::Alerts(r) if r.feed.is_alertmanager() => {
                am_polls += 1;
                let more = app.update(
                    Msg::AlertsFetched(Box::new(AlertFetched {
                        poll: r.poll,
                        generation: r.generation,
                        result: Err(PromError::Connect {
                            reason: "connection refused".into(),
                        }),
                    })),
                    now,
                );
                assert!(more.is_empty());
            }
            other => fixture::answer(&mut app, vec![other], now, None),
        }
    }
    assert_eq!(am_polls, 2, "alerts and silences");
    for view in View::ALL {
        app.view = view;
        let text = to_text(&render_buffer(&app, 160, 48));
        assert!(
            text.contains("✖ demo-am down since 03:00:00 (connection refused) · retry in 1s"),
            "{view:?}: {text}"
        );
        let header = text.lines().next().unwrap();
        assert!(header.contains("✓ 0 firing ?"), "{view:?}: {header}");
    }
    // The retry comes after the backoff, not before.
    let cmds = app.update(Msg::Tick, now + chrono::Duration::milliseconds(500));
    assert!(!cmds
        .iter()
        .any(|c| matches!(c, Cmd::Alerts(r) if r.feed.is_alertmanager())));
    let cmds = app.update(Msg::Tick, now + chrono::Duration::seconds(1));
    assert_eq!(
        cmds.iter()
            .filter(|c| matches!(c, Cmd::Alerts(r) if r.feed.is_alertmanager()))
            .count(),
        2
    );
}

#[test]
fn form_and_confirmation_fit_a_short_screen() {
    let mut app = app_with_alerts(8);
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('s'));
    let text = to_text(&render_buffer(&app, 80, 12));
    assert!(
        text.contains("comment"),
        "the focused field scrolls into view: {text}"
    );
    assert!(text.contains("Esc: cancel"), "{text}");
    typed(&mut app, "maintenance window");
    key(&mut app, KeyCode::Enter);
    for (w, h) in [(80, 12), (40, 10), (20, 6)] {
        let text = to_text(&render_buffer(&app, w, h));
        assert!(
            text.contains(" y "),
            "{w}x{h}: the answer keys stay visible: {text}"
        );
    }
}

#[test]
fn absurd_silence_durations_are_refused_not_crashed_on() {
    let mut app = app_with_alerts(8);
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::BackTab);
    ctrl(&mut app, 'u');
    typed(&mut app, "300000000y");
    // Drawing the form (which shows when the silence would end) must not panic.
    let _ = to_text(&render_buffer(&app, 80, 24));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "too long");
    key(&mut app, KeyCode::Enter);
    let err = app.alerts.form.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("at most 1y"), "{err}");
    assert!(app.alerts.confirm.is_none());
}

#[test]
fn a_paste_fills_the_field_and_never_submits() {
    let mut app = app_with_alerts(8);
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('s'));
    let now = app.now;
    let cmds = app.update(Msg::Paste("rollback\nyes, INC-1\r\ny".into()), now);
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(app.alerts.confirm.is_none());
    let form = app.alerts.form.as_ref().unwrap();
    assert_eq!(form.comment.text, "rollback yes, INC-1  y");
    // Into the filter line too; with nothing being edited a paste does nothing.
    key(&mut app, KeyCode::Esc);
    let before = app.alerts.visible().count();
    app.update(Msg::Paste("q".into()), now);
    assert!(!app.quit);
    assert_eq!(app.alerts.visible().count(), before);
    key(&mut app, KeyCode::Char('/'));
    app.update(Msg::Paste("severity=critical\n".into()), now);
    assert_eq!(app.alerts.filter_input.text, "severity=critical ");
    assert!(app
        .alerts
        .visible()
        .all(|a| a.label("severity") == "critical"));
}

#[test]
fn a_silences_feed_that_fails_is_said_not_shown_as_empty() {
    use sretop::prom::PromError;
    let names = fixture::demo_names();
    let mut config = fixture::config(&names);
    let mut am = sretop::config::minimal("http://127.0.0.1:9093")
        .sources
        .remove(0);
    am.name = "demo-am".into();
    config.alertmanagers.push(am);
    let now = fixture::fixed_now();
    let mut app = App::new(config, now, chrono::FixedOffset::east_opt(0).unwrap());
    for cmd in app.update(Msg::Tick, now) {
        match cmd {
            Cmd::Alerts(r) if r.feed == AlertFeed::AmSilences => {
                app.update(
                    Msg::AlertsFetched(Box::new(AlertFetched {
                        poll: r.poll,
                        generation: r.generation,
                        result: Err(PromError::Http {
                            status: 403,
                            body: "forbidden".into(),
                        }),
                    })),
                    now,
                );
            }
            other => fixture::answer(&mut app, vec![other], now, None),
        }
    }
    app.view = View::Silences;
    let text = to_text(&render_buffer(&app, 160, 48));
    assert!(text.contains("✖ demo-am: HTTP 403"), "{text}");
    assert!(text.contains("Silences could not be read"), "{text}");
    assert!(!text.contains("No active or pending silences"), "{text}");
    assert!(
        text.contains("⚠ demo-am silences: HTTP 403"),
        "status line: {text}"
    );
}
