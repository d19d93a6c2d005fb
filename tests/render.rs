//! Snapshot tests of every view rendered into ratatui's `TestBackend`, at 80x24 and 160x48,
//! with a fixed clock and fixed data (fed through the real `App::update`).

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

use sretop::app::{App, Msg, View};
use sretop::fixture;
use sretop::prom::PromError;
use sretop::snapshot::{render_buffer, to_text};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn press(app: &mut App, code: KeyCode) {
    let now = app.now;
    let cmds = app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), now);
    fixture::answer(app, cmds, now, None);
}

fn check(name: &str, app: &App) {
    for (w, h) in SIZES {
        let text = to_text(&render_buffer(app, w, h));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

#[test]
fn overview() {
    let app = fixture::app(&fixture::demo_names());
    check("overview", &app);
}

#[test]
fn service_detail() {
    let mut app = fixture::app(&fixture::demo_names());
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Service);
    check("service_checkout", &app);
}

#[test]
fn help_overlay() {
    let mut app = fixture::app(&fixture::demo_names());
    press(&mut app, KeyCode::Char('?'));
    check("help", &app);
}

#[test]
fn historical_range() {
    let mut app = fixture::app(&fixture::demo_names());
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Char('['));
    assert!(!app.is_live());
    check("overview_6h_history", &app);
}

#[test]
fn prometheus_down_keeps_data_and_says_why() {
    let mut app = fixture::app(&fixture::demo_names());
    let later = app.now + Duration::seconds(16);
    let cmds = app.update(Msg::Tick, later);
    assert!(!cmds.is_empty());
    let err = PromError::Connect {
        reason: "connection refused".into(),
    };
    fixture::answer(&mut app, cmds, later, Some(&err));
    let later = later + Duration::seconds(30);
    app.update(Msg::Tick, later);
    check("overview_source_down", &app);
    let text = to_text(&render_buffer(&app, 80, 24));
    assert!(
        text.contains("demo down since 03:00:16 (connection refused)"),
        "{text}"
    );
    assert!(text.contains("STALE 46s old"), "{text}");
    assert!(
        text.contains("118/s") || text.contains("/s"),
        "old values stay on screen"
    );
}

#[test]
fn nothing_fetched_yet() {
    let names = fixture::demo_names();
    let app = App::new(
        fixture::config(&names),
        fixture::fixed_now(),
        chrono::FixedOffset::east_opt(0).expect("utc"),
    );
    check("overview_loading", &app);
}

/// Colour carries meaning: checkout's incident must render red, api's healthy errors green.
#[test]
fn values_are_coloured_by_threshold() {
    let app = fixture::app(&fixture::demo_names());
    let buf = render_buffer(&app, 160, 48);
    let text = to_text(&buf);
    let row_of = |name: &str| {
        text.lines()
            .position(|l| l.contains(&format!(" {name} ")))
            .expect("service row") as u16
    };
    let style_at = |row: u16, needle: &str| {
        let line: String = text.lines().nth(usize::from(row)).unwrap_or("").to_string();
        let col = line.find(needle).expect("value on the row");
        let col = line[..col].chars().count() as u16;
        buf[(col, row)].fg
    };
    let checkout = row_of("checkout");
    let api = row_of("api");
    let checkout_line = text.lines().nth(usize::from(checkout)).unwrap_or("");
    assert!(checkout_line.contains('%'));
    assert_eq!(style_at(checkout, "12.0%"), Color::Red, "{checkout_line}");
    assert_eq!(style_at(api, "0.20%"), Color::Green);
}

/// Tiny and odd terminal sizes must never panic (a resize can produce any of them).
#[test]
fn any_size_renders_without_panicking() {
    let mut app = fixture::app(&fixture::demo_names());
    for view in [View::Overview, View::Service] {
        app.view = view;
        for help in [false, true] {
            app.help = help;
            for (w, h) in [
                (1, 1),
                (2, 3),
                (10, 4),
                (20, 5),
                (40, 10),
                (79, 23),
                (300, 100),
            ] {
                let text = to_text(&render_buffer(&app, w, h));
                assert_eq!(text.lines().count(), usize::from(h));
            }
        }
    }
}

