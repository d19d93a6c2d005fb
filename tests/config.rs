//! The configuration as a user meets it: the example file, error messages (exact text, with
//! file, line, column and field), secrets, and where the file is found.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use sretop::config::{
    self, AuthConfig, AvailabilitySli, Budgeting, CalendarPeriod, ConfigError, Duration, EventsSli,
    LatencySli, SecretSource, SliConfig, SloAlerting, SloConfig, SloWindow, TimeSlice,
};
use sretop::prom::Auth;

/// Environment variables are process-wide and tests run on several threads: every test that
/// sets or reads one of the variables below holds this lock.
static ENV: Mutex<()> = Mutex::new(());

fn env_lock() -> MutexGuard<'static, ()> {
    ENV.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml")
}

/// The environment the bad configs see: only `DEMO_HOST` is set.
fn test_env(name: &str) -> Option<String> {
    (name == "DEMO_HOST").then(|| "127.0.0.1".to_owned())
}

fn parse(text: &str) -> Result<config::Config, ConfigError> {
    config::parse_with_env(text, Path::new("config.yaml"), &test_env)
}

/// The message for a config that must be rejected.
fn error(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("accepted a bad config:\n{text}"),
        Err(e) => e.to_string(),
    }
}

const SOURCE: &str = "sources:\n  - name: demo\n    url: http://127.0.0.1:9090\n";

#[test]
fn example_config_parses_and_validates() {
    let config = config::load(&example_path()).expect("config.example.yaml is valid");
    assert_eq!(config.sources.len(), 1);
    assert_eq!(config.sources[0].name, "demo");
    assert_eq!(config.sources[0].url, "http://127.0.0.1:9090");
    assert_eq!(config.current_context(), "demo");
    let names: Vec<&str> = config.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["api", "checkout", "search"]);
    assert_eq!(config.refresh, Duration::from_secs(15));
    assert_eq!(config.range, Duration::from_secs(3600));
    let gauges: Vec<&str> = config
        .signals
        .saturation
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    assert_eq!(gauges, ["cpu", "pool"]);
    let latency = config.services[1]
        .thresholds
        .latency
        .expect("checkout overrides latency");
    assert_eq!((latency.warn, latency.crit), (0.3, 0.8));
    for service in &config.services {
        assert_eq!(
            config.source_of(service).map(|s| s.name.as_str()),
            Some("demo")
        );
    }
    let slos: Vec<(&str, &str, f64)> = config
        .services
        .iter()
        .flat_map(|s| {
            s.slos
                .iter()
                .map(move |slo| (s.name.as_str(), slo.name.as_str(), slo.objective))
        })
        .collect();
    assert_eq!(
        slos,
        [
            ("api", "availability", 99.5),
            ("checkout", "availability", 99.5),
            ("checkout", "latency-300ms", 99.0),
            ("search", "latency-500ms", 99.0),
        ]
    );
    assert_eq!(
        config.services[0].slos[0].sli.availability,
        Some(AvailabilitySli::default())
    );
    assert_eq!(
        config.services[1].slos[1].sli.latency,
        Some(LatencySli {
            histogram: Some("http_request_duration_seconds".into()),
            threshold: 0.3
        })
    );
    assert_eq!(
        config.services[2].slos[0].sli.latency,
        Some(LatencySli {
            histogram: None,
            threshold: 0.5
        })
    );
    assert_eq!(config.alert_windows.keys().collect::<Vec<_>>(), ["fast-7d"]);
    assert_eq!(config.policy, config::PolicyConfig::default());
    assert_eq!(config.slo_defaults, config::SloDefaults::default());
    assert!(config.imports.is_empty());
    assert_eq!(
        config::warnings(&config, &example_path()),
        Vec::<String>::new()
    );
    let options = config.sources[0].client_options().expect("client options");
    assert_eq!(options.url.as_str(), "http://127.0.0.1:9090/");
    assert!(options.auth.is_none());
}

#[test]
fn example_config_documents_every_field() {
    let text = std::fs::read_to_string(example_path()).expect("read the example");
    let fields = [
        "refresh",
        "range",
        "ranges",
        "time_zone",
        "context",
        "sources",
        "name",
        "url",
        "path_prefix",
        "timeout",
        "auth",
        "bearer_token",
        "basic",
        "username",
        "password",
        "env",
        "file",
        "headers",
        "ca_file",
        "insecure_skip_verify",
        "service_label",
        "signals",
        "rate_window",
        "requests_metric",
        "error_selector",
        "latency_histogram",
        "quantiles",
        "saturation",
        "query",
        "used",
        "max",
        "unit",
        "selector",
        "thresholds",
        "errors",
        "latency",
        "traffic",
        "warn",
        "crit",
        "warn_below",
        "crit_below",
        "services",
        "source",
        "label_value",
        "queries",
        "slos",
        "objective",
        "window",
        "rolling",
        "calendar",
        "budgeting",
        "time_slice",
        "target",
        "sli",
        "availability",
        "metric",
        "histogram",
        "threshold",
        "events",
        "error_query",
        "total_query",
        "alert_windows",
        "alerting",
        "description",
        "period",
        "page",
        "ticket",
        "long",
        "short",
        "budget_percent",
        "policy",
        "green_above",
        "red_below",
        "actions",
        "green",
        "yellow",
        "red",
        "exhausted",
        "no_data",
        "slo_defaults",
        "min_events",
        "long_refresh",
        "imports",
        "format",
        "path",
        "keys",
        "mouse",
    ];
    for field in fields {
        assert!(
            text.contains(&format!("{field}:")),
            "config.example.yaml does not mention `{field}:`"
        );
    }
}

#[test]
fn example_commented_prod_source_is_valid_when_uncommented() {
    let text = std::fs::read_to_string(example_path()).expect("read the example");
    let start = text.find("  # - name: prod").expect("the prod example");
    let prod: String = text[start..]
        .lines()
        .take_while(|line| line.starts_with("  #"))
        .map(|line| format!("  {}\n", &line[4..]))
        .collect();
    let yaml = format!("{SOURCE}{prod}");
    let env = |name: &str| (name == "PROD_PROM_TOKEN").then(|| "t".to_owned());
    let config = config::parse_with_env(&yaml, Path::new("config.yaml"), &env)
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let prod = config.source("prod").expect("prod source");
    assert_eq!(prod.url, "https://mimir.example.com");
    assert_eq!(
        prod.headers.get("X-Scope-OrgID").map(String::as_str),
        Some("platform")
    );
    assert_eq!(
        prod.auth,
        Some(AuthConfig::BearerToken(SecretSource::Env(
            "PROD_PROM_TOKEN".into()
        )))
    );
}

#[test]
fn example_commented_auth_blocks_are_valid_when_uncommented() {
    let text = std::fs::read_to_string(example_path()).expect("read the example");
    let lines: Vec<&str> = text.lines().collect();
    let mut found = 0;
    for (i, line) in lines.iter().enumerate() {
        if *line != "    # auth:" {
            continue;
        }
        found += 1;
        let mut yaml = format!("{SOURCE}    auth:\n");
        for line in lines[i + 1..]
            .iter()
            .take_while(|l| l.starts_with("    #   "))
        {
            yaml.push_str(&format!("    {}\n", &line[6..]));
        }
        let env = |name: &str| (name == "HOME").then(|| "/home/me".to_owned());
        let config = config::parse_with_env(&yaml, Path::new("config.yaml"), &env)
            .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        assert!(config.sources[0].auth.is_some());
    }
    assert_eq!(found, 2, "a bearer and a basic example");
}

/// `parse` is total: whatever the text, it returns, and errors carry a position in the text.
#[test]
fn parse_never_panics_on_mangled_input() {
    let text: Vec<char> = std::fs::read_to_string(example_path())
        .expect("read the example")
        .chars()
        .collect();
    let inserts = [' ', '-', ':', '\n', '\t', '{', '[', '"', '#', 'x', '1', '|'];
    let mut seed: u64 = 0x5eed;
    let mut next = |bound: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(seed >> 33).unwrap_or(0) % bound.max(1)
    };
    for _ in 0..600 {
        let mut mangled = text.clone();
        for _ in 0..=next(3) {
            let at = next(mangled.len());
            match next(3) {
                0 if at < mangled.len() => {
                    mangled.remove(at);
                }
                0 => {}
                1 => mangled.insert(at, inserts[next(inserts.len())]),
                _ => mangled.truncate(at),
            }
        }
        let mangled: String = mangled.into_iter().collect();
        if let Err(
            ConfigError::Parse { line, column, .. } | ConfigError::Invalid { line, column, .. },
        ) = parse(&mangled)
        {
            assert!(line >= 1 && column >= 1);
            assert!(
                line <= mangled.lines().count().max(1) + 1,
                "line {line} of\n{mangled}"
            );
        }
    }
}

#[test]
fn unknown_top_level_key_suggests_the_known_one() {
    assert_eq!(
        error(&format!("refesh: 15s\n{SOURCE}")),
        "config.yaml:1:1: refesh: unknown field `refesh`, did you mean `refresh`?"
    );
}

#[test]
fn unknown_nested_key_suggests_the_known_one() {
    assert_eq!(
        error(&format!("{SOURCE}    tmeout: 3s\n")),
        "config.yaml:4:5: sources[0].tmeout: unknown field `tmeout`, did you mean `timeout`?"
    );
    assert_eq!(
        error(&format!("{SOURCE}services:\n  - nme: api\n")),
        "config.yaml:5:5: services[0].nme: unknown field `nme`, did you mean `name`?"
    );
}

#[test]
fn unknown_key_without_a_close_match_lists_or_places_it() {
    assert_eq!(
        error(&format!("{SOURCE}banana: red\n")),
        "config.yaml:4:1: banana: unknown field `banana`, expected one of `refresh`, `range`, \
         `ranges`, `time_zone`, `context`, `sources`, `signals`, `thresholds`, `services`, \
         `alert_windows`, `policy`, `slo_defaults`, `imports`, `alertmanagers`, `alerts`, \
         `read_only`, `theme`, `colors`, `oncall`, `handoff`, `keys`, `mouse`"
    );
    assert_eq!(
        error(&format!("{SOURCE}quantiles: [0.5]\n")),
        "config.yaml:4:1: quantiles: unknown field `quantiles` (it belongs under `signals:`)"
    );
    assert_eq!(
        error(&format!("{SOURCE}timeout: 5s\n")),
        "config.yaml:4:1: timeout: unknown field `timeout` (it belongs in an entry of `sources:`)"
    );
}

#[test]
fn unknown_variant_suggests_the_known_one() {
    assert_eq!(
        error(&format!("{SOURCE}time_zone: UTC\n")),
        "config.yaml:4:12: time_zone: unknown variant `UTC`, did you mean `utc`?"
    );
}

