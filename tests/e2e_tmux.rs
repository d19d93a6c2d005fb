//! End-to-end: the real `sretop` binary in a real terminal (tmux), driven with `send-keys` and
//! read with `capture-pane`, against a real Prometheus scraping the demo exporter.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::{require_binary, Flavor, Stack, Tmux};

/// A tmux server of our own with 100×30 sessions; fails, not skips, without tmux.
fn tmux(tag: &str) -> Tmux {
    require_binary("tmux");
    Tmux::new("sretop-e2e", tag).size(100, 30)
}

/// `sretop --config DIR/config.yaml --log-file DIR/sretop.log EXTRA` for a shell command.
fn sretop(dir: &Path, extra: &str) -> String {
    format!(
        "{} --config {} --log-file {} {extra}",
        env!("CARGO_BIN_EXE_sretop"),
        dir.join("config.yaml").display(),
        dir.join("sretop.log").display()
    )
}

fn write_config(dir: &Path, url: &str) {
    let path = dir.join("config.yaml");
    let yaml = format!(
        "refresh: 2s\nrange: 15m\ntime_zone: utc\nsources:\n  - name: demo\n    url: {url}\nservices:\n  - name: api\n  - name: checkout\n  - name: search\n"
    );
    std::fs::write(path, yaml).expect("write config");
}

#[test]
fn drive_the_dashboard_like_a_person() {
    let stack = Stack::start(Flavor::Prometheus);
    let dir = tempfile::tempdir().expect("temp dir");
    write_config(dir.path(), &stack.server.url());
    let tmux = tmux("drive");
    tmux.start(
        "s",
        &[],
        &format!("{}; echo EXITED:$?; sleep 60", sretop(dir.path(), "")),
    );
    let screen = tmux.wait_for("s", "● demo ok");
    assert!(screen.contains("checkout"), "{screen}");
    assert!(screen.contains("range 15m"), "{screen}");
    assert!(screen.contains("● LIVE"), "{screen}");

    // Navigate to a service.
    tmux.keys("s", &["j", "Enter"]);
    let screen = tmux.wait_for("s", "checkout on demo");
    assert!(screen.contains("traffic"), "{screen}");
    assert!(screen.contains("latency p50/p95/p99"), "{screen}");

    // Change the range.
    tmux.keys("s", &["+"]);
    tmux.wait_for("s", "range 1h");

    // Pan back in time, then back to live.
    tmux.keys("s", &["["]);
    tmux.wait_for("s", "HISTORY");
    tmux.keys("s", &["L"]);
    tmux.wait_for("s", "● LIVE");

    // Help overlay, generated from the key table.
    tmux.keys("s", &["?"]);
    // A capture can land mid-frame: wait for the whole overlay, not just its title.
    tmux.wait_until("s", "the help overlay", |s| {
        s.contains("keys (Esc closes)") && s.contains("pan back in time")
    });
    tmux.keys("s", &["Escape"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while tmux.screen("s").contains("keys (Esc closes)") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!tmux.screen("s").contains("keys (Esc closes)"));

    // Back to the overview, then quit: the shell's screen comes back.
    tmux.keys("s", &["Escape", "q"]);
    let screen = tmux.wait_for("s", "EXITED:0");
    assert!(
        !screen.contains("● LIVE"),
        "the alternate screen is gone:\n{screen}"
    );
    let alt = tmux.cmd(&["display-message", "-p", "-t", "s", "#{alternate_on}"]);
    assert_eq!(alt.trim(), "0", "terminal left in the alternate screen");
}

/// The dashboard starts (and says why it has no data) while Prometheus is down.
#[test]
fn starts_with_prometheus_down() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = support::free_port();
    write_config(dir.path(), &format!("http://127.0.0.1:{port}"));
    let tmux = tmux("down");
    tmux.start(
        "s",
        &[],
        &format!("{}; echo EXITED:$?; sleep 60", sretop(dir.path(), "")),
    );
    let screen = tmux.wait_for("s", "connection refused");
    assert!(screen.contains("demo down since"), "{screen}");
    tmux.keys("s", &["C-c"]);
    tmux.wait_for("s", "EXITED:0");
}

