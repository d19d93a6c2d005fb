//! Fuzzing that runs in CI: proptest properties over every decoder and parser that reads
//! outside input (Prometheus and Alertmanager answers, the config file, the alert filter line,
//! silence matchers, handoff notes). Each gets arbitrary bytes or text and structure-aware input
//! (answers shaped like the real ones with wrong types, odd numbers and missing fields, config
//! documents mutated from `config.example.yaml`, filters and notes from their grammar's pieces).
//!
//! Properties: nothing panics; a failure is an `Err` with a message; bounded input gives bounded
//! output; and the round trips hold (handoff render/parse, matcher format/parse, duration
//! display/parse).
//!
//! Cases per property: `PROPTEST_CASES` (default 256), so `cargo test` stays quick; run
//! `scripts/fuzz.sh` for longer runs, or with libFuzzer (`fuzz/`). Failures are kept in
//! `proptest-regressions/` and replayed first.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence};
use serde_json::{json, Value as Json};

use sretop::config::{self, Duration};
use sretop::domain::alerts::{merge_alerts, Alert, AlertState, Filter, LabelRegex, Severity};
use sretop::domain::handoff;
use sretop::domain::silence::{format_matcher, matcher_matches, parse_matcher};
use sretop::prom::{self, Matcher, QueryData};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

fn proptest_config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Shrinking a failure stays short in CI.
        max_shrink_iters: 2048,
        // Relative to the crate root, where `cargo test` runs.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/fuzz.txt",
        ))),
        // The same cases on every run, so CI is reproducible; `FUZZ_SEED=N` (or `random`)
        // explores others (scripts/fuzz.sh does, with more cases).
        rng_seed: match std::env::var("FUZZ_SEED").ok().as_deref() {
            Some("random") => proptest::test_runner::RngSeed::Random,
            Some(n) => proptest::test_runner::RngSeed::Fixed(n.parse().unwrap_or(1)),
            None => proptest::test_runner::RngSeed::Fixed(0x5EED_F00D),
        },
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies: JSON shaped like Prometheus and Alertmanager answers.

/// Strings an API might send where a number, a time, a state or a label is expected.
fn odd_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("NaN".to_owned()),
        Just("+Inf".to_owned()),
        Just("-Inf".to_owned()),
        Just("Inf".to_owned()),
        Just("1e308".to_owned()),
        Just("1e999".to_owned()),
        Just("-0".to_owned()),
        Just("0x10".to_owned()),
        Just("2026-11-22T09:00:00Z".to_owned()),
        Just("0001-01-01T00:00:00Z".to_owned()),
        Just("9999-12-31T23:59:59.999999999+14:00".to_owned()),
        Just("2026-13-45T25:61:61Z".to_owned()),
        Just("firing".to_owned()),
        Just("pending".to_owned()),
        Just("inactive".to_owned()),
        Just("active".to_owned()),
        Just("suppressed".to_owned()),
        Just("unprocessed".to_owned()),
        Just("expired".to_owned()),
        Just("success".to_owned()),
        Just("error".to_owned()),
        Just("alerting".to_owned()),
        Just("recording".to_owned()),
        Just("vector".to_owned()),
        Just("matrix".to_owned()),
        Just("scalar".to_owned()),
        Just("string".to_owned()),
        Just("alertname".to_owned()),
        Just("severity".to_owned()),
        Just("critical".to_owned()),
        "[a-z_]{0,8}",
        "\\PC{0,12}",
    ]
}

fn odd_number() -> impl Strategy<Value = Json> {
    prop_oneof![
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Json::from),
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(1.7e308)),
        Just(json!(1_700_000_000.123)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
    ]
}