#[test]
fn wrong_type_names_the_field() {
    let text = format!(
        "{SOURCE}services:\n  - name: api\n  - name: checkout\n    thresholds:\n      errors:\n        \
         warn: high\n        crit: 0.1\n"
    );
    assert_eq!(
        error(&text),
        "config.yaml:9:15: services[1].thresholds.errors.warn: invalid type: string \"high\", \
         expected f64"
    );
    assert_eq!(
        error(&format!("{SOURCE}services: {{}}\n")),
        "config.yaml:4:11: services: invalid type: map, expected a sequence"
    );
}

#[test]
fn duration_without_unit() {
    assert_eq!(
        error(&format!("{SOURCE}refresh: 15\n")),
        "config.yaml:4:10: refresh: invalid duration \"15\": missing unit after 15 (ms, s, m, h, \
         d, w, y)"
    );
}

#[test]
fn duration_in_words() {
    assert_eq!(
        error(&format!("{SOURCE}refresh: 5 minutes\n")),
        "config.yaml:4:10: refresh: invalid duration \"5 minutes\": unknown unit \"minutes\" (ms, \
         s, m, h, d, w, y)"
    );
}

#[test]
fn durations_out_of_range() {
    assert_eq!(
        error(&format!("{SOURCE}refresh: 500ms\n")),
        "config.yaml:4:10: refresh: 500ms is too short (the minimum is 1s; 15s matches a typical \
         scrape interval)"
    );
    assert_eq!(
        error(&format!("{SOURCE}ranges: [15m, 0s]\n")),
        "config.yaml:4:15: ranges[1]: must be longer than 0s"
    );
    assert_eq!(
        error(&format!("{SOURCE}ranges: []\n")),
        "config.yaml:4:9: ranges: must list at least one range (e.g. [15m, 1h, 6h, 24h])"
    );
    assert_eq!(
        error(&format!("{SOURCE}    timeout: 0s\n")),
        "config.yaml:4:14: sources[0].timeout: must be longer than 0s"
    );
}

#[test]
fn warn_above_crit() {
    assert_eq!(
        error(&format!(
            "{SOURCE}thresholds:\n  latency: {{warn: 2, crit: 1}}\n"
        )),
        "config.yaml:5:12: thresholds.latency: warn 2 is greater than crit 1 (make warn <= crit: \
         a value turns yellow at warn, red at crit)"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}services:\n  - name: api\n    thresholds:\n      errors:\n        warn: 0.5\n        \
             crit: 0.1\n"
        )),
        "config.yaml:7:7: services[0].thresholds.errors: warn 0.5 is greater than crit 0.1 (make \
         warn <= crit: a value turns yellow at warn, red at crit)"
    );
}

#[test]
fn traffic_warn_below_under_crit_below_and_nan() {
    assert_eq!(
        error(&format!(
            "{SOURCE}thresholds:\n  traffic: {{warn_below: 1, crit_below: 5}}\n"
        )),
        "config.yaml:5:12: thresholds.traffic: warn_below 1 is less than crit_below 5 (make \
         warn_below >= crit_below: traffic turns yellow below warn_below, red below crit_below)"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}thresholds:\n  errors: {{warn: .nan, crit: 1}}\n"
        )),
        "config.yaml:5:18: thresholds.errors.warn: NaN is not a threshold (write a number)"
    );
}

#[test]
fn missing_threshold_half() {
    assert_eq!(
        error(&format!(
            "{SOURCE}services:\n  - name: api\n    thresholds:\n      errors: {{warn: 1}}\n"
        )),
        "config.yaml:7:15: services[0].thresholds.errors: missing field `crit`"
    );
}

#[test]
fn unknown_source_reference() {
    assert_eq!(
        error(&format!(
            "{SOURCE}services:\n  - name: api\n    source: dmeo\n"
        )),
        "config.yaml:6:13: services[0].source: unknown source `dmeo`, did you mean `demo`?"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}services:\n  - name: api\n    source: staging\n"
        )),
        "config.yaml:6:13: services[0].source: unknown source `staging` (the sources are `demo`)"
    );
    assert_eq!(
        error(&format!("context: dem\n{SOURCE}")),
        "config.yaml:1:10: context: unknown source `dem`, did you mean `demo`?"
    );
}

#[test]
fn duplicate_names() {
    assert_eq!(
        error(&format!(
            "{SOURCE}services:\n  - name: api\n  - name: search\n  - name: api\n"
        )),
        "config.yaml:7:11: services[2].name: duplicate service name `api` (services[0] on line 5 \
         has it too; to show one service from two sources, give them different names and the \
         same label_value)"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}  - name: demo\n    url: http://other:9090\n"
        )),
        "config.yaml:4:11: sources[1].name: duplicate source name `demo` (sources[0] has it too; \
         names must be unique)"
    );
}

#[test]
fn url_with_password_is_refused_without_echoing_it() {
    let message = error("sources:\n  - name: demo\n    url: https://admin:hunter2@prom:9090\n");
    assert_eq!(
        message,
        "config.yaml:3:10: sources[0].url: the URL carries a user name or password: remove it and \
         use `auth:` instead (auth: {basic: {username: NAME, password: {env: VARIABLE}}})"
    );
    assert!(!message.contains("hunter2"));
}

#[test]
fn bad_urls() {
    assert_eq!(
        error("sources:\n  - name: demo\n    url: 127.0.0.1:9090\n"),
        "config.yaml:3:10: sources[0].url: missing http:// or https:// in front (write e.g. \
         http://prometheus:9090)"
    );
    assert_eq!(
        error("sources:\n  - name: demo\n    url: ftp://prom\n"),
        "config.yaml:3:10: sources[0].url: unsupported scheme `ftp` (write http:// or https://)"
    );
}

#[test]
fn variables_in_url_and_headers() {
    let text = "sources:\n  - name: demo\n    url: http://${DEMO_HOST}:${DEMO_PORT:-9090}\n    \
                headers:\n      X-Scope-OrgID: ${TENANT:-demo}\n";
    let config = parse(text).expect("valid");
    assert_eq!(config.sources[0].url, "http://127.0.0.1:9090");
    assert_eq!(
        config.sources[0]
            .headers
            .get("X-Scope-OrgID")
            .map(String::as_str),
        Some("demo")
    );
}

#[test]
fn missing_variable_in_url() {
    assert_eq!(
        error("sources:\n  - name: demo\n    url: http://${PROM_HOST}:9090\n"),
        "config.yaml:3:10: sources[0].url: environment variable `PROM_HOST` is not set (export \
         it, or give a default: ${PROM_HOST:-value})"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}    headers:\n      X-Scope-OrgID: ${{TENANT}}\n"
        )),
        "config.yaml:5:22: sources[0].headers.X-Scope-OrgID: environment variable `TENANT` is not \
         set (export it, or give a default: ${TENANT:-value})"
    );
}

#[test]
fn quantile_out_of_range() {
    assert_eq!(
        error(&format!("{SOURCE}signals:\n  quantiles: [0.5, 1.5]\n")),
        "config.yaml:5:20: signals.quantiles[1]: quantile 1.5 is out of range (a quantile is \
         strictly between 0 and 1, e.g. 0.99)"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}signals:\n  quantiles:\n    - 0.9\n    - 0\n"
        )),
        "config.yaml:7:7: signals.quantiles[1]: quantile 0 is out of range (a quantile is \
         strictly between 0 and 1, e.g. 0.99)"
    );
}

#[test]
fn saturation_gauge_forms() {
    assert_eq!(
        error(&format!(
            "{SOURCE}signals:\n  saturation:\n    - name: cpu\n      unit: ratio\n"
        )),
        "config.yaml:6:7: signals.saturation[0]: gauge `cpu` needs either `query` or both `used` \
         and `max`"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}signals:\n  saturation:\n    - {{name: cpu, query: x, used: a, max: b}}\n"
        )),
        "config.yaml:6:7: signals.saturation[0]: gauge `cpu` has both `query` and `used`/`max` \
         (use one form)"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}services:\n  - name: api\n    saturation:\n      - {{name: pool, used: a}}\n"
        )),
        "config.yaml:7:9: services[0].saturation[0]: gauge `pool` has `used` but no `max` (give \
         both, or a `query`)"
    );
}

#[test]
fn missing_or_empty_sources() {
    let hint = "(add at least one Prometheus source, e.g. sources: [{name: local, url: \
                \"http://127.0.0.1:9090\"}])";
    assert_eq!(
        error("refresh: 15s\n"),
        format!("config.yaml:1:1: missing field `sources` {hint}")
    );
    assert_eq!(
        error(""),
        format!("config.yaml:1:1: missing field `sources` {hint}")
    );
    assert_eq!(
        error("sources: []\n"),
        "config.yaml:1:10: sources: no sources (add at least one Prometheus source, e.g. {name: \
         local, url: \"http://127.0.0.1:9090\"})"
    );
}

#[test]
fn names_and_headers() {
    assert_eq!(
        error(&format!("{SOURCE}    service_label: app-name\n")),
        "config.yaml:4:20: sources[0].service_label: `app-name` is not a valid label name \
         (letters, digits and _, not starting with a digit)"
    );
    assert_eq!(
        error(&format!("{SOURCE}    headers:\n      X Org: a\n")),
        "config.yaml:5:14: sources[0].headers.X Org: `X Org` is not a valid HTTP header name \
         (e.g. X-Scope-OrgID)"
    );
}

#[test]
fn literal_secret_is_refused_without_echoing_it() {
    let message = error(&format!("{SOURCE}    auth:\n      bearer_token: hunter2\n"));
    assert_eq!(
        message,
        "config.yaml:5:21: sources[0].auth.bearer_token: a secret is never written in the file: \
         write `env: VARIABLE_NAME` or `file: /path/to/secret`"
    );
    let message = error(&format!(
        "{SOURCE}    auth:\n      basic: {{username: u, password: hunter2}}\n"
    ));
    assert!(!message.contains("hunter2"), "{message}");
    assert_eq!(
        error(&format!(
            "{SOURCE}    auth:\n      bearer_token: {{enc: X}}\n"
        )),
        "config.yaml:5:22: sources[0].auth.bearer_token.enc: unknown variant `enc`, did you mean \
         `env`?"
    );
}

#[test]
fn yaml_syntax_errors_are_located() {
    assert_eq!(
        error(&format!("{SOURCE}services:\n\t- name: api\n")),
        "config.yaml:5:1: services: found character that cannot start any token, while scanning \
         for the next token (a tab: YAML indents with spaces only)"
    );
}

#[test]
fn load_names_a_missing_file() {
    let err = config::load(Path::new("/nonexistent/sretop.yaml")).expect_err("no such file");
    assert!(
        err.to_string()
            .starts_with("/nonexistent/sretop.yaml: cannot read the config file: "),
        "{err}"
    );
}