/// Zero-config start while Prometheus is down: the dashboard opens, says why there are no
/// services, and finds them by itself once Prometheus is back.
#[test]
fn zero_config_start_finds_services_once_prometheus_is_back() {
    let mut stack = Stack::start(Flavor::Prometheus);
    // Some history, so the names are there when it comes back.
    std::thread::sleep(Duration::from_secs(3));
    stack.server.stop();
    let dir = tempfile::tempdir().expect("temp dir");
    let tmux = tmux("rediscover");
    let home = dir.path().display().to_string();
    let cmd = format!(
        "{} --prometheus {} --log-file {}/log; echo EXITED:$?; sleep 60",
        env!("CARGO_BIN_EXE_sretop"),
        stack.server.url(),
        home
    );
    tmux.start(
        "s",
        &[
            ("HOME", home.as_str()),
            ("XDG_CONFIG_HOME", home.as_str()),
            ("SRETOP_CONFIG", ""),
        ],
        &format!("unset SRETOP_CONFIG; {cmd}"),
    );
    let screen = tmux.wait_for("s", "no services");
    assert!(screen.contains("refused"), "{screen}");
    stack.server.restart();
    let screen = tmux.wait_until("s", "services discovered", |s| {
        s.contains("Services (3)") && s.contains("checkout")
    });
    assert!(!screen.contains("no services:"), "{screen}");
    tmux.keys("s", &["q"]);
    tmux.wait_for("s", "EXITED:0");
}

/// A dropped SSH link: the terminal goes away under the process, which must exit at once
/// (no spinning, no orphan).
#[test]
fn exits_when_the_terminal_hangs_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = support::free_port();
    write_config(dir.path(), &format!("http://127.0.0.1:{port}"));
    let tmux = tmux("hup");
    tmux.start("s", &[], &format!("exec {}", sretop(dir.path(), "")));
    tmux.wait_for("s", "sretop");
    let pid: u32 = tmux
        .cmd(&["display-message", "-p", "-t", "s", "#{pane_pid}"])
        .trim()
        .parse()
        .expect("pane pid");
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    tmux.cmd(&["kill-session", "-t", "s"]);
    let deadline = Instant::now() + Duration::from_secs(1);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // A zombie (state Z) has exited; only its parent has not reaped it yet.
    assert!(
        state.is_empty() || state.split_whitespace().nth(2) == Some("Z"),
        "sretop still running 1 s after hang-up: {state}"
    );
    // It exited, not crashed: writing to the dead terminal must not panic (a panic there
    // used to abort the process on the way out).
    std::thread::sleep(Duration::from_millis(200));
    let log = std::fs::read_to_string(dir.path().join("sretop.log")).unwrap_or_default();
    assert!(
        log.contains("SIGHUP") || log.contains("terminal went away"),
        "{log}"
    );
    assert!(!log.contains("panic"), "{log}");
}

/// A panic and a SIGTERM both leave the shell's terminal as it was.
#[test]
fn panic_and_sigterm_restore_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = support::free_port();
    write_config(dir.path(), &format!("http://127.0.0.1:{port}"));
    let log = dir.path().join("sretop.log");
    let tmux = tmux("restore");
    tmux.start(
        "p",
        &[],
        &format!(
            "{}; echo EXITED:$?; sleep 60",
            sretop(dir.path(), "--debug-panic")
        ),
    );
    let screen = tmux.wait_for("p", "EXITED:101");
    assert!(screen.contains("the terminal was restored"), "{screen}");
    let alt = tmux.cmd(&["display-message", "-p", "-t", "p", "#{alternate_on}"]);
    assert_eq!(alt.trim(), "0");
    // The panic report is in the log file.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("panic")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("--debug-panic"));

    tmux.start(
        "t",
        &[],
        &format!(
            "{} & pid=$!; sleep 1; kill -TERM $pid; wait $pid; echo EXITED:$?; sleep 60",
            sretop(dir.path(), "")
        ),
    );
    tmux.wait_for("t", "EXITED:143");
    let alt = tmux.cmd(&["display-message", "-p", "-t", "t", "#{alternate_on}"]);
    assert_eq!(alt.trim(), "0");
}

