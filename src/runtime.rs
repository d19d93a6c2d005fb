//! The only place where the terminal and the network meet.
//!
//! One `tokio::select!` over key events, results coming back from query tasks, a 1 Hz clock
//! and the signals that mean "stop" (SIGTERM, SIGHUP from a dropped SSH link, SIGINT,
//! SIGQUIT). Every [`Cmd`] runs as a tokio task that replies with a [`Msg`]; the loop draws
//! once after each batch of messages, and only if something visible changed. It never awaits
//! the network.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use crate::app::alerts::{AlertData, AlertFeed, AlertFetched, ExprFetched};
use crate::app::handoff::{HandoffList, NoteRow};
use crate::app::{AlertRequest, App, Cmd, ExprRequest, Fetch, Fetched, Msg};
use crate::prom::alertmanager::AlertmanagerClient;
use crate::prom::{PromClient, PromError};
use crate::store::handoff::HandoffStore;
use crate::ui;

/// One client per configured source and Alertmanager, by name.
#[derive(Clone, Default)]
pub struct Clients {
    by_source: HashMap<String, PromClient>,
    alertmanagers: HashMap<String, AlertmanagerClient>,
    /// Refuse writes here too, whatever the state machine asks.
    read_only: bool,
}

impl Clients {
    pub fn new(clients: impl IntoIterator<Item = PromClient>) -> Self {
        Clients {
            by_source: clients
                .into_iter()
                .map(|c| (c.name().to_string(), c))
                .collect(),
            ..Clients::default()
        }
    }

    /// Adds Alertmanager clients.
    pub fn with_alertmanagers(
        mut self,
        clients: impl IntoIterator<Item = AlertmanagerClient>,
    ) -> Self {
        self.alertmanagers
            .extend(clients.into_iter().map(|c| (c.name().to_string(), c)));
        self
    }

    /// Refuses every write.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    pub fn get(&self, source: &str) -> Option<&PromClient> {
        self.by_source.get(source)
    }

    pub fn alertmanager(&self, name: &str) -> Option<&AlertmanagerClient> {
        self.alertmanagers.get(name)
    }
}

fn no_client(kind: &str, name: &str) -> PromError {
    PromError::Config {
        reason: format!("no {kind} named {name:?}"),
    }
}

/// Polls one alert feed.
pub async fn fetch_alerts(clients: &Clients, r: AlertRequest) -> Msg {
    let result = if r.feed.is_alertmanager() {
        match clients.alertmanager(&r.source) {
            None => Err(no_client("alertmanager", &r.source)),
            Some(am) if r.feed == AlertFeed::AmAlerts => am.alerts().await.map(AlertData::AmAlerts),
            Some(am) => am.silences().await.map(AlertData::Silences),
        }
    } else {
        match clients.get(&r.source) {
            None => Err(no_client("source", &r.source)),
            Some(p) if r.feed == AlertFeed::PromAlerts => {
                p.alerts().await.map(AlertData::PromAlerts)
            }
            Some(p) => p.alert_rules().await.map(AlertData::Rules),
        }
    };
    Msg::AlertsFetched(Box::new(AlertFetched {
        poll: r.poll,
        generation: r.generation,
        result,
    }))
}

/// Runs one drill-down chart query.
pub async fn fetch_expr(clients: &Clients, r: ExprRequest) -> Msg {
    let result = match clients.get(&r.source) {
        Some(c) => {
            c.query_range(
                &r.promql,
                r.window.start_time(),
                r.window.end_time(),
                r.window.step_duration(),
            )
            .await
        }
        None => Err(no_client("source", &r.source)),
    };
    Msg::ExprFetched(Box::new(ExprFetched {
        token: r.token,
        part: r.part,
        window: r.window,
        result,
    }))
}