#[test]
fn load_reports_the_path_it_was_given() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, format!("{SOURCE}refesh: 1m\n")).expect("write");
    let err = config::load(&path).expect_err("bad key");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:4:1: refesh: unknown field `refesh`, did you mean `refresh`?",
            path.display()
        )
    );
}

fn source_with_auth(auth: &str) -> config::SourceConfig {
    let text = format!("{SOURCE}    auth:\n{auth}");
    let mut config = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    config.sources.remove(0)
}

#[test]
fn bearer_secret_from_the_environment() {
    let _env = env_lock();
    let source = source_with_auth("      bearer_token:\n        env: SRETOP_TEST_TOKEN\n");
    std::env::set_var("SRETOP_TEST_TOKEN", "s3cr3t-value");
    let options = source.client_options().expect("token set");
    match options.auth {
        Some(Auth::Bearer(secret)) => assert_eq!(secret.expose(), "s3cr3t-value"),
        _ => panic!("expected bearer auth"),
    }
    std::env::remove_var("SRETOP_TEST_TOKEN");
    let err = source.client_options().expect_err("token unset");
    assert_eq!(
        err.to_string(),
        "source `demo`: auth.bearer_token.env: environment variable `SRETOP_TEST_TOKEN` is not \
         set (export it before starting sretop)"
    );
    std::env::set_var("SRETOP_TEST_TOKEN", "  ");
    let err = source.client_options().expect_err("token empty");
    assert_eq!(
        err.to_string(),
        "source `demo`: auth.bearer_token.env: environment variable `SRETOP_TEST_TOKEN` is empty"
    );
    std::env::remove_var("SRETOP_TEST_TOKEN");
}

#[test]
fn secret_errors_never_contain_the_secret() {
    let _env = env_lock();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("password");
    std::fs::write(&file, [0xff, 0xfe, b'x']).expect("write");
    let source = source_with_auth(&format!(
        "      basic:\n        username: sretop\n        password:\n          file: {}\n",
        file.display()
    ));
    let err = source.client_options().expect_err("not UTF-8");
    assert_eq!(
        err.to_string(),
        format!(
            "source `demo`: auth.basic.password.file: secret file {} is not UTF-8 text",
            file.display()
        )
    );
    std::env::set_var("SRETOP_TEST_CA_TOKEN", "very-secret-token");
    let source = source_with_auth(
        "      bearer_token: {env: SRETOP_TEST_CA_TOKEN}\n    ca_file: /nonexistent/ca.pem\n",
    );
    let err = source.client_options().expect_err("CA missing");
    std::env::remove_var("SRETOP_TEST_CA_TOKEN");
    let message = err.to_string();
    assert!(
        message.starts_with("/nonexistent/ca.pem: cannot read the CA file of source `demo`: "),
        "{message}"
    );
    assert!(!message.contains("very-secret-token"));
}

#[test]
fn basic_password_from_a_file_is_trimmed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("password");
    std::fs::write(&file, "  pa55word\n\n").expect("write");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").expect("write");
    let source = source_with_auth(&format!(
        "      basic:\n        username: sretop\n        password:\n          file: {}\n    ca_file: {}\n",
        file.display(),
        ca.display()
    ));
    let options = source.client_options().expect("file readable");
    match &options.auth {
        Some(Auth::Basic { username, password }) => {
            assert_eq!(username, "sretop");
            assert_eq!(password.expose(), "pa55word");
        }
        _ => panic!("expected basic auth"),
    }
    assert_eq!(
        options.ca_pem.as_deref(),
        Some(&b"-----BEGIN CERTIFICATE-----\n"[..])
    );
    assert_eq!(options.name, "demo");
    assert_eq!(options.timeout, std::time::Duration::from_secs(5));
    assert_eq!(options.slow_timeout, std::time::Duration::from_secs(30));

    std::fs::remove_file(&file).expect("remove");
    let err = source.client_options().expect_err("file gone");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "source `demo`: auth.basic.password.file: cannot read secret file {}: ",
            file.display()
        )),
        "{message}"
    );
    std::fs::write(&file, "\n").expect("write");
    let err = source.client_options().expect_err("file empty");
    assert_eq!(
        err.to_string(),
        format!(
            "source `demo`: auth.basic.password.file: secret file {} is empty",
            file.display()
        )
    );
}

#[test]
fn secret_file_relative_to_the_config_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("token"), "abc\n").expect("write");
    let path = dir.path().join("config.yaml");
    std::fs::write(
        &path,
        format!("{SOURCE}    auth:\n      bearer_token:\n        file: token\n"),
    )
    .expect("write");
    let config = config::load(&path).expect("valid");
    match config.sources[0].client_options().expect("readable").auth {
        Some(Auth::Bearer(secret)) => assert_eq!(secret.expose(), "abc"),
        _ => panic!("expected bearer auth"),
    }
}

#[cfg(unix)]
#[test]
fn warns_about_world_readable_secrets_and_insecure_tls() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("token");
    std::fs::write(&file, "abc").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let text = format!(
        "sources:\n  - name: prod\n    url: http://prom.example.com\n    insecure_skip_verify: true\n    \
         auth:\n      bearer_token:\n        file: {}\n",
        file.display()
    );
    let config = parse(&text).expect("valid");
    let warnings = config::warnings(&config, Path::new("config.yaml"));
    assert_eq!(
        warnings,
        [
            "config.yaml: sources[0].insecure_skip_verify: TLS certificate verification is off \
             for source `prod`: anyone on the network path can read and change its answers (set \
             ca_file instead)"
                .to_owned(),
            format!(
                "config.yaml: sources[0].auth.bearer_token.file: secret file {0} is readable by \
                 every user on this machine (chmod 600 {0})",
                file.display()
            ),
            "config.yaml: sources[0].url: source `prod` sends its credentials over plain http \
             (use https://)"
                .to_owned(),
        ]
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let warnings = config::warnings(&config, Path::new("config.yaml"));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
}

#[test]
fn minimal_config_for_a_prometheus_url() {
    let config = config::minimal("http://localhost:9090");
    assert_eq!(config.sources.len(), 1);
    assert_eq!(config.current_context(), "default");
    assert!(config.services.is_empty());
    let options = config.sources[0].client_options().expect("valid URL");
    assert_eq!(options.url.as_str(), "http://localhost:9090/");
    let err = config::minimal("localhost:9090").sources[0]
        .client_options()
        .expect_err("no scheme");
    assert_eq!(
        err.to_string(),
        "source `default`: url: missing http:// or https:// in front (write e.g. \
         http://prometheus:9090)"
    );
}

#[test]
fn locate_precedence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cli = dir.path().join("cli.yaml");
    let from_env = dir.path().join("env.yaml");
    let default = dir.path().join("sretop").join("config.yaml");
    let missing = dir.path().join("missing.yaml");
    std::fs::create_dir_all(dir.path().join("sretop")).expect("mkdir");
    for path in [&cli, &from_env, &default] {
        std::fs::write(path, SOURCE).expect("write");
    }
    let found = |cli: Option<&Path>, env: Option<&Path>, default: Option<&Path>| {
        config::locate_in(cli, env, default).map_err(|e| e.to_string())
    };
    assert_eq!(
        found(Some(&cli), Some(&from_env), Some(&default)),
        Ok(Some(cli.clone()))
    );
    assert_eq!(
        found(None, Some(&from_env), Some(&default)),
        Ok(Some(from_env.clone()))
    );
    assert_eq!(found(None, None, Some(&default)), Ok(Some(default.clone())));
    assert_eq!(found(None, None, Some(&missing)), Ok(None));
    assert_eq!(found(None, None, None), Ok(None));
    assert_eq!(
        found(Some(&missing), Some(&from_env), Some(&default)),
        Err(format!(
            "{}: the config file given with --config does not exist (see config.example.yaml for \
             one to start from)",
            missing.display()
        ))
    );
    assert_eq!(
        found(None, Some(&missing), Some(&default)),
        Err(format!(
            "{}: the config file named by $SRETOP_CONFIG does not exist (see config.example.yaml \
             for one to start from)",
            missing.display()
        ))
    );
    assert_eq!(
        found(Some(dir.path()), None, None),
        Err(format!(
            "{}: the config file given with --config is not a regular file",
            dir.path().display()
        ))
    );
}

#[test]
fn locate_reads_the_environment() {
    let _env = env_lock();
    let dir = tempfile::tempdir().expect("temp dir");
    let xdg = dir.path().join("xdg");
    let default = xdg.join("sretop").join("config.yaml");
    let from_env = dir.path().join("env.yaml");
    std::fs::create_dir_all(xdg.join("sretop")).expect("mkdir");
    std::fs::write(&default, SOURCE).expect("write");
    std::fs::write(&from_env, SOURCE).expect("write");
    let saved: Vec<_> = [config::CONFIG_ENV, "XDG_CONFIG_HOME"]
        .iter()
        .map(|name| (*name, std::env::var_os(name)))
        .collect();

    std::env::set_var("XDG_CONFIG_HOME", &xdg);
    std::env::remove_var(config::CONFIG_ENV);
    assert_eq!(config::default_path(), Some(default.clone()));
    let with_default = config::locate(None).map_err(|e| e.to_string());
    std::env::set_var(config::CONFIG_ENV, &from_env);
    let with_env = config::locate(None).map_err(|e| e.to_string());
    let with_cli = config::locate(Some(&default)).map_err(|e| e.to_string());
    std::env::set_var(config::CONFIG_ENV, dir.path().join("missing.yaml"));
    let with_missing_env = config::locate(None).map_err(|e| e.to_string());
    std::env::set_var("XDG_CONFIG_HOME", dir.path().join("empty"));
    std::env::remove_var(config::CONFIG_ENV);
    let with_nothing = config::locate(None).map_err(|e| e.to_string());

    for (name, value) in saved {
        match value {
            Some(value) => std::env::set_var(name, value),
            None => std::env::remove_var(name),
        }
    }
    assert_eq!(with_default, Ok(Some(default.clone())));
    assert_eq!(with_env, Ok(Some(from_env)));
    assert_eq!(with_cli, Ok(Some(default)));
    assert!(with_missing_env.is_err(), "{with_missing_env:?}");
    assert_eq!(with_nothing, Ok(None));
}

// ── SLOs ─────────────────────────────────────────────────────────────────────────────────────

/// A config with one service, `checkout`, whose `slos:` list is `slos` (lines from line 7 on).
fn with_slos(slos: &str) -> String {
    format!("{SOURCE}services:\n  - name: checkout\n    slos:\n{slos}")
}

/// The warnings of a valid config.
fn warnings_of(text: &str) -> Vec<String> {
    let config = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    config::warnings(&config, Path::new("config.yaml"))
}