/// The colours in a `capture-pane -e` screen: every `38;5;N` / `48;5;N` index, and whether
/// any 24-bit (`38;2;…` / `48;2;…`) colour was sent.
fn captured_colours(screen: &str) -> (Vec<u16>, bool) {
    let mut indexed = Vec::new();
    let mut rgb = false;
    for sgr in screen.split("\x1b[").skip(1) {
        let Some(end) = sgr.find('m') else { continue };
        let params: Vec<&str> = sgr[..end].split(';').collect();
        let mut i = 0;
        while i < params.len() {
            if matches!(params[i], "38" | "48") {
                match params.get(i + 1) {
                    Some(&"5") => {
                        if let Some(n) = params.get(i + 2).and_then(|n| n.parse().ok()) {
                            indexed.push(n);
                        }
                        i += 3;
                        continue;
                    }
                    Some(&"2") => {
                        rgb = true;
                        i += 5;
                        continue;
                    }
                    _ => {}
                }
            }
            i += 1;
        }
    }
    (indexed, rgb)
}

/// Inside tmux with the `TERM`s that tmux and GNU screen set (`tmux-256color`,
/// `screen-256color`, plain `screen`), at 80×24: the overview is drawn, keys work, only
/// colours that `TERM` promises are sent, and `q` gives the shell its screen back.
#[test]
fn works_under_tmux_and_screen_terms_at_80x24() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = support::free_port();
    write_config(dir.path(), &format!("http://127.0.0.1:{port}"));
    let tmux = tmux("terms").size(80, 24);
    for (session, term, max_index) in [
        ("tmux256", "tmux-256color", 255),
        ("screen256", "screen-256color", 255),
        ("screen16", "screen", 15),
    ] {
        // No COLORTERM: the test runner's terminal may announce 24-bit colour.
        tmux.start(
            session,
            &[],
            &format!(
                "echo BEFORE-SRETOP; env -u COLORTERM TERM={term} {}; echo EXITED:$?; sleep 60",
                sretop(dir.path(), "")
            ),
        );
        let screen = tmux.wait_until(session, "the overview", |s| {
            ["sretop", "api", "checkout", "search", "demo down"]
                .iter()
                .all(|w| s.contains(w))
        });
        assert!(
            !screen.contains("BEFORE-SRETOP"),
            "{term}: not in the alternate screen"
        );
        let coloured = tmux.cmd(&["capture-pane", "-p", "-e", "-t", session]);
        let (indexed, rgb) = captured_colours(&coloured);
        assert!(!rgb, "{term}: 24-bit colour sent:\n{coloured:?}");
        assert!(
            !indexed.is_empty(),
            "{term}: no colour at all:\n{coloured:?}"
        );
        assert!(
            indexed.iter().all(|n| *n <= max_index),
            "{term}: colours beyond {max_index}: {indexed:?}"
        );
        // A key works: open the selected service, back.
        tmux.keys(session, &["j", "Enter"]);
        tmux.wait_for(session, "checkout on demo");
        tmux.keys(session, &["Escape", "q"]);
        let screen = tmux.wait_for(session, "EXITED:0");
        assert!(
            screen.contains("BEFORE-SRETOP"),
            "{term}: the shell's screen is back:\n{screen}"
        );
        assert!(
            !screen.contains("checkout"),
            "{term}: dashboard left behind:\n{screen}"
        );
        let alt = tmux.cmd(&["display-message", "-p", "-t", session, "#{alternate_on}"]);
        assert_eq!(alt.trim(), "0", "{term}: left in the alternate screen");
    }
}

