//! The alert filter line (matched against a few alerts), its regexes, and silence matchers in
//! amtool syntax (which must format back to themselves). The input's first line is the filter
//! or matcher; the rest, split on newlines, are label values to match.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sretop::domain::alerts::{Alert, AlertState, Filter, LabelRegex, Severity};
use sretop::domain::silence::{format_matcher, matcher_matches, parse_matcher};
use sretop::prom::regex_matches_empty;

fn alert(value: &str) -> Alert {
    let labels = BTreeMap::from([
        ("alertname".to_owned(), value.to_owned()),
        ("severity".to_owned(), "critical".to_owned()),
    ]);
    Alert {
        severity: Severity::from_label(Some("critical")),
        labels,
        annotations: BTreeMap::from([("summary".to_owned(), value.to_owned())]),
        state: AlertState::Firing,
        since: None,
        generator_url: None,
        sources: vec!["p".into()],
        silenced_by: Vec::new(),
        inhibited_by: Vec::new(),
        receivers: Vec::new(),
        value: None,
    }
}

fuzz_target!(|text: &str| {
    let mut lines = text.split('\n');
    let line = lines.next().unwrap_or_default();
    let values: Vec<&str> = lines.take(4).collect();

    match Filter::parse(line) {
        Ok(f) => {
            for v in &values {
                let _ = f.matches(&alert(v));
            }
        }
        Err(e) => {
            assert!(!e.message.is_empty());
            assert!(e.position <= line.chars().count(), "{e}");
        }
    }

    if let Ok(re) = LabelRegex::new(line) {
        for v in &values {
            let _ = re.is_match(v);
        }
        if let Some(empty) = regex_matches_empty(line) {
            assert_eq!(re.is_match(""), empty, "{line:?}");
        }
    }

    if let Ok(m) = parse_matcher(line) {
        let formatted = format_matcher(&m);
        assert_eq!(parse_matcher(&formatted), Ok(m.clone()), "{line:?} → {formatted:?}");
        for v in &values {
            let _ = matcher_matches(&m, &BTreeMap::from([(m.name.clone(), (*v).to_owned())]));
        }
    }
});