#[test]
fn example_commented_slo_blocks_are_valid_when_uncommented() {
    let text = std::fs::read_to_string(example_path()).expect("read the example");
    for start in [
        "      # - name: good-minutes",
        "      # - name: availability",
    ] {
        let at = text.find(start).unwrap_or_else(|| panic!("{start}"));
        let block: String = text[at..]
            .lines()
            .take_while(|line| line.starts_with("      # "))
            .map(|line| format!("      {}\n", &line[8..]))
            .collect();
        let config = parse(&with_slos(&block)).unwrap_or_else(|e| panic!("{e}\n{block}"));
        let slo = &config.services[0].slos[0];
        match slo.name.as_str() {
            "good-minutes" => {
                assert_eq!(slo.budgeting, Some(Budgeting::Timeslices));
                assert_eq!(
                    slo.time_slice,
                    Some(TimeSlice {
                        window: Duration::from_secs(60),
                        target: 0.99
                    })
                );
                assert_eq!(
                    slo.window,
                    Some(SloWindow {
                        rolling: None,
                        calendar: Some(CalendarPeriod::Month)
                    })
                );
            }
            _ => {
                let events = slo.sli.events.as_ref().expect("events");
                assert!(events.error_query.contains("[{{window}}]"));
                assert_eq!(
                    slo.alerting,
                    Some(SloAlerting {
                        name: Some("SearchHighErrorRate".into())
                    })
                );
            }
        }
    }
}

#[test]
fn slo_defaults_when_not_written() {
    let config = parse(&with_slos(
        "      - {name: availability, objective: 99.9, sli: {availability: {}}}\n",
    ))
    .expect("valid");
    let slo = &config.services[0].slos[0];
    assert_eq!(slo.window, None);
    assert_eq!(
        config.slo_window(slo).rolling,
        Some(Duration::from_secs(30 * 86_400))
    );
    assert_eq!(config.slo_budgeting(slo), Budgeting::Occurrences);
    let (name, set) = config.slo_alert_windows(slo);
    assert_eq!(name, "google-30d");
    let factors: Vec<f64> = set
        .page
        .iter()
        .chain(&set.ticket)
        .map(|w| (w.burn_rate_factor(Duration::from_secs(30 * 86_400)) * 1000.0).round() / 1000.0)
        .collect();
    assert_eq!(factors, [14.4, 6.0, 3.0, 1.0]);
    assert_eq!(config.slo_defaults.min_events, 100.0);
    assert_eq!(config.slo_defaults.long_refresh, Duration::from_secs(300));
    assert_eq!(config.policy.green_above, 0.5);
    assert_eq!(config.policy.red_below, 0.1);

    let config = parse(&format!(
        "{SOURCE}slo_defaults:\n  window: {{rolling: 28d}}\nservices:\n  - name: api\n    slos:\n      \
         - {{name: a, objective: 99, sli: {{availability: {{}}}}}}\n"
    ))
    .expect("valid");
    let (name, _) = config.slo_alert_windows(&config.services[0].slos[0]);
    assert_eq!(name, "google-28d");
}

#[test]
fn slo_objective_out_of_range() {
    let slo = |objective: &str| {
        with_slos(&format!(
            "      - {{name: availability, objective: {objective}, sli: {{availability: {{}}}}}}\n"
        ))
    };
    assert_eq!(
        error(&slo("100")),
        "config.yaml:7:41: services[0].slos[0].objective: objective 100 is out of range (a \
         percentage strictly between 0 and 100, e.g. 99.9)"
    );
    assert_eq!(
        error(&slo("0")),
        "config.yaml:7:41: services[0].slos[0].objective: objective 0 is out of range (a \
         percentage strictly between 0 and 100, e.g. 99.9)"
    );
    assert_eq!(
        error(&slo(".nan")),
        "config.yaml:7:41: services[0].slos[0].objective: objective NaN is out of range (a \
         percentage strictly between 0 and 100, e.g. 99.9)"
    );
    assert!(parse(&slo("99.999")).is_ok());
}

#[test]
fn slo_window_takes_exactly_one_form() {
    let slo = |window: &str| {
        with_slos(&format!(
            "      - name: availability\n        objective: 99.9\n        window: {window}\n        \
             sli: {{availability: {{}}}}\n"
        ))
    };
    assert_eq!(
        error(&slo("{rolling: 30d, calendar: month}")),
        "config.yaml:9:17: services[0].slos[0].window: give either `rolling` or `calendar`, not \
         both (e.g. {rolling: 30d} or {calendar: month})"
    );
    assert_eq!(
        error(&slo("{}")),
        "config.yaml:9:17: services[0].slos[0].window: give `rolling` (a duration, e.g. \
         {rolling: 30d}) or `calendar` (week or month, e.g. {calendar: month})"
    );
    assert_eq!(
        error(&slo("{rolling: 0s}")),
        "config.yaml:9:27: services[0].slos[0].window.rolling: must be longer than 0s"
    );
    assert_eq!(
        error(&slo("{calendar: year}")),
        "config.yaml:9:28: services[0].slos[0].window.calendar: unknown variant `year`, expected \
         `week` or `month`"
    );
    assert!(parse(&slo("{calendar: week}")).is_ok());
    assert_eq!(
        error(&format!(
            "{SOURCE}slo_defaults:\n  window:\n    rolling: 30d\n    calendar: month\n"
        )),
        "config.yaml:5:3: slo_defaults.window: give either `rolling` or `calendar`, not both \
         (e.g. {rolling: 30d} or {calendar: month})"
    );
    assert_eq!(
        error(&format!("{SOURCE}slo_defaults:\n  window: {{}}\n")),
        "config.yaml:5:11: slo_defaults.window: give `rolling` (a duration, e.g. {rolling: \
         30d}) or `calendar` (week or month, e.g. {calendar: month})"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}slo_defaults:\n  window: {{rolling: 0s}}\n"
        )),
        "config.yaml:5:21: slo_defaults.window.rolling: must be longer than 0s"
    );
}

#[test]
fn slo_sli_takes_exactly_one_form() {
    let slo = |sli: &str| {
        with_slos(&format!(
            "      - name: availability\n        objective: 99.9\n        sli: {sli}\n"
        ))
    };
    assert_eq!(
        error(&slo("{}")),
        "config.yaml:9:14: services[0].slos[0].sli: give one of `availability`, `latency` or \
         `events` (e.g. sli: {availability: {}})"
    );
    assert_eq!(
        error(&slo("{availability: {}, latency: {threshold: 0.3}}")),
        "config.yaml:9:14: services[0].slos[0].sli: gives `availability` and `latency` (give \
         exactly one)"
    );
    assert_eq!(
        error(&slo("{raw: {error_ratio_query: x}}")),
        "config.yaml:9:15: services[0].slos[0].sli.raw: unknown field `raw`, expected one of \
         `availability`, `latency`, `events`"
    );
    assert_eq!(
        error(&slo("{availability: {metric: ''}}")),
        "config.yaml:9:38: services[0].slos[0].sli.availability.metric: must not be empty"
    );
}

#[test]
fn slo_latency_threshold() {
    let slo = |threshold: &str| {
        with_slos(&format!(
            "      - name: latency\n        objective: 99\n        sli:\n          latency:\n            \
             threshold: {threshold}\n"
        ))
    };
    for (threshold, shown) in [
        ("0", "0"),
        ("-0.3", "-0.3"),
        (".inf", "inf"),
        (".nan", "NaN"),
    ] {
        assert_eq!(
            error(&slo(threshold)),
            format!(
                "config.yaml:11:24: services[0].slos[0].sli.latency.threshold: threshold {shown} \
                 is not a latency (write a number of seconds greater than 0 that is one of the \
                 histogram's bucket boundaries, e.g. 0.3)"
            )
        );
    }
    assert_eq!(
        error(&with_slos(
            "      - name: latency\n        objective: 99\n        sli: {latency: {histogram: h}}\n"
        )),
        "config.yaml:9:24: services[0].slos[0].sli.latency: missing field `threshold`"
    );
    assert!(parse(&slo("0.3")).is_ok());
}

#[test]
fn slo_events_queries_need_the_window_placeholder() {
    let slo = |error_query: &str, total_query: &str| {
        with_slos(&format!(
            "      - name: availability\n        objective: 99.9\n        sli:\n          events:\n            \
             error_query: '{error_query}'\n            total_query: '{total_query}'\n"
        ))
    };
    let hint = "has no {{window}} placeholder (each query counts events over the window: write \
                its range as [{{window}}], e.g. \
                sum(increase(http_requests_total{code=~\"5..\"}[{{window}}])))";
    assert_eq!(
        error(&slo(
            "sum(increase(errors_total[5m]))",
            "sum(increase(requests_total[{{window}}]))"
        )),
        format!("config.yaml:11:26: services[0].slos[0].sli.events.error_query: {hint}")
    );
    assert_eq!(
        error(&slo(
            "sum(increase(errors_total[{{window}}]))",
            "sum(increase(requests_total[30d]))"
        )),
        format!("config.yaml:12:26: services[0].slos[0].sli.events.total_query: {hint}")
    );
    // Sloth's {{.window}} and the spaced {{ window }} are accepted too.
    let config = parse(&slo(
        "sum(rate(errors_total[{{.window}}]))",
        "sum(rate(requests_total[{{ window }}]))",
    ))
    .expect("valid");
    assert_eq!(
        config.services[0].slos[0].sli.events,
        Some(EventsSli {
            error_query: "sum(rate(errors_total[{{.window}}]))".into(),
            total_query: "sum(rate(requests_total[{{ window }}]))".into(),
        })
    );
}

