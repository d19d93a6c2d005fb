//! The only place where the terminal and the network meet.
//!
//! One `tokio::select!` over key events, results coming back from query tasks, a 1 Hz clock
//! and the signals that mean "stop" (SIGTERM, SIGHUP from a dropped SSH link, SIGINT,
//! SIGQUIT). Every [`Cmd`] runs as a tokio task that replies with a [`Msg`]; the loop draws
//! once after each batch of messages, and only if something visible changed. It never awaits
//! the network.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::app::{App, Cmd, Fetch, Fetched, Msg};
use crate::prom::{PromClient, PromError};
use crate::ui;

/// One client per configured source, by name.
#[derive(Clone, Default)]
pub struct Clients {
    by_source: HashMap<String, PromClient>,
}

impl Clients {
    pub fn new(clients: impl IntoIterator<Item = PromClient>) -> Self {
        Clients {
            by_source: clients
                .into_iter()
                .map(|c| (c.name().to_string(), c))
                .collect(),
        }
    }

    pub fn get(&self, source: &str) -> Option<&PromClient> {
        self.by_source.get(source)
    }
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
    let result = match clients.get(&f.source) {
        Some(client) => {
            client
                .query_range(
                    &f.promql,
                    f.window.start_time(),
                    f.window.end_time(),
                    f.window.step_duration(),
                )
                .await
        }
        None => Err(PromError::Config {
            reason: format!("no source named {:?}", f.source),
        }),
    };
    Msg::Fetched(Box::new(Fetched {
        query: f.query,
        generation: f.generation,
        window: f.window,
        result,
    }))
}

fn spawn(
    cmds: Vec<Cmd>,
    clients: &Clients,
    tx: &mpsc::UnboundedSender<Msg>,
    tasks: &mut JoinSet<()>,
) {
    for cmd in cmds {
        match cmd {
            Cmd::Fetch(f) => {
                let clients = clients.clone();
                let tx = tx.clone();
                tasks.spawn(async move {
                    let msg = fetch(&clients, f).await;
                    // The receiver is gone only when we are shutting down.
                    let _ = tx.send(msg);
                });
            }
        }
    }
}

/// The interactive loop. Returns when the user quits, a stop signal arrives or the terminal
/// goes away; outstanding requests are cancelled on return.
pub async fn run<B: Backend>(
    app: &mut App,
    terminal: &mut Terminal<B>,
    clients: Clients,
) -> std::io::Result<Exit>
where
    std::io::Error: From<B::Error>,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut tasks = JoinSet::new();
    let mut input = EventStream::new();
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;

    let mut cmds = app.update(Msg::Tick, Utc::now());
    loop {
        spawn(std::mem::take(&mut cmds), &clients, &tx, &mut tasks);
        if app.quit {
            return Ok(Exit::Quit);
        }
        if app.dirty {
            if let Err(e) = terminal.draw(|frame| ui::render(app, frame)) {
                // Writing to the terminal fails when it is gone (a closed pty).
                tracing::info!(error = %std::io::Error::from(e), "cannot draw; exiting");
                return Ok(Exit::TerminalGone);
            }
            app.dirty = false;
        }
        let msg = tokio::select! {
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) => Msg::Key(key),
                Some(Ok(Event::Resize(..))) => Msg::Resize,
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
            async move {
                match cmd {
                    Cmd::Fetch(f) => fetch(&clients, f).await,
                }
            }
        }))
        .await;
        for msg in answers {
            cmds.extend(app.update(msg, now));
        }
    }
}
