//! The alert views end to end, through the app's own state machine and runtime, against a
//! real Prometheus evaluating alerting rules on the demo exporter and a real Alertmanager
//! receiving them, all on loopback.
//!
//! What the app shows is compared with what the servers answer over plain HTTP (not through
//! sretop's clients), and a silence created with the keyboard must really suppress the alert
//! in Alertmanager (and expiring it must bring the alert back).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use sretop::app::alerts::{Confirm, FormField};
use sretop::app::{App, Cmd, Msg, View};
use sretop::domain::alerts::{Alert, AlertState, Severity};
use sretop::prom::{AlertmanagerClient, Matcher, NewSilence, PromClient};
use sretop::runtime::{execute, poll_once, Clients};
use sretop::snapshot::{render_buffer, to_text};
use support::{AlertStack, ALERT_RULES, INCIDENT};

/// The app's config, parsed from YAML like the real one.
fn app_config(stack: &AlertStack, read_only: bool) -> sretop::config::Config {
    let yaml = format!(
        "time_zone: utc\n\
         read_only: {read_only}\n\
         sources:\n  - name: prom\n    url: {}\n\
         alertmanagers:\n  - name: am\n    url: {}\n\
         alerts:\n  external_labels: []\n",
        stack.prom_url, stack.am_url
    );
    sretop::config::parse(&yaml, Path::new("test.yaml"))
        .unwrap_or_else(|e| panic!("test config does not parse: {e}\n{yaml}"))
}

/// Clients built the way `main` builds them.
fn build_clients(config: &sretop::config::Config) -> Clients {
    let proms = config
        .sources
        .iter()
        .map(|s| PromClient::new(s.client_options().unwrap()).unwrap());
    let ams: Vec<AlertmanagerClient> = config
        .alertmanagers
        .iter()
        .map(|s| AlertmanagerClient::new(s.client_options().unwrap()).unwrap())
        .collect();
    Clients::new(proms)
        .with_alertmanagers(ams)
        .read_only(config.read_only)
}

fn new_app(config: sretop::config::Config) -> App {
    let mut app = App::new(config, Utc::now(), FixedOffset::east_opt(0).unwrap());
    app.user = Some("tester".into());
    app
}

