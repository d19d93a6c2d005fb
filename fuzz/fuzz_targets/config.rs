//! The config file: YAML text → `Config` or an error with a line and column. Documents with
//! `imports:` are only deserialized (the imports would be read from the disk).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sretop::config::{self, ConfigError};

fn env(name: &str) -> Option<String> {
    match name {
        "HOME" => Some("/home/fuzz".into()),
        "EMPTY" => Some(String::new()),
        _ => None,
    }
}

fuzz_target!(|text: &str| {
    match serde_yaml::from_str::<config::Config>(text) {
        Ok(c) if !c.imports.is_empty() => return,
        _ => {}
    }
    if let Err(e) = config::parse_with_env(text, Path::new("fuzz.yaml"), &env) {
        let msg = e.to_string();
        assert!(!msg.trim().is_empty());
        if let ConfigError::Parse { line, .. } | ConfigError::Invalid { line, .. } = e {
            // YAML counts a lone `\r` as a line break too.
            let lines = text.replace("\r\n", "\n").split(['\n', '\r']).count();
            assert!(line <= lines, "line {line} of {lines} in {msg}");
        }
    }
});
