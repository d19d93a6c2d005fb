//! The handoff view's side of [`App::update`]: the note list as last loaded, the selection,
//! the opened note, the reload schedule, and the keys `A` (acknowledge) and `n` (compose).
//!
//! Reading and writing the notes are [`Cmd`]s the runtime carries out
//! ([`Cmd::LoadHandoffs`], [`Cmd::AckHandoff`]); their answers come back as
//! [`Msg::HandoffsLoaded`](super::Msg::HandoffsLoaded) and
//! [`Msg::HandoffAcked`](super::Msg::HandoffAcked).

use chrono::{DateTime, Utc};

use super::{App, Cmd, View};
use crate::domain::handoff::Note;
use crate::keys::Action;
use crate::store::handoff::NoteSummary;

/// How often the handoff directory is read again.
pub const RELOAD_SECS: i64 = 60;

/// One note of the history list, as read from the directory.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteRow {
    /// The file stem.
    pub id: String,
    /// Empty when the note could not be read.
    pub author: String,
    /// The note's `created` (or the file's modification time for a note that does not parse).
    pub created: Option<DateTime<Utc>>,
    pub acked_by: Option<String>,
    pub acked_at: Option<DateTime<Utc>>,
    /// Why the file could not be read.
    pub error: Option<String>,
    /// The whole note, to open it without reading the disk again.
    pub note: Option<Box<Note>>,
}

impl NoteRow {
    /// A row for a note that was read.
    pub fn from_note(note: &Note) -> Self {
        NoteRow {
            id: note.id.clone(),
            author: note.author.clone(),
            created: Some(note.created),
            acked_by: note.acked_by.clone(),
            acked_at: note.acked_at,
            error: None,
            note: Some(Box::new(note.clone())),
        }
    }

    /// A row for a file in the directory, read or not.
    pub fn from_summary(s: &NoteSummary) -> Self {
        match &s.note {
            Ok(note) => NoteRow {
                id: s.id.clone(),
                ..NoteRow::from_note(note)
            },
            Err(e) => NoteRow {
                id: s.id.clone(),
                author: String::new(),
                created: s.modified,
                acked_by: None,
                acked_at: None,
                error: Some(e.to_string()),
                note: None,
            },
        }
    }

    pub fn is_acked(&self) -> bool {
        self.acked_by.is_some()
    }
}

/// What a load answers: every note, newest first, and the newest note that parses.
pub type HandoffList = (Vec<NoteRow>, Option<Note>);

/// The handoff view's state.
#[derive(Debug, Clone, Default)]
pub struct HandoffState {
    /// Every note in the directory, newest first.
    pub notes: Vec<NoteRow>,
    /// The newest note that parses.
    pub latest: Option<Note>,
    /// The selected row of the history list.
    pub selected: usize,
    /// A note opened from the history (shown instead of the latest).
    pub open: Option<Note>,
    /// Why the directory could not be read (the last load).
    pub load_error: Option<String>,
    /// A load has answered at least once.
    pub loaded: bool,
    /// A load is out.
    pub in_flight: bool,
    /// When the next load is due; `None` before the first one (due at once).
    pub next_load: Option<DateTime<Utc>>,
    /// Something was written while a load was out: load again when it is in.
    pub reload: bool,
}

impl HandoffState {
    /// The note on screen: the one opened, else the latest.
    pub fn shown(&self) -> Option<&Note> {
        self.open.as_ref().or(self.latest.as_ref())
    }

    /// The latest note exists and nobody has acknowledged it.
    pub fn latest_unacked(&self) -> bool {
        self.latest.as_ref().is_some_and(|n| n.acked_by.is_none())
    }

    /// Takes a load's answer.
    pub fn loaded(&mut self, result: Result<HandoffList, String>, now: DateTime<Utc>) {
        self.in_flight = false;
        self.loaded = true;
        self.next_load = Some(if std::mem::take(&mut self.reload) {
            now
        } else {
            now + chrono::Duration::seconds(RELOAD_SECS)
        });
        match result {
            Ok((notes, latest)) => {
                self.notes = notes;
                self.latest = latest;
                self.load_error = None;
                // An opened note follows what is on disk now (e.g. acknowledged meanwhile).
                if let Some(open) = &self.open {
                    self.open = self
                        .notes
                        .iter()
                        .find(|r| r.id == open.id)
                        .and_then(|r| r.note.as_deref().cloned());
                }
                self.selected = self.selected.min(self.notes.len().saturating_sub(1));
            }
            // Keep what was read before; say why it is old.
            Err(e) => self.load_error = Some(e),
        }
    }
}

