//! `/api/v1/alerts` and `/api/v1/rules` answers, then the alert merge on what decodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sretop::domain::alerts::merge_alerts;
use sretop::prom;

const JSON: Option<&str> = Some("application/json");

fuzz_target!(|body: &[u8]| {
    match prom::decode_alerts_body(200, JSON, body) {
        Ok(alerts) => {
            let merged = merge_alerts(&[("p", &alerts)], &[], &["replica"]);
            assert!(merged.len() <= alerts.len());
        }
        Err(e) => assert!(!e.to_string().trim().is_empty()),
    }
    match prom::decode_alert_rules_body(200, JSON, body) {
        Ok(groups) => {
            for g in &groups {
                for r in &g.rules {
                    let _ = merge_alerts(&[("p", &r.alerts)], &[], &[]);
                }
            }
        }
        Err(e) => assert!(!e.to_string().trim().is_empty()),
    }
});