/// More services than rows: the selected one stays in view.
#[test]
fn selection_scrolls_into_view() {
    let names: Vec<String> = (0..40).map(|i| format!("svc-{i:02}")).collect();
    let mut app = fixture::app(&names);
    for _ in 0..30 {
        press(&mut app, KeyCode::Char('j'));
    }
    let text = to_text(&render_buffer(&app, 80, 24));
    assert!(text.contains("svc-30"), "{text}");
    assert!(!text.contains("svc-00"), "{text}");
}

#[test]
fn slo_list() {
    let mut app = fixture::app(&fixture::demo_names());
    app.view = View::Slos;
    check("slos", &app);
}

/// The drill-down for each policy band: green, exhausted (paging), yellow (ticket), red,
/// no data.
#[test]
fn slo_drill_down_per_band() {
    let mut app = fixture::app(&fixture::demo_names());
    app.view = View::Slos;
    let names = ["green", "exhausted", "yellow", "red", "no_data"];
    for (i, band) in names.iter().enumerate() {
        app.slo_selected = i;
        app.view = View::Slo;
        check(&format!("slo_{band}"), &app);
    }
}

#[test]
fn ascii_and_no_color() {
    use sretop::ui::degrade::Degrade;
    let mut app = fixture::app(&fixture::demo_names());
    app.degrade = Degrade {
        no_color: false,
        ascii: true,
        ..Degrade::default()
    };
    for view in [View::Overview, View::Service, View::Slos] {
        app.view = view;
        let text = to_text(&render_buffer(&app, 80, 24));
        assert!(text.is_ascii(), "{view:?}:\n{text}");
    }
    app.view = View::Overview;
    insta::assert_snapshot!(
        "overview_ascii_80x24",
        to_text(&render_buffer(&app, 80, 24))
    );

    app.degrade = Degrade {
        no_color: true,
        ascii: false,
        ..Degrade::default()
    };
    let buf = render_buffer(&app, 80, 24);
    assert!(
        buf.content
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "no colour anywhere"
    );
    // Emphasis stays: the header's bold title and the selected row's marker.
    assert!(buf
        .content
        .iter()
        .any(|c| c.modifier.contains(ratatui::style::Modifier::BOLD)));
    assert_eq!(
        to_text(&buf),
        to_text(&render_buffer(
            &fixture::app(&fixture::demo_names()),
            80,
            24
        )),
        "same text as in colour"
    );
}

/// Every view of the demo fixture drawn with `degrade`, the help overlay on top of the
/// overview last.
fn every_view(degrade: sretop::ui::degrade::Degrade) -> Vec<(String, App)> {
    let app = |view| {
        let mut app = fixture::app(&fixture::demo_names());
        app.view = view;
        app.degrade = degrade;
        app
    };
    let mut out: Vec<(String, App)> = View::ALL
        .iter()
        .map(|v| (format!("{v:?}"), app(*v)))
        .collect();
    let mut help = app(View::Overview);
    press(&mut help, KeyCode::Char('?'));
    out.push(("help".into(), help));
    out
}

#[test]
fn light_theme_remaps_the_dark_palette() {
    use sretop::ui::degrade::Degrade;
    use sretop::ui::palette::{ColorDepth, ThemeName};
    let light = Degrade {
        theme: ThemeName::Light,
        colors: ColorDepth::TrueColor,
        ..Degrade::default()
    };
    let (mut selection, mut crit) = (0, 0);
    for ((name, dark), (_, light)) in every_view(Degrade::default())
        .into_iter()
        .zip(every_view(light))
    {
        let d = render_buffer(&dark, 80, 24);
        let l = render_buffer(&light, 80, 24);
        assert_eq!(to_text(&d), to_text(&l), "{name}: same text in both themes");
        for (dc, lc) in d.content.iter().zip(l.content.iter()) {
            if dc.bg == Color::Rgb(40, 44, 60) {
                selection += 1;
                assert_eq!(
                    lc.bg,
                    Color::Indexed(253),
                    "{name}: selection is light grey"
                );
            }
            if dc.fg == Color::Red && dc.bg == Color::Reset {
                crit += 1;
                assert_eq!(lc.fg, Color::Indexed(160), "{name}: crit is a darker red");
            }
            // Text on the (white) page: nothing pale.
            if lc.bg == Color::Reset && !lc.symbol().trim().is_empty() {
                assert!(
                    !matches!(
                        lc.fg,
                        Color::White
                            | Color::Gray
                            | Color::Yellow
                            | Color::LightYellow
                            | Color::Cyan
                            | Color::LightCyan
                            | Color::Rgb(..)
                    ),
                    "{name}: {:?} text {:?} on a light page",
                    lc.fg,
                    lc.symbol()
                );
            }
            assert!(lc.fg != lc.bg || lc.fg == Color::Reset, "{name}: fg = bg");
        }
    }
    assert!(selection > 0, "the fixture has a selected row");
    assert!(crit > 0, "the fixture has a crit value");
    // The header badge stays strong: white on blue.
    let mut light_app = fixture::app(&fixture::demo_names());
    light_app.degrade = light;
    let l = render_buffer(&light_app, 80, 24);
    let badge = &l[(1, 0)];
    assert_eq!(badge.symbol(), "s");
    assert_eq!((badge.fg, badge.bg), (Color::White, Color::Indexed(25)));
}