/// Creates or expires a silence, and records it in the log (who, what, when, outcome; never
/// credentials, which live only in the client).
pub async fn write(clients: &Clients, cmd: Cmd) -> Option<Msg> {
    match cmd {
        Cmd::CreateSilence {
            alertmanager,
            silence,
            user,
        } => {
            let matchers: Vec<String> = silence
                .matchers
                .iter()
                .map(crate::domain::silence::format_matcher)
                .collect();
            tracing::info!(
                target: "sretop::audit",
                user = %user,
                alertmanager = %alertmanager,
                matchers = ?matchers.join(", "),
                "create silence: sending"
            );
            let result = match clients.alertmanager(&alertmanager) {
                _ if clients.read_only => Err(PromError::Config {
                    reason: "read-only mode: writes are disabled".into(),
                }),
                None => Err(no_client("alertmanager", &alertmanager)),
                Some(am) => am.create_silence(&silence).await,
            };
            let outcome = match &result {
                Ok(id) => format!("ok id={id}"),
                Err(e) => format!("failed: {e}"),
            };
            tracing::info!(
                target: "sretop::audit",
                user = %user,
                alertmanager = %alertmanager,
                matchers = ?matchers.join(", "),
                starts_at = %silence.starts_at.to_rfc3339(),
                ends_at = %silence.ends_at.to_rfc3339(),
                created_by = %silence.created_by,
                comment = ?silence.comment,
                outcome = %outcome,
                "create silence"
            );
            Some(Msg::SilenceCreated {
                alertmanager,
                result,
            })
        }
        Cmd::ExpireSilence {
            alertmanager,
            id,
            user,
        } => {
            tracing::info!(
                target: "sretop::audit",
                user = %user,
                alertmanager = %alertmanager,
                id = %id,
                "expire silence: sending"
            );
            let result = match clients.alertmanager(&alertmanager) {
                _ if clients.read_only => Err(PromError::Config {
                    reason: "read-only mode: writes are disabled".into(),
                }),
                None => Err(no_client("alertmanager", &alertmanager)),
                Some(am) => am.expire_silence(&id).await,
            };
            let outcome = match &result {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("failed: {e}"),
            };
            tracing::info!(
                target: "sretop::audit",
                user = %user,
                alertmanager = %alertmanager,
                id = %id,
                outcome = %outcome,
                "expire silence"
            );
            Some(Msg::SilenceExpired {
                alertmanager,
                id,
                result,
            })
        }
        _ => None,
    }
}

/// Reads the handoff directory (blocking I/O: run it off the async threads). A directory that
/// does not exist yet holds no notes; it is not created by reading.
pub fn load_handoffs(dir: &Path) -> Result<HandoffList, String> {
    if !dir.exists() {
        return Ok((Vec::new(), None));
    }
    let store = HandoffStore::open(dir).map_err(|e| e.to_string())?;
    let list = store.list().map_err(|e| e.to_string())?;
    let rows: Vec<NoteRow> = list.iter().map(NoteRow::from_summary).collect();
    let latest = list.into_iter().find_map(|s| s.note.ok());
    Ok((rows, latest))
}

/// Reads the handoff directory on the blocking pool.
pub async fn fetch_handoffs(dir: PathBuf) -> Msg {
    let result = tokio::task::spawn_blocking(move || load_handoffs(&dir))
        .await
        .unwrap_or_else(|e| Err(format!("reading the handoff directory failed: {e}")));
    Msg::HandoffsLoaded(result)
}