fn leaf() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        odd_number(),
        odd_string().prop_map(Json::String),
    ]
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Json> {
    leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::btree_map(odd_string(), inner, 0..6)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

/// Mostly `good`, sometimes anything at all.
fn or_any(good: impl Strategy<Value = Json> + 'static) -> BoxedStrategy<Json> {
    prop_oneof![8 => good, 1 => any_json(), 1 => Just(Json::Null)].boxed()
}

fn labels() -> BoxedStrategy<Json> {
    or_any(
        prop::collection::btree_map(
            prop_oneof![
                Just("alertname".to_owned()),
                Just("severity".to_owned()),
                Just("service".to_owned()),
                Just("__name__".to_owned()),
                "[a-z_]{1,6}",
            ],
            or_any(odd_string().prop_map(Json::String)),
            0..5,
        )
        .prop_map(|m| Json::Object(m.into_iter().collect())),
    )
}

fn sample() -> BoxedStrategy<Json> {
    or_any(
        (
            or_any(odd_number()),
            or_any(odd_string().prop_map(Json::String)),
        )
            .prop_map(|(t, v)| json!([t, v])),
    )
}

fn series_list() -> BoxedStrategy<Json> {
    let instant = (labels(), sample(), any::<bool>()).prop_map(|(metric, value, hist)| {
        if hist {
            json!({"metric": metric, "histogram": [1, {"count": "1", "sum": "1"}]})
        } else {
            json!({"metric": metric, "value": value})
        }
    });
    let range = (labels(), prop::collection::vec(sample(), 0..8))
        .prop_map(|(metric, values)| json!({"metric": metric, "values": values}));
    or_any(prop_oneof![
        prop::collection::vec(or_any(instant), 0..6).prop_map(Json::Array),
        prop::collection::vec(or_any(range), 0..6).prop_map(Json::Array),
        sample(),
    ])
}

/// `{"status": …, "data": …, "warnings": …}` around `data`.
fn envelope(data: BoxedStrategy<Json>) -> BoxedStrategy<Json> {
    (
        or_any(prop_oneof![Just(json!("success")), Just(json!("error"))]),
        data,
        prop::option::of(prop::collection::vec(
            or_any(odd_string().prop_map(Json::String)),
            0..3,
        )),
        prop::option::of(odd_string()),
        any::<bool>(),
    )
        .prop_map(|(status, data, warnings, error, drop_data)| {
            let mut o = serde_json::Map::new();
            o.insert("status".into(), status);
            if !drop_data {
                o.insert("data".into(), data);
            }
            if let Some(w) = warnings {
                o.insert("warnings".into(), Json::Array(w));
            }
            if let Some(e) = error {
                o.insert("errorType".into(), json!("bad_data"));
                o.insert("error".into(), json!(e));
            }
            Json::Object(o)
        })
        .boxed()
}

fn query_body() -> BoxedStrategy<Json> {
    envelope(or_any(
        (
            or_any(
                prop_oneof![
                    Just("vector"),
                    Just("matrix"),
                    Just("scalar"),
                    Just("string")
                ]
                .prop_map(|s| json!(s)),
            ),
            series_list(),
        )
            .prop_map(|(t, r)| json!({"resultType": t, "result": r})),
    ))
}

fn prom_alert() -> BoxedStrategy<Json> {
    or_any(
        (
            labels(),
            labels(),
            or_any(odd_string().prop_map(Json::String)),
            or_any(odd_string().prop_map(Json::String)),
            or_any(odd_string().prop_map(Json::String)),
        )
            .prop_map(|(l, a, state, at, value)| {
                json!({"labels": l, "annotations": a, "state": state, "activeAt": at, "value": value})
            }),
    )
}

fn alerts_body() -> BoxedStrategy<Json> {
    envelope(or_any(
        prop::collection::vec(prom_alert(), 0..6).prop_map(|a| json!({ "alerts": a })),
    ))
}

fn rules_body() -> BoxedStrategy<Json> {
    let rule = or_any(
        (
            or_any(prop_oneof![
                Just(json!("alerting")),
                Just(json!("recording"))
            ]),
            labels(),
            or_any(odd_number()),
            prop::collection::vec(prom_alert(), 0..3),
            or_any(odd_string().prop_map(Json::String)),
        )
            .prop_map(|(kind, l, d, alerts, health)| {
                json!({"type": kind, "name": "R", "query": "up == 0", "duration": d,
                       "labels": l, "annotations": {}, "alerts": alerts, "health": health,
                       "state": "firing"})
            }),
    );
    let group = or_any(
        (prop::collection::vec(rule, 0..4), or_any(odd_number())).prop_map(
            |(rules, i)| json!({"name": "g", "file": "f.yml", "interval": i, "rules": rules}),
        ),
    );
    envelope(or_any(
        prop::collection::vec(group, 0..3).prop_map(|g| json!({ "groups": g })),
    ))
}

fn am_alert() -> BoxedStrategy<Json> {
    or_any(
        (
            labels(),
            labels(),
            or_any(odd_string().prop_map(Json::String)),
            or_any(odd_string().prop_map(Json::String)),
            prop::collection::vec(odd_string(), 0..3),
            prop::collection::vec(odd_string(), 0..3),
        )
            .prop_map(|(l, a, state, at, silenced, receivers)| {
                json!({"labels": l, "annotations": a, "startsAt": at, "endsAt": at,
                       "updatedAt": at, "fingerprint": "abc", "generatorURL": state,
                       "receivers": receivers.iter().map(|r| json!({"name": r})).collect::<Vec<_>>(),
                       "status": {"state": state, "silencedBy": silenced, "inhibitedBy": []}})
            }),
    )
}

fn am_matcher() -> BoxedStrategy<Json> {
    or_any(
        (
            odd_string(),
            odd_string(),
            or_any(any::<bool>().prop_map(Json::Bool)),
            or_any(any::<bool>().prop_map(Json::Bool)),
        )
            .prop_map(|(n, v, r, e)| json!({"name": n, "value": v, "isRegex": r, "isEqual": e})),
    )
}

fn silences_body() -> BoxedStrategy<Json> {
    let silence = or_any(
        (
            odd_string(),
            or_any(odd_string().prop_map(|s| json!({ "state": s }))),
            prop::collection::vec(am_matcher(), 0..4),
            or_any(odd_string().prop_map(Json::String)),
        )
            .prop_map(|(id, status, matchers, at)| {
                json!({"id": id, "status": status, "matchers": matchers, "startsAt": at,
                       "endsAt": at, "updatedAt": at, "createdBy": "me", "comment": "c"})
            }),
    );
    or_any(prop::collection::vec(silence, 0..5).prop_map(Json::Array))
}

fn am_groups_body() -> BoxedStrategy<Json> {
    let group = or_any(
        (labels(), prop::collection::vec(am_alert(), 0..3)).prop_map(
            |(l, alerts)| json!({"labels": l, "receiver": {"name": "team"}, "alerts": alerts}),
        ),
    );
    or_any(prop::collection::vec(group, 0..4).prop_map(Json::Array))
}

fn am_status_body() -> BoxedStrategy<Json> {
    or_any(
        (
            or_any(odd_string().prop_map(Json::String)),
            prop::collection::vec(odd_string(), 0..3),
        )
            .prop_map(|(s, peers)| {
                json!({"versionInfo": {"version": s, "revision": s},
                       "cluster": {"status": s, "name": s,
                                   "peers": peers.iter().map(|p| json!({"name": p})).collect::<Vec<_>>()},
                       "uptime": s, "config": {"original": s}})
            }),
    )
}

/// A body as bytes: the JSON as sent, cut short, or with a byte changed.
fn body_bytes(doc: BoxedStrategy<Json>) -> impl Strategy<Value = Vec<u8>> {
    (doc, 0usize..3, any::<prop::sample::Index>(), any::<u8>()).prop_map(|(d, how, at, byte)| {
        let mut b = serde_json::to_vec(&d).unwrap_or_default();
        if !b.is_empty() {
            let i = at.index(b.len());
            match how {
                1 => b.truncate(i),
                2 => b[i] = byte,
                _ => {}
            }
        }
        b
    })
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![6 => Just(200u16), 1 => Just(400u16), 1 => Just(422u16), 1 => Just(503u16), 1 => any::<u16>()]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(Some("application/json".to_owned())),
        1 => Just(Some("application/problem+json; charset=utf-8".to_owned())),
        1 => Just(Some("text/html".to_owned())),
        1 => Just(None),
        1 => prop::option::of("\\PC{0,20}"),
    ]
}