#[test]
fn sixteen_and_256_colour_terminals_get_only_their_colours() {
    use sretop::ui::degrade::Degrade;
    use sretop::ui::palette::{ColorDepth, ThemeName};
    let base = fixture::app(&fixture::demo_names());
    let plain = to_text(&render_buffer(&base, 80, 24));
    for theme in [ThemeName::Dark, ThemeName::Light] {
        let mut degrade = Degrade {
            theme,
            colors: ColorDepth::Ansi16,
            ..Degrade::default()
        };
        for (name, app) in every_view(degrade) {
            let buf = render_buffer(&app, 80, 24);
            for c in buf.content.iter() {
                for color in [c.fg, c.bg] {
                    assert!(
                        !matches!(color, Color::Rgb(..) | Color::Indexed(_)),
                        "{theme:?} {name}: {color:?} on a 16-colour terminal"
                    );
                }
                assert!(
                    c.fg != c.bg || c.fg == Color::Reset,
                    "{theme:?} {name}: fg = bg"
                );
            }
        }
        degrade.colors = ColorDepth::Ansi256;
        for (name, app) in every_view(degrade) {
            let buf = render_buffer(&app, 80, 24);
            assert!(
                buf.content
                    .iter()
                    .all(|c| !matches!(c.fg, Color::Rgb(..)) && !matches!(c.bg, Color::Rgb(..))),
                "{theme:?} {name}: 24-bit colour on a 256-colour terminal"
            );
        }
        let mut app = fixture::app(&fixture::demo_names());
        app.degrade = degrade;
        assert_eq!(to_text(&render_buffer(&app, 80, 24)), plain, "same text");
    }
    // The dark selection on 16 colours: dark grey, not black (the usual terminal background).
    let mut app = fixture::app(&fixture::demo_names());
    app.degrade.colors = ColorDepth::Ansi16;
    let buf = render_buffer(&app, 80, 24);
    let dark = render_buffer(&base, 80, 24);
    let selected: Vec<_> = dark
        .content
        .iter()
        .zip(buf.content.iter())
        .filter(|(d, _)| d.bg == Color::Rgb(40, 44, 60))
        .map(|(_, c)| c.bg)
        .collect();
    assert!(!selected.is_empty());
    assert!(
        selected.iter().all(|bg| *bg == Color::DarkGray),
        "{selected:?}"
    );
}

/// The `:` line replaces the status line: the text, a cursor, what Tab would complete to.
#[test]
fn command_line() {
    let mut app = fixture::app(&fixture::demo_names());
    press(&mut app, KeyCode::Char(':'));
    assert!(app.command.active);
    for c in "slo ch".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    let text = to_text(&render_buffer(&app, 80, 24));
    let last = text.lines().last().unwrap_or("");
    assert!(last.starts_with(":slo ch "), "{last}");
    assert!(
        last.contains("Tab: checkout/availability checkout/latency"),
        "{last}"
    );
    insta::assert_snapshot!("command_line_80x24", text);
    // An empty line lists the commands.
    let mut app = fixture::app(&fixture::demo_names());
    press(&mut app, KeyCode::Char(':'));
    let text = to_text(&render_buffer(&app, 80, 24));
    let last = text.lines().last().unwrap_or("");
    assert!(last.starts_with(":   Tab: overview alerts"), "{last}");
}
