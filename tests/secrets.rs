//! Tokens and passwords never leave the process: the real binary runs with known secrets (a
//! bearer token from the environment, a basic-auth password from a file, a secret header from
//! `${VAR}`) against servers that refuse every request and echo the request's headers back in
//! their error bodies (text, HTML, JSON), with debug logging. Then every output is searched for
//! every secret: the log file, stdout and stderr of `check`, `snapshot` (text and SVG),
//! `budget`, `handoff`, the dashboard's screens in tmux, and config error messages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{require_binary, Tmux};

const TOKEN: &str = "tok-S3CRET-a1b2c3d4";
const PASSWORD: &str = "pw-S3CRET-e5f6g7h8";
const HEADER: &str = "hdr-S3CRET-i9j0k1l2";
const USER: &str = "ops";

/// How each fake server answers: every request is refused, its headers echoed in the body.
#[derive(Clone, Copy)]
enum Refusal {
    /// 401, text/plain, the headers on the first line.
    Text401,
    /// 403, HTML with the headers in the title and body.
    Html403,
    /// Prometheus' JSON error shape, `bad_data` (400), headers in `error`.
    JsonBadData,
    /// 500, JSON error with the headers in `error`.
    Json500,
}

fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every form a secret could leak in.
fn needles() -> Vec<(String, &'static str)> {
    vec![
        (TOKEN.to_owned(), "bearer token"),
        (PASSWORD.to_owned(), "basic-auth password"),
        (HEADER.to_owned(), "secret header"),
        (
            base64(format!("{USER}:{PASSWORD}").as_bytes()),
            "basic-auth header (base64)",
        ),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for (needle, name) in needles() {
        assert!(
            !text.contains(&needle),
            "the {name} leaked into {what}:\n{text}"
        );
    }
}

fn handle(mut stream: TcpStream, refusal: Refusal) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    // Drain a POST body so the client sees the answer, not a reset.
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + 4 + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let echoed = head.lines().skip(1).collect::<Vec<_>>().join("; ");
    let json_echo = echoed.replace('\\', "\\\\").replace('"', "\\\"");
    let (status, content_type, body) = match refusal {
        Refusal::Text401 => (
            "401 Unauthorized",
            "text/plain",
            format!("unauthorized, you sent: {echoed}\n"),
        ),
        Refusal::Html403 => (
            "403 Forbidden",
            "text/html",
            format!("<html><head><title>Forbidden {echoed}</title></head><body><h1>{echoed}</h1></body></html>"),
        ),
        Refusal::JsonBadData => (
            "400 Bad Request",
            "application/json",
            format!(r#"{{"status":"error","errorType":"bad_data","error":"bad request with {json_echo}"}}"#),
        ),
        Refusal::Json500 => (
            "500 Internal Server Error",
            "application/json",
            format!(r#"{{"status":"error","errorType":"internal","error":"failed for {json_echo}"}}"#),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: {content_type}\r\n\
         WWW-Authenticate: Bearer realm=\"{echoed}\"\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

/// A server on a free loopback port refusing every request the `refusal` way; lives as
/// long as the test process.
fn refusing_server(refusal: Refusal) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || handle(stream, refusal));
        }
    });
    port
}

fn write_config(dir: &Path) {
    let text_port = refusing_server(Refusal::Text401);
    let html_port = refusing_server(Refusal::Html403);
    let json_port = refusing_server(Refusal::JsonBadData);
    let fail_port = refusing_server(Refusal::Json500);
    let password = dir.join("password");
    std::fs::write(&password, format!("{PASSWORD}\n")).expect("write password");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let config = format!(
        "refresh: 1s\nrange: 15m\ntime_zone: utc\n\
         sources:\n\
         \x20 - name: tok\n    url: http://127.0.0.1:{text_port}\n    auth: {{bearer_token: {{env: SRETOP_LEAK_TOKEN}}}}\n\
         \x20 - name: basic\n    url: http://127.0.0.1:{html_port}\n    auth: {{basic: {{username: {USER}, password: {{file: {pw}}}}}}}\n\
         \x20 - name: hdr\n    url: http://127.0.0.1:{json_port}\n    headers: {{X-Api-Key: '${{SRETOP_LEAK_HEADER}}'}}\n\
         \x20 - name: both\n    url: http://127.0.0.1:{fail_port}\n    headers: {{X-Api-Key: '${{SRETOP_LEAK_HEADER}}'}}\n    auth: {{bearer_token: {{env: SRETOP_LEAK_TOKEN}}}}\n\
         alertmanagers:\n\
         \x20 - name: am\n    url: http://127.0.0.1:{text_port}\n    auth: {{bearer_token: {{env: SRETOP_LEAK_TOKEN}}}}\n\
         \x20 - name: am2\n    url: http://127.0.0.1:{fail_port}\n    auth: {{basic: {{username: {USER}, password: {{file: {pw}}}}}}}\n\
         services:\n\
         \x20 - {{name: api, source: tok, slos: [{{name: avail, objective: 99.9, sli: {{availability: {{}}}}}}]}}\n\
         \x20 - {{name: web, source: basic}}\n\
         \x20 - {{name: db, source: hdr}}\n\
         \x20 - {{name: queue, source: both}}\n",
        pw = password.display()
    );
    std::fs::write(dir.join("config.yaml"), config).expect("write config");
}

/// `sretop --config DIR/config.yaml --log-file DIR/sretop.log --debug ARGS`, with the
/// secrets in its environment; returns stdout and stderr together.
fn run(dir: &Path, args: &[&str]) -> String {
    run_at(dir, "--debug", args)
}