// ---------------------------------------------------------------------------------------------
// Checks shared by the decoder properties.

/// An error has something to say.
fn check_error(e: &prom::PromError) {
    let msg = e.to_string();
    assert!(!msg.trim().is_empty(), "empty error message: {e:?}");
}

/// A decoded query answer is no bigger than the body it came from, and within the limit.
fn check_query(body: &[u8], max_series: usize, data: &QueryData) {
    assert!(data.series_count() <= max_series.max(1));
    let (samples, label_bytes) = match data {
        QueryData::Matrix(m) => (
            m.iter().map(|s| s.values.len()).sum::<usize>(),
            m.iter()
                .flat_map(|s| &s.metric)
                .map(|(k, v)| k.len() + v.len())
                .sum(),
        ),
        QueryData::Vector(v) => (
            v.len(),
            v.iter()
                .flat_map(|s| &s.metric)
                .map(|(k, v)| k.len() + v.len())
                .sum(),
        ),
        QueryData::Scalar(_) => (1, 0),
        QueryData::String(s) => (1, s.len()),
    };
    // Every sample takes at least `[0,"0"]` on the wire, a label at least its own bytes.
    assert!(
        samples * 7 <= body.len(),
        "{samples} samples from {} bytes",
        body.len()
    );
    assert!(label_bytes <= body.len());
}

