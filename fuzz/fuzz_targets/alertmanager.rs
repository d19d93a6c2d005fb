//! Alertmanager API v2 answers: alerts, groups, silences, a new silence's ID, status; then the
//! merge and the silence matching on what decodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sretop::domain::alerts::merge_alerts;
use sretop::domain::silence::{matching_silences, silence_matches};
use sretop::prom;

const JSON: Option<&str> = Some("application/json");

fuzz_target!(|body: &[u8]| {
    let alerts = prom::decode_am_alerts_body(200, JSON, body);
    let _ = prom::decode_am_groups_body(200, JSON, body);
    let silences = prom::decode_silences_body(200, JSON, body);
    if let Ok(id) = prom::decode_silence_id_body(200, JSON, body) {
        assert!(!id.is_empty());
    }
    let _ = prom::decode_am_status_body(200, JSON, body);
    let _ = prom::decode_am_alerts_body(400, JSON, body).map(|_| panic!("a 400 is an error"));

    let (Ok(alerts), Ok(silences)) = (alerts, silences) else {
        return;
    };
    let merged = merge_alerts(&[], &[("am", &alerts)], &["replica"]);
    assert!(merged.len() <= alerts.len());
    for a in &merged {
        for s in &silences {
            let _ = silence_matches(&s.matchers, &a.labels);
        }
        let _ = matching_silences(&silences, &a.labels);
    }
});