impl App {
    /// A load of the handoff directory if one is due and none is out.
    pub(super) fn due_handoff_load(&mut self) -> Option<Cmd> {
        let dir = self.handoff_dir.clone()?;
        let h = &mut self.handoff;
        if h.in_flight || h.next_load.is_some_and(|t| t > self.now) {
            return None;
        }
        h.in_flight = true;
        Some(Cmd::LoadHandoffs { dir })
    }

    /// Loads the directory again as soon as possible (after a write).
    pub(super) fn reload_handoffs(&mut self) {
        if self.handoff.in_flight {
            self.handoff.reload = true;
        } else {
            self.handoff.next_load = Some(self.now);
        }
    }

    /// The answer to an acknowledgement.
    pub(super) fn on_handoff_acked(&mut self, result: Result<Note, String>) {
        match result {
            Ok(note) => {
                let who = note.acked_by.clone().unwrap_or_default();
                self.notice(format!("handoff {} acknowledged by {who}", note.id), false);
                if self.handoff.open.as_ref().is_some_and(|n| n.id == note.id) {
                    self.handoff.open = Some(note.clone());
                }
                if self
                    .handoff
                    .latest
                    .as_ref()
                    .is_some_and(|n| n.id == note.id)
                {
                    self.handoff.latest = Some(note.clone());
                }
                if let Some(row) = self.handoff.notes.iter_mut().find(|r| r.id == note.id) {
                    *row = NoteRow::from_note(&note);
                }
            }
            Err(e) => self.notice(format!("handoff not acknowledged: {e}"), true),
        }
        self.reload_handoffs();
    }

    /// Handoff actions; returns whether the action was handled here.
    pub(super) fn handoff_action(&mut self, action: Action) -> bool {
        if self.help {
            return false;
        }
        match action {
            Action::Handoff => {
                self.view = View::Handoff;
                true
            }
            Action::AckHandoff => {
                self.start_ack();
                true
            }
            Action::ComposeHandoff => {
                match self.handoff_dir.clone() {
                    Some(dir) => self.pending.push(Cmd::ComposeHandoff {
                        dir,
                        user: self.user.clone(),
                    }),
                    None => self.notice("no handoff directory (set handoff.dir)", true),
                }
                true
            }
            Action::Open if self.view == View::Handoff => {
                if let Some(row) = self.handoff.notes.get(self.handoff.selected).cloned() {
                    match row.note {
                        Some(note) => self.handoff.open = Some(*note),
                        None => {
                            let why = row.error.unwrap_or_default();
                            self.notice(format!("cannot open {}: {why}", row.id), true);
                        }
                    }
                }
                true
            }
            Action::Back if self.view == View::Handoff && self.handoff.open.is_some() => {
                self.handoff.open = None;
                true
            }
            _ => false,
        }
    }

