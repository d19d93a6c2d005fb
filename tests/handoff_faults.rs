//! The handoff store when the disk says no, through the real `sretop handoff` commands: a full
//! disk (simulated with RLIMIT_FSIZE: writes past the limit fail with EFBIG, SIGXFSZ
//! ignored), a read-only directory (a read-only bind mount in a private mount namespace, so it
//! works as root, where permissions do not stop writes), and a note whose front matter was
//! broken by hand. Each time the user is told, the draft is kept, and nothing on disk is
//! corrupted: the notes are byte-identical and no temp file is left behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::{free_port, Run};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    /// A config whose Prometheus and Alertmanager are loopback ports nobody listens on (the
    /// notes are composed without live data), with `handoff.dir: DIR/notes`.
    fn new() -> Env {
        let env = Env {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        let text = format!(
            "time_zone: utc\nsources:\n  - name: demo\n    url: http://127.0.0.1:{}\n    timeout: 2s\n\
             alertmanagers:\n  - name: am\n    url: http://127.0.0.1:{}\n    timeout: 2s\n\
             handoff:\n  dir: {}\nservices:\n  - name: api\n",
            free_port(),
            free_port(),
            env.notes().display()
        );
        std::fs::write(env.path().join("sretop.yaml"), text).unwrap();
        env
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn notes(&self) -> PathBuf {
        self.path().join("notes")
    }

    fn draft(&self, user: &str) -> PathBuf {
        self.notes().join("drafts").join(format!("{user}.md"))
    }

    fn script(&self, name: &str, body: &str) -> String {
        let path = self.path().join(name);
        std::fs::write(&path, format!("#!/bin/bash\n{body}")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }

    /// `PREFIX; exec WRAPPER sretop --config … ARGS` run by bash, so `ulimit` and `trap` can
    /// come first and a wrapper (`unshare …`) can run sretop.
    fn run_in(&self, prefix: &str, wrapper: &str, editor: &str, args: &[&str]) -> Run {
        let sretop = format!(
            "{} --config {} --log-file {}",
            env!("CARGO_BIN_EXE_sretop"),
            self.path().join("sretop.yaml").display(),
            self.path().join("log").display()
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("{prefix} exec {wrapper} {sretop} \"$@\""))
            .arg("sretop")
            .args(args)
            .env_remove("SRETOP_CONFIG")
            .env_remove("VISUAL")
            .env("EDITOR", editor)
            .env("USER", "tester")
            .env("LOGNAME", "tester")
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            .stdin(Stdio::null())
            .output()
            .expect("bash runs");
        Run::from(out)
    }

    fn run(&self, editor: &str, args: &[&str]) -> Run {
        self.run_in("", "", editor, args)
    }

    /// Every file under the notes directory with its bytes (drafts and lock included).
    fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.notes(), &mut out);
        out
    }

    fn temp_files(&self) -> Vec<PathBuf> {
        self.files()
            .into_keys()
            .filter(|p| p.to_string_lossy().contains(".tmp-"))
            .collect()
    }

    /// Two saved notes (by alice and bob) to keep intact.
    fn two_notes(&self) {
        for author in ["alice", "bob"] {
            let run = self.run(
                "false",
                &["handoff", "new", "--no-edit", "--author", author],
            );
            assert!(run.ok, "{run:?}");
        }
        assert_eq!(support::note_files(&self.notes()).len(), 2);
    }
}

/// An editor that writes 256 KiB of tips into the note (lifting the soft file-size limit for
/// itself first: the user's editor is not what runs out of disk here).
const BIG_EDIT: &str = "ulimit -S -f unlimited\n\
    { for i in $(seq 4000); do echo \"- tip $i: careful words that took an hour to write\"; done; } >> \"$1\"\n";