/// Runs every decoder on one body.
fn decode_all(status: u16, ct: Option<&str>, body: &[u8], max_series: usize) {
    match prom::decode_query_body(status, ct, body, max_series) {
        Ok(r) => check_query(body, max_series, &r.data),
        Err(e) => check_error(&e),
    }
    let prom_alerts = prom::decode_alerts_body(status, ct, body).map_err(|e| check_error(&e));
    let _ = prom::decode_alert_rules_body(status, ct, body).map_err(|e| check_error(&e));
    let _ = prom::decode_buildinfo_body(status, ct, body).map_err(|e| check_error(&e));
    let _ = prom::decode_label_values_body(status, ct, body, max_series)
        .map(|v| assert!(v.len() <= max_series))
        .map_err(|e| check_error(&e));
    let am_alerts = prom::decode_am_alerts_body(status, ct, body).map_err(|e| check_error(&e));
    let _ = prom::decode_am_groups_body(status, ct, body).map_err(|e| check_error(&e));
    let silences = prom::decode_silences_body(status, ct, body).map_err(|e| check_error(&e));
    let _ = prom::decode_silence_id_body(status, ct, body)
        .map(|id| assert!(!id.is_empty()))
        .map_err(|e| check_error(&e));
    let _ = prom::decode_expire_body(status, ct, body).map_err(|e| check_error(&e));
    let _ = prom::decode_am_status_body(status, ct, body).map_err(|e| check_error(&e));

    // What decodes goes on through the alert pipeline.
    let prom_alerts = prom_alerts.unwrap_or_default();
    let am_alerts = am_alerts.unwrap_or_default();
    let merged = merge_alerts(&[("p", &prom_alerts)], &[("am", &am_alerts)], &["replica"]);
    assert!(merged.len() <= prom_alerts.len() + am_alerts.len());
    if let Ok(silences) = silences {
        for s in &silences {
            for a in &merged {
                let _ = sretop::domain::silence::silence_matches(&s.matchers, &a.labels);
            }
        }
    }
}

/// Every pattern of up to 8 characters over `[ ] : - * |` (2 million): the "matches an absent
/// label" check and the matcher agree wherever both understand the pattern. The first version
/// of the check read `[:` inside a range (`[[-[:]]*`) as a POSIX class; this finds all four
/// such patterns of that length against it.
#[test]
fn empty_match_check_agrees_with_the_matcher_on_every_short_class_pattern() {
    const ALPHABET: [char; 6] = ['[', ']', ':', '-', '*', '|'];
    let mut disagree = Vec::new();
    let mut pattern = String::new();
    for len in 0..=8u32 {
        for index in 0..6u64.pow(len) {
            pattern.clear();
            let mut i = index;
            for _ in 0..len {
                pattern.push(ALPHABET[(i % 6) as usize]);
                i /= 6;
            }
            if let (Ok(re), Some(empty)) = (
                LabelRegex::new(&pattern),
                prom::regex_matches_empty(&pattern),
            ) {
                if re.is_match("") != empty {
                    disagree.push(pattern.clone());
                }
            }
        }
    }
    assert!(
        disagree.is_empty(),
        "{} patterns, e.g. {:?}",
        disagree.len(),
        &disagree[..disagree.len().min(5)]
    );
}

