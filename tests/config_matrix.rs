//! Bad input, one case per field of the config schema: wrong in type and/or value. Every
//! message must name `file:line:col`, the field path, and say what is wrong in words a user
//! can act on. The position is where the case marks it with `⟨`, so the table stays readable.
//!
//! Elsewhere: unknown keys and did-you-mean, durations, literal secrets, missing variables and
//! secret files are in tests/config.rs; a PromQL expression Prometheus rejects (`bad_data`) is
//! shown at its panel, not fatal, in tests/prometheus.rs (`bad_promql_is_shown_not_fatal`).
//! Selectors and query templates are not parsed here for that reason: Prometheus is the judge
//! of PromQL, and its `bad_data` message, at the panel, is the precise one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use sretop::config;

const SOURCE: &str = "sources:\n  - name: demo\n    url: http://127.0.0.1:9090\n";
const MARK: char = '⟨';

/// The environment the configs see: only `DEMO_HOST`.
fn env(name: &str) -> Option<String> {
    (name == "DEMO_HOST").then(|| "127.0.0.1".to_owned())
}

/// `text` without the mark, and the 1-based line and column (in characters) of the mark.
fn unmark(text: &str) -> (String, usize, usize) {
    let at = text
        .find(MARK)
        .unwrap_or_else(|| panic!("no mark in\n{text}"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (text.replacen(MARK, "", 1), line, column)
}

/// One bad config: the YAML (with the mark at the reported position), the field path the
/// message must name, and words it must contain.
struct Case {
    yaml: String,
    path: &'static str,
    says: &'static str,
}

fn case(yaml: impl Into<String>, path: &'static str, says: &'static str) -> Case {
    Case {
        yaml: yaml.into(),
        path,
        says,
    }
}

/// `SOURCE` followed by `tail`.
fn with_source(tail: &str, path: &'static str, says: &'static str) -> Case {
    case(format!("{SOURCE}{tail}"), path, says)
}

/// A service `api` with `fields` (indented under `- name: api`).
fn service(fields: &str, path: &'static str, says: &'static str) -> Case {
    with_source(&format!("services:\n  - name: api\n{fields}"), path, says)
}

/// A service with one SLO with `fields` (the SLO's own keys, indented at 8).
fn slo(fields: &str, path: &'static str, says: &'static str) -> Case {
    service(
        &format!("    slos:\n      - name: avail\n{fields}"),
        path,
        says,
    )
}

const SLI: &str = "        sli: {availability: {}}\n";

fn oncall(fields: &str, path: &'static str, says: &'static str) -> Case {
    with_source(&format!("oncall:\n  time_zone: UTC\n{fields}"), path, says)
}

const ROTATION: &str = "  rotation:\n    start: 2026-01-05\n    length: 7d\n    handoff_time: \"09:00\"\n    primary: [alice, bob]\n";

fn cases() -> Vec<Case> {
    vec![
        // --- top level ---------------------------------------------------------------------
        with_source("refresh: ⟨[15s]\n", "refresh", "invalid type: sequence, expected a duration such as 15s, 5m or 1h30m"),
        with_source("refresh: ⟨-5s\n", "refresh", "invalid duration \"-5s\""),
        with_source("range: ⟨yes\n", "range", "invalid duration \"yes\""),
        with_source("range: ⟨0s\n", "range", "must be longer than 0s"),
        with_source("ranges: ⟨15m\n", "ranges", "expected a sequence"),
        with_source("ranges: [15m, ⟨often]\n", "ranges[1]", "invalid duration \"often\""),
        with_source("time_zone: ⟨Europe/Paris\n", "time_zone", "unknown variant `Europe/Paris`, expected `local` or `utc`"),
        with_source("context: ⟨[a]\n", "context", "expected a string"),
        with_source("context: ⟨prod\n", "context", "unknown source `prod` (the sources are `demo`)"),
        case("sources: ⟨demo\n", "sources", "expected a sequence"),
        with_source("read_only: ⟨maybe\n", "read_only", "expected a boolean"),
        with_source("theme: ⟨blue\n", "theme", "unknown variant `blue`"),
        with_source("colors: ⟨1024\n", "colors", "unknown colour depth `1024`: expected 16, 256 or truecolor"),
        with_source("handoff: ⟨notes\n", "handoff", "expected struct HandoffConfig"),
        with_source("handoff:\n  dir: ⟨[a, b]\n", "handoff.dir", "expected path string"),
        with_source("imports: ⟨sloth.yaml\n", "imports", "expected a sequence"),
        with_source("imports:\n  - format: ⟨prometheus\n    path: x.yaml\n", "imports[0].format", "unknown variant `prometheus`"),
        with_source("imports:\n  - ⟨format: sloth\n", "imports[0]", "missing field `path`"),
        // --- sources -----------------------------------------------------------------------
        case("sources:\n  - ⟨url: http://x:1\n", "sources[0]", "missing field `name`"),
        case("sources:\n  - ⟨name: demo\n", "sources[0]", "missing field `url`"),
        case("sources:\n  - name: ⟨[demo]\n    url: http://x:1\n", "sources[0].name", "expected a string"),
        case("sources:\n  - name: ⟨\"\"\n    url: http://x:1\n", "sources[0].name", "empty"),
        case("sources:\n  - name: demo\n    url: ⟨prometheus:9090\n", "sources[0].url", "http"),
        case("sources:\n  - name: demo\n    url: ⟨ftp://x:1\n", "sources[0].url", "http"),
        with_source("    path_prefix: ⟨[x]\n", "sources[0].path_prefix", "expected a string"),
        with_source("    timeout: ⟨fast\n", "sources[0].timeout", "invalid duration \"fast\""),
        with_source("    timeout: ⟨0s\n", "sources[0].timeout", "must be longer than 0s"),
        with_source("    auth: ⟨yes\n", "sources[0].auth", "expected"),
        with_source("    auth:\n      ⟨digest: {env: X}\n", "sources[0].auth.digest", "unknown variant `digest`, expected `bearer_token` or `basic`"),
        with_source("    auth:\n      basic: ⟨{username: u}\n", "sources[0].auth.basic", "missing field `password`"),
        with_source("    auth:\n      bearer_token: {env: ⟨\"\"}\n", "sources[0].auth.bearer_token.env", "empty"),
        with_source("    headers: ⟨[X-Org]\n", "sources[0].headers", "expected a map"),
        with_source("    headers:\n      X-Org: ⟨[a]\n", "sources[0].headers.X-Org", "expected a string"),
        with_source("    ca_file: ⟨[a]\n", "sources[0].ca_file", "expected path string"),
        with_source("    insecure_skip_verify: ⟨\"no\"\n", "sources[0].insecure_skip_verify", "expected a boolean"),
        with_source("    service_label: ⟨\"1st\"\n", "sources[0].service_label", "not a valid label name"),
        // --- alertmanagers -----------------------------------------------------------------
        with_source("alertmanagers:\n  - name: am\n    url: ⟨am:9093\n", "alertmanagers[0].url", "http"),
        with_source("alertmanagers:\n  - ⟨name: am\n", "alertmanagers[0]", "missing field `url`"),
        // --- alerts ------------------------------------------------------------------------
        with_source("alerts:\n  refresh: ⟨0s\n", "alerts.refresh", "must be longer than 0s"),
        with_source("alerts:\n  from_prometheus: ⟨sometimes\n", "alerts.from_prometheus", "expected a boolean"),
        with_source("alerts:\n  group_by: ⟨alertname\n", "alerts.group_by", "expected a sequence"),
        with_source("alerts:\n  external_labels: [⟨1-bad]\n", "alerts.external_labels[0]", "not a valid label name"),
        with_source("alerts:\n  bell: ⟨loud\n", "alerts.bell", "expected a boolean"),
        with_source("alerts:\n  author: ⟨[a]\n", "alerts.author", "expected a string"),
        with_source("alerts:\n  silence_duration: ⟨0s\n", "alerts.silence_duration", "must be longer than 0s"),
        with_source("alerts:\n  silence_duration: ⟨2 hours\n", "alerts.silence_duration", "unknown unit \"hours\""),
        // --- signals -----------------------------------------------------------------------
        with_source("signals:\n  rate_window: ⟨0s\n", "signals.rate_window", "must be longer than 0s"),
        with_source("signals:\n  requests_metric: ⟨\"http requests\"\n", "signals.requests_metric", "`http requests` is not a valid metric name"),
                with_source("signals:\n  latency_histogram: ⟨[a]\n", "signals.latency_histogram", "expected a string"),
        with_source("signals:\n  quantiles: [0.5, ⟨1.5]\n", "signals.quantiles[1]", "between 0 and 1"),
        with_source("signals:\n  quantiles: [⟨p99]\n", "signals.quantiles[0]", "expected f64"),
        with_source("signals:\n  saturation:\n    - ⟨query: up\n", "signals.saturation[0]", "missing field `name`"),
        with_source("signals:\n  saturation:\n    - ⟨name: cpu\n", "signals.saturation[0]", "query"),
        with_source("signals:\n  saturation:\n    - {name: cpu, query: up, unit: ⟨bytes}\n", "signals.saturation[0].unit", "unknown variant `bytes`, expected `ratio` or `percent`"),
                // --- thresholds --------------------------------------------------------------------
        with_source("thresholds:\n  errors: ⟨0.05\n", "thresholds.errors", "expected struct Level"),
        with_source("thresholds:\n  errors: {warn: 0.01, crit: ⟨lots}\n", "thresholds.errors.crit", "expected f64"),
        with_source("thresholds:\n  latency: ⟨{warn: 2, crit: 1}\n", "thresholds.latency", "warn 2 is greater than crit 1"),
        with_source("thresholds:\n  saturation: ⟨{warn: 80}\n", "thresholds.saturation", "missing field `crit`"),
        with_source("thresholds:\n  traffic: {warn_below: ⟨.nan, crit_below: 1}\n", "thresholds.traffic.warn_below", "number"),
        // --- services ----------------------------------------------------------------------
        with_source("services:\n  - ⟨source: demo\n", "services[0]", "missing field `name`"),
        with_source("services: [⟨api]\n", "services[0]", "expected struct ServiceConfig"),
        service("    source: ⟨prod\n", "services[0].source", "unknown source `prod` (the sources are `demo`)"),
        service("    label_value: ⟨[a]\n", "services[0].label_value", "expected a string"),
                service("    thresholds:\n      errors: {warn: ⟨high, crit: 0.1}\n", "services[0].thresholds.errors.warn", "expected f64"),
                service("    queries:\n      ⟨errrors: up\n", "services[0].queries.errrors", "did you mean `errors`?"),
        service("    saturation: ⟨cpu\n", "services[0].saturation", "expected a sequence"),
        service("    slos: ⟨{}\n", "services[0].slos", "expected a sequence"),
        // --- SLOs --------------------------------------------------------------------------
        slo(&format!("        objective: ⟨high\n{SLI}"), "services[0].slos[0].objective", "expected f64"),
        slo(&format!("        objective: ⟨100\n{SLI}"), "services[0].slos[0].objective", "objective"),
        slo("        objective: 99\n        sli: ⟨{}\n", "services[0].slos[0].sli", "one of"),
        slo(&format!("        objective: 99\n        window: {{rolling: ⟨month}}\n{SLI}"), "services[0].slos[0].window.rolling", "invalid duration \"month\""),
        slo(&format!("        objective: 99\n        window: {{calendar: ⟨fortnight}}\n{SLI}"), "services[0].slos[0].window.calendar", "unknown variant `fortnight`"),
        slo(&format!("        objective: 99\n        budgeting: ⟨daily\n{SLI}"), "services[0].slos[0].budgeting", "unknown variant `daily`"),
        slo("        objective: 99\n        sli: {latency: {threshold: ⟨fast}}\n", "services[0].slos[0].sli.latency.threshold", "expected f64"),
        slo("        objective: 99\n        sli:\n          events: ⟨{error_query: up}\n", "services[0].slos[0].sli.events", "missing field `total_query`"),
        slo(&format!("        objective: 99\n        alert_windows: ⟨fastest\n{SLI}"), "services[0].slos[0].alert_windows", "fastest"),
        slo(&format!("        objective: 99\n        description: ⟨[a]\n{SLI}"), "services[0].slos[0].description", "expected a string"),
        // --- alert windows, policy, SLO defaults ------------------------------------------
        with_source("alert_windows: ⟨[a]\n", "alert_windows", "expected a map"),
        with_source("policy:\n  green_above: ⟨lots\n", "policy.green_above", "expected f64"),
        with_source("policy:\n  actions: ⟨freeze\n", "policy.actions", "expected struct PolicyActions"),
        with_source("slo_defaults:\n  min_events: ⟨many\n", "slo_defaults.min_events", "expected f64"),
        with_source("slo_defaults:\n  long_refresh: ⟨0s\n", "slo_defaults.long_refresh", "0s is shorter than refresh (15s)"),
        with_source("slo_defaults:\n  budgeting: ⟨weekly\n", "slo_defaults.budgeting", "unknown variant `weekly`"),
        // --- on-call -----------------------------------------------------------------------
        with_source(&format!("oncall:\n  time_zone: ⟨Mars/Olympus\n{ROTATION}"), "oncall.time_zone", "time zone"),
        oncall("  rotation:\n    start: ⟨next monday\n    length: 7d\n    handoff_time: \"09:00\"\n    primary: [a]\n", "oncall.rotation.start", "invalid date `next monday`: input contains invalid characters (write YYYY-MM-DD, e.g. 2026-01-05)"),
        oncall("  rotation:\n    start: 2026-01-05\n    length: ⟨week\n    handoff_time: \"09:00\"\n    primary: [a]\n", "oncall.rotation.length", "invalid duration \"week\""),
        oncall("  rotation:\n    start: 2026-01-05\n    length: 7d\n    handoff_time: ⟨\"9am\"\n    primary: [a]\n", "oncall.rotation.handoff_time", "HH:MM"),
        oncall("  rotation:\n    start: 2026-01-05\n    length: 7d\n    handoff_time: \"09:00\"\n    handoff_day: ⟨someday\n    primary: [a]\n", "oncall.rotation.handoff_day", "unknown variant `someday`"),
        oncall("  rotation:\n    start: 2026-01-05\n    length: 7d\n    handoff_time: \"09:00\"\n    primary: ⟨alice\n", "oncall.rotation.primary", "expected a sequence"),
        oncall(&format!("{ROTATION}  escalation:\n    - after: ⟨soon\n      notify: [a]\n"), "oncall.escalation[0].after", "invalid duration \"soon\""),
        oncall(&format!("{ROTATION}  overrides:\n    - ⟨who: carol\n"), "oncall.overrides[0]", "missing field"),
    ]
}

#[test]
fn every_field_wrong_names_its_file_line_column_and_path() {
    let mut failures = Vec::new();
    for case in cases() {
        let (text, line, column) = unmark(&case.yaml);
        let message = match config::parse_with_env(&text, Path::new("config.yaml"), &env) {
            Ok(_) => {
                failures.push(format!("accepted:\n{text}"));
                continue;
            }
            Err(e) => e.to_string(),
        };
        let prefix = format!("config.yaml:{line}:{column}: {}: ", case.path);
        if !message.starts_with(&prefix) || !message.contains(case.says) {
            failures.push(format!(
                "{text}\n  wanted: {prefix}… {:?}\n  got:    {message}",
                case.says
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n\n{}",
        failures.len(),
        cases().len(),
        failures.join("\n\n")
    );
}

/// A config file that cannot be read: a directory where the file should be (this fails for
/// root too, unlike a file without read permission), and a file of bytes that are not UTF-8.
#[test]
fn unreadable_config_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let err = config::load(dir.path()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "{}: cannot read the config file: ",
            dir.path().display()
        )),
        "{message}"
    );
    assert!(message.to_lowercase().contains("directory"), "{message}");

    let binary = dir.path().join("config.yaml");
    std::fs::write(&binary, b"sources: \xff\n").unwrap();
    assert_eq!(
        config::load(&binary).unwrap_err().to_string(),
        format!(
            "{}: the config file is not UTF-8 text (invalid byte at offset 9)",
            binary.display()
        )
    );

    // Without read permission: only meaningful when not root (root reads it anyway).
    if !is_root() {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path().join("locked.yaml");
        std::fs::write(&locked, SOURCE).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let message = config::load(&locked).unwrap_err().to_string();
        assert!(message.contains("Permission denied"), "{message}");
    } else {
        eprintln!("skipped the chmod 000 sub-case: root reads any file");
    }
}

/// A secret file that cannot be read: a directory given as the file.
#[test]
fn unreadable_secret_file_is_named_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{SOURCE}    auth:\n      bearer_token:\n        file: {}\n",
        dir.path().display()
    );
    let config = config::parse_with_env(&text, Path::new("config.yaml"), &env).unwrap();
    let message = config.sources[0].client_options().unwrap_err().to_string();
    assert!(
        message.starts_with(&format!(
            "source `demo`: auth.bearer_token.file: cannot read secret file {}: ",
            dir.path().display()
        )),
        "{message}"
    );
}

