//! The handoff directory: one `<id>.md` note per handoff (format in
//! [`crate::domain::handoff`]), drafts in `drafts/<user>.md`, and a `.lock` file.
//!
//! Safety on disk:
//! - Every write is atomic: a temp file `.<name>.tmp-<pid>` in the same directory is written,
//!   fsynced and renamed over the target, then the directory is fsynced. A crash leaves either
//!   the old or the new file, never a mix; leftover temp files are ignored by [`HandoffStore::list`]
//!   and removed by the next save of that note. On an error the temp file is removed.
//! - Saves take an exclusive `flock` on `<dir>/.lock` (waiting up to [`LOCK_TIMEOUT`]) and
//!   compare the revision on disk with the one the caller started from, so two engineers saving
//!   at once on one host neither corrupt nor silently overwrite each other: the second gets
//!   [`StoreError::Conflict`] with the note on disk, to merge. (`flock` is per host; on a
//!   network file system the revision check still catches most races, but not all.)
//! - A file that does not parse is never written over by a save: the user is told where it is
//!   broken and fixes it by hand, while the draft stays in `drafts/`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::domain::handoff::{parse, render, Note};

/// How long a save waits for another sretop's save to finish before giving up with
/// [`StoreError::Busy`].
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(2);

/// What went wrong in the handoff store; every message names the file or directory.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Any other I/O error.
    #[error("could not {op} {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done, as a verb: `read`, `create a file in`, `rename into`, …
        op: &'static str,
        /// The error from the OS.
        #[source]
        source: io::Error,
    },
    /// No permission to write, or a read-only file system.
    #[error("{} is read-only: nothing was saved (check its permissions, or set another handoff directory)", path.display())]
    ReadOnly {
        /// The file or directory that could not be written.
        path: PathBuf,
    },
    /// The disk is full.
    #[error("no space left on the disk holding {}: nothing was saved", path.display())]
    NoSpace {
        /// The file that could not be written.
        path: PathBuf,
    },
    /// A note file that does not parse (usually a hand edit of its front matter).
    #[error("{}: line {line}: {message}", path.display())]
    Parse {
        /// The note file.
        path: PathBuf,
        /// 1-based line in the file.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The note changed on disk since the caller loaded it; nothing was written.
    #[error("{} was saved by someone else since you opened it (now revision {}): merge and save again", path.display(), theirs.revision)]
    Conflict {
        /// The note file.
        path: PathBuf,
        /// The note as it is on disk now.
        theirs: Box<Note>,
    },
    /// Another sretop held the lock for longer than [`LOCK_TIMEOUT`].
    #[error("another sretop is saving in {}: try again in a moment", path.display())]
    Busy {
        /// The lock file.
        path: PathBuf,
    },
    /// No such note.
    #[error("there is no handoff note {}", path.display())]
    NotFound {
        /// The path that was looked for.
        path: PathBuf,
    },
    /// An id or user name that cannot be a file name in the directory.
    #[error(
        "{id:?} cannot name a handoff file: it is empty, starts with a dot, or contains a slash"
    )]
    InvalidName {
        /// The name as given.
        id: String,
    },
}

fn io_error(path: &Path, op: &'static str, source: io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        op,
        source,
    }
}

/// Like [`io_error`], but for writes: a full disk and a lack of permission get their own
/// variants, since the user can do something about them.
fn write_error(path: &Path, op: &'static str, source: io::Error) -> StoreError {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    // The file cannot grow any more (a file-size limit, or the file system's largest file):
    // to the user, the same as a full disk.
    const EFBIG: i32 = 27;
    const EROFS: i32 = 30;
    let raw = source.raw_os_error();
    match source.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => StoreError::NoSpace {
            path: path.to_path_buf(),
        },
        io::ErrorKind::FileTooLarge => StoreError::NoSpace {
            path: path.to_path_buf(),
        },
        _ if matches!(raw, Some(ENOSPC | EDQUOT | EFBIG)) => StoreError::NoSpace {
            path: path.to_path_buf(),
        },
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            StoreError::ReadOnly {
                path: path.to_path_buf(),
            }
        }
        _ if raw == Some(EROFS) => StoreError::ReadOnly {
            path: path.to_path_buf(),
        },
        _ => io_error(path, op, source),
    }
}