/// Regexes built around bracket classes: items that look like POSIX classes, ranges ending in
/// `[`, escapes, stray brackets and colons, then quantifiers and alternation around them.
fn class_regex_text() -> impl Strategy<Value = String> {
    let item = prop_oneof![
        Just("a"),
        Just(":"),
        Just("["),
        Just("!-["),
        Just("a-z"),
        Just("-"),
        Just("\\w"),
        Just("\\]"),
        Just("[:alpha:]"),
        Just("[:"),
        Just(":]"),
    ];
    let class = (
        prop::bool::ANY,
        prop::bool::ANY,
        prop::collection::vec(item, 1..4),
    )
        .prop_map(|(neg, bracket_first, items)| {
            format!(
                "[{}{}{}]",
                if neg { "^" } else { "" },
                if bracket_first { "]" } else { "" },
                items.concat()
            )
        });
    let piece = prop_oneof![
        3 => class,
        1 => Just("a".to_owned()),
        1 => Just("]".to_owned()),
        1 => Just(":".to_owned()),
        1 => Just("|".to_owned()),
    ];
    let quantified = (
        piece,
        prop_oneof![Just(""), Just("*"), Just("+"), Just("?")],
    )
        .prop_map(|(p, q)| format!("{p}{q}"));
    prop::collection::vec(quantified, 0..5).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn decoders_survive_any_bytes(
        status in status(),
        ct in content_type(),
        body in prop::collection::vec(any::<u8>(), 0..256),
        max_series in 0usize..8,
    ) {
        decode_all(status, ct.as_deref(), &body, max_series);
    }

    #[test]
    fn query_decoder_survives_prometheus_shaped_answers(
        status in status(),
        ct in content_type(),
        body in body_bytes(query_body()),
        max_series in 0usize..8,
    ) {
        decode_all(status, ct.as_deref(), &body, max_series);
    }

    #[test]
    fn alert_decoders_survive_prometheus_shaped_answers(
        status in status(),
        alerts in body_bytes(alerts_body()),
        rules in body_bytes(rules_body()),
    ) {
        decode_all(status, Some("application/json"), &alerts, 4);
        decode_all(status, Some("application/json"), &rules, 4);
    }

    #[test]
    fn alertmanager_decoders_survive_alertmanager_shaped_answers(
        status in status(),
        alerts in body_bytes(or_any(prop::collection::vec(am_alert(), 0..6).prop_map(Json::Array))),
        silences in body_bytes(silences_body()),
        groups in body_bytes(am_groups_body()),
        am_status in body_bytes(am_status_body()),
    ) {
        for body in [&alerts, &silences, &groups, &am_status] {
            decode_all(status, Some("application/json"), body, 4);
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow(
        depth in 100usize..5000,
        open in prop_oneof![Just("["), Just("{\"data\":")],
    ) {
        let body = format!("{{\"status\":\"success\",\"data\":{}", open.repeat(depth));
        decode_all(200, Some("application/json"), body.as_bytes(), 4);
    }
}

// ---------------------------------------------------------------------------------------------
// Config.

const EXAMPLE_CONFIG: &str = include_str!("../config.example.yaml");

fn yaml_leaf() -> impl Strategy<Value = serde_yaml::Value> {
    prop_oneof![
        Just(serde_yaml::Value::Null),
        any::<bool>().prop_map(serde_yaml::Value::Bool),
        any::<i64>().prop_map(|n| serde_yaml::Value::Number(n.into())),
        any::<f64>().prop_map(|n| serde_yaml::Value::Number(n.into())),
        prop_oneof![
            Just("15s".to_owned()),
            Just("0s".to_owned()),
            Just("99999999999999y".to_owned()),
            Just("1h30m".to_owned()),
            Just("${HOME}".to_owned()),
            Just("${UNSET:-x}".to_owned()),
            Just("${".to_owned()),
            Just("http://127.0.0.1:9090".to_owned()),
            Just("https://u:p@x/".to_owned()),
            Just("rate(x[5m])".to_owned()),
            Just("$window".to_owned()),
            Just("99.9".to_owned()),
            Just("utc".to_owned()),
            Just("Europe/Paris".to_owned()),
            odd_string(),
        ]
        .prop_map(serde_yaml::Value::String),
    ]
}

fn any_yaml() -> impl Strategy<Value = serde_yaml::Value> {
    yaml_leaf().prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_yaml::Value::Sequence),
            prop::collection::vec((odd_string(), inner), 0..4).prop_map(|kv| {
                serde_yaml::Value::Mapping(
                    kv.into_iter()
                        .map(|(k, v)| (serde_yaml::Value::String(k), v))
                        .collect(),
                )
            }),
        ]
    })
}

/// One change to a YAML document: the path is chosen by indices taken modulo the sizes met.
#[derive(Debug, Clone)]
enum Edit {
    Replace(Vec<prop::sample::Index>, serde_yaml::Value),
    Remove(Vec<prop::sample::Index>),
}

fn edit() -> impl Strategy<Value = Edit> {
    let path = prop::collection::vec(any::<prop::sample::Index>(), 1..5);
    prop_oneof![
        3 => (path.clone(), any_yaml()).prop_map(|(p, v)| Edit::Replace(p, v)),
        1 => path.prop_map(Edit::Remove),
    ]
}

fn apply(doc: &mut serde_yaml::Value, edit: &Edit) {
    let (path, replacement) = match edit {
        Edit::Replace(p, v) => (p, Some(v)),
        Edit::Remove(p) => (p, None),
    };
    let mut at = doc;
    for (depth, index) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        let len = match &*at {
            serde_yaml::Value::Mapping(m) => m.len(),
            serde_yaml::Value::Sequence(s) => s.len(),
            _ => 0,
        };
        if len == 0 {
            if let Some(v) = replacement {
                *at = v.clone();
            }
            return;
        }
        let i = index.index(len);
        if last {
            match (&mut *at, replacement) {
                (serde_yaml::Value::Mapping(m), Some(v)) => {
                    if let Some((_, slot)) = m.iter_mut().nth(i) {
                        *slot = v.clone();
                    }
                }
                (serde_yaml::Value::Mapping(m), None) => {
                    let key = m.keys().nth(i).cloned();
                    if let Some(key) = key {
                        m.remove(&key);
                    }
                }
                (serde_yaml::Value::Sequence(s), Some(v)) => s[i] = v.clone(),
                (serde_yaml::Value::Sequence(s), None) => {
                    s.remove(i);
                }
                _ => {}
            }
            return;
        }
        at = match at {
            serde_yaml::Value::Mapping(m) => match m.iter_mut().nth(i) {
                Some((_, v)) => v,
                None => return,
            },
            serde_yaml::Value::Sequence(s) => &mut s[i],
            _ => return,
        };
    }
}

fn fuzz_env(name: &str) -> Option<String> {
    match name {
        "HOME" => Some("/home/fuzz".into()),
        "EMPTY" => Some(String::new()),
        "PROM_TOKEN" => Some("t".into()),
        _ => None,
    }
}