#[test]
fn slo_time_slices() {
    let slo = |extra: &str| {
        with_slos(&format!(
            "      - name: good-minutes\n        objective: 99\n        sli: {{availability: {{}}}}\n{extra}"
        ))
    };
    assert_eq!(
        error(&slo("        budgeting: timeslices\n")),
        "config.yaml:10:20: services[0].slos[0].budgeting: budgeting: timeslices needs \
         `time_slice` (e.g. time_slice: {window: 1m, target: 0.99})"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}slo_defaults:\n  budgeting: timeslices\nservices:\n  - name: checkout\n    slos:\n      \
             - {{name: good-minutes, objective: 99, sli: {{availability: {{}}}}}}\n"
        )),
        "config.yaml:9:9: services[0].slos[0]: budgeting: timeslices (from \
         slo_defaults.budgeting) needs `time_slice` (e.g. time_slice: {window: 1m, target: 0.99})"
    );
    assert_eq!(
        error(&slo("        time_slice: {window: 1m, target: 0.99}\n")),
        "config.yaml:10:21: services[0].slos[0].time_slice: time_slice is only used with \
         budgeting: timeslices (add budgeting: timeslices, or remove time_slice)"
    );
    for (target, shown) in [("0", "0"), ("1.5", "1.5"), (".nan", "NaN")] {
        assert_eq!(
            error(&slo(&format!(
                "        budgeting: timeslices\n        time_slice: {{window: 1m, target: {target}}}\n"
            ))),
            format!(
                "config.yaml:11:42: services[0].slos[0].time_slice.target: target {shown} is out \
                 of range (the success ratio a slice needs to count as good: greater than 0 and at \
                 most 1, e.g. 0.99)"
            )
        );
    }
    assert_eq!(
        error(&slo(
            "        budgeting: timeslices\n        time_slice: {window: 0s, target: 0.99}\n"
        )),
        "config.yaml:11:30: services[0].slos[0].time_slice.window: must be longer than 0s"
    );
    let config = parse(&slo(
        "        budgeting: timeslices\n        time_slice: {window: 1m, target: 1}\n",
    ))
    .expect("a target of 1 (every event good) is valid");
    assert_eq!(
        config.slo_budgeting(&config.services[0].slos[0]),
        Budgeting::Timeslices
    );
}

#[test]
fn slo_alert_window_references() {
    let slo = |name: &str| {
        with_slos(&format!(
            "      - name: availability\n        objective: 99.9\n        sli: {{availability: {{}}}}\n        \
             alert_windows: {name}\n"
        ))
    };
    assert_eq!(
        error(&slo("gogle-30d")),
        "config.yaml:10:24: services[0].slos[0].alert_windows: unknown alert window set \
         `gogle-30d`, did you mean `google-30d`?"
    );
    assert_eq!(
        error(&slo("fast")),
        "config.yaml:10:24: services[0].slos[0].alert_windows: unknown alert window set `fast` \
         (the sets are `google-30d`, `google-28d`)"
    );
    assert!(parse(&slo("google-28d")).is_ok());
    let own = "alert_windows:\n  fast-7d:\n    period: 7d\n    page: [{long: 1h, short: 5m, budget_percent: 8}]\n";
    assert_eq!(
        error(&format!(
            "{own}slo_defaults:\n  alert_windows: fast\n{SOURCE}"
        )),
        "config.yaml:6:18: slo_defaults.alert_windows: unknown alert window set `fast` (the \
         sets are `google-30d`, `google-28d`, `fast-7d`)"
    );
    assert_eq!(
        error(&format!("{own}{}", slo("fast-d7"))),
        "config.yaml:14:24: services[0].slos[0].alert_windows: unknown alert window set \
         `fast-d7`, did you mean `fast-7d`?"
    );
    let config = parse(&format!("{own}{}", slo("fast-7d"))).expect("valid");
    let (name, set) = config.slo_alert_windows(&config.services[0].slos[0]);
    assert_eq!(
        (name.as_str(), set.page.len(), set.ticket.len()),
        ("fast-7d", 1, 0)
    );
}

#[test]
fn alert_window_sets() {
    let set = |body: &str| format!("{SOURCE}alert_windows:\n  fast-7d:\n    period: 7d\n{body}");
    assert_eq!(
        error(&set(
            "    page:\n      - {long: 5m, short: 1h, budget_percent: 8}\n"
        )),
        "config.yaml:8:9: alert_windows.fast-7d.page[0]: long window 5m must be longer than \
         short window 1h (the short one, typically 1/12 of the long one, confirms the burn goes \
         on; e.g. long: 1h, short: 5m)"
    );
    assert_eq!(
        error(&set(
            "    ticket:\n      - {long: 1d, short: 1d, budget_percent: 20}\n"
        )),
        "config.yaml:8:9: alert_windows.fast-7d.ticket[0]: long window 1d must be longer than \
         short window 1d (the short one, typically 1/12 of the long one, confirms the burn goes \
         on; e.g. long: 1h, short: 5m)"
    );
    assert_eq!(
        error(&set(
            "    page:\n      - {long: 1h, short: 0s, budget_percent: 8}\n"
        )),
        "config.yaml:8:27: alert_windows.fast-7d.page[0].short: must be longer than 0s"
    );
    for (percent, shown) in [("0", "0"), ("150", "150"), (".nan", "NaN")] {
        assert_eq!(
            error(&set(&format!(
                "    page:\n      - {{long: 1h, short: 5m, budget_percent: 8}}\n      - {{long: 6h, short: 30m, budget_percent: {percent}}}\n"
            ))),
            format!(
                "config.yaml:9:48: alert_windows.fast-7d.page[1].budget_percent: budget_percent \
                 {shown} is out of range (the share of the whole budget spent when the long window \
                 fires: greater than 0 and at most 100, e.g. 2)"
            )
        );
    }
    assert_eq!(
        error(&set("    page: []\n")),
        "config.yaml:5:3: alert_windows.fast-7d: alert window set `fast-7d` has no page or \
         ticket windows (add at least one, e.g. page: [{long: 1h, short: 5m, budget_percent: 2}])"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}alert_windows:\n  fast-7d:\n    period: 0s\n    page: [{{long: 1h, short: 5m, budget_percent: 8}}]\n"
        )),
        "config.yaml:6:13: alert_windows.fast-7d.period: must be longer than 0s"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}alert_windows:\n  fast-7d:\n    page: [{{long: 1h, short: 5m, budget_percent: 8}}]\n"
        )),
        "config.yaml:6:5: alert_windows.fast-7d: missing field `period`"
    );
}

#[test]
fn policy_bands() {
    let policy = |body: &str| format!("{SOURCE}policy:\n{body}");
    assert_eq!(
        error(&policy("  green_above: 0.1\n  red_below: 0.5\n")),
        "config.yaml:4:1: policy: red_below 0.5 is not less than green_above 0.1 (make \
         red_below < green_above: the band between them is yellow)"
    );
    assert_eq!(
        error(&policy("  green_above: 0.3\n  red_below: 0.3\n")),
        "config.yaml:4:1: policy: red_below 0.3 is not less than green_above 0.3 (make \
         red_below < green_above: the band between them is yellow)"
    );
    assert_eq!(
        error(&policy("  green_above: 50\n")),
        "config.yaml:5:16: policy.green_above: green_above 50 is out of range (a fraction of the \
         budget remaining, from 0 to 1, e.g. 0.5)"
    );
    assert_eq!(
        error(&policy("  red_below: -0.1\n")),
        "config.yaml:5:14: policy.red_below: red_below -0.1 is out of range (a fraction of the \
         budget remaining, from 0 to 1, e.g. 0.1)"
    );
    assert_eq!(
        error(&policy("  red_below: .nan\n")),
        "config.yaml:5:14: policy.red_below: red_below NaN is out of range (a fraction of the \
         budget remaining, from 0 to 1, e.g. 0.1)"
    );
    assert_eq!(
        error(&policy("  actions: {green: ok, amber: careful}\n")),
        "config.yaml:5:24: policy.actions.amber: unknown field `amber`, expected one of \
         `green`, `yellow`, `red`, `exhausted`, `no_data`"
    );
    let config = parse(&policy(
        "  green_above: 1\n  red_below: 0\n  actions: {green: Ship it}\n",
    ))
    .expect("the extremes are valid");
    assert_eq!(config.policy.actions.green, "Ship it");
    assert_eq!(
        config.policy.actions.red,
        "Feature freeze: emergency fixes and reliability work only"
    );
}

#[test]
fn slo_names_are_unique_within_a_service() {
    assert_eq!(
        error(&with_slos(
            "      - {name: availability, objective: 99.9, sli: {availability: {}}}\n      \
             - {name: latency, objective: 99, sli: {latency: {threshold: 0.3}}}\n      \
             - {name: availability, objective: 99, sli: {availability: {}}}\n"
        )),
        "config.yaml:9:16: services[0].slos[2].name: duplicate SLO name `availability` (slos[0] \
         of service `checkout` has it too; SLO names must be unique within a service)"
    );
    assert_eq!(
        error(&with_slos(
            "      - {name: '', objective: 99.9, sli: {availability: {}}}\n"
        )),
        "config.yaml:7:16: services[0].slos[0].name: must not be empty"
    );
    // The same name in two services is fine.
    let text = format!(
        "{SOURCE}services:\n  - name: api\n    slos: [{{name: availability, objective: 99.9, sli: \
         {{availability: {{}}}}}}]\n  - name: checkout\n    slos: [{{name: availability, \
         objective: 99.5, sli: {{availability: {{}}}}}}]\n"
    );
    assert!(parse(&text).is_ok());
}

#[test]
fn slo_defaults_ranges() {
    assert_eq!(
        error(&format!("{SOURCE}slo_defaults:\n  min_events: -1\n")),
        "config.yaml:5:15: slo_defaults.min_events: min_events -1 must be a number, 0 or more \
         (burn rates over fewer events are shown as weak; 0 turns this off)"
    );
    assert!(parse(&format!("{SOURCE}slo_defaults:\n  min_events: 0\n")).is_ok());
    assert_eq!(
        error(&format!(
            "refresh: 30s\n{SOURCE}slo_defaults:\n  long_refresh: 15s\n"
        )),
        "config.yaml:6:17: slo_defaults.long_refresh: 15s is shorter than refresh (30s) (the \
         long windows are evaluated at most once per refresh, and less often to spare \
         Prometheus: e.g. 5m)"
    );
    assert!(parse(&format!(
        "refresh: 30s\n{SOURCE}slo_defaults:\n  long_refresh: 30s\n"
    ))
    .is_ok());
}

#[test]
fn slo_keys_misplaced_or_misspelt() {
    assert_eq!(
        error(&format!("{SOURCE}slos: []\n")),
        "config.yaml:4:1: slos: unknown field `slos` (it belongs in an entry of `services:`)"
    );
    assert_eq!(
        error(&format!("{SOURCE}min_events: 10\n")),
        "config.yaml:4:1: min_events: unknown field `min_events` (it belongs under \
         `slo_defaults:`)"
    );
    assert_eq!(
        error(&format!("{SOURCE}green_above: 0.5\n")),
        "config.yaml:4:1: green_above: unknown field `green_above` (it belongs under `policy:`)"
    );
    assert_eq!(
        error(&with_slos(
            "      - name: availability\n        objectve: 99.9\n"
        )),
        "config.yaml:8:9: services[0].slos[0].objectve: unknown field `objectve`, did you mean \
         `objective`?"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}slo_defaults:\n  budgeting: time_slices\n"
        )),
        "config.yaml:5:14: slo_defaults.budgeting: unknown variant `time_slices`, did you mean \
         `timeslices`?"
    );
}