/// Acknowledges a handoff note on the blocking pool, and records it in the audit log.
pub async fn ack_handoff(clients: &Clients, dir: PathBuf, id: String, who: String) -> Msg {
    tracing::info!(
        target: "sretop::audit",
        user = %who,
        dir = %dir.display(),
        id = %id,
        "acknowledge handoff: writing"
    );
    let result = if clients.read_only {
        Err("read-only mode: writes are disabled".to_string())
    } else {
        let (id, who, dir) = (id.clone(), who.clone(), dir.clone());
        tokio::task::spawn_blocking(move || {
            HandoffStore::open(dir)
                .and_then(|store| store.ack(&id, &who, Utc::now()))
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(format!("acknowledging failed: {e}")))
    };
    let outcome = match &result {
        Ok(note) => format!("ok revision={}", note.revision),
        Err(e) => format!("failed: {e}"),
    };
    tracing::info!(
        target: "sretop::audit",
        user = %who,
        dir = %dir.display(),
        id = %id,
        outcome = %outcome,
        "acknowledge handoff"
    );
    Msg::HandoffAcked(result)
}

/// Runs one command that talks to a server or the disk; `None` for terminal-only commands.
pub async fn execute(clients: &Clients, cmd: Cmd) -> Option<Msg> {
    match cmd {
        Cmd::Fetch(f) => Some(fetch(clients, f).await),
        Cmd::Alerts(r) => Some(fetch_alerts(clients, r).await),
        Cmd::Expr(r) => Some(fetch_expr(clients, r).await),
        Cmd::CreateSilence { .. } | Cmd::ExpireSilence { .. } => write(clients, cmd).await,
        Cmd::LoadHandoffs { dir } => Some(fetch_handoffs(dir).await),
        Cmd::AckHandoff { dir, id, who } => Some(ack_handoff(clients, dir, id, who).await),
        // Needs the terminal: `run_loop` handles it before anything reaches here.
        Cmd::ComposeHandoff { .. } => None,
        Cmd::Bell | Cmd::Copy(_) => None,
        Cmd::Discover {
            source,
            url,
            service_label,
        } => Some(rediscover(clients, &source, &url, service_label.as_deref()).await),
    }
}

/// Discovery again, for a dashboard started without a config file whose first try failed.
async fn rediscover(clients: &Clients, source: &str, url: &str, label: Option<&str>) -> Msg {
    let Some(client) = clients.get(source) else {
        return Msg::Discovered(Err(format!("no source named {source:?}")));
    };
    let result = async {
        let found = crate::discover::discover(client, label, Utc::now()).await?;
        let config = crate::discover::to_config(&found, url)?;
        let summary = format!(
            "no services configured: {} (`sretop config init` writes them out)",
            found.summary()
        );
        Ok(Box::new((config, summary)))
    }
    .await;
    if let Err(e) = &result {
        tracing::info!(error = %e, "discovery failed; trying again later");
    }
    Msg::Discovered(result)
}

/// Composes a handoff note in the user's editor, with the terminal handed over meanwhile:
/// leaves the alternate screen and raw mode, runs [`crate::handoff::compose_from_app`] (live
/// data from `app`, the draft kept in the store's `drafts/`), then takes the terminal back.
fn compose_in_terminal(
    app: &App,
    dir: std::path::PathBuf,
    user: Option<String>,
    fired: &[crate::handoff::Labels],
) -> Msg {
    let Some(user) = user else {
        return Msg::HandoffComposed(Err(
            "who is writing? $USER is not set: use `sretop handoff new --author NAME`".into(),
        ));
    };
    crate::tui::suspend();
    let result = crate::store::handoff::HandoffStore::open(&dir)
        .and_then(|store| crate::handoff::compose_from_app(app, &store, &user, Utc::now(), fired));
    crate::tui::resume();
    Msg::HandoffComposed(match result {
        Ok(crate::handoff::Edited::Saved(note, _)) => {
            tracing::info!(target: "sretop::audit", user = %user, id = %note.id, "handoff saved");
            Ok(note.id)
        }
        Ok(crate::handoff::Edited::Kept { draft, reason }) => Err(format!(
            "{reason}; the draft is kept in {} (n continues it)",
            draft.display()
        )),
        Err(e) => Err(format!("handoff not saved: {e} (the draft is kept)")),
    })
}

/// Why the loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The user quit.
    Quit,
    /// A signal asked us to stop.
    Signal(&'static str),
    /// The terminal went away (input closed or failed).
    TerminalGone,
}

/// Runs one fetch to completion and wraps the answer as a message.
pub async fn fetch(clients: &Clients, f: Fetch) -> Msg {
    let client = clients.get(&f.source);
    let result = match client {
        Some(client) => {
            let (start, end, step) = (
                f.window.start_time(),
                f.window.end_time(),
                f.window.step_duration(),
            );
            if f.slow {
                client.query_range_slow(&f.promql, start, end, step).await
            } else {
                client.query_range(&f.promql, start, end, step).await
            }
        }
        None => Err(PromError::Config {
            reason: format!("no source named {:?}", f.source),
        }),
    };
    Msg::Fetched(Box::new(Fetched {
        query: f.query,
        generation: f.generation,
        window: f.window,
        frame: f.frame,
        result,
        clock_skew: client.and_then(PromClient::clock_skew),
    }))
}

/// Starts the network commands as tasks; returns the bytes the terminal-only ones (bell,
/// clipboard) want written.
///
/// A fetch for a query that still has one running (sent for a window since left: another
/// range, pan or context) cancels the older one: its answer would be dropped anyway, and
/// closing the connection lets Prometheus stop evaluating it.
fn spawn(
    cmds: Vec<Cmd>,
    clients: &Clients,
    tx: &mpsc::UnboundedSender<Msg>,
    tasks: &mut JoinSet<()>,
    writes: &mut JoinSet<()>,
    running: &mut HashMap<usize, AbortHandle>,
) -> String {
    let mut out = String::new();
    running.retain(|_, h| !h.is_finished());
    for cmd in cmds {
        match cmd {
            Cmd::Bell => out.push('\x07'),
            Cmd::Copy(text) => out.push_str(&ui::osc::osc52_copy(&text)),
            cmd => {
                let clients = clients.clone();
                let tx = tx.clone();
                let query = match &cmd {
                    Cmd::Fetch(f) => Some(f.query),
                    _ => None,
                };
                let set = match cmd {
                    Cmd::CreateSilence { .. }
                    | Cmd::ExpireSilence { .. }
                    | Cmd::AckHandoff { .. } => &mut *writes,
                    _ => &mut *tasks,
                };
                let handle = set.spawn(async move {
                    if let Some(msg) = execute(&clients, cmd).await {
                        // The receiver is gone only when we are shutting down.
                        let _ = tx.send(msg);
                    }
                });
                if let Some(older) = query.and_then(|q| running.insert(q, handle)) {
                    older.abort();
                }
            }
        }
    }
    out
}

/// How long leaving waits for writes (silences) already sent, so each one is finished and
/// recorded in the audit log rather than cut off.
const WRITE_GRACE: Duration = Duration::from_secs(3);

/// The interactive loop. Returns when the user quits, a stop signal arrives or the terminal
/// goes away; outstanding reads are cancelled on return, writes get [`WRITE_GRACE`] to finish.
pub async fn run<B: Backend + std::io::Write>(
    app: &mut App,
    terminal: &mut Terminal<B>,
    clients: Clients,
) -> std::io::Result<Exit>
where
    std::io::Error: From<B::Error>,
{
    let mut writes = JoinSet::new();
    let result = run_loop(app, terminal, clients, &mut writes).await;
    if !writes.is_empty() {
        let drain = async { while writes.join_next().await.is_some() {} };
        if tokio::time::timeout(WRITE_GRACE, drain).await.is_err() {
            tracing::warn!(target: "sretop::audit", "left with a write still unanswered");
        }
    }
    result
}

async fn run_loop<B: Backend + std::io::Write>(
    app: &mut App,
    terminal: &mut Terminal<B>,
    clients: Clients,
    writes: &mut JoinSet<()>,
) -> std::io::Result<Exit>
where
    std::io::Error: From<B::Error>,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut tasks = JoinSet::new();
    let mut running = HashMap::new();
    let mut input = EventStream::new();
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;

    // The first fetches already ask for a step that fits the screen.
    let first = match terminal.size() {
        Ok(size) => Msg::Resize {
            width: size.width,
            height: size.height,
        },
        Err(_) => Msg::Tick,
    };
    let mut cmds = app.update(first, Utc::now());
    loop {
        let (compose, rest): (Vec<Cmd>, Vec<Cmd>) = std::mem::take(&mut cmds)
            .into_iter()
            .partition(|c| matches!(c, Cmd::ComposeHandoff { .. }));
        if let Some(Cmd::ComposeHandoff { dir, user }) = compose.into_iter().next() {
            // Alerts that fired earlier in the shift (a few seconds at most: the timeout).
            let now = Utc::now();
            let previous = crate::store::handoff::HandoffStore::open(&dir)
                .ok()
                .and_then(|s| s.latest().ok().flatten());
            let since = crate::handoff::shift_start(&app.config, previous.as_ref(), now);
            let fired = match clients.get(&app.context) {
                Some(c) => crate::handoff::fired_during(c, since, now)
                    .await
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            // The editor reads the keyboard: stop our reader while it runs.
            drop(input);
            let msg = compose_in_terminal(app, dir, user, &fired);
            input = EventStream::new();
            // Redraw everything: the editor drew over the screen, which `resume` cleared.
            // Resetting both of ratatui's buffers (rather than `Terminal::clear`, which asks
            // the terminal for the cursor position) makes the next draw write every cell.
            terminal.swap_buffers();
            terminal.swap_buffers();
            cmds.extend(app.update(msg, Utc::now()));
        }
        cmds.extend(rest);
        let mut raw = spawn(
            std::mem::take(&mut cmds),
            &clients,
            &tx,
            &mut tasks,
            writes,
            &mut running,
        );
        if app.quit {
            return Ok(Exit::Quit);
        }
        if app.dirty {
            let links = ui::links(app);
            match terminal.draw(|frame| ui::render(app, frame)) {
                Ok(frame) => {
                    if !links.is_empty() {
                        // Clickable links (OSC 8) over the URLs just drawn.
                        raw.push_str(&ui::osc::osc8_overlay(frame.buffer, &links));
                    }
                }
                Err(e) => {
                    // Writing to the terminal fails when it is gone (a closed pty).
                    tracing::info!(error = %std::io::Error::from(e), "cannot draw; exiting");
                    return Ok(Exit::TerminalGone);
                }
            }
            app.dirty = false;
        }
        if !raw.is_empty() {
            let backend = terminal.backend_mut();
            if backend
                .write_all(raw.as_bytes())
                .and_then(|()| Write::flush(backend))
                .is_err()
            {
                return Ok(Exit::TerminalGone);
            }
        }
        let msg = tokio::select! {
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) => Msg::Key(key),
                Some(Ok(Event::Resize(width, height))) => Msg::Resize { width, height },
                Some(Ok(Event::Paste(text))) => Msg::Paste(text),
                Some(Ok(Event::Mouse(event))) => Msg::Mouse {
                    event,
                    area: terminal.size().map(ratatui::layout::Rect::from).unwrap_or_default(),
                },
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    tracing::info!(error = %e, "terminal input failed; exiting");
                    return Ok(Exit::TerminalGone);
                }
                None => return Ok(Exit::TerminalGone),
            },
            Some(msg) = rx.recv() => msg,
            _ = clock.tick() => Msg::Tick,
            _ = hangup.recv() => return Ok(Exit::Signal("SIGHUP")),
            _ = terminate.recv() => return Ok(Exit::Signal("SIGTERM")),
            _ = interrupt.recv() => return Ok(Exit::Signal("SIGINT")),
            _ = quit.recv() => return Ok(Exit::Signal("SIGQUIT")),
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        };
        cmds = app.update(msg, Utc::now());
        // Drain what else has arrived, then draw once for the whole batch.
        while let Ok(msg) = rx.try_recv() {
            cmds.extend(app.update(msg, Utc::now()));
        }
    }
}