fn press(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn press_code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// What the servers said, as the test reads them itself.
#[derive(Debug, Clone, PartialEq)]
struct Raw {
    /// Prometheus `/api/v1/alerts`: labels → state (`firing` / `pending`).
    prom: BTreeMap<BTreeMap<String, String>, String>,
    /// Alertmanager `/api/v2/alerts`: labels → `status.state`.
    am: BTreeMap<BTreeMap<String, String>, String>,
    /// Alertmanager `/api/v2/alerts`: labels → `status.silencedBy`.
    am_silenced_by: BTreeMap<BTreeMap<String, String>, Vec<String>>,
}

impl Raw {
    /// Every identity either server reports.
    fn identities(&self) -> BTreeSet<BTreeMap<String, String>> {
        self.prom.keys().chain(self.am.keys()).cloned().collect()
    }

    /// Identities firing and not suppressed: active in Alertmanager, or firing in Prometheus
    /// and unknown to Alertmanager.
    fn firing(&self) -> BTreeSet<BTreeMap<String, String>> {
        self.identities()
            .into_iter()
            .filter(|k| match self.am.get(k) {
                Some(state) => state == "active" || state == "unprocessed",
                None => self.prom.get(k).is_some_and(|s| s == "firing"),
            })
            .collect()
    }
}

fn labels_of(v: &Value) -> BTreeMap<String, String> {
    v["labels"]
        .as_object()
        .unwrap_or_else(|| panic!("no labels in {v}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

async fn get_json(url: &str) -> Value {
    let resp = reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status();
    let body = resp.text().await.unwrap();
    assert!(status.is_success(), "GET {url}: {status}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: {e}: {body}"))
}

async fn raw(stack: &AlertStack) -> Raw {
    let prom = get_json(&format!("{}/api/v1/alerts", stack.prom_url)).await;
    assert_eq!(prom["status"], "success", "{prom}");
    let prom = prom["data"]["alerts"]
        .as_array()
        .unwrap_or_else(|| panic!("{prom}"))
        .iter()
        .map(|a| (labels_of(a), a["state"].as_str().unwrap().to_string()))
        .collect();
    let am_list = get_json(&format!("{}/api/v2/alerts", stack.am_url)).await;
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
fn high_error_rate() -> BTreeMap<String, String> {
    [
        ("alertname", "HighErrorRate"),
        ("service", INCIDENT),
        ("severity", "critical"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Polls the servers (raw) until `pred` holds.
async fn raw_until(stack: &AlertStack, what: &str, pred: impl Fn(&Raw) -> bool) -> Raw {
    let deadline = Instant::now() + StdDuration::from_secs(20);
    loop {
        let r = raw(stack).await;
        if pred(&r) {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after 20s waiting for {what}; servers say: {r:#?}"
        );
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
}

/// Both servers report the incident alert firing (Prometheus) and active (Alertmanager).
async fn wait_incident_firing(stack: &AlertStack) -> Raw {
    let key = high_error_rate();
    raw_until(stack, "HighErrorRate firing in both servers", |r| {
        r.prom.get(&key).is_some_and(|s| s == "firing")
            && r.am.get(&key).is_some_and(|s| s == "active")
    })
    .await
}

/// Runs commands the way the runtime does, feeding every answer back at `now`, until nothing
/// is left. Returns the write answers (silence created / expired) for the caller to inspect.
async fn drive(
    app: &mut App,
    clients: &Clients,
    cmds: Vec<Cmd>,
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut writes = Vec::new();
    let mut cmds = cmds;
    while !cmds.is_empty() {
        let mut next = Vec::new();
        for cmd in cmds.drain(..) {
            if let Some(msg) = execute(clients, cmd).await {
                match &msg {
                    Msg::SilenceCreated { result, .. } => writes.push(match result {
                        Ok(id) => format!("created {id}"),
                        Err(e) => format!("create failed: {e}"),
                    }),
                    Msg::SilenceExpired { id, result, .. } => writes.push(match result {
                        Ok(()) => format!("expired {id}"),
                        Err(e) => format!("expire {id} failed: {e}"),
                    }),
                    _ => {}
                }
                next.extend(app.update(msg, now));
            }
        }
        cmds = next;
    }
    writes
}

/// Presses `r` (everything due now) at the current time and runs what it asks for.
async fn refresh(app: &mut App, clients: &Clients) {
    let now = Utc::now();
    let cmds = app.update(press('r'), now);
    let writes = drive(app, clients, cmds, now).await;
    assert!(writes.is_empty(), "a refresh wrote something: {writes:?}");
    // Every poll answered.
    let stuck: Vec<_> = app.alerts.polls.iter().filter(|p| p.in_flight).collect();
    assert!(stuck.is_empty(), "polls still in flight: {stuck:#?}");
}

fn merged<'a>(app: &'a App, key: &BTreeMap<String, String>) -> &'a Alert {
    app.alerts
        .merged
        .iter()
        .find(|a| &a.labels == key)
        .unwrap_or_else(|| panic!("{key:?} not in the app's list: {:#?}", app.alerts.merged))
}

/// Polls the app until what it lists was stable on the servers across the poll (the demo's
/// noise could in principle flip an alert between two reads): returns the raw answer read
/// just before and just after the poll.
async fn poll_matching_servers(app: &mut App, clients: &Clients, stack: &AlertStack) -> Raw {
    for attempt in 0.. {
        let before = raw(stack).await;
        if attempt == 0 {
            poll_once(app, clients, Utc::now()).await;
        } else {
            refresh(app, clients).await;
        }
        let after = raw(stack).await;
        if before == after {
            return after;
        }
        assert!(
            attempt < 10,
            "the servers' answers kept changing:\nbefore {before:#?}\nafter {after:#?}"
        );
        tokio::time::sleep(StdDuration::from_millis(300)).await;
    }
    unreachable!()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_view_lists_exactly_what_the_servers_return() {
    let t0 = Instant::now();
    let stack = AlertStack::start();
    let config = app_config(&stack, false);
    let clients = build_clients(&config);
    let mut app = new_app(config);
    wait_incident_firing(&stack).await;
    let ready = t0.elapsed();

    let raw = poll_matching_servers(&mut app, &clients, &stack).await;
    // What a handoff note lists as "fired during the shift" comes from `ALERTS` and holds
    // the incident alert with its labels.
    let prom = clients.get(&app.context).expect("the context's client");
    let now = chrono::Utc::now();
    let fired = sretop::handoff::fired_during(prom, now - chrono::Duration::minutes(10), now)
        .await
        .expect("ALERTS query");
    assert!(
        fired.iter().any(
            |l| l.get("alertname").map(String::as_str) == Some("HighErrorRate")
                && l.get("service").map(String::as_str) == Some(INCIDENT)
                && !l.contains_key("alertstate")
                && !l.contains_key("__name__")
        ),
        "{fired:#?}"
    );
    let failed: Vec<_> = app
        .alerts
        .polls
        .iter()
        .filter(|p| p.last_ok.is_none() || p.last_error.is_some())
        .collect();
    assert!(failed.is_empty(), "polls without an answer: {failed:#?}");

    // Exactly the union of both servers' alerts, one entry per identity.
    let shown: Vec<&BTreeMap<String, String>> =
        app.alerts.merged.iter().map(|a| &a.labels).collect();
    let shown_set: BTreeSet<BTreeMap<String, String>> =
        shown.iter().map(|k| (*k).clone()).collect();
    assert_eq!(
        shown.len(),
        shown_set.len(),
        "duplicate identities in the merged list: {shown:#?}"
    );
    assert_eq!(
        shown_set,
        raw.identities(),
        "the app lists other alerts than the servers return; servers: {raw:#?}"
    );
    assert!(raw.identities().contains(&high_error_rate()), "{raw:#?}");
    let watchdog: BTreeMap<String, String> = [("alertname", "Watchdog"), ("severity", "none")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert!(raw.identities().contains(&watchdog), "{raw:#?}");

    // Each alert names exactly the sources that report it.
    for a in &app.alerts.merged {
        let mut expected = Vec::new();
        if raw.prom.contains_key(&a.labels) {
            expected.push("prom".to_string());
        }
        if raw.am.contains_key(&a.labels) {
            expected.push("am".to_string());
        }
        assert_eq!(a.sources, expected, "sources of {a:#?}; servers: {raw:#?}");
        // No silences exist: what Prometheus or Alertmanager calls firing is firing.
        let firing = raw.firing().contains(&a.labels);
        let expected_state = if firing {
            AlertState::Firing
        } else {
            AlertState::Pending
        };
        assert_eq!(a.state, expected_state, "{a:#?}; servers: {raw:#?}");
    }
    let incident = merged(&app, &high_error_rate());
    assert_eq!(incident.sources, ["prom", "am"], "{incident:#?}");
    assert_eq!(incident.state, AlertState::Firing, "{incident:#?}");
    assert_eq!(incident.severity, Severity::Critical, "{incident:#?}");
    assert_eq!(
        incident.annotations.get("runbook_url").map(String::as_str),
        Some("https://runbooks.example/high-error-rate"),
        "{incident:#?}"
    );
    assert!(
        incident
            .annotations
            .get("summary")
            .is_some_and(|s| s.starts_with(&format!("{INCIDENT} 5xx ratio is "))),
        "{incident:#?}"
    );
    assert!(
        incident.value.is_some_and(|v| v > 0.02),
        "the expression's value comes from Prometheus: {incident:#?}"
    );

    // The header's counts equal the servers' own.
    let raw_firing_critical = raw
        .firing()
        .iter()
        .filter(|k| k.get("severity").is_some_and(|s| s == "critical"))
        .count();
    assert!(raw_firing_critical >= 1, "{raw:#?}");
    assert_eq!(
        app.alerts
            .counts
            .firing_by_severity
            .get(&Severity::Critical)
            .copied()
            .unwrap_or(0),
        raw_firing_critical,
        "counts {:?}; servers: {raw:#?}",
        app.alerts.counts
    );
    assert_eq!(
        app.alerts.counts.firing(),
        raw.firing().len(),
        "counts {:?}; servers: {raw:#?}",
        app.alerts.counts
    );
    assert_eq!(app.alerts.counts.silenced, 0, "{:?}", app.alerts.counts);

    // And the screen says so.
    app.view = View::Alerts;
    let text = to_text(&render_buffer(&app, 160, 48));
    assert!(text.contains("HighErrorRate"), "{text}");
    assert!(text.contains("Watchdog"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains(INCIDENT) && l.contains("FIRING"))
        .unwrap_or_else(|| panic!("no firing row for {INCIDENT}:\n{text}"));
    assert!(row.contains("crit"), "{row}\n{text}");
    // Enter opens the drill-down, which charts the rule's expression from Prometheus.
    let now = Utc::now();
    let cmds = app.update(press_code(KeyCode::Enter), now);
    assert_eq!(app.view, View::Alert);
    let exprs: Vec<&str> = cmds
        .iter()
        .filter_map(|c| match c {
            Cmd::Expr(r) if r.source == "prom" => Some(r.promql.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(exprs.len(), 2, "{cmds:#?}");
    drive(&mut app, &clients, cmds, now).await;
    let chart = &app.alerts.chart;
    let rule_expr = ALERT_RULES
        .lines()
        .find_map(|l| l.trim().strip_prefix("expr: sum"))
        .map(|rest| format!("sum{rest}"));
    assert_eq!(chart.key, high_error_rate(), "{chart:#?}");
    assert_eq!(
        chart.expr, rule_expr,
        "the rule comes from Prometheus: {chart:#?}"
    );
    let threshold = chart.threshold.as_ref().expect("threshold split off");
    assert_eq!(
        (threshold.op.as_str(), threshold.value),
        (">", 0.02),
        "{chart:#?}"
    );
    assert!(!chart.loading && chart.firing_known, "{chart:#?}");
    let text = to_text(&render_buffer(&app, 160, 48));
    assert!(
        text.contains("https://runbooks.example/high-error-rate"),
        "{text}"
    );
    eprintln!(
        "servers ready with the alert firing after {ready:?}; test took {:?}",
        t0.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_from_the_tui_suppresses_and_expiring_restores() {
    let t0 = Instant::now();
    let stack = AlertStack::start();
    let config = app_config(&stack, false);
    let clients = build_clients(&config);
    let mut app = new_app(config);
    wait_incident_firing(&stack).await;
    let ready = t0.elapsed();
    let key = high_error_rate();

    poll_once(&mut app, &clients, Utc::now()).await;
    assert_eq!(merged(&app, &key).state, AlertState::Firing);

    // Read-only mode: `s` does nothing, and the runtime refuses a write anyway.
    {
        let config = app_config(&stack, true);
        assert!(config.read_only);
        let ro_clients = build_clients(&config);
        let mut ro = new_app(config);
        poll_once(&mut ro, &ro_clients, Utc::now()).await;
        ro.view = View::Alerts;
        let i = ro
            .alerts
            .visible()
            .position(|a| a.labels == key)
            .unwrap_or_else(|| panic!("{key:?} not listed: {:#?}", ro.alerts.groups));
        ro.alerts.selected = i;
        let cmds = ro.update(press('s'), Utc::now());
        assert!(ro.alerts.form.is_none(), "{:#?}", ro.alerts.form);
        assert!(ro.alerts.confirm.is_none(), "{:#?}", ro.alerts.confirm);
        assert!(
            !cmds
                .iter()
                .any(|c| matches!(c, Cmd::CreateSilence { .. } | Cmd::ExpireSilence { .. })),
            "{cmds:#?}"
        );
        drive(&mut ro, &ro_clients, cmds, Utc::now()).await;
        let now = Utc::now();
        let write = Cmd::CreateSilence {
            alertmanager: "am".into(),
            silence: NewSilence {
                matchers: vec![Matcher::equal("alertname", "HighErrorRate")],
                starts_at: now,
                ends_at: now + chrono::Duration::hours(1),
                created_by: "tester".into(),
                comment: "must not be sent".into(),
                id: None,
            },
            user: "tester".into(),
        };
        match execute(&ro_clients, write).await {
            Some(Msg::SilenceCreated { result: Err(e), .. }) => {
                assert!(e.to_string().contains("read-only"), "{e}")
            }
            other => panic!("a read-only runtime must refuse writes: {other:#?}"),
        }
        let silences = get_json(&format!("{}/api/v2/silences", stack.am_url)).await;
        assert_eq!(silences, serde_json::json!([]), "nothing was sent");
    }

    // Select the incident's alert in the list and press `s`.
    app.view = View::Alerts;
    let i = app
        .alerts
        .visible()
        .position(|a| a.labels == key)
        .unwrap_or_else(|| panic!("{key:?} not listed: {:#?}", app.alerts.groups));
    app.alerts.selected = i;
    let cmds = app.update(press('s'), Utc::now());
    assert!(
        !cmds.iter().any(|c| matches!(c, Cmd::CreateSilence { .. })),
        "{cmds:#?}"
    );
    drive(&mut app, &clients, cmds, Utc::now()).await;
    let form = app.alerts.form.clone().expect("the silence form opens");
    assert_eq!(form.alertmanager, "am", "{form:#?}");
    let matchers: Vec<&str> = form.matchers.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        matchers,
        [
            r#"alertname="HighErrorRate""#,
            &format!(r#"service="{INCIDENT}""#),
            r#"severity="critical""#
        ],
        "{form:#?}"
    );
    assert_eq!(form.author.text, "tester", "{form:#?}");
    assert_eq!(form.field(), FormField::Comment, "{form:#?}");
    assert!(form.matching >= 1, "{form:#?}");

    let comment = format!("sretop test {}", std::process::id());
    for c in comment.chars() {
        let cmds = app.update(press(c), Utc::now());
        assert!(
            !cmds
                .iter()
                .any(|c| matches!(c, Cmd::CreateSilence { .. } | Cmd::ExpireSilence { .. })),
            "{cmds:#?}"
        );
        drive(&mut app, &clients, cmds, Utc::now()).await;
    }
    let typed = app.alerts.form.as_ref().map(|f| f.comment.text.clone());
    assert_eq!(typed.as_deref(), Some(comment.as_str()));

    let cmds = app.update(press_code(KeyCode::Enter), Utc::now());
    drive(&mut app, &clients, cmds, Utc::now()).await;
    match &app.alerts.confirm {
        Some(Confirm::Create {
            alertmanager,
            silence,
        }) => {
            assert_eq!(alertmanager, "am");
            assert_eq!(silence.comment, comment);
            assert_eq!(silence.created_by, "tester");
            assert_eq!(silence.matchers.len(), 3, "{silence:#?}");
        }
        other => panic!(
            "Enter should ask for confirmation, got {other:#?}; form {:#?}",
            app.alerts.form
        ),
    }

    let now = Utc::now();
    let cmds = app.update(press('y'), now);
    assert!(app.alerts.confirm.is_none());
    assert!(app.alerts.form.is_none(), "{:#?}", app.alerts.form);
    let creates: Vec<&Cmd> = cmds
        .iter()
        .filter(|c| matches!(c, Cmd::CreateSilence { .. }))
        .collect();
    assert_eq!(creates.len(), 1, "{cmds:#?}");
    let writes = drive(&mut app, &clients, cmds, now).await;
    assert_eq!(writes.len(), 1, "{writes:?}");
    let id = writes[0]
        .strip_prefix("created ")
        .unwrap_or_else(|| panic!("{writes:?}; notice {:?}", app.alerts.notice))
        .to_string();

    // Alertmanager itself now suppresses the alert with that silence.
    let r = raw_until(&stack, "HighErrorRate suppressed", |r| {
        r.am.get(&key).is_some_and(|s| s == "suppressed")
    })
    .await;
    assert_eq!(
        r.am_silenced_by.get(&key),
        Some(&vec![id.clone()]),
        "{r:#?}"
    );
    let silences = get_json(&format!("{}/api/v2/silences", stack.am_url)).await;
    let s = silences
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .unwrap_or_else(|| panic!("silence {id} not on the server: {silences:#}"));
    assert_eq!(s["status"]["state"], "active", "{s:#}");
    assert_eq!(s["createdBy"], "tester", "{s:#}");
    assert_eq!(s["comment"], comment.as_str(), "{s:#}");
    assert_eq!(s["matchers"].as_array().map(Vec::len), Some(3), "{s:#}");

    // The app shows it silenced, and lists the silence.
    refresh(&mut app, &clients).await;
    let a = merged(&app, &key);
    assert_eq!(a.state, AlertState::Silenced, "{a:#?}");
    assert_eq!(a.silenced_by, std::slice::from_ref(&id), "{a:#?}");
    assert_eq!(
        app.alerts
            .counts
            .firing_by_severity
            .get(&Severity::Critical)
            .copied()
            .unwrap_or(0),
        0,
        "{:?}",
        app.alerts.counts
    );
    assert!(app.alerts.counts.silenced >= 1, "{:?}", app.alerts.counts);
    let row = app
        .alerts
        .silences
        .iter()
        .position(|r| r.silence.id == id)
        .unwrap_or_else(|| panic!("silence {id} not listed: {:#?}", app.alerts.silences));
    assert_eq!(app.alerts.silences[row].alertmanagers, ["am"]);
    assert_eq!(app.alerts.silences[row].silence.comment, comment);
    let text = to_text(&render_buffer(&app, 160, 48));
    assert!(
        text.lines()
            .any(|l| l.contains(INCIDENT) && l.contains("SILENCED")),
        "{text}"
    );

    // Expire it from the silences view.
    app.view = View::Silences;
    app.alerts.silence_selected = row;
    let text = to_text(&render_buffer(&app, 160, 48));
    assert!(text.contains(&comment), "{text}");
    let cmds = app.update(press('x'), Utc::now());
    drive(&mut app, &clients, cmds, Utc::now()).await;
    match &app.alerts.confirm {
        Some(Confirm::Expire {
            alertmanager,
            id: which,
            ..
        }) => {
            assert_eq!(alertmanager, "am");
            assert_eq!(which, &id);
        }
        other => panic!("x should ask for confirmation, got {other:#?}"),
    }
    let now = Utc::now();
    let cmds = app.update(press('y'), now);
    let expires: Vec<&Cmd> = cmds
        .iter()
        .filter(|c| matches!(c, Cmd::ExpireSilence { id: i, .. } if *i == id))
        .collect();
    assert_eq!(expires.len(), 1, "{cmds:#?}");
    let writes = drive(&mut app, &clients, cmds, now).await;
    assert_eq!(writes, [format!("expired {id}")], "{:?}", app.alerts.notice);

    raw_until(&stack, "HighErrorRate active again", |r| {
        r.am.get(&key).is_some_and(|s| s == "active")
    })
    .await;
    refresh(&mut app, &clients).await;
    let a = merged(&app, &key);
    assert_eq!(a.state, AlertState::Firing, "{a:#?}");
    assert!(a.silenced_by.is_empty(), "{a:#?}");
    assert!(
        app.alerts.silences.iter().all(|r| r.silence.id != id),
        "an expired silence is not listed: {:#?}",
        app.alerts.silences
    );
    eprintln!(
        "servers ready with the alert firing after {ready:?}; test took {:?}",
        t0.elapsed()
    );
}