/// A note file in the directory, parsed or not.
#[derive(Debug)]
pub struct NoteSummary {
    /// The file stem.
    pub id: String,
    /// The file.
    pub path: PathBuf,
    /// When the file was last modified, if the file system says.
    pub modified: Option<DateTime<Utc>>,
    /// The note, or why it could not be read (listed rather than dropped, so the user sees it).
    pub note: Result<Note, StoreError>,
}

impl NoteSummary {
    /// The time the list is sorted by: the note's `created`, or for a note that does not
    /// parse, the file's modification time.
    pub fn sort_time(&self) -> DateTime<Utc> {
        match &self.note {
            Ok(n) => n.created,
            Err(_) => self.modified.unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        }
    }
}

/// The handoff directory. Cheap to hold; every call goes to the disk.
#[derive(Debug, Clone)]
pub struct HandoffStore {
    dir: PathBuf,
    lock_timeout: Duration,
}

/// Held while saving; the `flock` is released when the file is closed.
struct DirLock {
    _file: File,
}

/// Rejects names that would escape the directory or hide the file.
fn checked_name(id: &str) -> Result<&str, StoreError> {
    if id.is_empty() || id.starts_with('.') || id.contains(['/', '\\', '\0']) {
        Err(StoreError::InvalidName { id: id.to_string() })
    } else {
        Ok(id)
    }
}

impl HandoffStore {
    /// The default directory: `$XDG_DATA_HOME/sretop/handoff` (`~/.local/share/sretop/handoff`).
    pub fn default_dir() -> Option<PathBuf> {
        use etcetera::BaseStrategy;
        let strategy = etcetera::choose_base_strategy().ok()?;
        Some(strategy.data_dir().join("sretop").join("handoff"))
    }

