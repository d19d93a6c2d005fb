//! Config values with a grammar of their own: `${VAR}` expansion and durations (which must
//! print back to what they parsed from).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sretop::config::{expand::expand, Duration};

fn env(name: &str) -> Option<String> {
    match name {
        "HOST" => Some("prom.example".into()),
        "EMPTY" => Some(String::new()),
        _ => None,
    }
}

fuzz_target!(|text: &str| {
    match expand(text, &env) {
        Ok(out) if !text.contains('$') => assert_eq!(out, text),
        Ok(_) => {}
        Err(msg) => assert!(!msg.is_empty()),
    }
    if let Ok(d) = Duration::parse(text) {
        assert_eq!(Duration::parse(&d.to_string()), Ok(d), "{text:?}");
    }
});