#[test]
fn a_full_disk_is_reported_the_draft_kept_and_the_notes_untouched() {
    let env = Env::new();
    env.two_notes();
    let before = env.files();
    let editor = env.script("big-edit.sh", BIG_EDIT);

    // 64 KiB may be written per file (bash counts 1024-byte blocks); SIGXFSZ is ignored so a
    // write past it fails with EFBIG, as it would with ENOSPC on a full disk.
    let run = env.run_in(
        "trap '' XFSZ; ulimit -S -f 64;",
        "",
        &editor,
        &["handoff", "new", "--author", "carol"],
    );
    assert!(!run.ok, "{run:?}");
    assert!(
        run.stderr.contains("no space left on the disk holding")
            && run.stderr.contains(&env.notes().display().to_string()),
        "the user is told, with the path: {run:?}"
    );
    assert!(run.stderr.contains("nothing was saved"), "{run:?}");
    assert!(run.stderr.contains("your draft is kept in"), "{run:?}");

    // The draft holds the whole edit, to save once there is room.
    let draft = std::fs::read_to_string(env.draft("carol")).expect("the draft is kept");
    assert!(draft.contains("- tip 4000: careful words"), "{draft}");
    // The notes are byte-identical, no third note, no temp file.
    let after = env.files();
    for (path, bytes) in &before {
        assert_eq!(after.get(path), Some(bytes), "{} changed", path.display());
    }
    assert_eq!(support::note_files(&env.notes()).len(), 2);
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());

    // With room again, the kept draft is continued and saved.
    let run = env.run("true", &["handoff", "new", "--author", "carol"]);
    assert!(run.ok, "{run:?}");
    assert!(!env.draft("carol").exists());
    let notes = support::note_files(&env.notes());
    assert_eq!(notes.len(), 3);
    let saved = notes
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .find(|n| n.contains("author: carol"))
        .expect("carol's note");
    assert!(saved.contains("- tip 4000: careful words"));
}

#[test]
fn a_full_disk_during_an_ack_leaves_the_note_as_it_was() {
    let env = Env::new();
    env.two_notes();
    let before = env.files();
    // Not even a byte may be written.
    let run = env.run_in(
        "trap '' XFSZ; ulimit -S -f 0;",
        "",
        "false",
        &["handoff", "ack", "--as", "dan"],
    );
    assert!(!run.ok, "{run:?}");
    assert!(
        run.stderr.contains("no space left on the disk holding"),
        "{run:?}"
    );
    assert_eq!(env.files(), before, "nothing on disk changed");
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

/// Whether this process may make a private mount namespace with a read-only bind mount
/// (root in a container that allows it, or user namespaces).
fn can_mount_read_only(dir: &Path) -> bool {
    Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg("mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" \"$1\" && ! touch \"$1/.probe\" 2>/dev/null")
        .arg("sh")
        .arg(dir)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_read_only_directory_is_reported_the_draft_kept_and_the_notes_untouched() {
    let env = Env::new();
    env.two_notes();
    // A draft from an earlier session, to keep.
    std::fs::create_dir_all(env.draft("carol").parent().unwrap()).unwrap();
    let editor = env.script("edit.sh", "echo '- one more tip' >> \"$1\"\n");
    let run = env.run("false", &["handoff", "new", "--author", "carol"]);
    assert!(!run.ok, "the failing editor keeps a draft: {run:?}");
    assert!(env.draft("carol").exists());
    let before = env.files();

    // chmod does not stop root; a read-only bind mount (in a mount namespace of the run's
    // own, gone with it) does, for everyone. Without the right to mount: chmod, unless root.
    let notes = env.notes();
    let drafts = env.draft("carol").parent().unwrap().to_path_buf();
    let wrapper = if can_mount_read_only(&notes) {
        format!(
            "unshare -m --propagation private bash -c 'mount --bind \"$0\" \"$0\" && \
             mount -o remount,bind,ro \"$0\" \"$0\" && exec \"$@\"' {}",
            notes.display()
        )
    } else if !is_root() {
        for d in [&notes, &drafts] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o500)).unwrap();
        }
        String::new()
    } else {
        eprintln!("skipped: root without the right to mount (and chmod does not stop root)");
        return;
    };
    let sretop = |editor: &str, args: &[&str]| env.run_in("", &wrapper, editor, args);
    let runs = [
        (
            "continuing the draft",
            sretop(&editor, &["handoff", "new", "--author", "carol"]),
        ),
        (
            "a fresh note",
            sretop("true", &["handoff", "new", "--no-edit", "--author", "erin"]),
        ),
        (
            "an ack",
            sretop("false", &["handoff", "ack", "--as", "dan"]),
        ),
    ];
    // Reading still works on a read-only directory.
    let list = sretop("false", &["handoff", "list"]);
    if wrapper.is_empty() {
        for d in [&notes, &drafts] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
    }
    for (what, run) in &runs {
        assert!(!run.ok, "{what}: {run:?}");
        assert!(
            run.stderr.contains("is read-only: nothing was saved"),
            "{what}: the user is told: {run:?}"
        );
    }
    assert_eq!(env.files(), before, "nothing on disk changed");
    assert!(env.draft("carol").exists(), "the draft is kept");
    assert!(list.ok, "{list:?}");
    assert!(
        list.stdout.contains("alice") && list.stdout.contains("bob"),
        "{list:?}"
    );
}