/// A GNU screen session of our own (its own socket directory), killed on drop.
struct Screen {
    session: String,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Screen {
    /// `screen -D -m -U` (detached, 80×24, UTF-8, `TERM=screen`, the alternate screen on as
    /// most users' screenrc has it) running `shell_cmd`.
    fn start(shell_cmd: &str) -> Screen {
        support::require_binary("screen");
        let dir = tempfile::tempdir().expect("temp dir");
        // screen refuses a socket directory that others can read.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        let rc = dir.path().join("screenrc");
        std::fs::write(&rc, "altscreen on\n").expect("write screenrc");
        let session = format!("sretop-e2e-{}", std::process::id());
        let child = std::process::Command::new("screen")
            .args(["-D", "-m", "-U", "-S", &session, "-c"])
            .arg(&rc)
            .args(["sh", "-c", shell_cmd])
            .env("SCREENDIR", dir.path())
            .env_remove("COLORTERM")
            .env_remove("STY")
            .env_remove("TMUX")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("screen runs");
        Screen {
            session,
            dir,
            child,
        }
    }

    /// The window's text, by `screen -X hardcopy`.
    fn hardcopy(&self) -> String {
        let file = self.dir.path().join("hardcopy.txt");
        let _ = std::fs::remove_file(&file);
        let _ = std::process::Command::new("screen")
            .args(["-S", &self.session, "-X", "hardcopy"])
            .arg(&file)
            .env("SCREENDIR", self.dir.path())
            .output();
        // The command returns before the file is written (and it is created empty first).
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut text = String::new();
        while text.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            // screen 4 writes one byte per cell (the low byte of a non-ASCII character) and
            // NUL for a cell never written: only the ASCII text can be checked.
            let bytes = std::fs::read(&file).unwrap_or_default();
            text = String::from_utf8_lossy(&bytes).replace('\0', " ");
        }
        text
    }

    fn stuff(&self, text: &str) {
        let _ = std::process::Command::new("screen")
            .args(["-S", &self.session, "-X", "stuff", text])
            .env("SCREENDIR", self.dir.path())
            .output();
    }

    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut text = String::new();
        while Instant::now() < deadline {
            text = self.hardcopy();
            if text.contains(needle) {
                return text;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let ls = std::process::Command::new("screen")
            .arg("-ls")
            .env("SCREENDIR", self.dir.path())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        panic!("{needle:?} never appeared in screen; hardcopy:\n{text}\nscreen -ls:\n{ls}");
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = std::process::Command::new("screen")
            .args(["-S", &self.session, "-X", "quit"])
            .env("SCREENDIR", self.dir.path())
            .output();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Inside GNU screen (80×24, `TERM=screen`): the overview is drawn for 80 columns and `q`
/// gives the shell its screen back.
#[test]
fn runs_inside_gnu_screen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = support::free_port();
    write_config(dir.path(), &format!("http://127.0.0.1:{port}"));
    let screen = Screen::start(&format!(
        "echo BEFORE-SRETOP; {}; echo EXITED:$?; sleep 60",
        sretop(dir.path(), "")
    ));
    let text = screen.wait_for("demo down");
    for word in [
        "sretop",
        "LIVE",
        "Services (3)",
        "api",
        "checkout",
        "search",
    ] {
        assert!(text.contains(word), "{word} missing:\n{text}");
    }
    assert!(
        !text.contains("BEFORE-SRETOP"),
        "not in the alternate screen:\n{text}"
    );
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 80, "drawn for 80 columns:\n{text}");
    screen.stuff("q");
    let text = screen.wait_for("EXITED:0");
    assert!(
        text.contains("BEFORE-SRETOP"),
        "the shell's screen is back:\n{text}"
    );
    assert!(
        !text.contains("Services ("),
        "dashboard left behind:\n{text}"
    );
}

/// The `:` command line, a remapped key and `--mouse` in a real terminal: the mouse reports
/// reach the app, and mouse capture is off again after quitting.
#[test]
fn command_line_remapped_quit_and_mouse() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = support::free_port();
    write_config(dir.path(), &format!("http://127.0.0.1:{port}"));
    let path = dir.path().join("config.yaml");
    let mut yaml = std::fs::read_to_string(&path).expect("config");
    yaml.push_str("keys:\n  quit: Q\n");
    std::fs::write(&path, yaml).expect("write config");
    let tmux = tmux("cmdline");
    tmux.start(
        "s",
        &[],
        &format!(
            "{}; echo EXITED:$?; sleep 60",
            sretop(dir.path(), "--mouse")
        ),
    );
    tmux.wait_for("s", "connection refused");
    let mouse = tmux.cmd(&["display-message", "-p", "-t", "s", "#{mouse_any_flag}"]);
    assert_eq!(mouse.trim(), "1", "--mouse captures the mouse");

