//! The `sretop` binary: parse the command line, set up logging and config, then hand over to
//! the library (the dashboard, `snapshot` or `check`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{Offset, Utc};
use clap::Parser;

use sretop::app::{App, View};
use sretop::cli::{
    apply_overrides, BudgetArgs, Cli, Command, ConfigArgs, ConfigCommand, Format, HandoffArgs,
    HandoffCommand, NoteFormat, ReportFormat, SnapshotArgs,
};
use sretop::config::{self, Config, Duration, TimeZoneChoice};
use sretop::prom::alertmanager::AlertmanagerClient;
use sretop::prom::PromClient;
use sretop::runtime::{self, Clients, Exit};
use sretop::{snapshot, tui};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "sretop: {message}");
            ExitCode::from(2)
        }
    }
}

fn real_main(cli: Cli) -> Result<ExitCode, String> {
    // Generated from the CLI definition; they need no config.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "sretop", &mut std::io::stdout());
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map_err(|e| format!("cannot write the man page: {e}"))?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let _log_guard = init_logging(&cli);
    let (mut config, path) = load_config(&cli)?;
    let mut warnings = match &path {
        Some(p) => config::warnings(&config, p),
        None => Vec::new(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    if let Some(Command::Config(args)) = &cli.command {
        let result = rt.block_on(config_cmd(&config, path.as_deref(), &cli, args));
        rt.shutdown_background();
        return result;
    }
    // No config file (but a --prometheus URL), or a config that names sources and no services:
    // the services come from the current source's metrics, read with its auth and TLS options.
    let discovering = (path.is_none() || config.services.is_empty())
        && matches!(
            cli.command,
            None | Some(Command::Snapshot(_) | Command::Check | Command::Budget(_))
        );
    let mut discovery_error = None;
    // --service-label, else a config source's own `service_label` if it names one.
    let service_label = cli.service_label.clone().or_else(|| {
        discovery_source(&config)
            .ok()
            .map(|s| s.service_label.clone())
            .filter(|l| *l != config::default_service_label())
    });
    if discovering {
        match rt.block_on(discover_config(&config, service_label.as_deref())) {
            Ok((discovered, summary, notes)) => {
                config.adopt_discovered(discovered);
                for note in notes {
                    let _ = writeln!(std::io::stderr(), "sretop: note: {note}");
                    tracing::info!("discovery: {note}");
                }
                tracing::info!("{summary}");
                warnings.push(summary);
            }
            Err(message) => {
                warnings.push(format!("no services: {message}"));
                discovery_error = Some(message);
            }
        }
    }
    for warning in &warnings {
        let _ = writeln!(std::io::stderr(), "sretop: warning: {warning}");
        tracing::warn!("{warning}");
    }
    let clients = build_clients(&config)?;
    let tz = match config.time_zone {
        TimeZoneChoice::Utc => Utc.fix(),
        TimeZoneChoice::Local => chrono::Local::now().offset().fix(),
    };
    let degrade = cli.degrade(&config);
    let result = match cli.command {
        None => {
            // Discovery failed (Prometheus down, nothing found yet): the dashboard opens and
            // keeps trying.
            let rediscover = discovery_error.is_some().then(|| service_label.clone());
            rt.block_on(dashboard(
                config,
                tz,
                clients,
                warnings,
                cli.debug_panic,
                degrade,
                rediscover,
            ))
        }
        Some(Command::Snapshot(args)) => {
            rt.block_on(snapshot_cmd(config, tz, clients, warnings, &args, degrade))
        }
        Some(Command::Check) => rt.block_on(check(
            &config,
            path.as_deref(),
            &clients,
            discovery_error.as_deref(),
        )),
        Some(Command::Budget(args)) => rt.block_on(budget_cmd(config, tz, clients, &args)),
        Some(Command::Handoff(args)) => rt.block_on(handoff_cmd(config, tz, clients, args)),
        Some(Command::Completions { .. } | Command::Man | Command::Config(_)) => {
            Ok(ExitCode::SUCCESS)
        }
    };
    // Do not wait for requests still out (a DNS lookup that never answers can hold a blocking
    // thread for half a minute): the user asked to leave.
    rt.shutdown_background();
    result
}

fn load_config(cli: &Cli) -> Result<(Config, Option<PathBuf>), String> {
    let path = config::locate(cli.config.as_deref()).map_err(|e| e.to_string())?;
    let mut config = match (&path, &cli.prometheus) {
        (Some(p), _) => config::load(p).map_err(|e| e.to_string())?,
        (None, Some(url)) => config::minimal(url),
        (None, None) => {
            return Err("no config file found and no --prometheus URL given.\n  \
                 Pass --config PATH, set SRETOP_CONFIG, create ~/.config/sretop/config.yaml \
                 (start from config.example.yaml), or run `sretop --prometheus http://host:9090`."
                .into())
        }
    };
    apply_overrides(&mut config, cli.overrides())?;
    config.mouse |= cli.mouse;
    Ok((config, path))
}

/// The source discovery reads: the current context's.
fn discovery_source(config: &Config) -> Result<&config::SourceConfig, String> {
    let name = config.current_context();
    config
        .source(name)
        .ok_or_else(|| format!("no source named {name:?} to discover services from"))
}

/// Discovers the services of the current source; returns the config, a one-line summary for
/// the status line and notes on what was left out.
async fn discover_config(
    config: &Config,
    service_label: Option<&str>,
) -> Result<(Config, String, Vec<String>), String> {
    let source = discovery_source(config)?;
    let client = sretop::discover::client_for(source)?;
    let found = sretop::discover::discover(&client, service_label, Utc::now()).await?;
    let discovered = sretop::discover::to_config(&found, &source.url)?;
    let summary = format!(
        "no services configured: {} (`sretop config init` writes them out)",
        found.summary()
    );
    Ok((discovered, summary, found.notes.clone()))
}

/// `sretop config init`: discovery written out as a config file.
async fn config_cmd(
    config: &Config,
    config_path: Option<&std::path::Path>,
    cli: &Cli,
    args: &ConfigArgs,
) -> Result<ExitCode, String> {
    let ConfigCommand::Init { output, force } = &args.command;
    let source = discovery_source(config)?;
    let client = sretop::discover::client_for(source)?;
    let now = Utc::now();
    let label = cli.service_label.clone().or_else(|| {
        Some(source.service_label.clone()).filter(|l| *l != config::default_service_label())
    });
    let found = sretop::discover::discover(&client, label.as_deref(), now).await?;
    let mut header = format!(
        "Discovered from {} at {}.",
        source.url,
        now.format("%Y-%m-%d %H:%M UTC")
    );
    // Without a config file the headers came from --header; a file's were expanded from
    // ${VAR} and are not written out.
    let (access, left_out) = config::source_access_yaml(source, config_path.is_none());
    for note in &left_out {
        header.push_str(&format!("\nNote: {note}."));
        let _ = writeln!(std::io::stderr(), "sretop: note: {note}");
    }
    let yaml = found.to_yaml(&source.url, &access, &header);
    // What is written must load: checked here rather than trusted.
    config::parse(&yaml, std::path::Path::new("(config init)"))
        .map_err(|e| format!("the generated config does not load (a bug): {e}"))?;
    for note in &found.notes {
        let _ = writeln!(std::io::stderr(), "sretop: note: {note}");
    }
    match output {
        None => std::io::stdout()
            .write_all(yaml.as_bytes())
            .map_err(|e| format!("cannot write the config: {e}"))?,
        Some(path) => {
            sretop::discover::write_new_file(path, &yaml, *force)?;
            let _ = writeln!(
                std::io::stderr(),
                "sretop: {summary}; wrote {path} (use it with --config {path}, or move it to {default})",
                summary = found.summary(),
                path = path.display(),
                default = config::default_path()
                    .map_or("~/.config/sretop/config.yaml".into(), |p| p.display().to_string())
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn build_clients(config: &Config) -> Result<Clients, String> {
    let mut clients = Vec::new();
    for source in &config.sources {
        let options = source.client_options().map_err(|e| e.to_string())?;
        let client =
            PromClient::new(options).map_err(|e| format!("source {:?}: {e}", source.name))?;
        clients.push(client);
    }
    let mut alertmanagers = Vec::new();
    for am in &config.alertmanagers {
        let options = am.client_options().map_err(|e| e.to_string())?;
        let client = AlertmanagerClient::new(options)
            .map_err(|e| format!("alertmanager {:?}: {e}", am.name))?;
        alertmanagers.push(client);
    }
    Ok(Clients::new(clients)
        .with_alertmanagers(alertmanagers)
        .read_only(config.read_only))
}

/// Logs go to a file, never to the screen.
fn init_logging(cli: &Cli) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let path = cli.log_file.clone().or_else(default_log_path)?;
    let dir = path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = path.file_name()?.to_owned();
    if std::fs::create_dir_all(&dir).is_err() {
        return None;
    }
    let appender = tracing_appender::rolling::never(dir, name);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    // The audit trail of writes is always kept, whatever the level asked for.
    let level = if cli.debug { "debug" } else { &cli.log_level };
    let filter = tracing_subscriber::EnvFilter::try_new(format!("{level},sretop::audit=info"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Some(guard)
}

/// The local user name, for silence authors and the audit log.
fn local_user() -> Option<String> {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok())
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
}

fn default_log_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().ok()?;
    let dir = strategy.state_dir().unwrap_or_else(|| strategy.data_dir());
    Some(dir.join("sretop").join("sretop.log"))
}

/// A seed that differs from one process to the next.
fn jitter_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}

async fn dashboard(
    config: Config,
    tz: chrono::FixedOffset,
    clients: Clients,
    warnings: Vec<String>,
    debug_panic: bool,
    degrade: sretop::ui::degrade::Degrade,
    rediscover: Option<Option<String>>,
) -> Result<ExitCode, String> {
    let mut app = App::new(config, Utc::now(), tz);
    app.rediscover = rediscover.map(|service_label| sretop::app::Rediscover {
        service_label,
        next_due: Utc::now() + chrono::Duration::seconds(2),
        failures: 0,
        in_flight: false,
    });
    app.user = local_user();
    // Many sretops against one Prometheus do not poll in lockstep.
    app.jitter = Some(jitter_seed());
    app.degrade = degrade;
    // Shown in the status line for the whole session, not just before the screen clears.
    app.warnings = warnings;
    tracing::info!(
        services = app.services.len(),
        queries = app.queries.len(),
        "starting dashboard"
    );
    let mut terminal = tui::init().map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let _guard = tui::Guard;
    if app.config.mouse {
        tui::enable_mouse().map_err(|e| format!("cannot capture the mouse: {e}"))?;
    }
    if debug_panic {
        let _ = terminal.draw(|frame| sretop::ui::render(&app, frame));
        panic!("--debug-panic: panicking with the terminal in raw mode");
    }
    let result = runtime::run(&mut app, &mut terminal, clients).await;
    tui::restore();
    // `restore` showed the cursor. Dropping the Terminal would show it again, and on a
    // terminal that hung up its failure is reported with `eprintln!`, which panics when
    // stderr is gone too: the process would abort instead of exiting.
    std::mem::forget(terminal);
    match result {
        Ok(Exit::Quit) => Ok(ExitCode::SUCCESS),
        Ok(Exit::Signal(name)) => {
            tracing::info!(signal = name, "stopped by signal");
            // The shell's convention: 128 + the signal's number.
            Ok(ExitCode::from(match name {
                "SIGHUP" => 129,
                "SIGINT" => 130,
                "SIGQUIT" => 131,
                _ => 143,
            }))
        }
        Ok(Exit::TerminalGone) => {
            tracing::info!("terminal went away");
            Ok(ExitCode::from(129))
        }
        Err(e) => Err(format!("terminal error: {e}")),
    }
}

async fn snapshot_cmd(
    config: Config,
    tz: chrono::FixedOffset,
    clients: Clients,
    warnings: Vec<String>,
    args: &SnapshotArgs,
    degrade: sretop::ui::degrade::Degrade,
) -> Result<ExitCode, String> {
    let mut config = config;
    if let Some(range) = &args.range {
        config.range = Duration::parse(range).map_err(|e| format!("--range: {e}"))?;
    }
    let view = View::from_name(&args.view).ok_or_else(|| {
        format!(
            "--view {:?}: unknown view (overview, service, slos, slo, alerts, alert, silences)",
            args.view
        )
    })?;
    let now = Utc::now();
    let mut app = App::new(config, now, tz);
    app.warnings = warnings;
    app.view = view;
    // The same step the dashboard would use on a screen this wide.
    app.set_width(args.width);
    app.degrade = degrade;
    if let Some(name) = &args.service {
        app.selected = app
            .services
            .iter()
            .position(|s| s.name == *name)
            .ok_or_else(|| format!("--service {name:?}: no such service"))?;
    }
    if let Some(want) = &args.slo {
        app.slo_selected = app
            .slos
            .iter()
            .position(|s| sretop::ui::slos::slo_name(&app, s) == *want)
            .ok_or_else(|| format!("--slo {want:?}: no such SLO (write SERVICE/NAME)"))?;
    }
    if let Some(filter) = &args.filter {
        // A mistyped filter fails at once, before any server is asked.
        sretop::domain::alerts::Filter::parse(filter)
            .map_err(|e| format!("--filter {filter:?}: {e}"))?;
    }
    runtime::poll_once(&mut app, &clients, now).await;
    if let Some(filter) = &args.filter {
        app.alerts.filter_input = sretop::app::input::TextInput::new(filter.clone());
        app.alerts.set_filter(&app.config.alerts.group_by);
        if let Some(e) = &app.alerts.filter_error {
            return Err(format!("--filter {filter:?}: {e}"));
        }
    }
    if view == View::Alert {
        if let Some(name) = &args.alert {
            let found = app.alerts.visible().position(|a| a.name() == name);
            app.alerts.selected =
                found.ok_or_else(|| format!("--alert {name:?}: no such alert is listed"))?;
        }
        app.open_alert_and_chart();
        runtime::poll_once(&mut app, &clients, now).await;
    }
    let buffer = snapshot::render_buffer(&app, args.width, args.height);
    let out = match args.format {
        Format::Text => snapshot::to_text(&buffer),
        Format::Svg => snapshot::to_svg_themed(&buffer, app.degrade.theme),
    };
    let mut stdout = std::io::stdout();
    stdout
        .write_all(out.as_bytes())
        .map_err(|e| format!("cannot write the snapshot: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

async fn budget_cmd(
    config: Config,
    tz: chrono::FixedOffset,
    clients: Clients,
    args: &BudgetArgs,
) -> Result<ExitCode, String> {
    let now = Utc::now();
    let mut app = App::new(config, now, tz);
    // Only the SLO queries: a deploy gate need not load the golden-signal charts.
    for q in &mut app.queries {
        if matches!(q.plan, sretop::app::Plan::Signal(_)) {
            q.next_due = None;
        }
    }
    runtime::poll_once(&mut app, &clients, now).await;
    let report = sretop::budget::Report::new(&app, args.service.as_deref(), args.slo.as_deref());
    let actions = &app.config.policy.actions;
    let out = match args.format {
        ReportFormat::Text => report.to_text(actions),
        ReportFormat::Json => report.to_json(actions),
        ReportFormat::Markdown => report.to_markdown(actions),
    };
    std::io::stdout()
        .write_all(out.as_bytes())
        .map_err(|e| format!("cannot write the report: {e}"))?;
    Ok(ExitCode::from(report.verdict().exit_code()))
}

async fn check(
    config: &Config,
    path: Option<&std::path::Path>,
    clients: &Clients,
    discovery_error: Option<&str>,
) -> Result<ExitCode, String> {
    let now = Utc::now();
    let mut app = App::new(config.clone(), now, Utc.fix());
    let cmds = app.update(sretop::app::Msg::Tick, now);
    let mut out = String::new();
    out.push_str(&format!(
        "config: {}\n",
        match path {
            Some(p) => p.display().to_string(),
            None if config.services.is_empty() => "(none: built-in minimal)".to_string(),
            None => "(none: services discovered from the source's metrics)".to_string(),
        }
    ));
    out.push_str(&format!("context: {}\n", app.context));
    for s in &config.sources {
        out.push_str(&format!("source {}: {}\n", s.name, s.url));
    }
    let slow = app
        .queries
        .iter()
        .filter(|q| matches!(&q.plan, sretop::app::Plan::Slo(p) if p.slow))
        .count();
    out.push_str(&format!(
        "{} services, {} SLOs: {} queries ({} of them every {}, the rest every {}):\n",
        app.services.len(),
        app.slos.len(),
        app.queries.len(),
        slow,
        config.slo_defaults.long_refresh,
        config.refresh
    ));
    let mut feeds = Vec::new();
    for cmd in cmds {
        match cmd {
            sretop::app::Cmd::Fetch(f) => out.push_str(&format!(
                "  [{}] {} ({}): {}\n",
                f.source,
                app.queries[f.query].plan.label(),
                if f.instant { "instant" } else { "range" },
                f.promql
            )),
            sretop::app::Cmd::Alerts(r) => feeds.push(format!(
                "  [{}] {} ({})\n",
                r.source,
                r.feed.label(),
                if r.feed.is_alertmanager() {
                    "Alertmanager API v2"
                } else {
                    "Prometheus"
                }
            )),
            _ => {}
        }
    }
    if !feeds.is_empty() {
        out.push_str(&format!(
            "alerts: {} feeds, every {}{}:\n",
            feeds.len(),
            config.alerts.refresh.unwrap_or(config.refresh),
            if config.read_only { ", read-only" } else { "" }
        ));
        out.extend(feeds);
    }
    let mut ok = true;
    if let Some(e) = discovery_error {
        // Without a config file there is nothing to show; a file may be for alerting alone.
        if path.is_none() {
            ok = false;
            out.push_str(&format!(
                "error: no services configured, and discovery failed: {e}\n"
            ));
        } else {
            out.push_str(&format!(
                "warning: no services configured, and discovery failed: {e}\n"
            ));
        }
    }
    for am in &config.alertmanagers {
        let Some(client) = clients.alertmanager(&am.name) else {
            continue;
        };
        match client.status().await {
            Ok(status) => out.push_str(&format!(
                "ok: alertmanager {}: version {}, cluster {}{}\n",
                am.name,
                status.version.as_deref().unwrap_or("unknown"),
                status.cluster_status.as_deref().unwrap_or("unknown"),
                if status.peers.len() > 1 {
                    format!(" ({} peers)", status.peers.len())
                } else {
                    String::new()
                }
            )),
            Err(e) => {
                ok = false;
                out.push_str(&format!("error: alertmanager {}: {e}\n", am.name));
            }
        }
    }
    // Latency SLIs need their threshold to be a bucket boundary, or they match nothing.
    for state in &app.slos {
        let sretop::domain::slo_plan::SliSpec::Latency {
            histogram,
            threshold,
        } = &state.spec.sli
        else {
            continue;
        };
        let name = sretop::ui::slos::slo_name(&app, state);
        let Some(client) = clients.get(&state.spec.source) else {
            continue;
        };
        let selector = sretop::domain::signals::members_selector(
            &state.spec.by,
            &[state.spec.label_value.as_str()],
            state.spec.extra.as_deref(),
        );
        let promql = format!("group by (le) ({histogram}_bucket{{{selector}}})");
        match client.query(&promql, now).await {
            Ok(resp) => {
                let les: Vec<f64> = match resp.data {
                    sretop::prom::QueryData::Vector(v) => v
                        .iter()
                        .filter_map(|s| s.metric.get("le")?.parse().ok())
                        .collect(),
                    _ => Vec::new(),
                };
                if les.is_empty() {
                    out.push_str(&format!(
                        "warning: SLO {name}: no {histogram}_bucket series yet; cannot check the threshold\n"
                    ));
                } else if les
                    .iter()
                    .any(|le| (le - threshold).abs() <= 1e-9 * threshold.abs().max(1.0))
                {
                    out.push_str(&format!("ok: SLO {name}: bucket le={threshold} exists\n"));
                } else {
                    ok = false;
                    let mut known: Vec<f64> = les.into_iter().filter(|l| l.is_finite()).collect();
                    known.sort_by(f64::total_cmp);
                    let known: Vec<String> = known.iter().map(f64::to_string).collect();
                    out.push_str(&format!(
                        "error: SLO {name}: threshold {threshold} is not a bucket boundary of {histogram} (le: {}); pick one of them\n",
                        known.join(", ")
                    ));
                }
            }
            Err(e) => out.push_str(&format!(
                "warning: SLO {name}: cannot check the threshold against source {}: {e}\n",
                state.spec.source
            )),
        }
    }
    print!("{out}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The handoff store of this config: `handoff.dir`, else `$XDG_DATA_HOME/sretop/handoff`.
fn handoff_store(config: &Config) -> Result<sretop::store::handoff::HandoffStore, String> {
    use sretop::store::handoff::HandoffStore;
    let dir = config
        .handoff
        .dir
        .clone()
        .or_else(HandoffStore::default_dir)
        .ok_or("no directory for handoff notes: set handoff.dir in the config")?;
    HandoffStore::open(dir).map_err(|e| e.to_string())
}

async fn handoff_cmd(
    config: Config,
    tz: chrono::FixedOffset,
    clients: Clients,
    args: HandoffArgs,
) -> Result<ExitCode, String> {
    use sretop::domain::handoff::{render, render_markdown_for_chat};
    use sretop::handoff::{compose, edit_and_save, editor_command, save_draft_file, Edited};
    let store = handoff_store(&config)?;
    let user = local_user().unwrap_or_else(|| "unknown".into());
    let mut out = String::new();
    match args.command {
        HandoffCommand::List => {
            let notes = store.list().map_err(|e| e.to_string())?;
            if notes.is_empty() {
                out.push_str(&format!("no handoff notes in {}\n", store.dir().display()));
            }
            for n in notes {
                match &n.note {
                    Ok(note) => out.push_str(&format!(
                        "{}  {}  {}\n",
                        n.id,
                        note.author,
                        match (&note.acked_by, note.acked_at) {
                            (Some(who), Some(at)) => format!(
                                "acknowledged by {who} at {}",
                                at.with_timezone(&tz).format("%Y-%m-%d %H:%M")
                            ),
                            (Some(who), None) => format!("acknowledged by {who}"),
                            _ => "NOT ACKNOWLEDGED".into(),
                        }
                    )),
                    Err(e) => out.push_str(&format!("{}  (cannot be read: {e})\n", n.id)),
                }
            }
        }
        HandoffCommand::Show { id, format } => {
            let note = match id {
                Some(id) => store.load(&id).map_err(|e| e.to_string())?,
                None => store
                    .latest()
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("no handoff notes in {}", store.dir().display()))?,
            };
            out.push_str(&match format {
                NoteFormat::Text => render(&note),
                NoteFormat::Markdown => render_markdown_for_chat(&note),
            });
        }
        HandoffCommand::Ack { id, who } => {
            let who = who.unwrap_or_else(|| user.clone());
            let id = match id {
                Some(id) => id,
                None => store
                    .latest()
                    .map_err(|e| e.to_string())?
                    .map(|n| n.id)
                    .ok_or_else(|| format!("no handoff notes in {}", store.dir().display()))?,
            };
            let note = store
                .ack(&id, &who, Utc::now())
                .map_err(|e| e.to_string())?;
            tracing::info!(target: "sretop::audit", user = %user, id = %note.id, acked_by = %who, "acknowledge handoff");
            out.push_str(&format!("acknowledged {} as {who}\n", note.id));
        }
        HandoffCommand::New {
            fresh,
            no_edit,
            author,
        } => {
            let author = author.unwrap_or_else(|| user.clone());
            let draft = if fresh {
                None
            } else {
                store.load_draft(&author).map_err(|e| {
                    format!("{e}\n(fix the draft by hand, or start over with --fresh)")
                })?
            };
            let note = match draft {
                Some(note) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "sretop: continuing your unsaved draft {} (--fresh starts over)",
                        note.id
                    );
                    note
                }
                None => {
                    let now = Utc::now();
                    let mut app = App::new(config.clone(), now, tz);
                    runtime::poll_once(&mut app, &clients, now).await;
                    let previous = store.latest().ok().flatten();
                    let (shift, next_end) = sretop::handoff::shifts(&config, now);
                    let since = sretop::handoff::shift_start(&config, previous.as_ref(), now);
                    // Alerts that fired earlier in the shift; without them the note still has
                    // what fires now.
                    let fired = match clients.get(&app.context) {
                        Some(client) => sretop::handoff::fired_during(client, since, now)
                            .await
                            .unwrap_or_default(),
                        None => Vec::new(),
                    };
                    compose(
                        &app,
                        previous.as_ref(),
                        &author,
                        now,
                        shift,
                        next_end,
                        &fired,
                    )
                }
            };
            let edited = if no_edit {
                store.save_draft(&note).map_err(|e| e.to_string())?;
                let draft = store.draft_path(&author).map_err(|e| e.to_string())?;
                save_draft_file(&store, &author, &draft)
            } else {
                edit_and_save(&store, &author, &note, &editor_command())
            }
            .map_err(|e| {
                format!(
                    "{e}\n(your draft is kept in {})",
                    store.dir().join("drafts").display()
                )
            })?;
            match edited {
                Edited::Saved(note, path) => {
                    tracing::info!(target: "sretop::audit", user = %user, id = %note.id, "handoff saved");
                    out.push_str(&format!("saved {} ({})\n", note.id, path.display()));
                }
                Edited::Kept { draft, reason } => {
                    return Err(format!(
                        "{reason}\nyour draft is kept in {}; run `sretop handoff new` to continue it",
                        draft.display()
                    ));
                }
            }
        }
    }
    std::io::stdout()
        .write_all(out.as_bytes())
        .map_err(|e| format!("cannot write: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