/// [`run`] with another logging flag (`--log-level=trace`).
fn run_at(dir: &Path, level: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sretop"))
        .arg("--config")
        .arg(dir.join("config.yaml"))
        .arg("--log-file")
        .arg(dir.join("sretop.log"))
        .arg(level)
        .args(args)
        .env("SRETOP_LEAK_TOKEN", TOKEN)
        .env("SRETOP_LEAK_HEADER", HEADER)
        .env("HOME", dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .env("USER", "tester")
        .env("EDITOR", "true")
        .env("VISUAL", "true")
        .output()
        .expect("run sretop");
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn secrets_never_appear_in_any_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_config(dir.path());

    // The servers were reached, with the secrets, and echoed them: the test is not vacuous.
    let check = run(dir.path(), &["check"]);
    assert_clean("`sretop check`", &check);
    assert!(
        check.contains("401") || check.to_lowercase().contains("unauthorized"),
        "{check}"
    );

    let mut outputs = vec![("`sretop check`".to_owned(), check)];
    let mut snapshots = vec![vec!["snapshot"], vec!["snapshot", "--format", "svg"]];
    for service in ["api", "web", "db", "queue"] {
        snapshots.push(vec!["snapshot", "--view", "service", "--service", service]);
    }
    snapshots.push(vec!["snapshot", "--view", "alerts"]);
    for args in snapshots {
        let out = run(dir.path(), &args);
        outputs.push((format!("`sretop {}`", args.join(" ")), out));
    }
    for args in [
        vec!["budget"],
        vec!["budget", "--format", "json"],
        vec!["handoff", "new", "--no-edit"],
        vec!["handoff", "list"],
    ] {
        let out = run(dir.path(), &args);
        outputs.push((format!("`sretop {}`", args.join(" ")), out));
    }
    // Trace level too: the HTTP stack's own logging included.
    let out = run_at(dir.path(), "--log-level=trace", &["snapshot"]);
    outputs.push(("`sretop --log-level=trace snapshot`".to_owned(), out));
    let shown = outputs
        .iter()
        .map(|(_, o)| o.as_str())
        .collect::<String>()
        .to_lowercase();
    // The errors reached the panels: at least the refusals' status words are shown.
    assert!(
        shown.contains("bad_data") || shown.contains("bad request"),
        "{shown}"
    );
    assert!(
        shown.contains("403") || shown.contains("forbidden"),
        "{shown}"
    );
    for (what, out) in &outputs {
        assert_clean(what, out);
    }

    // The handoff notes written from that live data.
    for entry in walk(&dir.path().join("state")) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert_clean(&entry.display().to_string(), &text);
    }

    // The dashboard: every screen captured while it runs, on the overview and each service.
    require_binary("tmux");
    let tmux = Tmux::new("sretop-secrets", "tui").size(160, 45);
    let cmd = format!(
        "{} --config {} --log-file {} --debug; echo EXITED:$?; sleep 60",
        env!("CARGO_BIN_EXE_sretop"),
        dir.path().join("config.yaml").display(),
        dir.path().join("sretop.log").display()
    );
    let state = dir.path().join("state");
    let state = state.to_str().unwrap();
    tmux.start(
        "s",
        &[
            ("SRETOP_LEAK_TOKEN", TOKEN),
            ("SRETOP_LEAK_HEADER", HEADER),
            ("XDG_STATE_HOME", state),
        ],
        &cmd,
    );
    tmux.wait_for("s", "queue");
    std::thread::sleep(Duration::from_secs(3));
    for _ in 0..4 {
        tmux.keys("s", &["Enter"]);
        std::thread::sleep(Duration::from_millis(1500));
        tmux.screen("s");
        tmux.keys("s", &["Escape", "j"]);
    }
    // The alerts view and the status/error details.
    tmux.keys("s", &["a"]);
    std::thread::sleep(Duration::from_millis(1500));
    tmux.screen("s");
    tmux.keys("s", &["Escape", "q"]);
    tmux.wait_for("s", "EXITED:");
    for (i, screen) in tmux.screens().iter().enumerate() {
        assert_clean(&format!("dashboard screen {i}"), screen);
    }

    // The debug log of all those runs: the requests were logged, the secrets were not.
    let log = std::fs::read_to_string(dir.path().join("sretop.log")).expect("log file");
    assert!(
        log.contains("DEBUG"),
        "--debug logged nothing at debug level"
    );
    assert_clean("the log file", &log);
}

/// Config error messages name the variable or file, never a secret's value.
#[test]
fn config_errors_never_echo_a_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_config(dir.path());
    // The header variable unset: the message names it.
    let out = Command::new(env!("CARGO_BIN_EXE_sretop"))
        .arg("--config")
        .arg(dir.path().join("config.yaml"))
        .arg("--log-file")
        .arg(dir.path().join("sretop.log"))
        .arg("--debug")
        .arg("check")
        .env("SRETOP_LEAK_TOKEN", TOKEN)
        .env_remove("SRETOP_LEAK_HEADER")
        .output()
        .expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("SRETOP_LEAK_HEADER"), "{text}");
    assert_clean("the unset-variable error", &text);

    // The token unset: named, and the password (set) does not show.
    let out = Command::new(env!("CARGO_BIN_EXE_sretop"))
        .arg("--config")
        .arg(dir.path().join("config.yaml"))
        .arg("--log-file")
        .arg(dir.path().join("sretop.log"))
        .arg("check")
        .env_remove("SRETOP_LEAK_TOKEN")
        .env("SRETOP_LEAK_HEADER", HEADER)
        .output()
        .expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("SRETOP_LEAK_TOKEN"), "{text}");
    assert_clean("the unset-token error", &text);
    let log = std::fs::read_to_string(dir.path().join("sretop.log")).unwrap_or_default();
    assert_clean("the log file", &log);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}
