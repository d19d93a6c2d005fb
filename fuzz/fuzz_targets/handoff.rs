//! Handoff notes: parse never panics, errors name a line of the file, and a parsed note
//! renders to text that parses back to the same note (and renders the same again).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sretop::domain::handoff::{parse, render, render_markdown_for_chat};

fuzz_target!(|text: &str| {
    match parse(text) {
        Ok(note) => {
            let rendered = render(&note);
            let again = parse(&rendered);
            assert_eq!(again.as_ref(), Ok(&note), "rendered:\n{rendered}");
            assert_eq!(render(&note), rendered);
            let _ = render_markdown_for_chat(&note);
        }
        Err(e) => {
            assert!(!e.message.is_empty());
            assert!(e.line >= 1 && e.line <= text.split('\n').count() + 1, "{e}");
        }
    }
});