#[test]
fn warns_about_burn_rate_conditions_that_can_never_fire() {
    let text = with_slos(
        "      - {name: availability, objective: 90, sli: {availability: {}}}\n      \
         - {name: latency, objective: 99, sli: {latency: {threshold: 0.3}}}\n",
    );
    assert_eq!(
        warnings_of(&text),
        ["config.yaml: service checkout, SLO availability (90%): page 1h/5m needs burn rate 14.4 \
          but the highest possible is 10; it can never fire (in alert window set `google-30d`: \
          give this SLO alert_windows with a smaller budget_percent or a longer long window)"]
    );
    // Over 28 days the factor is 13.44; at 80% the highest burn rate is 5, so three of the
    // four conditions cannot fire.
    let text = format!(
        "{SOURCE}slo_defaults:\n  window: {{rolling: 28d}}\nservices:\n  - name: api\n    slos:\n      \
         - {{name: availability, objective: 80, sli: {{availability: {{}}}}}}\n"
    );
    let never = |pair: &str, factor: &str| {
        format!(
            "config.yaml: service api, SLO availability (80%): {pair} needs burn rate {factor} \
             but the highest possible is 5; it can never fire (in alert window set `google-28d`: \
             give this SLO alert_windows with a smaller budget_percent or a longer long window)"
        )
    };
    assert_eq!(
        warnings_of(&text),
        [never("page 1h/5m", "13.44"), never("page 6h/30m", "5.6"),]
    );
    // A custom set is read the same way, scaled to the SLO's window (a calendar month counts
    // as 30 days): 80% of the budget in 1 day is a factor of 24, above the 20 of a 95% SLO.
    let text = format!(
        "{SOURCE}alert_windows:\n  strict:\n    period: 30d\n    ticket: [{{long: 1d, short: 2h, budget_percent: 80}}]\n\
         services:\n  - name: api\n    slos:\n      - {{name: availability, objective: 95, alert_windows: strict, \
         window: {{calendar: month}}, sli: {{availability: {{}}}}}}\n"
    );
    assert_eq!(
        warnings_of(&text),
        ["config.yaml: service api, SLO availability (95%): ticket 1d/2h needs burn rate 24 but \
          the highest possible is 20; it can never fire (in alert window set `strict`: give this \
          SLO alert_windows with a smaller budget_percent or a longer long window)"]
    );
    assert_eq!(
        warnings_of(&text.replace("budget_percent: 80", "budget_percent: 60")),
        Vec::<String>::new()
    );
}

#[test]
fn warns_when_the_whole_budget_is_shorter_than_five_minutes() {
    let text = with_slos(
        "      - {name: availability, objective: 99.999, sli: {availability: {}}}\n      \
         - {name: weekly, objective: 99.96, window: {calendar: week}, sli: {availability: {}}}\n      \
         - {name: fine, objective: 99.9, sli: {availability: {}}}\n",
    );
    assert_eq!(
        warnings_of(&text),
        [
            "config.yaml: service checkout, SLO availability (99.999%): the whole error budget \
             over 30d is 26s of total outage (B × W), shorter than 5m: scrape and rule delays \
             alone can spend it (lower the objective or lengthen the window)",
            "config.yaml: service checkout, SLO weekly (99.96%): the whole error budget over 7d \
             is 4m2s of total outage (B × W), shorter than 5m: scrape and rule delays alone can \
             spend it (lower the objective or lengthen the window)",
        ]
    );
}

// ── SLO imports ──────────────────────────────────────────────────────────────────────────────

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

fn events(error_query: &str, total_query: &str) -> SliConfig {
    SliConfig {
        events: Some(EventsSli {
            error_query: error_query.into(),
            total_query: total_query.into(),
        }),
        ..SliConfig::default()
    }
}

fn imported(name: &str, objective: f64, sli: SliConfig) -> SloConfig {
    SloConfig {
        name: name.into(),
        objective,
        window: None,
        budgeting: None,
        time_slice: None,
        sli,
        alert_windows: None,
        alerting: None,
        description: None,
    }
}

#[test]
fn imports_sloth_and_openslo_fixtures() {
    let dir = fixtures();
    let text = format!(
        "{SOURCE}services:\n  - name: api\n  - name: checkout\n    slos:\n      - {{name: availability, \
         objective: 99.5, sli: {{availability: {{}}}}}}\n  - name: search\nimports:\n  - {{format: \
         sloth, path: sloth}}\n  - {{format: openslo, path: openslo/}}\n"
    );
    let path = dir.join("config.yaml");
    let config = config::parse_with_env(&text, &path, &test_env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.imports[0].path, dir.join("sloth"));
    let names: Vec<&str> = config.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["api", "checkout", "search", "billing", "payments"]);
    let billing = &config.services[3];
    assert_eq!(
        (billing.source.as_deref(), billing.label_value.as_deref()),
        (None, None)
    );
    assert_eq!(
        config.source_of(billing).map(|s| s.name.as_str()),
        Some("demo")
    );

    let api = "http_requests_total{service=\"api\"}";
    assert_eq!(
        config.services[0].slos,
        [SloConfig {
            window: Some(SloWindow {
                rolling: Some(Duration::from_secs(28 * 86_400)),
                calendar: None
            }),
            budgeting: Some(Budgeting::Occurrences),
            description: Some("Requests answered without a server error.".into()),
            ..imported(
                "api-availability",
                99.95,
                events(
                    &format!(
                        "(sum(increase({api}[{{{{window}}}}]))) - \
                         (sum(increase(http_requests_total{{service=\"api\",code!~\"5..\"}}[{{{{window}}}}])))"
                    ),
                    &format!("sum(increase({api}[{{{{window}}}}]))"),
                )
            )
        }]
    );

    let checkout = &config.services[1].slos;
    let slo_names: Vec<&str> = checkout.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        slo_names,
        ["availability", "requests-availability", "checkout-latency"]
    );
    assert_eq!(
        checkout[1],
        SloConfig {
            alerting: Some(SloAlerting {
                name: Some("CheckoutHighErrorRate".into())
            }),
            description: Some("Checkout requests that do not fail.".into()),
            ..imported(
                "requests-availability",
                99.9,
                events(
                    "sum(rate(http_requests_total{service=\"checkout\",code=~\"(5..|429)\"}[{{.window}}]))",
                    "sum(rate(http_requests_total{service=\"checkout\"}[{{.window}}]))",
                )
            )
        }
    );
    let count =
        "sum(increase(http_request_duration_seconds_count{service=\"checkout\"}[{{window}}]))";
    assert_eq!(
        checkout[2],
        SloConfig {
            window: Some(SloWindow {
                rolling: None,
                calendar: Some(CalendarPeriod::Month)
            }),
            budgeting: Some(Budgeting::Occurrences),
            description: Some("Checkout requests faster than 300 ms.".into()),
            ..imported(
                "checkout-latency",
                99.0,
                events(
                    &format!(
                        "{count} - sum(increase(http_request_duration_seconds_bucket{{service=\"checkout\",\
                         le=\"0.3\"}}[{{{{window}}}}]))"
                    ),
                    count,
                )
            )
        }
    );

    assert_eq!(
        config.services[2].slos,
        [SloConfig {
            window: Some(SloWindow {
                rolling: Some(Duration::from_secs(7 * 86_400)),
                calendar: None
            }),
            budgeting: Some(Budgeting::Timeslices),
            time_slice: Some(TimeSlice {
                window: Duration::from_secs(60),
                target: 0.99
            }),
            ..imported(
                "search-good-minutes",
                99.5,
                events(
                    "sum(increase(http_requests_total{service=\"search\",code=~\"5..\"}[{{window}}]))",
                    "sum(increase(http_requests_total{service=\"search\"}[{{window}}]))",
                )
            )
        }]
    );
    assert_eq!(
        billing.slos,
        [SloConfig {
            alerting: Some(SloAlerting {
                name: Some("BillingInvoiceErrors".into())
            }),
            ..imported(
                "invoice-availability",
                99.0,
                events(
                    "sum(increase(invoices_failed_total[{{window}}]))",
                    "sum(increase(invoices_total[{{window}}]))",
                )
            )
        }]
    );
    assert_eq!(
        config.services[4].slos,
        [SloConfig {
            window: Some(SloWindow {
                rolling: None,
                calendar: Some(CalendarPeriod::Week)
            }),
            ..imported(
                "payments-availability",
                99.9,
                events(
                    "sum(increase(payments_total{result=\"error\"}[{{window}}]))",
                    "sum(increase(payments_total[{{window}}]))",
                )
            )
        }]
    );
    // Sloth specs have no window: they take slo_defaults'.
    assert_eq!(
        config.slo_window(&checkout[1]).rolling,
        Some(Duration::from_secs(30 * 86_400))
    );

    let d = dir.display();
    assert_eq!(
        config::warnings(&config, &path),
        [
            format!(
                "{d}/sloth/checkout.yaml:35:7: slos[1].sli.raw: service checkout, SLO \
                 payment-ratio: sli.raw cannot be imported (it is a ratio; sretop needs counts of \
                 bad and all events: rewrite it as sli.events with error_query and total_query); \
                 skipped"
            ),
            format!(
                "{d}/openslo/payments.yaml:31:13: apiVersion: apiVersion `openslo/v1alpha` is not \
                 supported (sretop imports openslo/v1); document skipped"
            ),
            format!(
                "{d}/openslo/search.yaml:49:7: spec.indicator.spec.thresholdMetric: service \
                 search, SLO search-p99-latency: thresholdMetric cannot be imported (it compares \
                 one metric with a threshold; sretop needs counts of bad and all events: write a \
                 ratioMetric); skipped"
            ),
        ]
    );
}

/// A config file in a fresh directory importing `files` (name, content) with `format`.
fn import_dir(format: &str, files: &[(&str, &str)], slos: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("slos")).expect("mkdir");
    for (name, content) in files {
        std::fs::write(dir.path().join("slos").join(name), content).expect("write");
    }
    let text = format!(
        "{SOURCE}services:\n  - name: checkout\n    slos:\n{slos}imports:\n  - format: {format}\n    path: slos\n"
    );
    (dir, text)
}

fn import_result(dir: &tempfile::TempDir, text: &str) -> Result<config::Config, String> {
    config::parse_with_env(text, &dir.path().join("config.yaml"), &test_env)
        .map_err(|e| e.to_string())
}

const NO_SLOS: &str = "      - {name: availability, objective: 99.5, sli: {availability: {}}}\n";

const SLOTH_HEAD: &str = "version: prometheus/v1\nservice: checkout\nslos:\n";