    /// Opens the directory, creating it (and its parents) with mode 0700 if it is missing.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        if !dir.is_dir() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|e| write_error(&dir, "create the directory", e))?;
        }
        Ok(Self {
            dir,
            lock_timeout: LOCK_TIMEOUT,
        })
    }

    /// The same store with another wait for the lock than [`LOCK_TIMEOUT`].
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of note `id`.
    pub fn note_path(&self, id: &str) -> Result<PathBuf, StoreError> {
        Ok(self.dir.join(format!("{}.md", checked_name(id)?)))
    }

    fn drafts_dir(&self) -> PathBuf {
        self.dir.join("drafts")
    }

    /// The draft file of `user`.
    pub fn draft_path(&self, user: &str) -> Result<PathBuf, StoreError> {
        Ok(self
            .drafts_dir()
            .join(format!("{}.md", checked_name(user)?)))
    }

    /// Every `*.md` note in the directory, newest first (see [`NoteSummary::sort_time`]).
    /// Temp files, drafts and the lock file are not notes. A note that cannot be read is listed
    /// with its error.
    pub fn list(&self) -> Result<Vec<NoteSummary>, StoreError> {
        let entries = fs::read_dir(&self.dir).map_err(|e| io_error(&self.dir, "list", e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&self.dir, "list", e))?;
            let name = entry.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".md"))
                .filter(|id| checked_name(id).is_ok())
            else {
                continue;
            };
            let path = entry.path();
            let Ok(meta) = fs::metadata(&path) else {
                continue; // removed meanwhile, or a dangling link
            };
            if !meta.is_file() {
                continue;
            }
            let note = match read_note(&path, Some(id)) {
                Ok(Some(n)) => Ok(n),
                Ok(None) => continue,
                Err(e) => Err(e),
            };
            out.push(NoteSummary {
                id: id.to_string(),
                path,
                modified: meta.modified().ok().map(DateTime::<Utc>::from),
                note,
            });
        }
        out.sort_by(|a, b| {
            b.sort_time()
                .cmp(&a.sort_time())
                .then_with(|| b.id.cmp(&a.id))
        });
        Ok(out)
    }

    /// Note `id`; its `id` field is the file stem, whatever the front matter says.
    pub fn load(&self, id: &str) -> Result<Note, StoreError> {
        let path = self.note_path(id)?;
        read_note(&path, Some(id))?.ok_or(StoreError::NotFound { path })
    }

    /// The newest note that parses, if any.
    pub fn latest(&self) -> Result<Option<Note>, StoreError> {
        Ok(self.list()?.into_iter().find_map(|s| s.note.ok()))
    }

    /// Saves `note` as `<id>.md` if the file on disk is still at `expected_revision` (`None`:
    /// the note is new and no file may exist), and bumps `note.revision`. Otherwise nothing is
    /// written and [`StoreError::Conflict`] carries the note on disk. A file on disk that does
    /// not parse is not written over ([`StoreError::Parse`]). On any error `note` is unchanged.
    pub fn save(&self, note: &mut Note, expected_revision: Option<u64>) -> Result<(), StoreError> {
        let path = self.note_path(&note.id)?;
        let _lock = self.lock()?;
        let on_disk = read_note(&path, Some(&note.id))?;
        if let Some(theirs) = on_disk.as_ref() {
            if Some(theirs.revision) != expected_revision {
                return Err(StoreError::Conflict {
                    path,
                    theirs: Box::new(theirs.clone()),
                });
            }
        }
        let base = on_disk
            .map(|n| n.revision)
            .or(expected_revision)
            .unwrap_or(0);
        let mut to_write = note.clone();
        to_write.revision = base + 1;
        self.write_note(&path, &to_write)?;
        note.revision = to_write.revision;
        Ok(())
    }

    /// Marks note `id` acknowledged by `who` at `at`, under the same lock as [`Self::save`]
    /// (so an ack never overwrites a concurrent edit), and returns the note as saved.
    pub fn ack(&self, id: &str, who: &str, at: DateTime<Utc>) -> Result<Note, StoreError> {
        let path = self.note_path(id)?;
        let _lock = self.lock()?;
        let mut note =
            read_note(&path, Some(id))?.ok_or(StoreError::NotFound { path: path.clone() })?;
        note.acked_by = Some(who.to_string());
        // Whole seconds: the file is read and edited by people.
        note.acked_at = Some(chrono::SubsecRound::trunc_subsecs(at, 0));
        note.revision += 1;
        self.write_note(&path, &note)?;
        Ok(note)
    }

    /// Renders and writes a note under the lock, after removing temp files that a crashed
    /// save of the same note left (no live save can own them: we hold the lock).
    fn write_note(&self, path: &Path, note: &Note) -> Result<(), StoreError> {
        let text = render(note);
        // A bug in render must not put an unreadable file on disk.
        parse(&text).map_err(|e| StoreError::Parse {
            path: path.to_path_buf(),
            line: e.line,
            message: format!("sretop would write an unreadable note ({})", e.message),
        })?;
        self.remove_stale_temps(path);
        write_atomic(&self.dir, path, &text, None)
    }

    fn remove_stale_temps(&self, path: &Path) {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        let prefix = format!(".{name}.tmp-");
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix))
            {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    fn lock(&self) -> Result<DirLock, StoreError> {
        use rustix::fs::{flock, FlockOperation};
        use rustix::io::Errno;
        let path = self.dir.join(".lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| write_error(&self.dir, "create the lock file in", e))?;
        let deadline = Instant::now() + self.lock_timeout;
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(DirLock { _file: file }),
                Err(Errno::INTR) => {}
                Err(e) if e == Errno::WOULDBLOCK || e == Errno::AGAIN => {
                    if Instant::now() >= deadline {
                        return Err(StoreError::Busy { path });
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(io_error(&path, "lock", e.into())),
            }
        }
    }

    /// Saves `note` as the draft of its author (`drafts/<author>.md`), atomically, readable
    /// only by the user. Meant to be called often (autosave), so that a dropped SSH link or a
    /// crash loses at most the last few keystrokes.
    pub fn save_draft(&self, note: &Note) -> Result<(), StoreError> {
        let path = self.draft_path(&note.author)?;
        let dir = self.drafts_dir();
        if !dir.is_dir() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|e| write_error(&dir, "create the directory", e))?;
        }
        write_atomic(&dir, &path, &render(note), Some(0o600))
    }

    /// The draft `user` left, if any (to offer back on start). Its `id` is the note's, from
    /// the front matter.
    pub fn load_draft(&self, user: &str) -> Result<Option<Note>, StoreError> {
        read_note(&self.draft_path(user)?, None)
    }

    /// Removes `user`'s draft; no draft is not an error.
    pub fn discard_draft(&self, user: &str) -> Result<(), StoreError> {
        let path = self.draft_path(user)?;
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(write_error(&path, "remove", e)),
            _ => Ok(()),
        }
    }
}

