//! The `:` command line and remapped keys, driven through `App::update` with key presses like
//! the runtime sends them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sretop::app::{App, Cmd, Msg, Plan, View};
use sretop::config::Duration;
use sretop::fixture;

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    let now = app.now;
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), now)
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// `:` + `line` + Enter; the commands the last key asked for.
fn run(app: &mut App, line: &str) -> Vec<Cmd> {
    key(app, KeyCode::Char(':'));
    assert!(app.command.active, "`:` opens the command line");
    typed(app, line);
    let cmds = key(app, KeyCode::Enter);
    assert!(!app.command.active, "Enter closes the line");
    cmds
}

fn notice(app: &App) -> String {
    app.alerts
        .notice
        .as_ref()
        .map(|(_, text, _)| text.clone())
        .unwrap_or_default()
}

fn demo() -> App {
    fixture::app(&fixture::demo_names())
}

fn slo_index(app: &App, service: &str, slo: &str) -> usize {
    app.slos
        .iter()
        .position(|s| app.config.services[s.spec.service].name == service && s.spec.name == slo)
        .expect("fixture SLO")
}

#[test]
fn slo_and_service_open_the_detail_by_a_unique_part_of_the_name() {
    let mut app = demo();
    run(&mut app, "slo checkout/lat");
    assert_eq!(app.view, View::Slo);
    assert_eq!(app.slo_selected, slo_index(&app, "checkout", "latency"));
    run(&mut app, "slo api");
    assert_eq!(app.slo_selected, slo_index(&app, "api", "availability"));
    run(&mut app, "service sea");
    assert_eq!((app.view, app.selected), (View::Service, 2));
    run(&mut app, "svc CHECKOUT");
    assert_eq!((app.view, app.selected), (View::Service, 1));
}

#[test]
fn a_mistake_changes_nothing_and_says_what_was_meant() {
    let mut app = demo();
    run(&mut app, "slo checkout");
    let before = (app.view, app.slo_selected, app.selected, app.range);
    run(&mut app, "slo search");
    assert_eq!(
        notice(&app),
        "SLO `search` is ambiguous: search/latency, search/availability"
    );
    assert_eq!(
        (app.view, app.slo_selected, app.selected, app.range),
        before
    );
    run(&mut app, "service chekout");
    assert_eq!(
        notice(&app),
        "no service `chekout`, did you mean `checkout`?"
    );
    run(&mut app, "alrets");
    assert_eq!(notice(&app), "no command `alrets`, did you mean `alerts`?");
    run(&mut app, "range soon");
    assert!(
        notice(&app).starts_with(":range soon: "),
        "{}",
        notice(&app)
    );
    assert_eq!(
        (app.view, app.slo_selected, app.selected, app.range),
        before
    );
    assert!(app.alerts.notice.as_ref().is_some_and(|n| n.2), "a warning");
}

#[test]
fn range_takes_any_duration_through_the_range_keys_path() {
    let mut app = demo();
    let generation = app.generation;
    let ranges = app.ranges.len();
    let cmds = run(&mut app, "range 2h");
    assert_eq!(app.range, Duration::from_secs(7200));
    assert_eq!(app.ranges.len(), ranges + 1, "2h added to the list");
    assert!(app.ranges.windows(2).all(|w| w[0] < w[1]), "kept sorted");
    assert!(app.generation > generation, "older answers are dropped");
    let fetches: Vec<_> = cmds
        .iter()
        .filter_map(|c| match c {
            Cmd::Fetch(f) if matches!(app.queries[f.query].plan, Plan::Signal(_)) => Some(f),
            _ => None,
        })
        .collect();
    assert!(!fetches.is_empty(), "everything is fetched again at once");
    assert!(fetches
        .iter()
        .all(|f| f.window.end - f.window.start <= 7200 && f.window.end - f.window.start > 3600));
    // A range already in the list is picked, not added again.
    run(&mut app, "range 6h");
    assert_eq!(app.range, Duration::from_secs(6 * 3600));
    assert_eq!(app.ranges.len(), ranges + 1);
    // The `-` key steps from where `:range` left it.
    key(&mut app, KeyCode::Char('-'));
    assert_eq!(app.range, Duration::from_secs(7200));
    // Absurd ranges are the server's problem, never an overflow here.
    for huge in ["range 500000y", "range 1ms"] {
        let cmds = run(&mut app, huge);
        let now = app.now;
        fixture::answer(&mut app, cmds, now, None);
        key(&mut app, KeyCode::Char('['));
        sretop::snapshot::render_buffer(&app, 80, 24);
    }
    assert!(notice(&app).contains("longer than 0s"), "{}", notice(&app));
}