/// Parses config text without reading any file: a document with `imports:` is only
/// deserialized (the imports would be read from the disk).
fn check_config(text: &str) {
    match serde_yaml::from_str::<config::Config>(text) {
        Ok(c) if !c.imports.is_empty() => return,
        _ => {}
    }
    match config::parse_with_env(text, Path::new("fuzz.yaml"), &fuzz_env) {
        Ok(_) => {}
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.trim().is_empty(), "empty error for {text:?}");
            if let config::ConfigError::Parse { line, .. }
            | config::ConfigError::Invalid { line, .. } = e
            {
                // YAML counts a lone `\r` as a line break too.
                let lines = text.replace("\r\n", "\n").split(['\n', '\r']).count();
                assert!(line <= lines, "line {line} of {lines} in {msg}");
            }
        }
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn config_parser_survives_any_text(text in "\\PC{0,300}") {
        check_config(&text);
    }

    #[test]
    fn config_parser_survives_yaml_like_text(
        lines in prop::collection::vec(
            (0usize..4, prop_oneof![
                Just("sources:"), Just("services:"), Just("- name: a"), Just("  url: http://x"),
                Just("refresh: 0s"), Just("range: 1h"), Just("ranges: [1h, 2h"), Just("slos:"),
                Just("  - name: s"), Just("    objective: 99.9"), Just("    window: 30d"),
                Just("thresholds: {errors: {warn: 1, crit: 0}}"), Just("&a x"), Just("*a"),
                Just("<<: *a"), Just("? [a, b]"), Just(": x"), Just("key: |"), Just("  text"),
                Just("- -"), Just("{"), Just("}"), Just("\"\\u0000\""), Just("---"), Just("..."),
                Just("!!binary aGVsbG8="), Just("!tag {}"), Just("# comment"), Just("\t"),
            ]),
            0..30,
        ),
    ) {
        let text: String = lines
            .iter()
            .map(|(indent, l)| format!("{}{l}\n", "  ".repeat(*indent)))
            .collect();
        check_config(&text);
    }

    #[test]
    fn config_parser_survives_edits_of_the_example(edits in prop::collection::vec(edit(), 1..4)) {
        let mut doc: serde_yaml::Value = serde_yaml::from_str(EXAMPLE_CONFIG).expect("the example parses");
        for e in &edits {
            apply(&mut doc, e);
        }
        let text = serde_yaml::to_string(&doc).unwrap_or_default();
        check_config(&text);
    }

    #[test]
    fn env_expansion_survives_any_text(text in "[$${}:\\-A-Z_a-z0-9 é]{0,40}") {
        match config::expand::expand(&text, &fuzz_env) {
            Ok(out) => {
                if !text.contains('$') {
                    prop_assert_eq!(out, text);
                }
            }
            Err(msg) => prop_assert!(!msg.is_empty()),
        }
    }

    #[test]
    fn durations_survive_any_text(text in "[0-9mshdwy ]{0,20}|\\PC{0,20}") {
        if let Ok(d) = Duration::parse(&text) {
            prop_assert_eq!(Duration::parse(&d.to_string()), Ok(d));
        }
    }

    #[test]
    fn durations_round_trip(ms in any::<u64>()) {
        let d = Duration::from_millis(ms);
        prop_assert_eq!(Duration::parse(&d.to_string()), Ok(d));
    }
}

// ---------------------------------------------------------------------------------------------
// The alert filter line and silence matchers.

fn filter_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("alertname"),
            Just("severity"),
            Just("service"),
            Just("_x9"),
            Just("9"),
            Just("="),
            Just("!="),
            Just("=~"),
            Just("!~"),
            Just("!"),
            Just("~"),
            Just("\""),
            Just("\\"),
            Just("\\\""),
            Just(" "),
            Just("\t"),
            Just("@firing"),
            Just("@pending"),
            Just("@silenced"),
            Just("@inhibited"),
            Just("@"),
            Just("("),
            Just(")"),
            Just("(?:"),
            Just("(?i)"),
            Just("(?P<n>"),
            Just("|"),
            Just("*"),
            Just("+"),
            Just("?"),
            Just("{2,3}"),
            Just("["),
            Just("]"),
            Just("[^a-z]"),
            Just("[a-]"),
            Just("[]"),
            Just("."),
            Just(".*"),
            Just("\\d"),
            Just("\\w"),
            Just("\\."),
            Just("^"),
            Just("$"),
            Just("critical"),
            Just("Ä"),
            Just("ß"),
            Just("İ"),
        ],
        0..16,
    )
    .prop_map(|parts| parts.concat())
}