    /// `A`: acknowledge the note on screen as the local user.
    fn start_ack(&mut self) {
        if self.config.read_only {
            self.refuse_write("read-only mode: writes are disabled");
            return;
        }
        let Some(dir) = self.handoff_dir.clone() else {
            self.notice("no handoff directory (set handoff.dir)", true);
            return;
        };
        let Some(note) = self.handoff.shown() else {
            self.notice("no handoff note to acknowledge", true);
            return;
        };
        if let Some(by) = &note.acked_by {
            let text = format!("handoff {} already acknowledged by {by}", note.id);
            self.notice(text, false);
            return;
        }
        let id = note.id.clone();
        let Some(who) = self.user.clone() else {
            self.notice("who are you? $USER is not set: cannot acknowledge", true);
            return;
        };
        self.notice(format!("acknowledging handoff {id}…"), false);
        self.pending.push(Cmd::AckHandoff { dir, id, who });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Msg;
    use crate::config::Config;
    use chrono::{FixedOffset, TimeZone};
    use std::path::PathBuf;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0)
            .single()
            .expect("valid time")
    }

    fn app(dir: Option<&str>) -> App {
        let mut yaml = String::from("sources: [{name: demo, url: \"http://127.0.0.1:9090\"}]\n");
        if let Some(dir) = dir {
            yaml.push_str(&format!("handoff: {{dir: {dir}}}\n"));
        }
        let config: Config = serde_yaml::from_str(&yaml).expect("config");
        App::new(config, t(0), FixedOffset::east_opt(0).expect("utc"))
    }

    fn loads(cmds: &[Cmd]) -> Vec<&Cmd> {
        cmds.iter()
            .filter(|c| matches!(c, Cmd::LoadHandoffs { .. }))
            .collect()
    }

    #[test]
    fn loads_on_start_then_every_minute_one_at_a_time() {
        let mut app = app(Some("/srv/notes"));
        assert_eq!(app.handoff_dir, Some(PathBuf::from("/srv/notes")));
        let cmds = app.update(Msg::Tick, t(0));
        assert_eq!(
            loads(&cmds),
            vec![&Cmd::LoadHandoffs {
                dir: PathBuf::from("/srv/notes")
            }]
        );
        // Not again while one is out, however long it takes.
        assert!(loads(&app.update(Msg::Tick, t(90))).is_empty());
        app.update(Msg::HandoffsLoaded(Ok((Vec::new(), None))), t(100));
        assert!(app.handoff.loaded);
        assert!(loads(&app.update(Msg::Tick, t(159))).is_empty());
        assert_eq!(loads(&app.update(Msg::Tick, t(160))).len(), 1);
    }

    #[test]
    fn a_failed_load_keeps_the_notes_and_says_why() {
        let mut app = app(Some("/srv/notes"));
        app.update(Msg::Tick, t(0));
        let note = Note::new("alice", t(-3600));
        let rows = vec![NoteRow::from_note(&note)];
        app.update(Msg::HandoffsLoaded(Ok((rows, Some(note)))), t(1));
        assert!(app.handoff.latest_unacked());
        app.update(Msg::Tick, t(61));
        app.update(Msg::HandoffsLoaded(Err("permission denied".into())), t(62));
        assert_eq!(app.handoff.notes.len(), 1);
        assert_eq!(app.handoff.load_error.as_deref(), Some("permission denied"));
        // A later success clears the error.
        app.update(Msg::Tick, t(122));
        app.update(Msg::HandoffsLoaded(Ok((Vec::new(), None))), t(123));
        assert_eq!(app.handoff.load_error, None);
        assert!(!app.handoff.latest_unacked());
    }

    #[test]
    fn an_ack_answer_reloads_even_with_a_load_out() {
        let mut app = app(Some("/srv/notes"));
        app.update(Msg::Tick, t(0));
        // The first load is still out when the ack comes back: reload once it is in.
        let cmds = app.update(Msg::HandoffAcked(Err("disk full".into())), t(5));
        assert!(loads(&cmds).is_empty());
        assert!(app.handoff.reload);
        let cmds = app.update(Msg::HandoffsLoaded(Ok((Vec::new(), None))), t(6));
        assert_eq!(loads(&cmds).len(), 1, "reloaded at once");
        let notice = app.alerts.notice.as_ref().map(|n| n.1.as_str());
        assert_eq!(notice, Some("handoff not acknowledged: disk full"));
    }

    #[test]
    fn without_a_directory_nothing_is_loaded_or_written() {
        let mut app = app(None);
        app.handoff_dir = None;
        assert!(loads(&app.update(Msg::Tick, t(0))).is_empty());
        app.view = View::Handoff;
        app.user = Some("bob".into());
        app.handoff.latest = Some(Note::new("alice", t(-60)));
        let key = crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('A'),
            crossterm::event::KeyModifiers::NONE,
        );
        let cmds = app.update(Msg::Key(key), t(1));
        assert!(cmds.iter().all(|c| !matches!(c, Cmd::AckHandoff { .. })));
    }
}
