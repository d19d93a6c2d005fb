//! The alert views end to end through the real `sretop` binary: headless (`snapshot`) and in
//! a real terminal (tmux, driven with `send-keys` and read with `capture-pane`), against a
//! real Prometheus evaluating alerting rules on the demo exporter and a real Alertmanager
//! receiving them, all on loopback.
//!
//! What the binary prints is compared with what the servers answer over plain HTTP; a silence
//! created with the keyboard must reach Alertmanager, suppress the alert there, and be written
//! to the audit log without the Alertmanager credentials.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{has_binary, AlertStack, Tmux, ALERT_RULES, INCIDENT};

/// The Alertmanager credential of the TUI test: must never be logged or shown.
const TOKEN: &str = "s3cr3t-t0ken-XYZ";

const RUNBOOK: &str = "https://runbooks.example/high-error-rate";

/// The HighErrorRate rule's expression, as written in [`ALERT_RULES`].
fn rule_expr() -> String {
    ALERT_RULES
        .lines()
        .find_map(|l| l.trim().strip_prefix("expr: sum"))
        .map(|rest| format!("sum{rest}"))
        .expect("the rule has an expression")
}

// ---------------------------------------------------------------------------------------------
// What the servers say, read over plain HTTP (not through sretop's clients)
// ---------------------------------------------------------------------------------------------

type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
struct Raw {
    /// Prometheus `/api/v1/alerts`: labels → state (`firing` / `pending`).
    prom: BTreeMap<Labels, String>,
    /// Alertmanager `/api/v2/alerts`: labels → `status.state`.
    am: BTreeMap<Labels, String>,
    /// Alertmanager `/api/v2/alerts`: labels → `status.silencedBy`.
    am_silenced_by: BTreeMap<Labels, Vec<String>>,
}

impl Raw {
    /// The header's alert counts as the app must show them for these answers, e.g.
    /// `▲1 crit ▲1 other ◐2 ◌1` (see the README: firing per severity, pending, muted).
    fn header_counts(&self) -> String {
        let identities: BTreeSet<&Labels> = self.prom.keys().chain(self.am.keys()).collect();
        // Most urgent first, as the header orders them.
        let mut firing = [0usize; 4];
        let (mut pending, mut muted) = (0, 0);
        for k in identities {
            let state = match self.am.get(k).map(String::as_str) {
                Some("active" | "unprocessed") => "firing",
                Some(_) => "muted",
                None => self.prom[k].as_str(),
            };
            match state {
                "firing" => {
                    let sev = match k.get("severity").map(|s| s.to_ascii_lowercase()).as_deref() {
                        Some("critical" | "page") => 0,
                        Some("warning" | "ticket") => 1,
                        Some("info") => 2,
                        _ => 3,
                    };
                    firing[sev] += 1;
                }
                "pending" => pending += 1,
                _ => muted += 1,
            }
        }
        let mut out: Vec<String> = ["crit", "warn", "info", "other"]
            .iter()
            .zip(firing)
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("▲{n} {name}"))
            .collect();
        if out.is_empty() {
            out.push("✓ 0 firing".into());
        }
        let mut s = out.join(" ");
        if pending > 0 {
            s.push_str(&format!(" ◐{pending}"));
        }
        if muted > 0 {
            s.push_str(&format!(" ◌{muted}"));
        }
        s
    }
}

fn labels_of(v: &Value) -> Labels {
    v["labels"]
        .as_object()
        .unwrap_or_else(|| panic!("no labels in {v}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

/// GET `url` and parse the JSON body (reqwest on a throwaway runtime: the tests are sync).
fn get_json(url: &str) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp = reqwest::get(url)
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = resp.status();
        let body = resp.text().await.unwrap();
        assert!(status.is_success(), "GET {url}: {status}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: {e}: {body}"))
    })
}