fn alert() -> impl Strategy<Value = Alert> {
    (
        prop::collection::btree_map(
            prop_oneof![
                Just("alertname".to_owned()),
                Just("severity".to_owned()),
                "[a-z_]{1,3}"
            ],
            "[a-zA-Z0-9 .*İß]{0,8}",
            0..4,
        ),
        prop::option::of("[a-zA-Z İ]{0,10}"),
        prop_oneof![
            Just(AlertState::Firing),
            Just(AlertState::Pending),
            Just(AlertState::Silenced),
            Just(AlertState::Inhibited)
        ],
    )
        .prop_map(|(labels, summary, state)| Alert {
            severity: Severity::from_label(labels.get("severity").map(String::as_str)),
            labels,
            annotations: summary
                .map(|s| BTreeMap::from([("summary".to_owned(), s)]))
                .unwrap_or_default(),
            state,
            since: None,
            generator_url: None,
            sources: vec!["p".into()],
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            receivers: Vec::new(),
            value: None,
        })
}

fn label_name() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,6}"
}

fn regex_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("a"),
            Just("b"),
            Just("."),
            Just("*"),
            Just("+"),
            Just("?"),
            Just("|"),
            Just("("),
            Just(")"),
            Just("(?:"),
            Just("[ab]"),
            Just("[^a]"),
            Just("\\."),
            Just("\\d"),
            Just("{1,2}"),
            Just("^"),
            Just("$"),
            Just("ß"),
        ],
        0..10,
    )
    .prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn filter_parser_survives_any_text(text in "\\PC{0,60}", alerts in prop::collection::vec(alert(), 0..3)) {
        check_filter(&text, &alerts)?;
    }

    #[test]
    fn filter_parser_survives_grammar_pieces(text in filter_text(), alerts in prop::collection::vec(alert(), 0..3)) {
        check_filter(&text, &alerts)?;
    }

    #[test]
    fn label_regex_survives_any_pattern(
        pattern in regex_text(),
        inputs in prop::collection::vec("[ab.ß0-9]{0,8}", 0..4),
    ) {
        if let Ok(re) = LabelRegex::new(&pattern) {
            for s in &inputs {
                let _ = re.is_match(s);
            }
            // Alertmanager's rule for "matches an absent label" agrees with the matcher itself.
            if let Some(empty) = prom::regex_matches_empty(&pattern) {
                prop_assert_eq!(re.is_match(""), empty, "pattern {:?}", pattern);
            }
        }
    }

    /// Bracket classes are where the two readings of a regex (the matcher's, and the "does it
    /// match an absent label" check Alertmanager applies to silences) parted ways (found by
    /// libFuzzer: `[!-[:]*|]`, a range up to `[` followed by `:`).
    #[test]
    fn empty_match_check_agrees_with_the_matcher_on_classes(pattern in class_regex_text()) {
        if let (Ok(re), Some(empty)) = (LabelRegex::new(&pattern), prom::regex_matches_empty(&pattern)) {
            prop_assert_eq!(re.is_match(""), empty, "pattern {:?}", pattern);
        }
    }

    #[test]
    fn matcher_parser_survives_any_text(text in "\\PC{0,40}|[a-z_ ]{0,4}(=|!=|=~|!~)[ \"\\\\a-z.*n]{0,10}") {
        if let Ok(m) = parse_matcher(&text) {
            let formatted = format_matcher(&m);
            prop_assert_eq!(parse_matcher(&formatted), Ok(m.clone()), "{:?} → {:?}", text, formatted);
            let _ = matcher_matches(&m, &BTreeMap::from([(m.name.clone(), m.value.clone())]));
        } else if let Err(msg) = parse_matcher(&text) {
            prop_assert!(!msg.is_empty());
        }
    }

    #[test]
    fn matchers_round_trip(
        name in label_name(),
        value in "\\PC{0,12}|[\"\\\\\n a]{0,6}",
        regex in regex_text(),
        is_regex in any::<bool>(),
        is_equal in any::<bool>(),
    ) {
        let value = match (is_regex, LabelRegex::new(&regex).is_ok()) {
            (false, _) => value,
            (true, true) => regex,
            // An invalid regex is not a matcher parse_matcher gives.
            (true, false) => "a.*".to_owned(),
        };
        let m = Matcher { name, value, is_regex, is_equal };
        prop_assert_eq!(parse_matcher(&format_matcher(&m)), Ok(m));
    }
}

