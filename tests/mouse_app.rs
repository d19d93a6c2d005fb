//! The mouse, through `App::update`: rows are found where the renderer drew them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use sretop::app::{App, Msg, View};
use sretop::fixture;
use sretop::snapshot::{render_buffer, to_text};

const AREA: Rect = Rect {
    x: 0,
    y: 0,
    width: 80,
    height: 24,
};

fn mouse(app: &mut App, kind: MouseEventKind, column: u16, row: u16) {
    let now = app.now;
    let event = MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    app.update(Msg::Mouse { event, area: AREA }, now);
}

fn click(app: &mut App, row: u16) {
    mouse(app, MouseEventKind::Down(MouseButton::Left), 4, row);
}

/// The screen line where `text` is drawn now.
fn line_of(app: &App, text: &str) -> u16 {
    let screen = to_text(&render_buffer(app, AREA.width, AREA.height));
    screen
        .lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text} not on screen:\n{screen}")) as u16
}

#[test]
fn a_click_selects_a_row_and_a_second_click_opens_it() {
    let mut app = fixture::app(&fixture::demo_names());
    let row = line_of(&app, " search ");
    click(&mut app, row);
    assert_eq!((app.view, app.selected), (View::Overview, 2));
    let row = line_of(&app, " checkout ");
    click(&mut app, row);
    assert_eq!(
        (app.view, app.selected),
        (View::Overview, 1),
        "another row: select"
    );
    click(&mut app, row);
    assert_eq!(
        (app.view, app.selected),
        (View::Service, 1),
        "same row again: open"
    );
}

#[test]
fn clicks_off_the_rows_do_nothing() {
    let mut app = fixture::app(&fixture::demo_names());
    let header = line_of(&app, "SERVICE");
    click(&mut app, header);
    click(&mut app, 0);
    click(&mut app, 22);
    assert_eq!((app.view, app.selected), (View::Overview, 0));
}

#[test]
fn rows_are_hit_where_a_scrolled_list_draws_them() {
    let names: Vec<String> = (0..40).map(|i| format!("svc-{i:02}")).collect();
    let mut app = fixture::app(&names);
    for _ in 0..30 {
        let now = app.now;
        app.update(
            Msg::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
            now,
        );
    }
    let row = line_of(&app, "svc-25");
    click(&mut app, row);
    assert_eq!(app.selected, 25);
}

#[test]
fn slo_rows_and_the_wheel() {
    let mut app = fixture::app(&fixture::demo_names());
    app.view = View::Slos;
    let row = line_of(&app, "checkout/latency");
    click(&mut app, row);
    click(&mut app, row);
    assert_eq!(app.view, View::Slo);
    let slo = &app.slos[app.slo_selected];
    assert_eq!(slo.spec.name, "latency");
    app.view = View::Overview;
    mouse(&mut app, MouseEventKind::ScrollDown, 4, 10);
    mouse(&mut app, MouseEventKind::ScrollDown, 4, 10);
    assert_eq!(app.selected, 2);
    mouse(&mut app, MouseEventKind::ScrollUp, 4, 10);
    assert_eq!(app.selected, 1);
    // The command line keeps the mouse out.
    let now = app.now;
    app.update(
        Msg::Key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::NONE)),
        now,
    );
    mouse(&mut app, MouseEventKind::ScrollDown, 4, 10);
    assert_eq!(app.selected, 1);
}

#[test]
fn alert_rows_are_clicked_past_group_headers() {
    let mut app = fixture::app(&fixture::demo_names());
    let alerts = fixture::alerts(8, app.now);
    let group_by = app.config.alerts.group_by.clone();
    app.alerts.load_merged(alerts, &group_by);
    app.view = View::Alerts;
    let header = line_of(&app, "alertname=TargetDown");
    click(&mut app, header);
    click(&mut app, header);
    assert_eq!(
        (app.view, app.alerts.selected),
        (View::Alerts, 0),
        "a header"
    );
    let row = line_of(&app, "cart-24d423");
    click(&mut app, row);
    assert_eq!((app.view, app.alerts.selected), (View::Alerts, 4));
    click(&mut app, row);
    assert_eq!(app.view, View::Alert);
    let open = app.alerts.open_alert().expect("an alert is open");
    assert_eq!(open.label("alertname"), "CPUThrottlingHigh");
    assert_eq!(open.label("service"), "cart");
}

#[test]
fn a_click_on_a_tab_shows_its_view() {
    let mut app = fixture::app(&fixture::demo_names());
    let alerts = fixture::alerts(8, app.now);
    let group_by = app.config.alerts.group_by.clone();
    app.alerts.load_merged(alerts, &group_by);
    let tabs = line_of(&app, " Overview ");
    let screen = to_text(&render_buffer(&app, AREA.width, AREA.height));
    let tab_line: Vec<char> = screen
        .lines()
        .nth(usize::from(tabs))
        .unwrap()
        .chars()
        .collect();
    // Every tab, clicked on its title's first and last letter where the renderer drew it.
    for view in View::ALL {
        let title: Vec<char> = view.title().chars().collect();
        let at = tab_line
            .windows(title.len() + 2)
            .position(|w| w[0] == ' ' && w[w.len() - 1] == ' ' && w[1..=title.len()] == title[..])
            .unwrap_or_else(|| panic!("{view:?} tab not found")) as u16;
        for column in [at + 1, at + title.len() as u16] {
            app.view = View::Overview;
            mouse(
                &mut app,
                MouseEventKind::Down(MouseButton::Left),
                column,
                tabs,
            );
            assert_eq!(app.view, view, "column {column}");
        }
    }
    // The alert view opened the selected alert.
    assert!(app.alerts.open_alert().is_some());
    // Past the last tab: nothing.
    app.view = View::Overview;
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 79, tabs);
    assert_eq!(app.view, View::Overview);
}

#[test]
fn silence_rows_are_clicked_on_either_line() {
    let mut app = fixture::app(&fixture::demo_names());
    let mut am = sretop::config::minimal("http://127.0.0.1:9093")
        .sources
        .remove(0);
    am.name = "am1".into();
    app.config.alertmanagers.push(am);
    app.alerts
        .am_silences
        .insert("am1".into(), fixture::silences(app.now));
    app.alerts.rebuild_silences();
    app.view = View::Silences;
    let by = |app: &App| {
        app.alerts.silences[app.alerts.silence_selected]
            .silence
            .created_by
            .clone()
    };
    let row = line_of(&app, "carol@");
    click(&mut app, row);
    assert_eq!(by(&app), "carol@example.com");
    // The comment line, one below, is the same silence.
    let row = line_of(&app, "Analytics cluster");
    click(&mut app, row);
    assert_eq!(by(&app), "bob");
    assert_eq!(app.view, View::Silences);
    // The column heads are not a silence.
    let selected = app.alerts.silence_selected;
    let heads = line_of(&app, "MATCHERS / COMMENT");
    click(&mut app, heads);
    assert_eq!(app.alerts.silence_selected, selected);
}