fn raw(stack: &AlertStack) -> Raw {
    let prom = get_json(&format!("{}/api/v1/alerts", stack.prom_url));
    assert_eq!(prom["status"], "success", "{prom}");
    let prom = prom["data"]["alerts"]
        .as_array()
        .unwrap_or_else(|| panic!("{prom}"))
        .iter()
        .map(|a| (labels_of(a), a["state"].as_str().unwrap().to_string()))
        .collect();
    let am_list = get_json(&format!("{}/api/v2/alerts", stack.am_url));
    let am_list = am_list.as_array().unwrap_or_else(|| panic!("{am_list}"));
    let am = am_list
        .iter()
        .map(|a| {
            let state = a["status"]["state"].as_str().unwrap().to_string();
            (labels_of(a), state)
        })
        .collect();
    let am_silenced_by = am_list
        .iter()
        .map(|a| {
            let ids = a["status"]["silencedBy"]
                .as_array()
                .map(|ids| {
                    ids.iter()
                        .filter_map(|i| i.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            (labels_of(a), ids)
        })
        .collect();
    Raw {
        prom,
        am,
        am_silenced_by,
    }
}

/// The incident alert's identity.
fn high_error_rate() -> Labels {
    [
        ("alertname", "HighErrorRate"),
        ("service", INCIDENT),
        ("severity", "critical"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Polls `probe` until it gives `Some`, for at most 20 s.
fn poll_until<T, R: std::fmt::Debug>(
    what: &str,
    mut probe: impl FnMut() -> R,
    done: impl Fn(&R) -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = probe();
        if let Some(t) = done(&r) {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after 20s waiting for {what}; last answer: {r:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Both servers report the incident alert firing (Prometheus) and active (Alertmanager).
fn wait_incident_firing(stack: &AlertStack) {
    let key = high_error_rate();
    poll_until(
        "HighErrorRate firing in both servers",
        || raw(stack),
        |r| {
            (r.prom.get(&key).is_some_and(|s| s == "firing")
                && r.am.get(&key).is_some_and(|s| s == "active"))
            .then_some(())
        },
    );
}

/// A TCP relay to `target` (`host:port`) on a loopback port of its own, recording every byte
/// its clients send, to see the requests' headers. Runs until the test process ends.
struct Recorder {
    url: String,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl Recorder {
    fn start(target: &str) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&sent);
        let target = target.to_string();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let (mut from_client, mut to_server) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    while let Ok(n) = from_client.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        log.lock().unwrap().extend_from_slice(&buf[..n]);
                        if to_server.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to_server.shutdown(Shutdown::Write);
                });
                let (mut from_server, mut to_client) = (server, client);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_server, &mut to_client);
                    let _ = to_client.shutdown(Shutdown::Write);
                });
            }
        });
        Recorder {
            url: format!("http://127.0.0.1:{port}"),
            sent,
        }
    }

    /// Everything sent so far, lower-cased.
    fn sent(&self) -> String {
        String::from_utf8_lossy(&self.sent.lock().unwrap()).to_ascii_lowercase()
    }
}

// ---------------------------------------------------------------------------------------------
// Headless: `sretop snapshot`
// ---------------------------------------------------------------------------------------------

/// `sretop --prometheus P --alertmanager AM --log-file DIR/log ARGS`, with no config file to
/// be found: `$SRETOP_CONFIG` unset, `$HOME` and `$XDG_CONFIG_HOME` in the temp dir.
fn run_sretop(stack: &AlertStack, dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_sretop"))
        .arg("--prometheus")
        .arg(&stack.prom_url)
        .arg("--alertmanager")
        .arg(&stack.am_url)
        .arg("--log-file")
        .arg(dir.join("log"))
        .args(args)
        .env_remove("SRETOP_CONFIG")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .output()
        .expect("sretop runs");
    assert!(
        !dir.join("config").join("sretop").exists(),
        "nothing may create a user config"
    );
    out
}

