//! Zero-config start against a real Prometheus scraping the demo exporter: discovery finds the
//! demo's services and metrics, its queries return data, `sretop config init` writes a file
//! the loader accepts, and `sretop snapshot --prometheus URL` with no config file shows the
//! services with numbers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration as StdDuration;

use chrono::Utc;
use sretop::prom::{ClientOptions, PromClient, QueryData};
use support::{Flavor, Server, Stack};

const SERVICES: [&str; 3] = ["api", "checkout", "search"];

fn client(url: &str) -> PromClient {
    let url = url::Url::parse(url).expect("url");
    PromClient::new(ClientOptions::new("default", url)).expect("client")
}

/// Waits until every demo service has had a request rate for a while (two scrapes in the rate
/// window, 12 s ago), so a range query's last aligned step has data too.
async fn wait_for_rates(c: &PromClient) {
    let q = "count(sum by (service) (rate(http_requests_total[1m])) >= 0)";
    for _ in 0..100 {
        tokio::time::sleep(StdDuration::from_millis(300)).await;
        if let Ok(resp) = c.query(q, Utc::now() - chrono::Duration::seconds(12)).await {
            if let QueryData::Vector(v) = resp.data {
                if v.first().is_some_and(|s| s.value.v >= 3.0) {
                    return;
                }
            }
        }
    }
    panic!("no request rates from the exporter after 30 s");
}