fn check_filter(text: &str, alerts: &[Alert]) -> Result<(), TestCaseError> {
    match Filter::parse(text) {
        Ok(f) => {
            for a in alerts {
                let all = f.matches(a);
                prop_assert_eq!(all, f.terms.iter().all(|t| t.matches(a)));
            }
            if text.trim().is_empty() {
                prop_assert!(f.is_empty());
            }
        }
        Err(e) => {
            prop_assert!(!e.message.is_empty());
            prop_assert!(e.position <= text.chars().count(), "{} for {:?}", e, text);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Handoff notes.

fn front_matter_line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("id"),
        Just("author"),
        Just("shift_start"),
        Just("shift_end"),
        Just("created"),
        Just("acked_by"),
        Just("acked_at"),
        Just("revision"),
        Just("team"),
        Just("x y"),
        Just("? k"),
        Just("- a"),
        Just(""),
    ];
    let value = prop_oneof![
        Just("alice"),
        Just("2026-11-22T09:00:00Z"),
        Just("2026-11-22 09:00 UTC"),
        Just("2026-11-22T09:00"),
        Just("2026-02-30T09:00:00Z"),
        Just("+262143-12-31T23:59:59Z"),
        Just("3"),
        Just("-1"),
        Just("18446744073709551616"),
        Just("~"),
        Just("[a, b]"),
        Just("{a: 1}"),
        Just("true"),
        Just("1.5"),
        Just("'quoted: text'"),
        Just("\"\\u00e9\""),
        Just("&a x"),
        Just("*a"),
        Just("|"),
        Just(""),
        Just("---"),
    ];
    (key, value, 0usize..3).prop_map(|(k, v, indent)| format!("{}{k}: {v}", " ".repeat(indent)))
}

fn body_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("## Open incidents".to_owned()),
        Just("## incidents".to_owned()),
        Just("## Ongoing issues".to_owned()),
        Just("## Upcoming maintenance".to_owned()),
        Just("## Tips".to_owned()),
        Just("## Notes".to_owned()),
        Just("##".to_owned()),
        Just("## ".to_owned()),
        Just("### deeper".to_owned()),
        Just("# top".to_owned()),
        Just("- [SEV1] INC-123 (investigating): checkout latency".to_owned()),
        Just("- INC-1: x".to_owned()),
        Just("- (status): x".to_owned()),
        Just("- [x] done".to_owned()),
        Just("- [ ] open".to_owned()),
        Just("- [X]".to_owned()),
        Just("* [SEV2] : a: b".to_owned()),
        Just("+ 2026-11-23 02:00 UTC: kafka".to_owned()),
        Just("-".to_owned()),
        Just("- ".to_owned()),
        Just(" - one space".to_owned()),
        Just("  continued".to_owned()),
        Just("\tcontinued".to_owned()),
        Just("```".to_owned()),
        Just("~~~".to_owned()),
        Just("---".to_owned()),
        Just(String::new()),
        Just("   ".to_owned()),
        Just("- [] (a) (b): c".to_owned()),
        Just("- a (b)): c".to_owned()),
        Just("- ((a): b".to_owned()),
        Just("- a:b: c".to_owned()),
        Just("- : x".to_owned()),
        Just("- [ : ".to_owned()),
        // CRs where editors and copy-paste leave them: ends of lines, runs, mid-line.
        Just("text\r".to_owned()),
        Just("text\r\r".to_owned()),
        Just("a\rb".to_owned()),
        Just("\r".to_owned()),
        "[-*+ \\[\\]():a-zX#`\t]{0,12}",
        "\\PC{0,16}",
    ]
}

fn note_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(front_matter_line(), 0..8),
        prop::collection::vec(body_line(), 0..20),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(front, body, with_required, crlf, bom)| {
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            text.push_str("---\n");
            if with_required {
                text.push_str("author: alice\ncreated: 2026-11-22T09:00:00Z\n");
            }
            for l in front {
                text.push_str(&l);
                text.push('\n');
            }
            text.push_str("---\n");
            let last = body.len();
            for (i, l) in body.into_iter().enumerate() {
                text.push_str(&l);
                // The last line sometimes without its newline (a file cut short, or CRs
                // right at the end).
                if i + 1 < last || !crlf {
                    text.push('\n');
                }
            }
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            text
        })
}

fn check_note(text: &str) -> Result<(), TestCaseError> {
    match handoff::parse(text) {
        Ok(note) => {
            let rendered = handoff::render(&note);
            let again = handoff::parse(&rendered);
            prop_assert_eq!(
                again.as_ref(),
                Ok(&note),
                "input:\n{}\nrendered:\n{}",
                text,
                rendered
            );
            // Rendering is stable from then on.
            prop_assert_eq!(handoff::render(&note), rendered);
            let _ = handoff::render_markdown_for_chat(&note);
        }
        Err(e) => {
            prop_assert!(!e.message.is_empty());
            prop_assert!(
                e.line >= 1 && e.line <= text.split('\n').count() + 1,
                "{} for {:?}",
                e,
                text
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn handoff_parser_survives_any_text(text in "---\n\\PC{0,200}|\\PC{0,100}") {
        check_note(&text)?;
    }

    #[test]
    fn handoff_notes_round_trip(text in note_text()) {
        check_note(&text)?;
    }
}
