//! Snapshot tests of the handoff view and of the on-call part of the header, at 80x24 and
//! 160x48, fed through the real `App::update`; plus the `A` key (acknowledge) as a user
//! drives it, in normal and read-only mode.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use sretop::app::{App, Cmd, Msg, View};
use sretop::domain::oncall;
use sretop::fixture;
use sretop::snapshot::{render_buffer, to_text};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    let now = app.now;
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), now)
}

fn check(name: &str, app: &App) {
    for (w, h) in SIZES {
        let text = to_text(&render_buffer(app, w, h));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

fn screen(app: &App, w: u16, h: u16) -> String {
    to_text(&render_buffer(app, w, h))
}

fn header(app: &App, w: u16) -> String {
    screen(app, w, 24).lines().next().unwrap_or("").to_string()
}

/// The fixture dashboard with the fixture rotation (starting `start`), the fixture notes
/// loaded, and `alerts` fixture alerts.
fn app_with(start: chrono::NaiveDate, alerts: usize) -> App {
    let mut app = fixture::app(&fixture::demo_names());
    app.user = Some("bob".into());
    app.handoff_dir = Some(PathBuf::from("/srv/handoff"));
    app.config.oncall = Some(fixture::oncall_config(start));
    let now = app.now;
    if alerts > 0 {
        app.alerts.load_merged(fixture::alerts(alerts, now), &[]);
    }
    app.update(Msg::HandoffsLoaded(Ok(fixture::handoffs(now))), now);
    app
}

fn app() -> App {
    app_with(fixture::rotation_start(), 8)
}

#[test]
fn handoff_view_with_a_note_and_live_alerts() {
    let mut app = app();
    key(&mut app, KeyCode::Char('h'));
    assert_eq!(app.view, View::Handoff);
    check("handoff_view", &app);
    let wide = screen(&app, 160, 48);
    for part in [
        "latest handoff 2026-11-22T0100Z-alice",
        "✎ not acknowledged",
        "Open incidents",
        "[SEV2] INC-4711 (mitigated)",
        "Ongoing issues",
        "[x] flaky canary",
        "Upcoming maintenance",
        "Tips",
        "Contacts",
        "▲ crit",
        "⇄ override: swap with carol",
        // Escalation with the roles resolved to who holds them now.
        "escalation +0s alice → +15m erin → +30m team-lead",
    ] {
        assert!(wide.contains(part), "{part:?} missing:\n{wide}");
    }
    let narrow = screen(&app, 80, 24);
    assert!(narrow.contains("Open incidents"), "{narrow}");
    assert!(narrow.contains("▲ crit"), "{narrow}");
    assert!(narrow.contains("history"), "{narrow}");
}

#[test]
fn history_with_acked_and_unacked_notes_and_opening_one() {
    let mut app = app();
    key(&mut app, KeyCode::Char('h'));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.handoff.selected, 1);
    check("handoff_history", &app);
    let text = screen(&app, 160, 48);
    assert!(text.contains("▶ Sun 15 Nov 01:00 carol ✓ alice"), "{text}");
    assert!(text.contains("alice ✎ unacked"), "{text}");
    assert!(text.contains("✖ 2026-11-01T0900Z-bob"), "{text}");
    // Enter opens carol's note; Esc goes back to the latest.
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.handoff.open.as_ref().map(|n| n.author.as_str()),
        Some("carol")
    );
    let text = screen(&app, 160, 48);
    assert!(text.contains("✓ acknowledged by alice"), "{text}");
    key(&mut app, KeyCode::Esc);
    assert!(app.handoff.open.is_none());
    assert_eq!(app.view, View::Handoff, "Esc closes the note first");
    // A broken file cannot be opened, and says why.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Enter);
    assert!(app.handoff.open.is_none());
    let notice = app
        .alerts
        .notice
        .as_ref()
        .map(|n| n.1.clone())
        .unwrap_or_default();
    assert!(notice.contains("not valid YAML"), "{notice}");
}