/// A header whose value is a credential written in the config file itself, in a file every
/// user can read: a warning (a `${VAR}` from the environment is fine).
#[cfg(unix)]
#[test]
fn a_world_readable_config_with_a_literal_credential_header_warns() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    let write = |headers: &str, mode: u32| {
        std::fs::write(&path, format!("{SOURCE}    headers:\n{headers}")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let config = config::load(&path).unwrap();
        config::warnings(&config, &path)
    };
    let literal = "      Authorization: Bearer abc123\n      X-Scope-OrgID: tenant-1\n";
    let warnings = write(literal, 0o644);
    assert_eq!(
        warnings,
        [format!(
            "{0}: sources[0].headers.Authorization: the config file {0} holds a credential and \
             is readable by every user on this machine (chmod 600 {0}, or write the value as \
             ${{VARIABLE}} and set it in the environment)",
            path.display()
        )],
    );
    assert!(!warnings[0].contains("abc123"));
    assert!(write(literal, 0o600).is_empty(), "a private file is fine");
    std::env::set_var("SRETOP_MATRIX_AUTH", "Bearer abc123");
    let from_env = write("      Authorization: ${SRETOP_MATRIX_AUTH}\n", 0o644);
    std::env::remove_var("SRETOP_MATRIX_AUTH");
    assert!(from_env.is_empty(), "{from_env:?}");
    let not_secret = write("      X-Scope-OrgID: tenant-1\n", 0o644);
    assert!(not_secret.is_empty(), "{not_secret:?}");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}
