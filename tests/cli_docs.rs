//! Shell completions and the man page come from the CLI definition itself, so they cannot
//! drift from the flags the binary takes; they need no config file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sretop"))
        .args(args)
        .env_remove("SRETOP_CONFIG")
        .env("HOME", "/nonexistent")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .expect("run sretop");
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn completions_know_every_subcommand_and_flag() {
    let bash = run(&["completions", "bash"]);
    for word in [
        "handoff",
        "snapshot",
        "budget",
        "--alertmanager",
        "--read-only",
        "config",
        "--service-label",
    ] {
        assert!(
            bash.contains(word),
            "{word} missing from the bash completion"
        );
    }
    assert!(run(&["completions", "zsh"]).contains("--prometheus"));
    assert!(run(&["completions", "fish"]).contains("prometheus="));
}

#[test]
fn man_page_documents_the_flags() {
    let man = run(&["man"]);
    assert!(man.contains(".TH sretop 1"), "{man}");
    for flag in [
        "\\-\\-prometheus",
        "\\-\\-alertmanager",
        "\\-\\-read\\-only",
        "\\-\\-service\\-label",
        "\\-\\-mouse",
        "handoff",
    ] {
        assert!(man.contains(flag), "{flag} missing from the man page");
    }
}