fn text_of(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn snapshot_renders_the_alerts_view_headless() {
    let t0 = Instant::now();
    let stack = AlertStack::start();
    wait_incident_firing(&stack);
    let ready = t0.elapsed();
    let dir = tempfile::tempdir().expect("temp dir");

    // The list. The servers' answers are read just before and just after the run, and the
    // run repeated if they changed in between (the demo's noise could flip an alert).
    let args = [
        "snapshot", "--view", "alerts", "--width", "120", "--height", "30",
    ];
    let mut attempt = 0;
    let (out, raw) = loop {
        let before = raw(&stack);
        let out = run_sretop(&stack, dir.path(), &args);
        let after = raw(&stack);
        if before == after {
            break (out, after);
        }
        attempt += 1;
        assert!(
            attempt < 10,
            "the servers' answers kept changing:\nbefore {before:#?}\nafter {after:#?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let (text, stderr) = text_of(&out);
    assert!(out.status.success(), "{:?}\n{stderr}\n{text}", out.status);
    assert!(
        raw.am
            .get(&high_error_rate())
            .is_some_and(|s| s == "active"),
        "{raw:#?}"
    );
    assert!(
        text.lines().any(|l| l.contains("HighErrorRate")),
        "no HighErrorRate group:\n{text}"
    );
    let row = text
        .lines()
        .find(|l| l.contains(INCIDENT) && l.contains("FIRING"))
        .unwrap_or_else(|| panic!("no firing row for {INCIDENT}:\n{text}"));
    assert!(row.contains("crit"), "{row}\n{text}");
    assert!(
        row.contains(&format!("{INCIDENT} 5xx ratio is")),
        "the summary from the rule's annotation: {row}\n{text}"
    );
    let header = text.lines().next().unwrap_or_default();
    let counts = raw.header_counts();
    assert!(
        counts.starts_with("▲1 crit"),
        "only the incident pages: {counts}; {raw:#?}"
    );
    assert!(
        header.contains(&format!(" {counts} ")),
        "header {header:?} should show {counts:?} (servers: {raw:#?})\n{text}"
    );
    assert!(!header.contains('?'), "no alert feed failed: {header:?}");
    assert_eq!(text.lines().count(), 30, "--height 30:\n{text}");
    assert!(
        text.lines().all(|l| l.chars().count() <= 120),
        "--width 120:\n{text}"
    );

    // The drill-down: runbook and the rule's expression from Prometheus (wide enough for the
    // whole expression on one line).
    let out = run_sretop(
        &stack,
        dir.path(),
        &[
            "snapshot",
            "--view",
            "alert",
            "--alert",
            "HighErrorRate",
            "--width",
            "200",
            "--height",
            "40",
        ],
    );
    let (text, stderr) = text_of(&out);
    assert!(out.status.success(), "{:?}\n{stderr}\n{text}", out.status);
    assert!(text.contains(RUNBOOK), "runbook:\n{text}");
    assert!(text.contains(&rule_expr()), "rule expression:\n{text}");
    assert!(text.contains(INCIDENT), "{text}");

    // A filter that matches nothing says so.
    let out = run_sretop(
        &stack,
        dir.path(),
        &[
            "snapshot",
            "--view",
            "alerts",
            "--filter",
            "severity=nonexistent",
            "--width",
            "120",
            "--height",
            "30",
        ],
    );
    let (text, stderr) = text_of(&out);
    assert!(out.status.success(), "{:?}\n{stderr}\n{text}", out.status);
    assert!(text.contains("No alert matches the filter"), "{text}");
    assert!(!text.contains("FIRING"), "{text}");

    // A bad filter is an error naming the flag, not a frame.
    let out = run_sretop(
        &stack,
        dir.path(),
        &["snapshot", "--view", "alerts", "--filter", r#"x=~"((""#],
    );
    let (text, stderr) = text_of(&out);
    assert!(
        !out.status.success(),
        "a bad filter must fail: {:?}\n{text}",
        out.status
    );
    assert!(stderr.contains("--filter"), "{stderr}");
    assert!(text.is_empty(), "no frame on error:\n{text}");
    eprintln!(
        "servers ready with the alert firing after {ready:?}; test took {:?}",
        t0.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// In a terminal: a silence made with the keyboard, and its audit record
// ---------------------------------------------------------------------------------------------

#[test]
fn silence_created_in_the_tui_is_audited_without_secrets() {
    if !has_binary("tmux") {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let t0 = Instant::now();
    let stack = AlertStack::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.yaml");
    let log = dir.path().join("sretop.log");
    // sretop talks to Alertmanager through a relay that records the requests, to check that
    // the token is really sent (so that its absence from the log and screen means something).
    let relay = Recorder::start(stack.am_url.trim_start_matches("http://"));
    std::fs::write(
        &config,
        format!(
            "refresh: 2s\ntime_zone: utc\n\
             sources:\n  - name: prom\n    url: {}\n\
             alertmanagers:\n  - name: am\n    url: {}\n    auth: {{bearer_token: {{env: SRETOP_TEST_AM_TOKEN}}}}\n",
            stack.prom_url, relay.url
        ),
    )
    .unwrap();
    wait_incident_firing(&stack);
    let ready = t0.elapsed();

    let tmux = Tmux::new("sretop-alerts-e2e", "silence");
    tmux.start(
        "s",
        &[("SRETOP_TEST_AM_TOKEN", TOKEN), ("USER", "oncall-tester")],
        &format!(
            "{} --config {} --log-file {}; echo EXITED:$?; sleep 60",
            env!("CARGO_BIN_EXE_sretop"),
            config.display(),
            log.display()
        ),
    );
    tmux.wait_for("s", "sretop");

    // The alert list, with the incident's alert in it.
    tmux.keys("s", &["a"]);
    tmux.wait_until("s", "the incident's firing row", |s| {
        s.contains("HighErrorRate")
            && s.lines()
                .any(|l| l.contains(INCIDENT) && l.contains("FIRING"))
    });

    // Filter down to it: the only alert listed, so the selected one.
    tmux.keys("s", &["/"]);
    tmux.type_text("s", "alertname=HighErrorRate");
    tmux.keys("s", &["Enter"]);
    let screen = tmux.wait_until("s", "the selected HighErrorRate row", |s| {
        !s.contains("Watchdog")
            && s.lines()
                .any(|l| l.contains('▶') && l.contains(INCIDENT) && l.contains("FIRING"))
    });
    assert!(screen.contains("alertname=HighErrorRate"), "{screen}");

    // The silence form: prefilled matchers, the author from $USER, the comment to type.
    tmux.keys("s", &["s"]);
    let screen = tmux.wait_for("s", "New silence");
    assert!(
        screen.contains("oncall-tester"),
        "author from $USER:\n{screen}"
    );
    assert!(
        screen.contains(&format!(r#"service="{INCIDENT}""#)),
        "matchers from the alert's labels:\n{screen}"
    );
    let comment = format!("e2e test silence {}", std::process::id());
    tmux.type_text("s", &comment);
    tmux.wait_for("s", &comment);
    tmux.keys("s", &["Enter"]);
    tmux.wait_for("s", "Create this silence?");
    let created = Instant::now();
    tmux.keys("s", &["y"]);

    // Alertmanager has it, active, and suppresses the alert with it.
    let silence = poll_until(
        "the silence in Alertmanager",
        || get_json(&format!("{}/api/v2/silences", stack.am_url)),
        |silences| {
            silences.as_array().and_then(|all| {
                all.iter()
                    .find(|s| {
                        s["createdBy"] == "oncall-tester"
                            && s["comment"] == comment.as_str()
                            && s["status"]["state"] == "active"
                    })
                    .cloned()
            })
        },
    );
    let id = silence["id"].as_str().expect("silence id").to_string();
    let key = high_error_rate();
    let r = poll_until(
        "HighErrorRate suppressed",
        || raw(&stack),
        |r| {
            r.am.get(&key)
                .is_some_and(|s| s == "suppressed")
                .then(|| r.clone())
        },
    );
    assert_eq!(
        r.am_silenced_by.get(&key),
        Some(&vec![id.clone()]),
        "{r:#?}"
    );
    let matchers: BTreeMap<String, String> = silence["matchers"]
        .as_array()
        .expect("matchers")
        .iter()
        .map(|m| {
            assert_eq!(m["isRegex"], false, "{m}");
            assert_ne!(m["isEqual"], false, "{m}");
            (
                m["name"].as_str().unwrap().to_string(),
                m["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(matchers, key, "{silence:#}");
    let silenced_after = created.elapsed();

    // The app shows it silenced too (next poll, refresh 2s), then quits cleanly.
    tmux.wait_until("s", "the silenced row", |s| {
        s.lines()
            .any(|l| l.contains(INCIDENT) && l.contains("SILENCED"))
    });
    tmux.keys("s", &["q"]);
    tmux.wait_for("s", "EXITED:0");

    // The audit record: who, where, what, and the outcome with the id.
    let text = std::fs::read_to_string(&log).expect("log file");
    // First the attempt, before anything is sent, then the outcome.
    let sending = text
        .lines()
        .position(|l| l.contains("create silence: sending") && l.contains("user=oncall-tester"))
        .unwrap_or_else(|| panic!("no record of the attempt in the log:\n{text}"));
    let line = text
        .lines()
        .skip(sending)
        .find(|l| l.contains("create silence") && l.contains("outcome="))
        .unwrap_or_else(|| panic!("no audit record of the outcome in the log:\n{text}"));
    for want in [
        "sretop::audit",
        "user=oncall-tester",
        "alertmanager=am",
        "created_by=oncall-tester",
        comment.as_str(),
        &format!("ok id={id}"),
    ] {
        assert!(
            line.contains(want),
            "{want:?} not in the audit line:\n{line}"
        );
    }
    // The matchers, as sent (the log quotes the field and escapes its quotes).
    let unescaped = line.replace(r#"\""#, "\"");
    for (name, value) in &key {
        let matcher = format!(r#"{name}="{value}""#);
        assert!(
            unescaped.contains(&matcher),
            "{matcher} not in the audit line:\n{line}"
        );
    }

    // The credential went to Alertmanager with the write (and the reads)…
    let sent = relay.sent();
    let bearer = format!("authorization: bearer {}", TOKEN.to_ascii_lowercase());
    assert!(
        sent.contains("post /api/v2/silences"),
        "the silence went through the relay:\n{sent}"
    );
    let requests = sent.matches("http/1.1\r\n").count();
    assert_eq!(
        sent.matches(&bearer).count(),
        requests,
        "every request to Alertmanager carries the token:\n{sent}"
    );
    // …and is nowhere else: not in the log, not on any screen.
    assert!(!text.contains(TOKEN), "the token is in the log:\n{text}");
    let screens = tmux.screens();
    assert!(screens.len() > 5, "{} screens captured", screens.len());
    for s in screens.iter() {
        assert!(!s.contains(TOKEN), "the token is on the screen:\n{s}");
    }
    eprintln!(
        "servers ready with the alert firing after {ready:?}; silenced in Alertmanager {silenced_after:?} after `y`; test took {:?}",
        t0.elapsed()
    );
}