#[test]
fn context_switches_like_the_c_key() {
    let yaml = "sources:\n  - {name: prod-us, url: 'http://127.0.0.1:9090'}\n  \
                - {name: prod-eu, url: 'http://127.0.0.1:9091'}\nservices:\n  - {name: api}\n";
    let config = sretop::config::parse(yaml, Path::new("test.yaml")).expect("config");
    let mut app = App::new(
        config,
        fixture::fixed_now(),
        chrono::FixedOffset::east_opt(0).expect("utc"),
    );
    let cmds = run(&mut app, "context eu");
    assert_eq!(app.context, "prod-eu");
    assert!(cmds
        .iter()
        .any(|c| matches!(c, Cmd::Fetch(f) if f.source == "prod-eu")));
    run(&mut app, "context prod");
    assert_eq!(app.context, "prod-eu", "ambiguous: unchanged");
    assert!(notice(&app).contains("ambiguous: prod-us, prod-eu"));
    run(&mut app, "ctx prod-us");
    assert_eq!(app.context, "prod-us");
}

#[test]
fn views_filter_live_help_and_quit() {
    let mut app = demo();
    run(&mut app, "alerts severity=critical");
    assert_eq!(app.view, View::Alerts);
    assert_eq!(app.alerts.filter_input.text, "severity=critical");
    run(&mut app, "silences");
    assert_eq!(app.view, View::Silences);
    run(&mut app, "handoff");
    assert_eq!(app.view, View::Handoff);
    run(&mut app, "slos");
    assert_eq!(app.view, View::Slos);
    run(&mut app, "overview");
    assert_eq!(app.view, View::Overview);
    key(&mut app, KeyCode::Char('['));
    assert!(!app.is_live());
    run(&mut app, "live");
    assert!(app.is_live());
    run(&mut app, "help");
    assert!(app.help);
    key(&mut app, KeyCode::Esc);
    run(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn the_line_takes_every_key_until_enter_or_esc() {
    let mut app = demo();
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "q");
    assert!(!app.quit, "q is typed, not quit");
    typed(&mut app, "jk");
    assert_eq!(app.selected, 0, "j/k are typed, not moves");
    key(&mut app, KeyCode::Esc);
    assert!(!app.command.active);
    assert_eq!(app.view, View::Overview, "Esc ran nothing");
    // Ctrl-C still quits from the line.
    key(&mut app, KeyCode::Char(':'));
    let now = app.now;
    app.update(
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        now,
    );
    assert!(app.quit);
}

#[test]
fn tab_completes_and_up_recalls() {
    let mut app = demo();
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "se");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.command.input.text, "service ");
    typed(&mut app, "ch");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.command.input.text, "service checkout");
    key(&mut app, KeyCode::Enter);
    assert_eq!((app.view, app.selected), (View::Service, 1));
    run(&mut app, "slos");
    key(&mut app, KeyCode::Char(':'));
    key(&mut app, KeyCode::Up);
    assert_eq!(app.command.input.text, "slos");
    key(&mut app, KeyCode::Up);
    assert_eq!(app.command.input.text, "service checkout");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.command.input.text, "");
    // Paste lands in the line, a line break as a space.
    let now = app.now;
    app.update(Msg::Paste("slo\napi".into()), now);
    assert_eq!(app.command.input.text, "slo api");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Slo);
}

#[test]
fn remapped_keys_drive_the_app_and_show_in_help() {
    let yaml = "sources: [{name: demo, url: 'http://127.0.0.1:9090'}]\n\
                services: [{name: api}, {name: web}]\n\
                keys:\n  quit: Q\n  command: [';', ':']\n  down: [ctrl+n, j]\n";
    let config = sretop::config::parse(yaml, Path::new("test.yaml")).expect("config");
    let mut app = App::new(
        config,
        fixture::fixed_now(),
        chrono::FixedOffset::east_opt(0).expect("utc"),
    );
    let now = app.now;
    app.update(
        Msg::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL)),
        now,
    );
    assert_eq!(app.selected, 1, "Ctrl-N moves down");
    key(&mut app, KeyCode::Char('q'));
    assert!(!app.quit, "q is no longer quit");
    key(&mut app, KeyCode::Char(';'));
    assert!(app.command.active, "; opens the command line");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('?'));
    let text = sretop::snapshot::to_text(&sretop::snapshot::render_buffer(&app, 160, 48));
    assert!(text.contains("Q quit (remapped)"), "{text}");
    assert!(text.contains("Ctrl-N j next row (remapped)"), "{text}");
    assert!(text.contains("Ctrl-C quit"), "{text}");
    assert!(
        text.contains("? help  Q quit"),
        "status hint follows: {text}"
    );
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('Q'));
    assert!(app.quit);
}