/// Polls every due query once and feeds the answers back, without a terminal: what
/// `sretop snapshot` and the integration tests use. Returns when nothing is in flight.
pub async fn poll_once(app: &mut App, clients: &Clients, now: chrono::DateTime<Utc>) {
    let mut cmds = app.update(Msg::Tick, now);
    while !cmds.is_empty() {
        let answers = futures::future::join_all(cmds.drain(..).map(|cmd| {
            let clients = clients.clone();
            async move { execute(&clients, cmd).await }
        }))
        .await;
        for msg in answers.into_iter().flatten() {
            cmds.extend(app.update(msg, now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::handoff::Note;
    use chrono::TimeZone;

    #[test]
    fn loading_a_missing_directory_is_empty_and_creates_nothing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("not-yet");
        let (rows, latest) = load_handoffs(&dir).expect("empty");
        assert!(rows.is_empty() && latest.is_none());
        assert!(!dir.exists());
    }

    #[test]
    fn loading_lists_notes_newest_first_with_broken_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = HandoffStore::open(tmp.path()).expect("store");
        let at = |h| {
            Utc.with_ymd_and_hms(2026, 11, 22, h, 0, 0)
                .single()
                .expect("t")
        };
        for (who, h) in [("carol", 1), ("alice", 2)] {
            let mut note = Note::new(who, at(h));
            store.save(&mut note, None).expect("save");
        }
        std::fs::write(tmp.path().join("broken.md"), "no front matter").expect("write");
        let (rows, latest) = load_handoffs(tmp.path()).expect("list");
        // Notes newest first by `created`; the broken file is listed (by its mtime) with why.
        let ids: Vec<&str> = rows
            .iter()
            .filter(|r| r.note.is_some())
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, ["2026-11-22T0200Z-alice", "2026-11-22T0100Z-carol"]);
        let broken: Vec<&NoteRow> = rows.iter().filter(|r| r.error.is_some()).collect();
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].id, "broken");
        assert_eq!(rows.len(), 3);
        assert_eq!(latest.map(|n| n.author), Some("alice".to_string()));
    }

    #[tokio::test]
    async fn ack_writes_the_note_and_read_only_refuses() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = HandoffStore::open(tmp.path()).expect("store");
        let mut note = Note::new("alice", Utc::now());
        store.save(&mut note, None).expect("save");
        let dir = tmp.path().to_path_buf();
        let ro = Clients::default().read_only(true);
        let msg = ack_handoff(&ro, dir.clone(), note.id.clone(), "bob".into()).await;
        assert!(matches!(msg, Msg::HandoffAcked(Err(e)) if e.contains("read-only")));
        assert_eq!(store.load(&note.id).expect("load").acked_by, None);
        let msg = ack_handoff(&Clients::default(), dir, note.id.clone(), "bob".into()).await;
        assert!(
            matches!(msg, Msg::HandoffAcked(Ok(ref n)) if n.acked_by.as_deref() == Some("bob"))
        );
        assert_eq!(
            store.load(&note.id).expect("load").acked_by.as_deref(),
            Some("bob")
        );
    }
}
