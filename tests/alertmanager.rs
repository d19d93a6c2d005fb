//! Alerts against real servers on loopback: Debian's `prometheus-alertmanager` (0.25 here)
//! for the API v2 client, and Prometheus with a rule that always fires for
//! `/api/v1/alerts` and `/api/v1/rules?type=alert`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use sretop::prom::{
    AlertmanagerClient, AmAlert, AmAlertState, ClientOptions, Matcher, NewSilence, PromAlertState,
    PromClient, PromError, RuleHealth, SilenceState,
};
use support::{free_port, require_binary, start_alertmanager, wait_ready, Proc};

fn client(url: &str) -> AlertmanagerClient {
    AlertmanagerClient::new(ClientOptions::new("am", url.parse().unwrap())).unwrap()
}

/// Posts two alerts the way Prometheus does.
async fn post_alerts(url: &str) {
    let starts = (Utc::now() - Duration::minutes(5)).to_rfc3339();
    let ends = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let body = serde_json::json!([
        {
            "labels": {"alertname": "DiskFull", "severity": "page", "instance": "db-1"},
            "annotations": {"summary": "Disk almost full", "runbook_url": "https://runbooks/disk"},
            "startsAt": starts,
            "endsAt": ends,
            "generatorURL": "http://prom:9090/graph?g0.expr=disk"
        },
        {
            "labels": {"alertname": "HighLatency", "severity": "ticket"},
            "annotations": {"summary": "p99 above 500ms"},
            "startsAt": starts,
            "endsAt": ends
        }
    ]);
    let status = reqwest::Client::new()
        .post(format!("{url}/api/v2/alerts"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");
}

/// Polls `alerts()` until `pred` holds (Alertmanager processes alerts asynchronously).
async fn alerts_until(
    am: &AlertmanagerClient,
    what: &str,
    pred: impl Fn(&[AmAlert]) -> bool,
) -> Vec<AmAlert> {
    let deadline = Instant::now() + StdDuration::from_secs(20);
    loop {
        let alerts = am.alerts().await.unwrap();
        if pred(&alerts) {
            return alerts;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {alerts:#?}"
        );
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
}

fn named<'a>(alerts: &'a [AmAlert], name: &str) -> Option<&'a AmAlert> {
    alerts.iter().find(|a| a.labels["alertname"] == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_alerts_silences_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let (mut proc, port) = start_alertmanager(dir.path());
    let url = format!("http://127.0.0.1:{port}");
    let am = client(&url);

    let status = am.status().await.unwrap();
    let version = status.version.clone().unwrap_or_default();
    assert!(
        version.chars().next().is_some_and(|c| c.is_ascii_digit()),
        "{status:?}"
    );
    assert_eq!(status.cluster_status.as_deref(), Some("disabled"));
    assert!(status.config.unwrap_or_default().contains("null"));

    post_alerts(&url).await;
    let alerts = alerts_until(&am, "two active alerts", |a| {
        a.len() == 2 && a.iter().all(|a| a.status.state == AmAlertState::Active)
    })
    .await;
    let disk = named(&alerts, "DiskFull").unwrap();
    assert_eq!(disk.labels["severity"], "page");
    assert_eq!(disk.labels["instance"], "db-1");
    assert_eq!(disk.annotations["summary"], "Disk almost full");
    assert_eq!(
        disk.generator_url.as_deref(),
        Some("http://prom:9090/graph?g0.expr=disk")
    );
    assert!(!disk.fingerprint.is_empty());
    let started = disk.starts_at.unwrap();
    assert!(started < Utc::now() - Duration::minutes(4), "{started}");
    assert_eq!(disk.receivers, ["null"]);
    assert!(disk.status.silenced_by.is_empty());
    let latency = named(&alerts, "HighLatency").unwrap();
    assert_ne!(latency.fingerprint, disk.fingerprint);

    let groups = am.alert_groups().await.unwrap();
    assert_eq!(groups.len(), 2, "{groups:#?}");
    assert!(groups.iter().all(|g| g.receiver == "null"));
    assert!(groups
        .iter()
        .any(
            |g| g.labels.get("alertname").map(String::as_str) == Some("DiskFull")
                && g.alerts.len() == 1
        ));

    // Silence DiskFull.
    let now = Utc::now();
    let new = NewSilence {
        matchers: vec![
            Matcher::equal("alertname", "DiskFull"),
            Matcher::regex("instance", "db-.*"),
        ],
        starts_at: now,
        ends_at: now + Duration::hours(1),
        created_by: "sretop-test".into(),
        comment: "disk swap".into(),
        id: None,
    };
    let id = am.create_silence(&new).await.unwrap();
    assert!(!id.is_empty());
    let alerts = alerts_until(&am, "DiskFull suppressed", |a| {
        named(a, "DiskFull").is_some_and(|d| d.status.state == AmAlertState::Suppressed)
    })
    .await;
    let disk = named(&alerts, "DiskFull").unwrap();
    assert_eq!(disk.status.silenced_by, std::slice::from_ref(&id));
    assert_eq!(
        named(&alerts, "HighLatency").unwrap().status.state,
        AmAlertState::Active
    );

    let silences = am.silences().await.unwrap();
    let s = silences.iter().find(|s| s.id == id).unwrap();
    assert_eq!(s.status, SilenceState::Active);
    assert_eq!(s.created_by, "sretop-test");
    assert_eq!(s.comment, "disk swap");
    assert_eq!(s.matchers, new.matchers);

    // Expire it: the alert comes back.
    am.expire_silence(&id).await.unwrap();
    let silences = am.silences().await.unwrap();
    let s = silences.iter().find(|s| s.id == id).unwrap();
    assert_eq!(s.status, SilenceState::Expired);
    alerts_until(&am, "DiskFull active again", |a| {
        named(a, "DiskFull").is_some_and(|d| {
            d.status.state == AmAlertState::Active && d.status.silenced_by.is_empty()
        })
    })
    .await;

    // Unknown silence: 500 "silence not found" on 0.25 (404 on newer versions).
    let err = am
        .expire_silence("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    match &err {
        PromError::Api { error, .. } => assert!(error.contains("not found"), "{err}"),
        PromError::Http { status: 404, .. } => {}
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("not found"), "{err}");

    // A silence matching everything is refused before it is sent.
    let mut bad = new.clone();
    bad.matchers = vec![Matcher::regex("alertname", ".*")];
    let err = am.create_silence(&bad).await.unwrap_err();
    assert!(matches!(err, PromError::Api { status: 0, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid silence: at least one matcher must not match the empty string"
    );
    assert_eq!(am.silences().await.unwrap().len(), 1);

    // The server's own refusal comes back as its message (here: an ID it does not know).
    let mut unknown = new.clone();
    unknown.id = Some("no-such-silence".into());
    let err = am.create_silence(&unknown).await.unwrap_err();
    assert!(matches!(err, PromError::Api { .. }), "{err:?}");
    assert!(err.to_string().starts_with("alertmanager: "), "{err}");

    proc.stop();
    let err = am.alerts().await.unwrap_err();
    assert!(err.is_transport(), "{err:?}");
}

const RULES: &str = r#"
groups:
  - name: always
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels:
          severity: page
        annotations:
          summary: "it always fires"
      - alert: AlwaysPending
        expr: vector(2)
        for: 1h
      - record: job:one
        expr: vector(1)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_alerts_and_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yml");
    std::fs::write(&rules, RULES).unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  evaluation_interval: 1s\nrule_files:\n  - {}\n",
            rules.display()
        ),
    )
    .unwrap();
    let port = free_port();
    let mut cmd = Command::new(require_binary("prometheus"));
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"));
    let mut proc = Proc::spawn("prometheus", cmd, dir.path().join("prometheus.log"));
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(
        &format!("{url}/-/ready"),
        &mut proc,
        StdDuration::from_secs(30),
    );
    let prom = PromClient::new(ClientOptions::new("p", url.parse().unwrap())).unwrap();

    let deadline = Instant::now() + StdDuration::from_secs(20);
    let alerts = loop {
        let alerts = prom.alerts().await.unwrap();
        if alerts.len() == 2 {
            break alerts;
        }
        assert!(Instant::now() < deadline, "{alerts:#?}");
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    };
    let firing = alerts
        .iter()
        .find(|a| a.labels["alertname"] == "AlwaysFiring")
        .unwrap();
    assert_eq!(firing.state, PromAlertState::Firing);
    assert_eq!(firing.labels["severity"], "page");
    assert_eq!(firing.annotations["summary"], "it always fires");
    assert_eq!(firing.value, Some(1.0));
    assert!(firing.active_at.is_some_and(|t| t <= Utc::now()));
    let pending = alerts
        .iter()
        .find(|a| a.labels["alertname"] == "AlwaysPending")
        .unwrap();
    assert_eq!(pending.state, PromAlertState::Pending);
    assert_eq!(pending.value, Some(2.0));

    let groups = prom.alert_rules().await.unwrap();
    assert_eq!(groups.len(), 1, "{groups:#?}");
    let g = &groups[0];
    assert_eq!(g.name, "always");
    assert_eq!(g.interval, Some(1.0));
    let names: Vec<&str> = g.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["AlwaysFiring", "AlwaysPending"]);
    let r = &g.rules[1];
    assert_eq!(r.query, "vector(2)");
    assert_eq!(r.duration, 3600.0);
    assert_eq!(r.health, RuleHealth::Ok);
    assert_eq!(r.state, PromAlertState::Pending);
    assert_eq!(r.alerts.len(), 1);
    proc.stop();
}