#[test]
fn overview_header_shows_who_is_on_call_and_the_unacked_note() {
    let app = app();
    assert_eq!(app.view, View::Overview);
    check("handoff_overview_header", &app);
    let cfg = app.config.oncall.as_ref().unwrap();
    let now = oncall::now(cfg, app.now);
    let (p, s, n) = (
        now.primary.unwrap().who,
        now.secondary.unwrap().who,
        now.next_primary.unwrap().who,
    );
    assert_eq!(
        (p.as_str(), s.as_str(), n.as_str()),
        ("alice", "erin", "bob")
    );
    let countdown = oncall::countdown(app.now, now.next_handoff.unwrap());
    let wide = header(&app, 160);
    assert!(
        wide.contains(&format!("☎ {p}/{s} → {n} {countdown}")),
        "{wide}"
    );
    assert!(wide.contains("✎ unacked"), "{wide}");
    // 80 columns: alert counts and freshness survive, the on-call part shrinks.
    let narrow = header(&app, 80);
    assert!(narrow.contains("▲"), "{narrow}");
    assert!(narrow.contains("updated"), "{narrow}");
    assert!(narrow.contains(&format!("☎ {p}")), "{narrow}");
    assert!(narrow.chars().count() <= 80);
}

#[test]
fn a_gap_is_nobody_on_call() {
    // The rotation starts in the future: nobody is on call now.
    let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let mut app = app_with(start, 0);
    check("handoff_gap_overview", &app);
    for w in [80, 160] {
        let h = header(&app, w);
        assert!(h.contains("☎ NOBODY ON CALL"), "{w}: {h}");
    }
    key(&mut app, KeyCode::Char('h'));
    let text = screen(&app, 160, 48);
    assert!(text.contains("⚠ no primary"), "{text}");
}

#[test]
fn no_oncall_config_no_oncall_in_the_header() {
    let mut app = app();
    app.config.oncall = None;
    assert!(!header(&app, 160).contains('☎'));
}

#[test]
fn acknowledging_asks_the_runtime_once_for_the_shown_note() {
    let mut app = app();
    key(&mut app, KeyCode::Char('h'));
    let cmds = key(&mut app, KeyCode::Char('A'));
    let acks: Vec<&Cmd> = cmds
        .iter()
        .filter(|c| matches!(c, Cmd::AckHandoff { .. }))
        .collect();
    assert_eq!(
        acks,
        vec![&Cmd::AckHandoff {
            dir: PathBuf::from("/srv/handoff"),
            id: "2026-11-22T0100Z-alice".into(),
            who: "bob".into(),
        }]
    );
    // The answer updates the note and asks for a reload.
    let mut acked = app.handoff.latest.clone().unwrap();
    acked.acked_by = Some("bob".into());
    acked.acked_at = Some(app.now);
    let now = app.now;
    let cmds = app.update(Msg::HandoffAcked(Ok(acked)), now);
    assert!(!app.handoff.latest_unacked());
    assert!(!header(&app, 160).contains("✎ unacked"));
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::LoadHandoffs { .. })),
        "{cmds:?}"
    );
    // An acknowledged note is not acknowledged again.
    let cmds = key(&mut app, KeyCode::Char('A'));
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::AckHandoff { .. })));
}

#[test]
fn read_only_mode_refuses_to_acknowledge() {
    let mut app = app();
    app.config.read_only = true;
    key(&mut app, KeyCode::Char('h'));
    let cmds = key(&mut app, KeyCode::Char('A'));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(app.handoff.latest_unacked());
    let text = screen(&app, 160, 48);
    assert!(!text.contains("A: acknowledge"), "{text}");
}

#[test]
fn an_unreadable_directory_is_shown_not_fatal() {
    let mut app = fixture::app(&fixture::demo_names());
    app.view = View::Handoff;
    let now = app.now;
    app.update(
        Msg::HandoffsLoaded(Err("could not list /srv/handoff: permission denied".into())),
        now,
    );
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("cannot read the handoff notes: could not list"),
        "{text}"
    );
}