    tmux.keys("s", &[":"]);
    tmux.type_text("s", "svc chec");
    tmux.keys("s", &["Tab"]);
    tmux.wait_for("s", ":svc checkout");
    tmux.keys("s", &["Enter"]);
    tmux.wait_for("s", "checkout on demo");
    tmux.keys("s", &["Escape"]);
    tmux.wait_for("s", "SERVICE");

    // Two clicks (SGR mouse reports) on the third service row: select, then open. Rows:
    // header, tabs, the list's border, its header, then api, checkout, search.
    for _ in 0..2 {
        tmux.type_text("s", "\u{1b}[<0;5;7M\u{1b}[<0;5;7m");
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux.wait_for("s", "search on demo");

    // `q` was remapped away: it does nothing; `Q` quits.
    tmux.keys("s", &["q"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!tmux.screen("s").contains("EXITED"), "q no longer quits");
    tmux.keys("s", &["Q"]);
    tmux.wait_for("s", "EXITED:0");
    let mouse = tmux.cmd(&["display-message", "-p", "-t", "s", "#{mouse_any_flag}"]);
    assert_eq!(mouse.trim(), "0", "mouse capture released on exit");
}

/// The terminal settings the pane's shell sees after sretop exited, as printed by the shell
/// command of [`restore_check`]: the flags of `stty -a` that raw mode turns off.
fn stty_after_exit(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.starts_with("STTY:"))
        .unwrap_or_else(|| panic!("no stty line:\n{screen}"))
        .to_owned()
}

/// The shell command that runs sretop with `extra`, then prints its exit status and the
/// terminal settings (raw mode off means `icanon` and `echo`, not `-icanon` / `-echo`).
fn restore_check(dir: &Path, extra: &str) -> String {
    format!(
        "{}; echo EXITED:$?; echo STTY: $(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo|isig|icrnl|opost)'); sleep 60",
        sretop(dir, extra)
    )
}

fn assert_restored(tmux: &Tmux, session: &str, screen: &str) {
    let alt = tmux.cmd(&["display-message", "-p", "-t", session, "#{alternate_on}"]);
    assert_eq!(alt.trim(), "0", "{session}: left in the alternate screen");
    let stty = stty_after_exit(screen);
    let flags: Vec<&str> = stty.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(
            flags.contains(&flag),
            "{session}: `{flag}` is off after exit (raw mode left on): {stty}"
        );
    }
    assert!(
        !screen.contains("● LIVE") && !screen.contains("demo down since"),
        "{session}: the dashboard is still on screen:\n{screen}"
    );
}

