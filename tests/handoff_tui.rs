//! The handoff view end to end through the real `sretop` binary in a real terminal (tmux,
//! driven with `send-keys` and read with `capture-pane`): `n` hands the terminal to `$EDITOR`
//! on a draft, saves the edited note and takes the terminal back; `A` acknowledges the note
//! as `$USER`. Prometheus is down (a closed port), so the note must say that live data was
//! unavailable rather than look like a quiet shift.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::{has_binary, note_files, Tmux};

/// The tip the test's editor adds under `## Tips`.
const TIP: &str = "written in the TUI test";

/// What the test's editor prints to the terminal.
const EDITOR_SAYS: &str = "the-editor-was-here";

/// Waits until `probe` gives `Some`, for at most 20 s; panics with `context()` otherwise.
fn wait_for<T>(
    what: &str,
    mut probe: impl FnMut() -> Option<T>,
    context: impl Fn() -> String,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(t) = probe() {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after 20s waiting for {what}\n{}",
            context()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn compose_and_acknowledge_from_the_tui() {
    if !has_binary("tmux") {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let t0 = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let notes = root.join("notes");
    let config = root.join("config.yaml");
    let log = root.join("sretop.log");
    let marker = root.join("editor-ran");
    // Nothing listens there: every query fails with "connection refused".
    let port = support::free_port();
    std::fs::write(
        &config,
        format!(
            "sources: [{{name: demo, url: \"http://127.0.0.1:{port}\"}}]\n\
             handoff: {{dir: {}}}\n\
             oncall: {{time_zone: UTC, rotation: {{start: 2026-01-05, primary: [alice, bob]}}}}\n",
            notes.display()
        ),
    )
    .unwrap();

    // The editor: adds a tip under `## Tips`, says it ran (with the file it was given), and
    // prints to the terminal, which must not show once the TUI has taken it back.
    let editor = root.join("editor.sh");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\nset -e\necho {EDITOR_SAYS}\nsed -i '/^## Tips$/a - {TIP}' \"$1\"\n\
             printf '%s\\n' \"$1\" > '{}'\n",
            marker.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let home = root.display().to_string();
    let xdg_config = root.join("config").display().to_string();
    let xdg_state = root.join("state").display().to_string();
    let xdg_data = root.join("data").display().to_string();
    let xdg_cache = root.join("cache").display().to_string();
    let editor_s = editor.display().to_string();
    let tmux = Tmux::new("sretop-handoff-tui", "compose")
        // The server gets no `$VISUAL` (it would win over `$EDITOR`) and no `$SRETOP_CONFIG`.
        .env_remove("VISUAL")
        .env_remove("SRETOP_CONFIG");
    tmux.start(
        "h",
        &[
            ("USER", "alice"),
            ("EDITOR", &editor_s),
            ("HOME", &home),
            ("XDG_CONFIG_HOME", &xdg_config),
            ("XDG_STATE_HOME", &xdg_state),
            ("XDG_DATA_HOME", &xdg_data),
            ("XDG_CACHE_HOME", &xdg_cache),
        ],
        &format!(
            "unset VISUAL SRETOP_CONFIG; {} --config {} --log-file {}; echo EXITED:$?; sleep 60",
            env!("CARGO_BIN_EXE_sretop"),
            config.display(),
            log.display()
        ),
    );
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    tmux.wait_until("h", "the header", |s| s.starts_with(" sretop"));

    // The handoff view, empty, with Prometheus known to be down (so the note is composed
    // from a failed poll, not from one still out).
    tmux.keys("h", &["h"]);
    let screen = tmux.wait_until("h", "the empty handoff view with the poll failed", |s| {
        s.contains("No handoff notes yet") && s.contains("connection refused")
    });
    assert!(screen.contains("alerts unavailable"), "{screen}");
    assert!(note_files(&notes).is_empty(), "{:?}", note_files(&notes));

    // `n`: the editor runs on the draft, the note is saved.
    tmux.keys("h", &["n"]);
    let saved = wait_for(
        "the saved note and the editor's marker",
        || {
            let files = note_files(&notes);
            (files.len() == 1 && marker.exists()).then(|| files[0].clone())
        },
        || {
            format!(
                "notes: {:?}\nmarker: {}\nscreen:\n{}\nlog:\n{}",
                note_files(&notes),
                marker.exists(),
                tmux.screen("h"),
                log_text()
            )
        },
    );
    let draft = notes.join("drafts").join("alice.md");
    let edited = std::fs::read_to_string(&marker).unwrap();
    assert_eq!(
        Path::new(edited.trim()),
        draft,
        "the editor got alice's draft"
    );

    // The TUI took the terminal back and shows the new note with the tip.
    let screen = tmux.wait_until("h", "the new note in the TUI", |s| {
        s.starts_with(" sretop") && s.contains("latest handoff") && s.contains(TIP)
    });
    let first = screen.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(" sretop"),
        "the header is the first line, nothing of the shell or editor is left:\n{screen}"
    );
    assert!(!screen.contains("EXITED"), "{screen}");
    assert!(
        !screen.contains(EDITOR_SAYS),
        "the editor's output is left:\n{screen}"
    );
    assert!(screen.contains("not acknowledged"), "{screen}");
    let id = saved
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap()
        .to_string();
    assert!(
        screen.contains(&format!("latest handoff {id}")),
        "{id}:\n{screen}"
    );

    let text = std::fs::read_to_string(&saved).unwrap();
    let tips = text
        .split("\n## ")
        .find(|s| s.starts_with("Tips"))
        .unwrap_or_else(|| panic!("no Tips section:\n{text}"));
    assert!(tips.contains(&format!("- {TIP}")), "{text}");
    assert!(text.contains("author: alice"), "{text}");
    assert!(text.contains("unavailable"), "{text}");
    assert!(text.contains("connection refused"), "{text}");
    assert!(!text.contains("acked_by"), "{text}");
    assert!(
        !draft.exists(),
        "the draft is removed once the note is saved"
    );

    // `A`: acknowledged as $USER, on screen and on disk.
    tmux.keys("h", &["A"]);
    let screen = tmux.wait_until("h", "the acknowledgement", |s| {
        s.contains("acknowledged by alice") && !s.contains("not acknowledged")
    });
    assert!(screen.starts_with(" sretop"), "{screen}");
    let acked = wait_for(
        "acked_by in the note file",
        || {
            let text = std::fs::read_to_string(&saved).unwrap_or_default();
            text.contains("acked_by: alice").then_some(text)
        },
        || std::fs::read_to_string(&saved).unwrap_or_default(),
    );
    assert!(acked.contains("acked_at:"), "{acked}");
    // Times in the file are whole seconds: people read and edit it.
    for line in acked
        .lines()
        .filter(|l| l.starts_with("acked_at:") || l.starts_with("created:"))
    {
        assert!(!line.contains('.'), "fractional seconds in {line:?}");
    }
    assert!(acked.contains(&format!("- {TIP}")), "{acked}");
    assert_eq!(note_files(&notes), vec![saved.clone()], "still one note");

    // `q`: a clean exit.
    tmux.keys("h", &["q"]);
    let screen = tmux.wait_until("h", "the exit status", |s| s.contains("EXITED:"));
    assert!(
        screen.contains("EXITED:0"),
        "{screen}\nlog:\n{}",
        log_text()
    );
    // The editor ran in the terminal (on the main screen, left when the TUI suspended).
    assert!(screen.contains(EDITOR_SAYS), "{screen}");

    // The audit log: the save and the acknowledgement, as alice.
    let text = log_text();
    let saved_line = text
        .lines()
        .find(|l| l.contains("sretop::audit") && l.contains("handoff saved"))
        .unwrap_or_else(|| panic!("no audit line for the save:\n{text}"));
    assert!(saved_line.contains("user=alice"), "{saved_line}");
    assert!(saved_line.contains(&id), "{saved_line}");
    let ack_line = text
        .lines()
        .find(|l| {
            l.contains("sretop::audit")
                && l.contains("acknowledge handoff")
                && l.contains("outcome=")
        })
        .unwrap_or_else(|| panic!("no audit line for the acknowledgement:\n{text}"));
    for want in ["user=alice", id.as_str(), "ok revision="] {
        assert!(ack_line.contains(want), "{want:?} not in:\n{ack_line}");
    }
    assert!(
        !root.join("config").join("sretop").exists(),
        "nothing may create a user config"
    );
    eprintln!("test took {:?}", t0.elapsed());
}