/// Reads and parses a note file; `Ok(None)` if there is none. `id`, if given, replaces the
/// id from the front matter (the file name is what identifies a note).
fn read_note(path: &Path, id: Option<&str>) -> Result<Option<Note>, StoreError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "read", e)),
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        StoreError::Parse {
            path: path.to_path_buf(),
            line: good.iter().filter(|&&b| b == b'\n').count() + 1,
            message: "the file is not UTF-8 text".to_string(),
        }
    })?;
    let mut note = parse(&text).map_err(|e| StoreError::Parse {
        path: path.to_path_buf(),
        line: e.line,
        message: e.message,
    })?;
    if let Some(id) = id {
        note.id = id.to_string();
    }
    Ok(Some(note))
}

/// Creates the temp file beside `target` (exclusively: a leftover or planted file of that
/// name is removed first, never followed) and writes and fsyncs `contents` into it.
fn write_temp(
    dir: &Path,
    target: &Path,
    contents: &str,
    mode: Option<u32>,
) -> Result<PathBuf, StoreError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    if let Some(mode) = mode {
        opts.mode(mode);
    }
    let mut file = match opts.open(&tmp) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let _ = fs::remove_file(&tmp);
            opts.open(&tmp)
        }
        other => other,
    }
    .map_err(|e| write_error(dir, "create a file in", e))?;
    let written = (|| {
        if mode.is_none() {
            // Keep the permissions a team gave the note (e.g. group-writable in a shared folder).
            if let Ok(meta) = fs::metadata(target) {
                file.set_permissions(meta.permissions())
                    .map_err(|e| write_error(&tmp, "set the permissions of", e))?;
            }
        }
        file.write_all(contents.as_bytes())
            .map_err(|e| write_error(&tmp, "write", e))?;
        file.sync_all().map_err(|e| write_error(&tmp, "flush", e))
    })();
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Writes `target` atomically: temp file, fsync, rename over, fsync of the directory.
fn write_atomic(
    dir: &Path,
    target: &Path,
    contents: &str,
    mode: Option<u32>,
) -> Result<(), StoreError> {
    let tmp = write_temp(dir, target, contents, mode)?;
    if let Err(e) = fs::rename(&tmp, target) {
        let _ = fs::remove_file(&tmp);
        return Err(write_error(target, "replace", e));
    }
    // The rename is done; failing to persist the directory entry now is not worth failing
    // the save over (the caller would retry against its own new revision).
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::warn!(dir = %dir.display(), error = %e, "could not fsync the handoff directory");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::handoff::{Incident, Item};
    use chrono::TimeZone;
    use std::os::unix::fs::PermissionsExt;
    use std::process::{Command, Stdio};

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, h, 0, 0).unwrap()
    }

    fn note(author: &str, h: u32) -> Note {
        let mut n = Note::new(author, t(h));
        n.shift_start = Some(t(h) - chrono::Duration::hours(8));
        n.shift_end = Some(t(h));
        n.incidents.push(Incident {
            id: "INC-1".into(),
            severity: "SEV2".into(),
            status: "open".into(),
            summary: "queue backlog".into(),
        });
        n.tips.push(Item {
            text: "restart the exporter".into(),
            done: false,
        });
        n
    }

    fn temp_files(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.contains(".tmp-"))
            .collect()
    }

    fn is_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    #[test]
    fn a_note_round_trips_through_the_disk_and_revisions_count_saves() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/handoff");
        let store = HandoffStore::open(&dir).unwrap();
        let mode = fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);

        let mut n = note("alice", 17);
        store.save(&mut n, None).unwrap();
        assert_eq!(n.revision, 1);
        assert_eq!(store.load(&n.id).unwrap(), n);
        n.tips.push(Item {
            text: "second".into(),
            done: true,
        });
        store.save(&mut n, Some(1)).unwrap();
        assert_eq!(n.revision, 2);
        assert_eq!(store.load(&n.id).unwrap(), n);
        assert!(temp_files(&dir).is_empty());
        assert!(matches!(
            store.load("nope"),
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.load("../etc/passwd"),
            Err(StoreError::InvalidName { .. })
        ));
    }

    #[test]
    fn list_is_newest_first_and_latest_is_the_newest() {
        let tmp = tempfile::tempdir().unwrap();
        let store = HandoffStore::open(tmp.path()).unwrap();
        for (who, h) in [("bob", 9), ("carol", 17), ("alice", 1)] {
            store.save(&mut note(who, h), None).unwrap();
        }
        let ids: Vec<String> = store.list().unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(
            ids,
            [
                "2026-11-22T1700Z-carol",
                "2026-11-22T0900Z-bob",
                "2026-11-22T0100Z-alice"
            ]
        );
        assert_eq!(store.latest().unwrap().unwrap().author, "carol");
        assert!(HandoffStore::open(tmp.path().join("empty"))
            .unwrap()
            .latest()
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_hand_edited_note_keeps_unknown_keys_and_sections_through_an_ack() {
        let tmp = tempfile::tempdir().unwrap();
        let store = HandoffStore::open(tmp.path()).unwrap();
        let hand = "---\nauthor: carol\ncreated: 2026-11-22 08:00 UTC\nrevision: 2\n\
                    pager: {team: payments, rotation: weekly}\n---\n\
                    Hi Dan, a calm night.\n\n## Contacts\nVendor: +1 555 0100\n\n\
                    ## Open incidents\n- [SEV3] INC-4: noisy alert\n";
        fs::write(tmp.path().join("carol-night.md"), hand).unwrap();

        let acked = store.ack("carol-night", "dan", t(9)).unwrap();
        assert_eq!(acked.revision, 3);
        assert_eq!(acked.id, "carol-night", "the file name is the id");

        let text = fs::read_to_string(tmp.path().join("carol-night.md")).unwrap();
        for kept in [
            "pager:",
            "team: payments",
            "rotation: weekly",
            "Hi Dan, a calm night.",
            "## Contacts\nVendor: +1 555 0100",
            "- [SEV3] INC-4: noisy alert",
            "acked_by: dan",
            "revision: 3",
        ] {
            assert!(text.contains(kept), "{kept:?} lost:\n{text}");
        }
        let back = store.load("carol-night").unwrap();
        assert_eq!(back, acked);
        assert_eq!(back.acked_at, Some(t(9)));
    }

    #[test]
    fn a_second_writer_from_an_old_revision_gets_a_conflict_and_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let one = HandoffStore::open(tmp.path()).unwrap();
        let two = HandoffStore::open(tmp.path()).unwrap();
        let mut n = note("alice", 17);
        one.save(&mut n, None).unwrap();

        let mut mine = one.load(&n.id).unwrap();
        let mut yours = two.load(&n.id).unwrap();
        assert_eq!((mine.revision, yours.revision), (1, 1));
        mine.tips.push(Item {
            text: "mine".into(),
            done: false,
        });
        one.save(&mut mine, Some(1)).unwrap();
        yours.tips.push(Item {
            text: "yours".into(),
            done: false,
        });
        let before = fs::read_to_string(one.note_path(&n.id).unwrap()).unwrap();
        match two.save(&mut yours, Some(1)) {
            Err(StoreError::Conflict { theirs, .. }) => {
                assert_eq!(theirs.revision, 2);
                assert_eq!(*theirs, mine);
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(yours.revision, 1, "the loser's note is unchanged");
        let after = fs::read_to_string(one.note_path(&n.id).unwrap()).unwrap();
        assert_eq!(before, after);

        // A new note whose id is taken is a conflict too, not an overwrite.
        let mut same_id = note("alice", 17);
        assert!(matches!(
            two.save(&mut same_id, None),
            Err(StoreError::Conflict { .. })
        ));
    }

    #[test]
    fn a_held_lock_makes_a_save_busy() {
        let tmp = tempfile::tempdir().unwrap();
        let store = HandoffStore::open(tmp.path())
            .unwrap()
            .with_lock_timeout(Duration::from_millis(100));
        let held = store.lock().unwrap();
        let started = Instant::now();
        let err = store.save(&mut note("alice", 17), None).unwrap_err();
        assert!(matches!(err, StoreError::Busy { .. }), "{err:?}");
        assert!(started.elapsed() >= Duration::from_millis(100));
        drop(held);
        store.save(&mut note("alice", 17), None).unwrap();
    }

    const CHILD_DIR: &str = "SRETOP_TEST_HANDOFF_CHILD_DIR";
    const CHILD_NAME: &str = "SRETOP_TEST_HANDOFF_CHILD_NAME";
    const SHARED_ID: &str = "shared";

    fn spawn_self(test: &str, dir: &Path, name: &str) -> std::process::Child {
        Command::new(std::env::current_exe().unwrap())
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir)
            .env(CHILD_NAME, name)
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// Child: 50 saves of the shared note, each adding a tip, reloading on a conflict.
    fn child_writer(dir: &Path, name: &str) {
        let store = HandoffStore::open(dir).unwrap();
        let mut saved = 0;
        while saved < 50 {
            let (mut n, expected) = match store.load(SHARED_ID) {
                Ok(n) => {
                    let rev = n.revision;
                    (n, Some(rev))
                }
                Err(StoreError::NotFound { .. }) => {
                    let mut n = Note::new("both", t(9));
                    n.id = SHARED_ID.into();
                    (n, None)
                }
                Err(e) => panic!("{e}"),
            };
            n.tips.push(Item {
                text: format!("{name} {saved}"),
                done: false,
            });
            match store.save(&mut n, expected) {
                Ok(()) => saved += 1,
                Err(StoreError::Conflict { .. } | StoreError::Busy { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn two_processes_saving_at_once_lose_no_update() {
        if let (Ok(dir), Ok(name)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_NAME)) {
            return child_writer(Path::new(&dir), &name);
        }
        let tmp = tempfile::tempdir().unwrap();
        let test = "store::handoff::tests::two_processes_saving_at_once_lose_no_update";
        let mut children = [
            spawn_self(test, tmp.path(), "a"),
            spawn_self(test, tmp.path(), "b"),
        ];
        for c in &mut children {
            assert!(c.wait().unwrap().success());
        }
        let store = HandoffStore::open(tmp.path()).unwrap();
        let n = store.load(SHARED_ID).unwrap();
        assert_eq!(n.revision, 100);
        let mut tips: Vec<&str> = n.tips.iter().map(|i| i.text.as_str()).collect();
        tips.sort_unstable();
        let mut want: Vec<String> = ["a", "b"]
            .iter()
            .flat_map(|w| (0..50).map(move |i| format!("{w} {i}")))
            .collect();
        want.sort_unstable();
        assert_eq!(tips, want);
        assert!(temp_files(tmp.path()).is_empty());
    }

    #[test]
    fn a_crash_between_temp_write_and_rename_leaves_the_old_note() {
        if let Ok(dir) = std::env::var(CHILD_DIR) {
            // Child: get as far as a written, fsynced temp file, then die without cleanup.
            let store = HandoffStore::open(&dir).unwrap();
            let mut n = store.load("night").unwrap();
            n.tips.push(Item {
                text: "never saved".into(),
                done: false,
            });
            n.revision += 1;
            let path = store.note_path("night").unwrap();
            write_temp(store.dir(), &path, &render(&n), None).unwrap();
            let me = rustix::process::getpid();
            let _ = rustix::process::kill_process(me, rustix::process::Signal::KILL);
            unreachable!("SIGKILL did not kill the child");
        }
        let tmp = tempfile::tempdir().unwrap();
        let store = HandoffStore::open(tmp.path()).unwrap();
        let mut old = note("alice", 17);
        old.id = "night".into();
        store.save(&mut old, None).unwrap();

        let test =
            "store::handoff::tests::a_crash_between_temp_write_and_rename_leaves_the_old_note";
        let status = spawn_self(test, tmp.path(), "crash").wait().unwrap();
        assert!(!status.success());
        let left = temp_files(tmp.path());
        assert_eq!(left.len(), 1, "the crashed save left its temp file");
        assert!(fs::read_to_string(tmp.path().join(&left[0]))
            .unwrap()
            .contains("never saved"));

        assert_eq!(store.load("night").unwrap(), old);
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, "night");
        assert!(listed[0].note.is_ok());

        // The next save works and sweeps the leftover.
        store.save(&mut old, Some(1)).unwrap();
        assert_eq!(store.load("night").unwrap().revision, 2);
        assert!(temp_files(tmp.path()).is_empty());
    }

    #[test]
    fn a_read_only_directory_is_reported_and_the_note_is_unchanged() {
        if is_root() {
            eprintln!("skipped: root ignores directory permissions");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let store = HandoffStore::open(tmp.path()).unwrap();
        let mut n = note("alice", 17);
        store.save(&mut n, None).unwrap();
        let path = store.note_path(&n.id).unwrap();
        let before = fs::read_to_string(&path).unwrap();

        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o500)).unwrap();
        n.tips.push(Item {
            text: "new".into(),
            done: false,
        });
        let result = store.save(&mut n, Some(1));
        let draft = store.save_draft(&n);
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o700)).unwrap();

        let err = result.unwrap_err();
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
        assert!(err.to_string().contains(&tmp.path().display().to_string()));
        assert!(draft.is_err());
        assert_eq!(n.revision, 1);
        assert_eq!(fs::read_to_string(&path).unwrap(), before);
        assert!(temp_files(tmp.path()).is_empty());
    }

    #[test]
    fn a_failed_write_removes_its_temp_file_and_keeps_the_old_file() {
        // Works as root too: the target of the rename is a directory, so the rename fails.
        let tmp = tempfile::tempdir().unwrap();
        let store = HandoffStore::open(tmp.path()).unwrap();
        fs::create_dir_all(store.draft_path("alice").unwrap().join("keep")).unwrap();
        let err = store.save_draft(&note("alice", 17)).unwrap_err();
        assert!(
            matches!(&err, StoreError::Io { op: "replace", .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("drafts/alice.md"), "{err}");
        assert!(temp_files(&store.drafts_dir()).is_empty());
        assert!(store.draft_path("alice").unwrap().join("keep").is_dir());
    }

    #[test]
    fn write_errors_name_disk_full_and_read_only() {
        let p = Path::new("/x/handoff");
        let full = write_error(p, "write", io::Error::from_raw_os_error(28));
        assert!(matches!(full, StoreError::NoSpace { .. }));
        assert!(full.to_string().contains("/x/handoff"));
        let denied = write_error(p, "write", io::Error::from_raw_os_error(13));
        assert!(matches!(denied, StoreError::ReadOnly { .. }));
        let too_big = write_error(p, "write", io::Error::from_raw_os_error(27));
        assert!(matches!(too_big, StoreError::NoSpace { .. }));
        let rofs = write_error(p, "write", io::Error::from_raw_os_error(30));
        assert!(matches!(rofs, StoreError::ReadOnly { .. }));
        let other = write_error(p, "write", io::Error::from_raw_os_error(5));
        assert!(matches!(other, StoreError::Io { op: "write", .. }));
        assert!(other
            .to_string()
            .starts_with("could not write /x/handoff: "));
    }

    #[test]
    fn a_broken_front_matter_is_reported_listed_and_never_written_over() {
        let tmp = tempfile::tempdir().unwrap();
        let store = HandoffStore::open(tmp.path()).unwrap();
        let mut good = note("bob", 9);
        store.save(&mut good, None).unwrap();
        let mut n = note("alice", 17);
        store.save(&mut n, None).unwrap();
        let path = store.note_path(&n.id).unwrap();
        let broken = "---\nauthor: alice\ncreated: 2026-11-22T17:00:00Z\nrevision: 1\nteam: [oops\n---\n## Tips\n- hand edit\n";
        fs::write(&path, broken).unwrap();

        let err = store.load(&n.id).unwrap_err();
        match &err {
            StoreError::Parse { line, .. } => assert!((5..=6).contains(line), "{err}"),
            other => panic!("expected a parse error, got {other:?}"),
        }
        assert!(err.to_string().contains(&n.id), "{err}");

        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|s| s.id == n.id && s.note.is_err()));
        assert!(listed.iter().any(|s| s.id == good.id && s.note.is_ok()));
        assert_eq!(store.latest().unwrap().unwrap().id, good.id);

        // Saving over it is refused, the hand edit stays, and the draft is kept.
        store.save_draft(&n).unwrap();
        assert!(matches!(
            store.save(&mut n, Some(1)),
            Err(StoreError::Parse { .. })
        ));
        assert!(matches!(
            store.ack(&n.id, "dan", t(18)),
            Err(StoreError::Parse { .. })
        ));
        assert_eq!(fs::read_to_string(&path).unwrap(), broken);
        assert_eq!(store.load_draft("alice").unwrap().unwrap(), n);
    }

    #[test]
    fn a_file_that_is_not_utf8_is_a_parse_error_on_its_line() {
        let tmp = tempfile::tempdir().unwrap();
        let store = HandoffStore::open(tmp.path()).unwrap();
        fs::write(tmp.path().join("bin.md"), b"---\nauthor: a\n\xff\n").unwrap();
        match store.load("bin") {
            Err(StoreError::Parse { line, message, .. }) => {
                assert_eq!(line, 3);
                assert!(message.contains("UTF-8"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn drafts_are_saved_offered_back_and_discarded() {
        let tmp = tempfile::tempdir().unwrap();
        let store = HandoffStore::open(tmp.path()).unwrap();
        assert!(store.load_draft("alice").unwrap().is_none());

        let mut draft = note("alice", 17);
        draft.preamble = "half-written".into();
        store.save_draft(&draft).unwrap();
        // A second store, as after a dropped SSH link and a restart.
        let again = HandoffStore::open(tmp.path()).unwrap();
        assert_eq!(again.load_draft("alice").unwrap(), Some(draft.clone()));
        let path = again.draft_path("alice").unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(again.list().unwrap().is_empty(), "a draft is not a note");

        draft.preamble = "written".into();
        again.save_draft(&draft).unwrap();
        assert_eq!(
            again.load_draft("alice").unwrap().unwrap().preamble,
            "written"
        );
        assert!(temp_files(&again.drafts_dir()).is_empty());

        again.discard_draft("alice").unwrap();
        assert!(again.load_draft("alice").unwrap().is_none());
        again.discard_draft("alice").unwrap();
        assert!(matches!(
            again.load_draft(".hidden"),
            Err(StoreError::InvalidName { .. })
        ));
    }
}