/// The pid of the sretop the pane's shell is running (its only child).
fn child_of_pane(tmux: &Tmux, session: &str) -> u32 {
    let pane: u32 = tmux
        .cmd(&["display-message", "-p", "-t", session, "#{pane_pid}"])
        .trim()
        .parse()
        .expect("pane pid");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let children = std::fs::read_to_string(format!("/proc/{pane}/task/{pane}/children"))
            .unwrap_or_default();
        if let Some(pid) = children.split_whitespace().next() {
            return pid.parse().expect("pid");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the pane's shell never started sretop");
}

/// Ctrl-C (a key in raw mode) and every stop signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT sent
/// to the process) leave the shell's terminal as it was: the alternate screen left, raw mode
/// off (checked with `stty -a` in the pane), and the exit status 0 for the key, 128 + the
/// signal's number for a signal.
#[test]
fn ctrl_c_and_every_stop_signal_restore_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = support::free_port();
    write_config(dir.path(), &format!("http://127.0.0.1:{port}"));
    let tmux = tmux("signals");
    let cases = [
        ("ctrl-c", None, 0),
        ("int", Some("INT"), 130),
        ("term", Some("TERM"), 143),
        ("hup", Some("HUP"), 129),
        ("quit", Some("QUIT"), 131),
    ];
    for (session, _, _) in cases {
        tmux.start(session, &[], &restore_check(dir.path(), ""));
    }
    for (session, signal, status) in cases {
        tmux.wait_for(session, "demo down since");
        match signal {
            None => tmux.keys(session, &["C-c"]),
            Some(signal) => {
                let pid = child_of_pane(&tmux, session);
                let ok = std::process::Command::new("kill")
                    .arg(format!("-{signal}"))
                    .arg(pid.to_string())
                    .status()
                    .expect("kill runs");
                assert!(ok.success(), "kill -{signal} {pid}");
            }
        }
        let screen = tmux.wait_for(session, "STTY:");
        assert!(
            screen.contains(&format!("EXITED:{status}")),
            "{session}: expected exit status {status}:\n{screen}"
        );
        assert_restored(&tmux, session, &screen);
    }
    // Each stop is logged with its signal.
    let log = std::fs::read_to_string(dir.path().join("sretop.log")).unwrap_or_default();
    for signal in ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] {
        assert!(log.contains(signal), "{signal} not in the log:\n{log}");
    }
}

/// A panic with the terminal in raw mode: the terminal is restored first, then a short
/// message goes to stderr (so it is on the shell's screen, not lost with the alternate
/// screen), and the report — payload, location, backtrace — goes to the log file.
#[test]
fn panic_restores_then_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = support::free_port();
    write_config(dir.path(), &format!("http://127.0.0.1:{port}"));
    // (With RUST_BACKTRACE set, Rust's own message carries the whole backtrace too.)
    let tmux = tmux("panic").env_remove("RUST_BACKTRACE");
    tmux.start("p", &[], &restore_check(dir.path(), "--debug-panic"));
    let screen = tmux.wait_for("p", "STTY:");
    assert!(screen.contains("EXITED:101"), "{screen}");
    assert_restored(&tmux, "p", &screen);
    // On the shell's screen after the restore: the one-line explanation and Rust's message.
    assert!(
        screen.contains("sretop crashed; the terminal was restored. Details are in the log file."),
        "{screen}"
    );
    assert!(screen.contains("--debug-panic: panicking"), "{screen}");
    let log = std::fs::read_to_string(dir.path().join("sretop.log")).unwrap_or_default();
    assert!(log.contains("ERROR"), "{log}");
    assert!(log.contains("--debug-panic: panicking"), "{log}");
    assert!(log.contains("location=src/main.rs:"), "{log}");
    assert!(
        log.contains("backtrace") || log.contains("sretop::dashboard") || log.contains(" 0: "),
        "no backtrace in the log:\n{log}"
    );
}

/// `--read-only`: asking for a silence is refused on screen, and the refusal is in the audit
/// log (with who asked), as the writes made are.
#[test]
fn read_only_refuses_a_silence_on_screen_and_in_the_audit_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = support::free_port();
    write_config(dir.path(), &format!("http://127.0.0.1:{port}"));
    let tmux = tmux("readonly");
    tmux.start(
        "r",
        &[("USER", "oncall-ro")],
        &format!(
            "{}; echo EXITED:$?; sleep 60",
            sretop(dir.path(), "--read-only")
        ),
    );
    tmux.wait_for("r", "demo down since");
    tmux.keys("r", &["a"]);
    std::thread::sleep(Duration::from_millis(300));
    tmux.keys("r", &["s"]);
    tmux.wait_for("r", "read-only mode: silences cannot be created");
    tmux.keys("r", &["q"]);
    tmux.wait_for("r", "EXITED:0");
    let log = std::fs::read_to_string(dir.path().join("sretop.log")).unwrap_or_default();
    let line = log
        .lines()
        .find(|l| l.contains("sretop::audit") && l.contains("refused"))
        .unwrap_or_else(|| panic!("no audit record of the refusal:\n{log}"));
    assert!(line.contains("user=oncall-ro"), "{line}");
    assert!(line.contains("silences cannot be created"), "{line}");
}