#[test]
fn import_paths_must_exist() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!("{SOURCE}imports:\n  - {{format: sloth, path: nope.yaml}}\n");
    let err = config::parse_with_env(&text, &dir.path().join("config.yaml"), &test_env)
        .expect_err("no such file")
        .to_string();
    let start = format!(
        "config.yaml:5:27: imports[0].path: cannot read {}/nope.yaml: ",
        dir.path().display()
    );
    assert!(
        err.ends_with("No such file or directory (os error 2)"),
        "{err}"
    );
    assert!(err.contains(&start), "{err}");
    assert_eq!(
        error(&format!(
            "{SOURCE}imports:\n  - {{format: sloth, path: ''}}\n"
        )),
        "config.yaml:5:27: imports[0].path: must not be empty"
    );
    assert_eq!(
        error(&format!(
            "{SOURCE}imports:\n  - {{format: slot, path: slos}}\n"
        )),
        "config.yaml:5:14: imports[0].format: unknown variant `slot`, did you mean `sloth`?"
    );
    let (dir, text) = import_dir("openslo", &[("notes.txt", "not yaml")], NO_SLOS);
    let config = import_result(&dir, &text).expect("an empty directory imports nothing");
    assert_eq!(
        config::warnings(&config, Path::new("config.yaml")),
        [format!(
            "{}: imports[0].path: directory {}/slos has no .yaml or .yml files; nothing imported",
            dir.path().join("config.yaml").display(),
            dir.path().display()
        )]
    );
}

#[test]
fn import_errors_name_the_imported_file_line_and_column() {
    let (dir, text) = import_dir(
        "sloth",
        &[(
            "a.yaml",
            &format!("{SLOTH_HEAD}  - name: a\n    objective: [99\n"),
        )],
        NO_SLOS,
    );
    let file = dir.path().join("slos").join("a.yaml");
    let f = file.display();
    assert_eq!(
        import_result(&dir, &text).expect_err("bad YAML"),
        format!(
            "{f}:6:1: slos[0].objective: did not find expected ',' or ']', while parsing a flow \
             sequence at line 5 column 16"
        )
    );
    let sloth = |slo: &str| {
        let (dir, text) = import_dir(
            "sloth",
            &[("a.yaml", &format!("{SLOTH_HEAD}{slo}"))],
            NO_SLOS,
        );
        import_result(&dir, &text)
            .expect_err("invalid")
            .replace(&dir.path().display().to_string(), "DIR")
    };
    assert_eq!(
        sloth("  - name: a\n    objective: 120\n    sli: {events: {error_query: 'e[{{.window}}]', total_query: 't[{{.window}}]'}}\n"),
        "DIR/slos/a.yaml:5:16: slos[0].objective: objective 120 is out of range (a percentage \
         strictly between 0 and 100, e.g. 99.9)"
    );
    assert_eq!(
        sloth("  - name: a\n    objective: 99\n    sli: {events: {error_query: 'e[{{.window}}]', total_query: 't[5m]'}}\n"),
        "DIR/slos/a.yaml:6:64: slos[0].sli.events.total_query: has no {{window}} placeholder \
         (each query counts events over the window: write its range as [{{window}}], e.g. \
         sum(increase(http_requests_total{code=~\"5..\"}[{{window}}])))"
    );
    assert_eq!(
        sloth("  - objective: 99\n"),
        "DIR/slos/a.yaml:4:5: slos[0]: missing field `name`"
    );
    assert_eq!(
        sloth("  - name: a\n    objective: high\n"),
        "DIR/slos/a.yaml:5:16: slos[0].objective: invalid type: string \"high\", expected f64"
    );
    // In the second document of a file, lines count from the top of the file.
    let second = "---\napiVersion: openslo/v1\nkind: Service\nmetadata: {name: checkout}\n---\n\
                  apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: latency}\nspec:\n  service: checkout\n  \
                  indicatorRef: x\n  objectives:\n    - target: 99\n";
    let (dir, text) = import_dir("openslo", &[("b.yml", second)], NO_SLOS);
    assert_eq!(
        import_result(&dir, &text).expect_err("a percent given as a ratio"),
        format!(
            "{}/slos/b.yml:13:15: spec.objectives[0].target: target 99 is out of range (a ratio \
             strictly between 0 and 1, e.g. 0.999)",
            dir.path().display()
        )
    );
    let (dir, text) = import_dir(
        "openslo",
        &[(
            "b.yml",
            &second.replace("- target: 99", "- targetPercent: 100"),
        )],
        NO_SLOS,
    );
    assert_eq!(
        import_result(&dir, &text).expect_err("100%"),
        format!(
            "{}/slos/b.yml:13:22: spec.objectives[0].targetPercent: targetPercent 100 is out of \
             range (a percentage strictly between 0 and 100, e.g. 99.9)",
            dir.path().display()
        )
    );
    let (dir, text) = import_dir(
        "openslo",
        &[(
            "b.yml",
            "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {}\n",
        )],
        NO_SLOS,
    );
    assert_eq!(
        import_result(&dir, &text).expect_err("no service"),
        format!(
            "{}/slos/b.yml:4:7: spec: missing field `service`",
            dir.path().display()
        )
    );
}

#[test]
fn imported_slo_names_must_not_clash() {
    let slo =
        "  - name: availability\n    objective: 99\n    sli:\n      events:\n        error_query: \
               e[{{.window}}]\n        total_query: t[{{.window}}]\n";
    let (dir, text) = import_dir(
        "sloth",
        &[("a.yaml", &format!("{SLOTH_HEAD}{slo}"))],
        NO_SLOS,
    );
    assert_eq!(
        import_result(&dir, &text).expect_err("clash with config.yaml"),
        format!(
            "{0}/slos/a.yaml:4:11: slos[0].name: service `checkout` already has an SLO named \
             `availability` (defined at {0}/config.yaml:7:9; SLO names must be unique within a \
             service: rename or drop one of them)",
            dir.path().display()
        )
    );
    let (dir, text) = import_dir(
        "sloth",
        &[
            ("a.yaml", &format!("{SLOTH_HEAD}{slo}")),
            ("b.yaml", &format!("{SLOTH_HEAD}{slo}")),
        ],
        "      []\n",
    );
    assert_eq!(
        import_result(&dir, &text).expect_err("clash between imports"),
        format!(
            "{0}/slos/b.yaml:4:11: slos[0].name: service `checkout` already has an SLO named \
             `availability` (defined at {0}/slos/a.yaml:4:11; SLO names must be unique within a \
             service: rename or drop one of them)",
            dir.path().display()
        )
    );
}

#[test]
fn imports_skip_what_sretop_cannot_use_with_a_warning() {
    let sloth = format!(
        "{SLOTH_HEAD}  - name: plugged\n    objective: 99\n    sli:\n      plugin:\n        id: \
         sloth-common/kubernetes/apiserver/availability\n---\nversion: prometheus/v2\nservice: x\n"
    );
    let ratio = |name: &str, extra: &str, metrics: &str| {
        format!(
            "---\napiVersion: openslo/v1\nkind: SLO\nmetadata: {{name: {name}}}\nspec:\n  service: \
             checkout\n{extra}  indicator:\n    metadata: {{name: i}}\n    spec:\n      ratioMetric:\n\
             {metrics}  objectives:\n    - target: 0.99\n"
        )
    };
    let good_total =
        "        good: {metricSource: {type: Prometheus, spec: {query: ok_total}}}\n        \
                      total: {metricSource: {type: Prometheus, spec: {query: all_total}}}\n";
    let openslo = [
        ratio(
            "ratio-slices",
            "  budgetingMethod: RatioTimeslices\n",
            good_total,
        )
        .replace(
            "- target: 0.99\n",
            "- {target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 5m}\n",
        ),
        ratio(
            "berlin",
            "  timeWindow: [{duration: 1M, isRolling: false, calendar: {startTime: '2024-01-01 \
             00:00:00', timeZone: Europe/Berlin}}]\n",
            good_total,
        ),
        ratio(
            "quarter",
            "  timeWindow: [{duration: 1Q, isRolling: false, calendar: {timeZone: UTC}}]\n",
            good_total,
        ),
        ratio(
            "rolling-month",
            "  timeWindow: [{duration: 1M, isRolling: true}]\n",
            good_total,
        ),
        ratio(
            "two-objectives",
            "",
            good_total,
        )
        .replace("- target: 0.99\n", "- target: 0.99\n    - target: 0.95\n"),
        ratio(
            "gauges",
            "",
            &format!("        counter: false\n{good_total}"),
        ),
        ratio(
            "no-window",
            "",
            &good_total.replace("query: ok_total", "query: 'sum(rate(ok_total[5m]))'"),
        ),
        ratio(
            "datadog",
            "",
            &good_total.replace("type: Prometheus, spec: {query: ok_total}", "type: Datadog, spec: {query: 'sum:ok{*}'}"),
        ),
        ratio("no-total", "", "        bad: {metricSource: {spec: {promql: errors_total}}}\n"),
        ratio("raw", "", "        raw: {metricSource: {spec: {query: ratio}}}\n        rawType: success\n"),
        ratio("slices-without-target", "  budgetingMethod: Timeslices\n", good_total),
        "---\napiVersion: openslo/v1\nkind: SLO\nmetadata: {name: dangling}\nspec:\n  service: checkout\n  \
         indicatorRef: missing\n  objectives: [{target: 0.99}]\n"
            .to_owned(),
        "---\napiVersion: openslo/v1\nkind: SLO\nmetadata: {name: composite}\nspec:\n  service: checkout\n  \
         objectives:\n    - {target: 0.99, compositeWeight: 1, indicatorRef: a}\n"
            .to_owned(),
        "---\nkind: SLO\nmetadata: {name: unversioned}\n".to_owned(),
    ]
    .concat();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("sloth.yaml"), sloth).expect("write");
    std::fs::write(dir.path().join("openslo.yaml"), &openslo).expect("write");
    let text = format!(
        "{SOURCE}imports:\n  - {{format: sloth, path: sloth.yaml}}\n  - {{format: openslo, path: \
         openslo.yaml}}\n"
    );
    let config = config::parse_with_env(&text, &dir.path().join("config.yaml"), &test_env)
        .unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path().display().to_string();
    let warnings: Vec<String> = config::warnings(&config, Path::new("config.yaml"))
        .into_iter()
        .map(|w| w.replace(&d, "DIR"))
        .collect();
    let skipped = |at: &str, slo: &str, why: &str| {
        format!("DIR/openslo.yaml:{at}: service checkout, SLO {slo}: {why}; skipped")
    };
    let query = "spec.indicator.spec.ratioMetric";
    assert_eq!(
        warnings,
        [
            "DIR/sloth.yaml:7:7: slos[0].sli.plugin: service checkout, SLO plugged: sli.plugin \
             cannot be imported (a plugin builds its queries inside Sloth: rewrite it as \
             sli.events with error_query and total_query); skipped"
                .to_owned(),
            "DIR/sloth.yaml:10:10: version: not a Sloth prometheus/v1 spec (version \
             `prometheus/v2`); skipped"
                .to_owned(),
            "DIR/openslo.yaml:177:1: apiVersion: a document without apiVersion is not OpenSLO \
             (sretop imports openslo/v1); document skipped"
                .to_owned(),
            "DIR/openslo.yaml:7:20: spec.budgetingMethod: service checkout, SLO ratio-slices: \
             RatioTimeslices (the mean of the slices' ratios) is imported as Timeslices (the \
             share of good slices)"
                .to_owned(),
            "DIR/openslo.yaml:22:104: spec.timeWindow[0].calendar.timeZone: service checkout, SLO \
             berlin: calendar time zone `Europe/Berlin` is not supported: the month is taken in \
             UTC"
            .to_owned(),
            skipped(
                "37:27: spec.timeWindow[0].duration",
                "quarter",
                "a calendar window of 1Q cannot be imported (sretop has calendar week (1w) and \
                 month (1M))"
            ),
            skipped(
                "52:27: spec.timeWindow[0].duration",
                "rolling-month",
                "a rolling 1M window has no fixed length (write it in days, e.g. 30d)"
            ),
            "DIR/openslo.yaml:75:7: spec.objectives[1]: service checkout, SLO two-objectives: \
             only the first of 2 objectives is imported"
                .to_owned(),
            skipped(
                &format!("88:64: {query}.total.metricSource.spec.query"),
                "gauges",
                "`all_total` is a bare selector of a gauge (counter: false), which sretop cannot \
                 count over a window: write the expression with a [{{window}}] range"
            ),
            skipped(
                &format!("101:63: {query}.good.metricSource.spec.query"),
                "no-window",
                "the query is an expression without a {{window}} placeholder (sretop evaluates \
                 it over several windows: write its range as [{{window}}])"
            ),
            skipped(
                &format!("115:37: {query}.good.metricSource.type"),
                "datadog",
                "metricSource type `Datadog` is not a Prometheus-compatible source"
            ),
            skipped(
                &format!("128:7: {query}"),
                "no-total",
                "ratioMetric has no total"
            ),
            skipped(
                &format!("142:14: {query}.raw"),
                "raw",
                "ratioMetric.raw (a precomputed ratio) cannot be imported (sretop needs counts: \
                 give good or bad, and total)"
            ),
            skipped(
                "160:7: spec.objectives[0]",
                "slices-without-target",
                "Timeslices needs timeSliceTarget and timeSliceWindow in the objective"
            ),
            skipped(
                "167:17: spec.indicatorRef",
                "dangling",
                "indicatorRef `missing` names no SLI document of this import"
            ),
            skipped(
                "176:7: spec.objectives[0]",
                "composite",
                "a composite SLO (an indicator per objective) cannot be imported"
            ),
        ]
    );
    let imported: Vec<&str> = config.services[0]
        .slos
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(imported, ["ratio-slices", "berlin", "two-objectives"]);
    let slices = &config.services[0].slos[0];
    assert_eq!(
        (slices.budgeting, &slices.time_slice),
        (
            Some(Budgeting::Timeslices),
            &Some(TimeSlice {
                window: Duration::from_secs(300),
                target: 0.95
            })
        )
    );
    assert_eq!(slices.objective, 99.0);
    assert_eq!(
        config.services[0].slos[1].window,
        Some(SloWindow {
            rolling: None,
            calendar: Some(CalendarPeriod::Month)
        })
    );
}