/// `sretop ARGS` with no config file to be found: `$SRETOP_CONFIG` unset, `$HOME` and the
/// XDG directories in `dir`, a UTF-8 locale.
fn sretop(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_sretop"))
        .arg("--log-file")
        .arg(dir.join("log"))
        .args(args)
        .env_remove("SRETOP_CONFIG")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("sretop runs");
    assert!(
        !dir.join("config").join("sretop").exists(),
        "nothing may create a user config"
    );
    out
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovers_the_demo_and_runs_without_a_config_file() {
    let stack = Stack::start(Flavor::Prometheus);
    let url = stack.server.url();
    let c = client(&url);
    wait_for_rates(&c).await;

    // The library call: the demo's services, by the `service` label (every series also has
    // job="demo", which must not win).
    let found = sretop::discover::discover(&c, None, Utc::now())
        .await
        .expect("discovery");
    assert_eq!(found.label, "service");
    let names: Vec<&str> = found.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, SERVICES);
    for s in &found.services {
        assert_eq!(
            s.traffic.as_ref().map(|t| t.metric.as_str()),
            Some("http_requests_total")
        );
        assert_eq!(
            s.latency.as_ref().map(|l| l.histogram.as_str()),
            Some("http_request_duration_seconds")
        );
        let gauges: Vec<&str> = s.saturation.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(gauges, ["cpu", "db_pool"], "{}", s.name);
    }

    // Every query the discovered config makes returns a value for every service.
    let config = sretop::discover::to_config(&found, &url).expect("config");
    let plans = sretop::domain::signals::plan(&config, "default");
    assert_eq!(plans.len(), 7, "{plans:#?}");
    let at = Utc::now();
    for plan in &plans {
        let promql = plan.promql("1m");
        let resp = c.query(&promql, at).await.expect("query");
        let QueryData::Vector(v) = resp.data else {
            panic!("{promql}: not a vector");
        };
        let mut got: Vec<&str> = v
            .iter()
            .filter_map(|s| s.metric.get("service").map(String::as_str))
            .collect();
        got.sort();
        assert_eq!(got, SERVICES, "{promql} answered {v:?}");
    }

    let dir = tempfile::tempdir().expect("temp dir");
    // `config init` to stdout loads through the normal loader.
    let out = sretop(dir.path(), &["config", "init", "--prometheus", &url]);
    assert!(out.status.success(), "{out:?}");
    let yaml = text(&out.stdout);
    assert!(yaml.starts_with("# sretop configuration"), "{yaml}");
    assert!(
        yaml.contains("  # api:\n  #   traffic http_requests_total (errors by `code`"),
        "{yaml}"
    );
    let written = dir.path().join("sretop.yaml");
    std::fs::write(&written, &yaml).expect("write");
    let loaded = sretop::config::load(&written).expect("the generated config loads");
    assert_eq!(loaded.sources[0].url, url);
    let loaded_names: Vec<&str> = loaded.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(loaded_names, SERVICES);
    assert_eq!(
        loaded, config,
        "config init writes what the dashboard runs with"
    );

    // `--output` writes the file once; again needs --force.
    let target = dir.path().join("out.yaml");
    let target_arg = target.to_str().expect("utf-8 path");
    let out = sretop(
        dir.path(),
        &["config", "init", "--prometheus", &url, "-o", target_arg],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        text(&out.stderr).contains("discovered 3 services"),
        "{out:?}"
    );
    sretop::config::load(&target).expect("--output file loads");
    std::fs::write(&target, "mine\n").expect("edit");
    let out = sretop(
        dir.path(),
        &["config", "init", "--prometheus", &url, "-o", target_arg],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("--force"), "{out:?}");
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "mine\n");
    let out = sretop(
        dir.path(),
        &[
            "config",
            "init",
            "--prometheus",
            &url,
            "-o",
            target_arg,
            "--force",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    sretop::config::load(&target).expect("replaced file loads");

    // The dashboard with no config file: the services with numbers, and the note.
    let out = sretop(
        dir.path(),
        &[
            "snapshot",
            "--prometheus",
            &url,
            "--width",
            "200",
            "--range",
            "15m",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let frame = text(&out.stdout);
    for name in SERVICES {
        let row = frame
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not on the frame:\n{frame}"));
        assert!(
            row.chars().filter(char::is_ascii_digit).count() >= 4,
            "{name} has no numbers: {row}\n{frame}"
        );
    }
    assert!(
        frame.contains("discovered 3 services by service"),
        "the discovery note is on screen:\n{frame}"
    );

    // `check` prints the discovered queries.
    let out = sretop(dir.path(), &["check", "--prometheus", &url]);
    assert!(out.status.success(), "{out:?}");
    let report = text(&out.stdout);
    assert!(report.contains("3 services"), "{report}");
    assert!(
        report.contains("http_requests_total{service=~\"api|checkout|search\""),
        "{report}"
    );

    // --service-label job: every series has job="demo", so one service named demo.
    let out = sretop(
        dir.path(),
        &[
            "config",
            "init",
            "--prometheus",
            &url,
            "--service-label",
            "job",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let yaml = text(&out.stdout);
    let path = dir.path().join("by-job.yaml");
    std::fs::write(&path, &yaml).expect("write");
    let by_job = sretop::config::load(&path).expect("loads");
    assert_eq!(by_job.sources[0].service_label, "job");
    let names: Vec<&str> = by_job.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["demo"], "{yaml}");
    let found = sretop::discover::discover(&c, Some("job"), Utc::now())
        .await
        .expect("discovery by job");
    assert_eq!(found.services.len(), 1);
    // A label the metrics do not carry: a clear error naming it.
    let out = sretop(
        dir.path(),
        &[
            "config",
            "init",
            "--prometheus",
            &url,
            "--service-label",
            "team",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = text(&out.stderr);
    assert!(
        err.contains("`team`") && err.contains("http_requests_total"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovers_the_demo_on_victoria_metrics_too() {
    let stack = Stack::start(Flavor::VictoriaMetrics);
    let url = stack.server.url();
    let c = client(&url);
    wait_for_rates(&c).await;
    let found = sretop::discover::discover(&c, None, Utc::now())
        .await
        .expect("discovery");
    assert_eq!(found.label, "service");
    let names: Vec<&str> = found.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, SERVICES);
    let api = &found.services[0];
    assert_eq!(
        api.traffic
            .as_ref()
            .and_then(|t| t.error_selector.as_deref()),
        Some(r#"code=~"5..""#)
    );
    assert!(api.latency.is_some());
    assert_eq!(api.saturation.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_conventional_is_said_not_shown_as_an_empty_dashboard() {
    // A Prometheus whose only target is down: it has `up` and the scrape metrics, nothing else.
    let dir = tempfile::tempdir().expect("temp dir");
    let nobody = support::free_port();
    let server = Server::start(Flavor::Prometheus, dir.path(), nobody);
    let url = server.url();
    let c = client(&url);
    // Wait for the first (failed) scrape, so the server has some metric names.
    for _ in 0..100 {
        if let Ok(resp) = c.query("up", Utc::now()).await {
            if resp.data.series_count() > 0 {
                break;
            }
        }
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    let err = sretop::discover::discover(&c, None, Utc::now())
        .await
        .expect_err("nothing to discover");
    assert!(
        err.contains("http_requests_total") && err.contains("_bucket"),
        "the message names what was looked for: {err}"
    );

    let home = tempfile::tempdir().expect("temp dir");
    let out = sretop(home.path(), &["config", "init", "--prometheus", &url]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("http_requests_total"), "{out:?}");
    assert!(out.stdout.is_empty(), "no half-written config: {out:?}");

    let out = sretop(home.path(), &["snapshot", "--prometheus", &url]);
    assert!(out.status.success(), "{out:?}");
    let frame = text(&out.stdout);
    assert!(
        frame.contains("no services: found no metrics"),
        "the reason is on screen:\n{frame}"
    );

    // `check` fails, saying why.
    let out = sretop(home.path(), &["check", "--prometheus", &url]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text(&out.stdout)
            .contains("error: no services configured, and discovery failed: found no metrics"),
        "{out:?}"
    );
}

/// bcrypt (cost 4) of `test-password`, made with Python's
/// `crypt.crypt('test-password', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))`.
const PASSWORD_HASH: &str = "$2b$04$.tLmhdbugk8SWEPXW2Ts8O9U6c5IFit3unbWoP4SHY5qKAZLELL..";

/// A real Prometheus behind HTTPS (a certificate from a private CA) and basic auth, scraping
/// the demo. Without a config file, `--ca-file`, `--basic-auth-user` and `--password-file`
/// reach it: discovery and the dashboard work, and `config init` writes those options (as a
/// file reference, never the password) into a config that works on its own. A config file
/// naming only the source (no services) discovers them through its `auth:` and `ca_file:`.
#[test]
fn discovers_through_tls_and_basic_auth() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    // A CA, and a certificate for 127.0.0.1 it signs.
    support::make_ca(d);
    support::make_leaf(d, "server");
    let web = d.join("web.yml");
    std::fs::write(
        &web,
        format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\nbasic_auth_users:\n  oncall: '{PASSWORD_HASH}'\n",
            d.join("server.pem").display(),
            d.join("server.key").display()
        ),
    )
    .unwrap();
    let (_exporter, exporter_port) = support::start_exporter(d, &[]);
    std::fs::write(
        d.join("scrape.yml"),
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: demo\n    honor_labels: true\n    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n"
        ),
    )
    .unwrap();
    let port = support::free_port();
    let mut cmd = Command::new(support::require_binary("prometheus"));
    cmd.arg(format!("--config.file={}", d.join("scrape.yml").display()))
        .arg(format!("--storage.tsdb.path={}", d.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--web.config.file={}", web.display()));
    let mut prometheus = support::Proc::spawn("prometheus", cmd, d.join("prometheus.log"));
    let url = format!("https://127.0.0.1:{port}");
    std::fs::write(d.join("password"), "test-password\n").unwrap();
    std::fs::set_permissions(
        d.join("password"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let ca = d.join("ca.pem").display().to_string();
    let password = d.join("password").display().to_string();
    let access = [
        "--prometheus",
        url.as_str(),
        "--ca-file",
        ca.as_str(),
        "--basic-auth-user",
        "oncall",
        "--password-file",
        password.as_str(),
    ];

    // Discovery needs request rates; scrapes every second, so try for a while.
    let deadline = std::time::Instant::now() + StdDuration::from_secs(60);
    let yaml = loop {
        assert!(prometheus.running(), "{}", prometheus.log_tail());
        let out = sretop(d, &[&["config", "init"][..], &access[..]].concat());
        let yaml = text(&out.stdout);
        if out.status.success() && yaml.contains("- name: search") {
            break yaml;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "config init never found the services: {out:?}"
        );
        std::thread::sleep(StdDuration::from_millis(500));
    };
    assert!(yaml.contains(&format!("ca_file: '{ca}'")), "{yaml}");
    assert!(
        yaml.contains(&format!(
            "basic: {{username: 'oncall', password: {{file: '{password}'}}}}"
        )),
        "{yaml}"
    );
    assert!(!yaml.contains("test-password"), "{yaml}");

    // The written config works on its own: the dashboard shows the services with numbers.
    let written = d.join("written.yaml");
    std::fs::write(&written, &yaml).unwrap();
    let snapshot = |args: &[&str]| {
        let out = sretop(
            d,
            &[&["snapshot", "--width", "200", "--range", "15m"][..], args].concat(),
        );
        assert!(out.status.success(), "{out:?}");
        text(&out.stdout)
    };
    let has_numbers = |frame: &str| {
        SERVICES.iter().all(|name| {
            frame
                .lines()
                .find(|l| l.contains(name))
                .is_some_and(|row| row.chars().filter(char::is_ascii_digit).count() >= 4)
        })
    };
    let written_arg = written.display().to_string();
    // Rates need two scrapes inside their window: wait for them (the same as the other test).
    loop {
        let frame = snapshot(&["--config", &written_arg]);
        if has_numbers(&frame) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the written config never showed numbers:\n{frame}"
        );
        std::thread::sleep(StdDuration::from_millis(500));
    }

    // The flags alone: discovered and shown.
    let frame = snapshot(&access);
    assert!(has_numbers(&frame), "{frame}");
    assert!(frame.contains("discovered 3 services"), "{frame}");

    // A config that names only the source: its auth and CA reach the server, and the services
    // are discovered.
    let sources_only = d.join("sources-only.yaml");
    std::fs::write(
        &sources_only,
        format!(
            "sources:\n  - name: prod\n    url: {url}\n    ca_file: {ca}\n    auth:\n      basic: {{username: oncall, password: {{file: {password}}}}}\n"
        ),
    )
    .unwrap();
    let sources_arg = sources_only.display().to_string();
    let frame = snapshot(&["--config", &sources_arg]);
    assert!(has_numbers(&frame), "{frame}");
    assert!(frame.contains("discovered 3 services"), "{frame}");

    // Without the password the server says 401, and the error says so.
    let out = sretop(d, &["check", "--prometheus", &url, "--ca-file", &ca]);
    assert!(!out.status.success(), "{out:?}");
    assert!(text(&out.stdout).contains("401"), "{out:?}");
}
