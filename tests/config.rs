//! The configuration as a user meets it: the example file, error messages (exact text, with
//! file, line, column and field), secrets, and where the file is found.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use sretop::config::{self, AuthConfig, ConfigError, Duration, SecretSource};
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
                0 => {
                    mangled.remove(at);
                }
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
        error(&format!("{SOURCE}colour: red\n")),
        "config.yaml:4:1: colour: unknown field `colour`, expected one of `refresh`, `range`, \
         `ranges`, `time_zone`, `context`, `sources`, `signals`, `thresholds`, `services`"
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
    assert_eq!(options.timeout, std::time::Duration::from_secs(10));

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