#[test]
fn imported_slos_without_time_slices_count_occurrences() {
    let slo =
        "  - name: availability\n    objective: 99\n    sli:\n      events:\n        error_query: \
               e[{{.window}}]\n        total_query: t[{{.window}}]\n";
    let (dir, text) = import_dir(
        "sloth",
        &[("a.yaml", &format!("{SLOTH_HEAD}{slo}"))],
        "      []\n",
    );
    let text = text.replace(
        "imports:",
        "slo_defaults:\n  budgeting: timeslices\nimports:",
    );
    let config = import_result(&dir, &text).unwrap_or_else(|e| panic!("{e}"));
    let slo = &config.services[0].slos[0];
    assert_eq!(config.slo_budgeting(slo), Budgeting::Occurrences);
    assert_eq!(
        config::warnings(&config, Path::new("config.yaml")),
        [format!(
            "{}/slos/a.yaml:4:11: slos[0].name: service checkout, SLO availability: \
             slo_defaults.budgeting is timeslices but the import gives no time slice; counted by \
             occurrences",
            dir.path().display()
        )]
    );
}

#[test]
fn alertmanagers_and_alerts_section() {
    let ok = parse(&format!(
        "{SOURCE}alertmanagers:\n  - name: am1\n    url: http://127.0.0.1:9093\n  \
         - name: am2\n    url: http://127.0.0.1:9094\n    headers: {{X-Scope-OrgID: '${{DEMO_HOST}}'}}\n\
         alerts:\n  group_by: [alertname, service]\n  bell: true\n  author: oncall\n\
         read_only: true\n"
    ))
    .expect("valid");
    assert_eq!(ok.alertmanagers.len(), 2);
    assert_eq!(ok.alertmanagers[1].headers["X-Scope-OrgID"], "127.0.0.1");
    assert_eq!(ok.alerts.group_by, ["alertname", "service"]);
    assert!(ok.alerts.bell && ok.read_only);
    assert_eq!(ok.alerts.silence_duration.to_string(), "2h");
    assert_eq!(
        ok.alerts.external_labels,
        ["prometheus", "prometheus_replica", "replica"]
    );

    let cases = [
        (
            "alertmanagers:\n  - name: am\n    url: http://a:1\n  - name: am\n    url: http://b:1\n",
            "config.yaml:7:11: alertmanagers[1].name: duplicate alertmanager name `am` \
             (alertmanagers[0] has it too; names must be unique)",
        ),
        (
            "alertmanagers:\n  - name: demo\n    url: http://a:1\n",
            "config.yaml:5:11: alertmanagers[0].name: `demo` is already the name of a \
             Prometheus source; alerts say where they come from by name, so give the \
             alertmanager another one",
        ),
        (
            "alertmanagers:\n  - name: am\n    url: ftp://a:1\n",
            "config.yaml:6:10: alertmanagers[0].url: ",
        ),
        (
            "alerts:\n  group_by: [alertname, 'bad-label']\n",
            "config.yaml:5:25: alerts.group_by[1]: `bad-label` is not a valid label name",
        ),
        (
            "alerts:\n  bel: true\n",
            "config.yaml:5:3: alerts.bel: unknown field `bel`, did you mean `bell`?",
        ),
        (
            "alerts:\n  silence_duration: 0s\n",
            "config.yaml:5:21: alerts.silence_duration: ",
        ),
    ];
    for (tail, want) in cases {
        let got = error(&format!("{SOURCE}{tail}"));
        assert!(got.starts_with(want), "{tail}\n got: {got}\nwant: {want}");
    }
}

#[test]
fn oncall_section_is_checked_with_positions() {
    let ok = parse(&format!(
        "{SOURCE}oncall:\n  time_zone: Europe/Berlin\n  rotation:\n    start: 2026-01-05\n    \
         primary: [alice, bob]\n  escalation:\n    - {{after: 0m, notify: [primary]}}\n    \
         - {{after: 15m, notify: [secondary]}}\nhandoff:\n  dir: notes\n"
    ))
    .expect("valid");
    let oncall = ok.oncall.expect("oncall");
    assert_eq!(oncall.rotation.primary, ["alice", "bob"]);
    assert_eq!(
        ok.handoff.dir.as_deref(),
        Some(std::path::Path::new("notes")),
        "relative to the config file's directory (here: none)"
    );
    let cases = [
        (
            "oncall:\n  time_zone: Europe/Berln\n  rotation: {start: 2026-01-05, primary: [a]}\n",
            "config.yaml:5:14: oncall.time_zone: ",
        ),
        (
            "oncall:\n  time_zone: UTC\n  rotation: {start: 2026-01-05, primary: []}\n",
            "config.yaml:6:42: oncall.rotation.primary: must list at least one person",
        ),
        (
            "oncall:\n  time_zone: UTC\n  rotation: {start: 2026-13-05, primary: [a]}\n",
            "config.yaml:6:",
        ),
        (
            "oncall:\n  time_zone: UTC\n  rotation: {start: 2026-01-05, primary: [a], lenght: 1w}\n",
            "config.yaml:6:",
        ),
    ];
    for (tail, want) in cases {
        let got = error(&format!("{SOURCE}{tail}"));
        assert!(got.starts_with(want), "{tail}\n got: {got}\nwant: {want}");
    }
    let typo = error(&format!(
        "{SOURCE}oncall:\n  time_zone: Europe/Berln\n  rotation: {{start: 2026-01-05, primary: [a]}}\n"
    ));
    assert!(typo.contains("Europe/Berlin"), "did you mean: {typo}");
}

#[test]
fn keys_remap_actions_and_take_one_key_or_a_list() {
    let config = parse(&format!(
        "{SOURCE}keys:\n  quit: [\"q\", \"ctrl+q\"]\n  refresh: \"ctrl+r\"\n  filter: ctrl+f\n"
    ))
    .expect("valid keys");
    assert_eq!(config.keys["quit"].0, ["q", "ctrl+q"]);
    assert_eq!(config.keys["refresh"].0, ["ctrl+r"]);
    assert!(!config.mouse);
    assert!(
        parse(&format!("{SOURCE}mouse: true\n"))
            .expect("valid")
            .mouse
    );
}

#[test]
fn bad_keys_name_the_file_line_and_field() {
    assert_eq!(
        error(&format!("{SOURCE}keys:\n  qiut: q\n")),
        "config.yaml:5:9: keys.qiut: unknown action `qiut`, did you mean `quit`?"
    );
    assert_eq!(
        error(&format!("{SOURCE}keys:\n  refresh: [R, \"ctrl+\"]\n")),
        "config.yaml:5:16: keys.refresh[1]: `ctrl+` is not a key (write one character like \
         \"j\" or \"?\", a named key: enter esc tab backtab up down left right home end pgup \
         pgdown space backspace delete insert, f1…f12, with ctrl+, alt+ or shift+ in front)"
    );
    let e = error(&format!("{SOURCE}keys:\n  filter: j\n"));
    assert!(
        e.starts_with("config.yaml:5:") && e.contains("keys.filter: j is already bound to `down`"),
        "{e}"
    );
    let e = error(&format!("{SOURCE}keys:\n  refresh: ctrl+c\n"));
    assert!(e.contains("Ctrl-C always quits"), "{e}");
    let e = error(&format!("{SOURCE}keys:\n  quit: {{key: q}}\n"));
    assert!(e.contains("keys.quit") && e.contains("a key like"), "{e}");
}