#[test]
fn a_note_broken_by_hand_is_listed_as_broken_and_the_rest_still_works() {
    let env = Env::new();
    env.two_notes();
    let notes = support::note_files(&env.notes());
    let (broken_path, good_path) = {
        let alice = notes
            .iter()
            .find(|p| p.to_string_lossy().contains("alice"))
            .unwrap();
        let bob = notes
            .iter()
            .find(|p| p.to_string_lossy().contains("bob"))
            .unwrap();
        (alice.clone(), bob.clone())
    };
    // A hand edit that breaks the YAML front matter (an unclosed flow sequence).
    let original = std::fs::read_to_string(&broken_path).unwrap();
    let broken = original.replacen("\nauthor: alice\n", "\nauthor: alice\nteam: [oops\n", 1);
    assert_ne!(broken, original);
    std::fs::write(&broken_path, &broken).unwrap();
    let id = broken_path
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();

    let list = env.run("false", &["handoff", "list"]);
    assert!(list.ok, "{list:?}");
    let line = list
        .stdout
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("the broken note is listed: {list:?}"));
    assert!(
        line.contains("cannot be read") && line.contains("line "),
        "listed as broken, with the reason and line: {line}"
    );
    assert!(
        list.stdout.contains("bob"),
        "the others still load: {list:?}"
    );

    let show = env.run("false", &["handoff", "show", &id]);
    assert!(!show.ok, "{show:?}");
    assert!(
        show.stderr.contains(&broken_path.display().to_string()),
        "{show:?}"
    );

    // Acknowledging the broken note is refused; the good one can be acknowledged.
    let ack = env.run("false", &["handoff", "ack", &id, "--as", "dan"]);
    assert!(!ack.ok, "{ack:?}");
    let good_id = good_path
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let ack = env.run("false", &["handoff", "ack", &good_id, "--as", "dan"]);
    assert!(ack.ok, "{ack:?}");
    assert!(std::fs::read_to_string(&good_path).unwrap().contains("dan"));

    // Composing still works (the broken note is skipped as the previous one, not fatal).
    let new = env.run(
        "true",
        &["handoff", "new", "--no-edit", "--author", "carol"],
    );
    assert!(new.ok, "{new:?}");
    assert_eq!(support::note_files(&env.notes()).len(), 3);

    // The hand-edited file is exactly as the user left it.
    assert_eq!(std::fs::read_to_string(&broken_path).unwrap(), broken);
    assert!(env.temp_files().is_empty());
}
