//! The one application state, changed only by [`App::update`].
//!
//! `update(msg, now) -> Vec<Cmd>` is plain synchronous code: no I/O, no clock of its own. The
//! runtime feeds it key presses, ticks and query results, and carries out the commands it
//! returns (fetch this query for that window). The poll schedule lives here too (what is due,
//! what is in flight, how long a down source waits before the next try), so it is tested with a
//! fake clock.

mod alert_actions;
pub mod alerts;
pub mod command;
pub mod handoff;
pub mod input;
mod mouse;
pub mod slo;

use chrono::{DateTime, FixedOffset, Utc};
use crossterm::event::{KeyEvent, KeyEventKind, MouseEvent};
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::{Config, Duration, Level, LowLevel};
use crate::domain::format;
use crate::domain::handoff::Note;
use crate::domain::health::{judge, judge_low, Status};
use crate::domain::series::Series;
use crate::domain::signals::{self, QueryPlan, SignalKind};
use crate::domain::slo_plan::{self, Count, Shape, SloQueryPlan};
use crate::domain::window::Window;
use crate::keys::{Action, KeyContext, KeyMap, Scope};
use crate::prom::alertmanager::NewSilence;
use crate::prom::{PromError, QueryData, QueryResponse};
use alerts::{AlertFeed, AlertFetched, AlertPoll, AlertsState, ExprFetched};
use handoff::{HandoffList, HandoffState};
use slo::SloState;

/// How many points a range query asks for by default; sparklines and charts downsample from
/// it.
pub const TARGET_POINTS: i64 = 240;
/// The shortest step ever asked for.
pub const MIN_STEP_SECS: i64 = 5;
/// A down source is retried after 1 s, 2 s, 4 s … up to this.
pub const MAX_BACKOFF_SECS: i64 = 30;
/// A tail fetch asks again for at least this much of what it already holds: the newest
/// points were evaluated moments after their time, and a scrape still in flight then may
/// have changed them since.
pub const TAIL_OVERLAP_SECS: i64 = 15;
/// The fewest and most points a range query asks for, whatever the terminal's width.
pub const MIN_POINTS: i64 = 60;
pub const MAX_POINTS: i64 = 1000;

/// The screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Every service, one row each.
    Overview,
    /// One service, large charts.
    Service,
    /// Every SLO, one row each.
    Slos,
    /// One SLO: burn rates, budget consumption, policy, PromQL.
    Slo,
    /// Every alert, grouped.
    Alerts,
    /// One alert: labels, links, rule, chart, silences.
    Alert,
    /// Active and pending silences.
    Silences,
    /// The shift handoff: the latest note, the live status it refers to, the history and the
    /// on-call schedule.
    Handoff,
}

impl View {
    pub const ALL: [View; 8] = [
        View::Overview,
        View::Service,
        View::Slos,
        View::Slo,
        View::Alerts,
        View::Alert,
        View::Silences,
        View::Handoff,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Service => "Service",
            View::Slos => "SLOs",
            View::Slo => "SLO",
            View::Alerts => "Alerts",
            View::Alert => "Alert",
            View::Silences => "Silences",
            View::Handoff => "Handoff",
        }
    }

    /// The key scope of the view's own bindings.
    pub fn key_scope(self) -> Scope {
        match self {
            View::Alerts => Scope::Alerts,
            View::Alert => Scope::Alert,
            View::Silences => Scope::Silences,
            View::Handoff => Scope::Handoff,
            _ => Scope::Global,
        }
    }

    /// The view named on the command line (`snapshot --view`).
    pub fn from_name(name: &str) -> Option<View> {
        match name.to_ascii_lowercase().as_str() {
            "overview" => Some(View::Overview),
            "service" | "detail" => Some(View::Service),
            "slos" => Some(View::Slos),
            "slo" => Some(View::Slo),
            "alerts" => Some(View::Alerts),
            "alert" => Some(View::Alert),
            "silences" => Some(View::Silences),
            "handoff" => Some(View::Handoff),
            _ => None,
        }
    }

    /// Views that list things (`g`/`G` apply).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            View::Overview | View::Slos | View::Alerts | View::Silences | View::Handoff
        )
    }
}

/// Everything that can happen.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The terminal's size (at start and whenever it changes): a redraw, and the step of
    /// the range queries follows the width.
    Resize {
        width: u16,
        height: u16,
    },
    /// A mouse event (only with `mouse: true` / `--mouse`) and the screen it happened on.
    Mouse {
        event: MouseEvent,
        area: ratatui::layout::Rect,
    },
    /// Text pasted into the terminal (bracketed paste): goes into the field being edited.
    Paste(String),
    /// The clock moved (about once a second).
    Tick,
    /// A query came back.
    Fetched(Box<Fetched>),
    /// An alert, rule or silence poll came back.
    AlertsFetched(Box<AlertFetched>),
    /// A drill-down chart query came back.
    ExprFetched(Box<ExprFetched>),
    /// A silence was created (its ID) or refused.
    SilenceCreated {
        alertmanager: String,
        result: Result<String, PromError>,
    },
    /// A silence was expired or the request failed.
    SilenceExpired {
        alertmanager: String,
        id: String,
        result: Result<(), PromError>,
    },
    /// The handoff directory was read: every note (newest first) and the newest that parses,
    /// or why the directory could not be read.
    HandoffsLoaded(Result<HandoffList, String>),
    /// A handoff note was acknowledged (the note as saved) or the write failed.
    HandoffAcked(Result<Note, String>),
    /// Something for the status line (`bad` colours it as a warning).
    Notice {
        text: String,
        bad: bool,
    },
    /// Composing a handoff in the editor ended: the saved note's id, or why it was not saved
    /// (the draft is kept).
    HandoffComposed(Result<String, String>),
    /// A discovery came back: the discovered config (its services and signals are taken) and
    /// a summary, or why nothing was found.
    Discovered(Result<Box<(Config, String)>, String>),
}

/// The answer to a [`Fetch`].
#[derive(Debug)]
pub struct Fetched {
    pub query: usize,
    pub generation: u64,
    /// The window asked for (the new tail only, when the rest is held).
    pub window: Window,
    /// The whole window the answer belongs to.
    pub frame: Window,
    pub result: Result<QueryResponse, PromError>,
    /// The source's clock minus the host's, as last measured by its client (HTTP `Date`).
    pub clock_skew: Option<chrono::Duration>,
}

/// Work for the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    /// A golden-signal or SLO query.
    Fetch(Fetch),
    /// Poll an alert, rule or silence feed.
    Alerts(AlertRequest),
    /// A drill-down chart query (`query_range`).
    Expr(ExprRequest),
    /// `POST /api/v2/silences` (only ever after the user confirmed).
    CreateSilence {
        alertmanager: String,
        silence: NewSilence,
        /// Who asked, for the audit log.
        user: String,
    },
    /// `DELETE /api/v2/silence/{id}` (only ever after the user confirmed).
    ExpireSilence {
        alertmanager: String,
        id: String,
        user: String,
    },
    /// Ring the terminal bell.
    Bell,
    /// Put text on the clipboard of the user's terminal (OSC 52).
    Copy(String),
    /// Read the handoff directory; answered by [`Msg::HandoffsLoaded`].
    LoadHandoffs { dir: PathBuf },
    /// Mark note `id` acknowledged by `who` (a write, only when not read-only); answered by
    /// [`Msg::HandoffAcked`].
    AckHandoff {
        dir: PathBuf,
        id: String,
        who: String,
    },
    /// Write a new handoff note in the user's editor (needs the terminal).
    ComposeHandoff { dir: PathBuf, user: Option<String> },
    /// Discover the services of `source` (started without a config file and the first
    /// discovery failed); answered by [`Msg::Discovered`].
    Discover {
        source: String,
        url: String,
        service_label: Option<String>,
    },
}

/// Started without a config file and discovery failed (Prometheus down, nothing found yet):
/// it is tried again with backoff until it finds services.
#[derive(Debug, Clone, PartialEq)]
pub struct Rediscover {
    /// `--service-label`.
    pub service_label: Option<String>,
    pub next_due: DateTime<Utc>,
    pub failures: u32,
    pub in_flight: bool,
}

/// The most a failed discovery waits before the next try.
pub const MAX_REDISCOVER_SECS: i64 = 60;

/// One alert feed poll.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRequest {
    pub poll: usize,
    pub generation: u64,
    pub feed: AlertFeed,
    pub source: String,
}

/// One drill-down chart query.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprRequest {
    pub token: u64,
    pub part: alerts::ExprPart,
    pub source: String,
    pub promql: String,
    pub window: Window,
}

/// One `query_range` request.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetch {
    pub query: usize,
    pub generation: u64,
    pub source: String,
    pub promql: String,
    /// For a range query the window asked for; for an instant query, evaluated at
    /// `window.end`.
    pub window: Window,
    /// The whole window the answer is laid on: `window` itself, or a longer one whose older
    /// part is already held and only the tail (`window`) is fetched.
    pub frame: Window,
    pub instant: bool,
    /// A slow query (an SLO window of days): sent with the source's `slow_timeout`.
    pub slow: bool,
}

impl Fetch {
    /// Only the new tail of the frame is asked for.
    pub fn is_tail(&self) -> bool {
        self.window != self.frame
    }
}

/// Thresholds of one service, overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceThresholds {
    pub errors: Level,
    pub latency: Level,
    pub saturation: Level,
    pub traffic: Option<LowLevel>,
}

/// One service's golden signals as last fetched.
#[derive(Debug, Clone)]
pub struct ServiceState {
    pub name: String,
    pub source: String,
    pub thresholds: ServiceThresholds,
    pub traffic: Option<Series>,
    /// Failed requests per second (the numerator); kept to recompute the ratio.
    pub errors: Option<Series>,
    /// errors / traffic, computed when both are on the same window.
    pub error_ratio: Option<Series>,
    /// One entry per configured quantile.
    pub latency: Vec<(f64, Option<Series>)>,
    /// One entry per saturation gauge, in percent.
    pub saturation: Vec<(String, Option<Series>)>,
    /// The queries that feed this service, for freshness.
    pub feeds: Vec<usize>,
}

impl ServiceState {
    /// The gauge with the highest current value, for the overview.
    pub fn worst_saturation(&self) -> Option<(&str, &Series)> {
        self.saturation
            .iter()
            .filter_map(|(name, s)| s.as_ref().map(|s| (name.as_str(), s)))
            .max_by(|a, b| {
                let va = a.1.current().unwrap_or(f64::NEG_INFINITY);
                let vb = b.1.current().unwrap_or(f64::NEG_INFINITY);
                va.total_cmp(&vb)
            })
    }

    /// The worst status over the four signals' current values (no data counts only when
    /// nothing else is known).
    pub fn status(&self) -> Status {
        let now = |s: Option<&Series>| s.and_then(Series::current);
        let t = &self.thresholds;
        let mut worst = [
            judge_low(now(self.traffic.as_ref()), t.traffic.as_ref()),
            judge(now(self.error_ratio.as_ref()), &t.errors),
            judge(now(self.top_latency()), &t.latency),
        ]
        .into_iter()
        .chain(
            self.saturation
                .iter()
                .map(|(_, s)| judge(now(s.as_ref()), &t.saturation)),
        )
        .max()
        .unwrap_or(Status::NoData);
        if worst == Status::NoData && self.traffic.as_ref().and_then(Series::current).is_some() {
            worst = Status::Ok;
        }
        worst
    }

    /// The latency series of the highest quantile (the one judged against thresholds).
    pub fn top_latency(&self) -> Option<&Series> {
        self.latency
            .iter()
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .and_then(|(_, s)| s.as_ref())
    }
}

/// What a query is for.
#[derive(Debug, Clone)]
pub enum Plan {
    Signal(QueryPlan),
    Slo(SloQueryPlan),
}

impl Plan {
    pub fn source(&self) -> &str {
        match self {
            Plan::Signal(p) => &p.source,
            Plan::Slo(p) => &p.source,
        }
    }

    /// A short name for messages: `traffic`, `SLO total 1h`.
    pub fn label(&self) -> String {
        match self {
            Plan::Signal(p) => p.kind.label(),
            Plan::Slo(p) => {
                let count = match p.count {
                    Count::Bad => "bad events",
                    Count::Total => "total events",
                    Count::Good => "good events",
                    Count::GoodSlices => "good slices",
                    Count::TotalSlices => "slices",
                };
                let over = match p.shape {
                    Shape::Instant { lookback: Some(s) } => {
                        format!(" over {}", Duration::from_secs(s))
                    }
                    Shape::Instant { lookback: None } => " over the SLO window".into(),
                    Shape::History => " (history)".into(),
                    Shape::Consumption => " (consumption)".into(),
                };
                format!("SLO {count}{over}")
            }
        }
    }
}

/// Poll bookkeeping for one query.
#[derive(Debug, Clone)]
pub struct QueryState {
    pub plan: Plan,
    /// The generation of the request in flight, if any.
    pub in_flight: Option<u64>,
    /// When this query is next due; `None` means "not again" (a historical window already
    /// fetched).
    pub next_due: Option<DateTime<Utc>>,
    pub last_ok: Option<DateTime<Utc>>,
    /// The last error and when it happened; cleared by a success.
    pub last_error: Option<(DateTime<Utc>, String)>,
    pub warnings: Vec<String>,
    /// The PromQL last sent, so the user can paste it into Prometheus.
    pub last_promql: Option<String>,
    /// When the last request was sent.
    pub dispatched: Option<DateTime<Utc>>,
    /// Consecutive transport failures (drives the backoff).
    pub failures: u32,
    /// The last answer was a transport failure (connection, timeout, 5xx).
    pub transport_failing: bool,
    /// The window whose data is held (golden signals): the next fetch asks only for what
    /// came after it. Cleared when the window changes meaning (range, pan, context).
    pub held: Option<Window>,
}

/// Health of one source (Prometheus server).
#[derive(Debug, Clone, Default)]
pub struct SourceState {
    pub last_ok: Option<DateTime<Utc>>,
    /// Set while every query of the source fails at the transport level (down, timing out,
    /// 5xx); cleared by any success.
    pub down_since: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The source's clock minus the host's (from its answers' `Date` header): windows are
    /// computed from the host's clock, so a large skew hides or invents recent data.
    pub clock_skew: Option<chrono::Duration>,
}

/// Freshness of a panel.
#[derive(Debug, Clone, PartialEq)]
pub enum Freshness {
    /// Never fetched yet.
    Loading,
    /// Fetched recently, no error since.
    Fresh,
    /// Old data kept on screen: the age of the data and why it is old.
    Stale {
        age_secs: i64,
        reason: Option<String>,
    },
    /// Never succeeded; the last error.
    Failed { reason: String },
}

/// The whole state.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub context: String,
    pub services: Vec<ServiceState>,
    pub slos: Vec<SloState>,
    /// The selected row of the SLO list.
    pub slo_selected: usize,
    pub queries: Vec<QueryState>,
    pub sources: BTreeMap<String, SourceState>,
    pub view: View,
    pub selected: usize,
    pub help: bool,
    pub ranges: Vec<Duration>,
    pub range: Duration,
    /// Points per series a range query aims for.
    pub points: i64,
    /// Right edge of a historical window (unix seconds); `None` while live.
    pub anchor: Option<i64>,
    /// Bumped whenever what is on screen changes meaning (range, pan, context); answers for an
    /// older generation are dropped.
    pub generation: u64,
    pub now: DateTime<Utc>,
    pub tz: FixedOffset,
    /// Config warnings shown on screen (e.g. TLS verification off).
    pub warnings: Vec<String>,
    pub quit: bool,
    /// Something visible changed since the last draw.
    pub dirty: bool,
    /// Alerts, silences and their views' state.
    pub alerts: AlertsState,
    /// The local user (from `$USER`), the default silence author and the audit log's "who".
    pub user: Option<String>,
    /// Shift handoff notes as last read.
    pub handoff: HandoffState,
    /// The handoff directory (`handoff.dir`, else the default); `None` when neither is known.
    pub handoff_dir: Option<PathBuf>,
    /// Colour and glyph limits of the terminal (`NO_COLOR`, ASCII), applied to every frame.
    pub degrade: crate::ui::degrade::Degrade,
    /// Spreads the polls of many sretops over time: `Some(seed)` delays each round by up to
    /// a tenth of its cadence (the same delay for every query of the round, so they stay on
    /// one window). `None` (tests, one-shot snapshots): exactly on the cadence.
    pub jitter: Option<u64>,
    /// Discovery still to be retried (see [`Rediscover`]).
    pub rediscover: Option<Rediscover>,
    /// The key table: the defaults with the config's `keys:` remaps.
    pub keymap: KeyMap,
    /// The `:` command line (open or not) and its history.
    pub command: command::CommandLine,
    /// The list row last clicked (a second click on it opens it).
    pub last_click: Option<(View, usize)>,
    /// Work asked for by a key press (copy, confirmed writes), handed out by `update`.
    pending: Vec<Cmd>,
}

impl App {
    /// A fresh state; nothing fetched yet. `tz` is the offset times are shown in.
    pub fn new(config: Config, now: DateTime<Utc>, tz: FixedOffset) -> Self {
        let context = config.current_context().to_string();
        let mut ranges = config.ranges.clone();
        if !ranges.contains(&config.range) {
            ranges.push(config.range);
        }
        ranges.sort();
        ranges.dedup();
        let range = config.range;
        let (keymap, keymap_warning) = KeyMap::or_default(&config.keys);
        let mut app = App {
            context,
            services: Vec::new(),
            slos: Vec::new(),
            slo_selected: 0,
            queries: Vec::new(),
            sources: config
                .sources
                .iter()
                .map(|s| (s.name.clone(), SourceState::default()))
                .collect(),
            view: View::Overview,
            selected: 0,
            help: false,
            ranges,
            range,
            points: TARGET_POINTS,
            anchor: None,
            generation: 0,
            now,
            tz,
            warnings: keymap_warning.into_iter().collect(),
            quit: false,
            dirty: true,
            alerts: AlertsState::default(),
            user: None,
            handoff: HandoffState::default(),
            handoff_dir: config
                .handoff
                .dir
                .clone()
                .or_else(crate::store::handoff::HandoffStore::default_dir),
            pending: Vec::new(),
            jitter: None,
            rediscover: None,
            keymap,
            command: Default::default(),
            last_click: None,
            degrade: Default::default(),
            config,
        };
        app.rebuild();
        app
    }

    /// (Re)builds services and queries for the current context, dropping fetched data.
    fn rebuild(&mut self) {
        let plans = signals::plan(&self.config, &self.context);
        let cfg = &self.config;
        self.services = cfg
            .services
            .iter()
            .enumerate()
            .map(|(i, svc)| {
                let t = &svc.thresholds;
                ServiceState {
                    name: svc.name.clone(),
                    source: signals::service_source(svc, &self.context).to_string(),
                    thresholds: ServiceThresholds {
                        errors: t.errors.unwrap_or(cfg.thresholds.errors),
                        latency: t.latency.unwrap_or(cfg.thresholds.latency),
                        saturation: t.saturation.unwrap_or(cfg.thresholds.saturation),
                        traffic: t.traffic.or(cfg.thresholds.traffic),
                    },
                    traffic: None,
                    errors: None,
                    error_ratio: None,
                    latency: cfg.signals.quantiles.iter().map(|q| (*q, None)).collect(),
                    saturation: signals::service_gauges(cfg, svc)
                        .iter()
                        .map(|g| (g.name.clone(), None))
                        .collect(),
                    feeds: plans
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| p.members.iter().any(|m| m.service == i))
                        .map(|(q, _)| q)
                        .collect(),
                }
            })
            .collect();
        let specs = slo_plan::specs(&self.config, &self.context, slo::burn_windows);
        let slo_plans = slo_plan::plan(&specs);
        self.slos = specs
            .into_iter()
            .enumerate()
            .map(|(i, spec)| {
                let mut state = SloState::new(spec, &self.config);
                state.feeds = slo_plans
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.members.iter().any(|m| m.slo == i))
                    .map(|(q, _)| plans.len() + q)
                    .collect();
                state
            })
            .collect();
        self.queries = plans
            .into_iter()
            .map(Plan::Signal)
            .chain(slo_plans.into_iter().map(Plan::Slo))
            .map(|plan| QueryState {
                plan,
                in_flight: None,
                next_due: Some(self.now),
                last_ok: None,
                last_error: None,
                warnings: Vec::new(),
                last_promql: None,
                dispatched: None,
                failures: 0,
                transport_failing: false,
                held: None,
            })
            .collect();
        self.selected = self.selected.min(self.services.len().saturating_sub(1));
        self.slo_selected = self.slo_selected.min(self.slos.len().saturating_sub(1));
        self.generation += 1;
        self.rebuild_alert_polls();
    }

    /// Alert feeds for the current context: the context's Prometheus (alerts and rules) and
    /// every Alertmanager (alerts and silences).
    fn rebuild_alert_polls(&mut self) {
        let mut polls = Vec::new();
        if self.config.alerts.from_prometheus && self.config.source(&self.context).is_some() {
            for feed in [AlertFeed::PromAlerts, AlertFeed::PromRules] {
                polls.push((feed, self.context.clone()));
            }
        }
        for am in &self.config.alertmanagers {
            for feed in [AlertFeed::AmAlerts, AlertFeed::AmSilences] {
                polls.push((feed, am.name.clone()));
            }
        }
        self.alerts.prom_alerts.clear();
        self.alerts.rules.clear();
        self.alerts.epoch += 1;
        // Alerts of the new context are not "new": the next full answer is a baseline.
        self.alerts.reset_baseline();
        self.alerts.polls = polls
            .into_iter()
            .map(|(feed, source)| AlertPoll {
                feed,
                source,
                in_flight: false,
                next_due: Some(self.now),
                last_ok: None,
                last_error: None,
                failures: 0,
            })
            .collect();
        self.remerge_alerts();
    }

    /// Whether any alert feed is configured.
    pub fn has_alert_feeds(&self) -> bool {
        !self.alerts.polls.is_empty()
    }

    fn alert_refresh(&self) -> chrono::Duration {
        let secs = self
            .config
            .alerts
            .refresh
            .map_or(self.refresh_secs(), cadence_secs);
        chrono::Duration::seconds(secs)
    }

    fn remerge_alerts(&mut self) {
        let cfg = &self.config.alerts;
        let fresh = self
            .alerts
            .remerge(&cfg.external_labels, &cfg.group_by, self.now);
        if fresh > 0 {
            if cfg.bell {
                self.pending.push(Cmd::Bell);
            }
            let names: Vec<String> = self
                .alerts
                .new_since
                .iter()
                .filter(|(_, t)| **t == self.now)
                .filter_map(|(k, _)| k.get("alertname").cloned())
                .collect();
            self.notice(format!("▲ newly firing: {}", names.join(", ")), true);
        }
        self.dirty = true;
    }

    /// Shows `view` (Tab, a click on its tab); the alert view opens the selected alert when
    /// none is open.
    pub(crate) fn show_view(&mut self, view: View) {
        self.view = view;
        if view == View::Alert && self.alerts.open.is_none() {
            self.open_selected_alert();
            self.view = View::Alert;
        }
        self.dirty = true;
    }

    /// A message for the status line (`bad` colours it as a warning).
    fn notice(&mut self, text: impl Into<String>, bad: bool) {
        self.alerts.notice = Some((self.now, text.into(), bad));
        self.dirty = true;
    }

    /// True while the window ends now.
    pub fn is_live(&self) -> bool {
        self.anchor.is_none()
    }

    /// The window the next fetch asks for.
    pub fn window(&self) -> Window {
        let range = i64::try_from(self.range.as_secs()).unwrap_or(i64::MAX / 2);
        let end = self.anchor.unwrap_or_else(|| self.now.timestamp());
        Window::new(end, range, self.points, MIN_STEP_SECS)
    }

    /// The `rate()` window for a step: the configured one, raised to the step so no sample
    /// falls between two points.
    pub fn rate_window(&self, window: &Window) -> String {
        let configured = self.config.signals.rate_window.as_secs();
        let step = u64::try_from(window.step).unwrap_or(0);
        Duration::from_secs(configured.max(step).max(1)).to_string()
    }

    /// The terminal is `width` columns wide: range queries ask for no more points than the
    /// widest chart can draw (a braille chart at full width draws about one point per
    /// column). A new step means the next fetch is a whole one.
    pub fn set_width(&mut self, width: u16) {
        self.points = i64::from(width).clamp(MIN_POINTS, MAX_POINTS);
    }

    pub fn refresh_secs(&self) -> i64 {
        cadence_secs(self.config.refresh)
    }

    /// Applies one message; returns the work it calls for.
    pub fn update(&mut self, msg: Msg, now: DateTime<Utc>) -> Vec<Cmd> {
        let before = self.visible_clock();
        self.now = now;
        match msg {
            Msg::Key(key) => {
                if key.kind != KeyEventKind::Release {
                    self.on_key(&key);
                }
            }
            Msg::Resize { width, .. } => {
                self.dirty = true;
                self.set_width(width);
            }
            Msg::Mouse { event, area } => self.on_mouse(&event, area),
            Msg::Paste(text) => {
                if !self.command_paste(&text) {
                    self.on_paste(&text);
                }
            }
            Msg::Tick => {
                let before = self.alerts.new_since.len();
                self.alerts.expire_highlights(now);
                if self.alerts.new_since.len() != before {
                    self.dirty = true;
                }
            }
            Msg::Fetched(fetched) => self.on_fetched(*fetched),
            Msg::AlertsFetched(f) => self.on_alerts_fetched(*f),
            Msg::ExprFetched(f) => self.on_expr_fetched(*f),
            Msg::SilenceCreated {
                alertmanager,
                result,
            } => {
                match result {
                    Ok(id) => {
                        self.alerts.sent_form = None;
                        self.notice(format!("silence {id} created on {alertmanager}"), false);
                    }
                    Err(e) => {
                        let reason = format!("silence not created on {alertmanager}: {e}");
                        // Back to the form as it was typed, saying why.
                        if let Some(mut form) = self.alerts.sent_form.take() {
                            form.error = Some(reason.clone());
                            self.alerts.form = Some(form);
                        }
                        self.notice(reason, true);
                    }
                }
                self.refresh_alertmanager(&alertmanager);
            }
            Msg::SilenceExpired {
                alertmanager,
                id,
                result,
            } => {
                match result {
                    Ok(()) => self.notice(format!("silence {id} expired on {alertmanager}"), false),
                    Err(e) => self.notice(format!("silence {id} not expired: {e}"), true),
                }
                self.refresh_alertmanager(&alertmanager);
            }
            Msg::HandoffsLoaded(result) => {
                self.handoff.loaded(result, now);
                self.dirty = true;
            }
            Msg::HandoffAcked(result) => self.on_handoff_acked(result),
            Msg::Notice { text, bad } => self.notice(text, bad),
            Msg::Discovered(result) => self.on_discovered(result),
            Msg::HandoffComposed(result) => {
                match result {
                    Ok(id) => self.notice(format!("handoff {id} saved"), false),
                    Err(e) => self.notice(e, true),
                }
                self.reload_handoffs();
                // The editor had the screen: everything is drawn again.
                self.dirty = true;
            }
        }
        if self.visible_clock() != before {
            self.dirty = true;
        }
        if self.quit {
            return Vec::new();
        }
        let mut cmds = std::mem::take(&mut self.pending);
        cmds.extend(self.due_discovery());
        cmds.extend(self.due_fetches());
        cmds.extend(self.due_handoff_load());
        cmds
    }

    /// A discovery to retry, when it is due.
    fn due_discovery(&mut self) -> Option<Cmd> {
        let r = self.rediscover.as_mut()?;
        if r.in_flight || r.next_due > self.now {
            return None;
        }
        let source = self.config.source(&self.context)?;
        r.in_flight = true;
        Some(Cmd::Discover {
            source: source.name.clone(),
            url: source.url.clone(),
            service_label: r.service_label.clone(),
        })
    }

    fn on_discovered(&mut self, result: Result<Box<(Config, String)>, String>) {
        let Some(r) = self.rediscover.as_mut() else {
            return;
        };
        r.in_flight = false;
        self.dirty = true;
        // The status line's "no services: …" warning says how the last try went.
        self.warnings.retain(|w| !w.starts_with("no services: "));
        match result {
            Ok(found) => {
                let (config, summary) = *found;
                self.rediscover = None;
                self.config.adopt_discovered(config);
                self.warnings.push(summary.clone());
                self.notice(summary, false);
                self.rebuild();
            }
            Err(e) => {
                r.failures += 1;
                let wait = (1i64 << r.failures.min(7)).min(MAX_REDISCOVER_SECS);
                r.next_due = self.now + chrono::Duration::seconds(wait);
                self.warnings
                    .push(format!("no services: {e} (trying again every {wait}s)"));
            }
        }
    }

    /// After a write: poll that Alertmanager's alerts and silences now.
    fn refresh_alertmanager(&mut self, name: &str) {
        for p in &mut self.alerts.polls {
            if p.source == name && p.feed.is_alertmanager() {
                p.next_due = Some(self.now);
                if p.in_flight {
                    // The answer on its way predates the write: ask again when it is in.
                    self.alerts.repoll.insert(name.to_string());
                }
            }
        }
    }

    /// What the clock-driven parts of the screen show (ages, retry countdowns), so a tick
    /// redraws only when one of them changes.
    fn visible_clock(&self) -> String {
        let mut out = String::new();
        let ages = self
            .sources
            .values()
            .flat_map(|s| [s.last_ok, s.down_since])
            .chain(self.queries.iter().map(|q| q.last_ok))
            .flatten();
        for t in ages {
            out.push_str(&format::age((self.now - t).num_seconds()));
            out.push(' ');
        }
        for name in self.sources.keys() {
            if let Some(t) = self.next_attempt(name) {
                out.push_str(&(t - self.now).num_seconds().max(0).to_string());
                out.push(' ');
            }
        }
        for svc in &self.services {
            out.push_str(&format!(
                "{:?}",
                std::mem::discriminant(&self.freshness(&svc.feeds))
            ));
        }
        if let Some((t, ..)) = &self.alerts.notice {
            out.push_str(if (self.now - *t).num_seconds() < 30 {
                "N"
            } else {
                "n"
            });
        }
        if let Some(cfg) = &self.config.oncall {
            // The header's "next handoff in 2d 3h".
            let on_call = crate::domain::oncall::now(cfg, self.now);
            if let Some(next) = on_call.next_handoff {
                out.push_str(&crate::domain::oncall::countdown(self.now, next));
            }
            out.push_str(if on_call.primary.is_some() { "P" } else { "-" });
        }
        if matches!(
            self.view,
            View::Alerts | View::Alert | View::Silences | View::Handoff
        ) {
            // "for 12m", "ends in 1h": minute resolution.
            out.push_str(&(self.now.timestamp() / 60).to_string());
        }
        out
    }

    /// The keys that apply now.
    pub fn key_context(&self) -> KeyContext {
        KeyContext {
            view: self.view.key_scope(),
            list: self.view.is_list(),
            read_only: self.config.read_only,
        }
    }

    fn on_key(&mut self, key: &KeyEvent) {
        // Modes that take keys first: a confirmation, the silence form, the filter line.
        if self.modal_key(key) || self.command_key(key) {
            self.dirty = true;
            return;
        }
        let Some(action) = self.keymap.lookup(key, self.key_context()) else {
            self.refuse_write_key(key);
            return;
        };
        self.act(action);
    }

    /// Carries out an action, from the key table or the command line.
    fn act(&mut self, action: Action) {
        self.dirty = true;
        if self.alert_action(action) || self.handoff_action(action) {
            return;
        }
        if self.help && !matches!(action, Action::Quit | Action::Help | Action::Back) {
            // Any other key closes help first, so a stray key never acts unseen.
            self.help = false;
            return;
        }
        let in_slos = matches!(self.view, View::Slos | View::Slo);
        let (cursor, len) = match self.view {
            View::Alerts => {
                let len = self.alerts.visible_len();
                (&mut self.alerts.selected, len)
            }
            View::Silences => {
                let len = self.alerts.silences.len();
                (&mut self.alerts.silence_selected, len)
            }
            View::Handoff => {
                let len = self.handoff.notes.len();
                (&mut self.handoff.selected, len)
            }
            _ if in_slos => (&mut self.slo_selected, self.slos.len()),
            _ => (&mut self.selected, self.services.len()),
        };
        let last = len.saturating_sub(1);
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = !self.help,
            Action::Up => *cursor = cursor.saturating_sub(1),
            Action::Down => *cursor = (*cursor + 1).min(last),
            Action::Top => *cursor = 0,
            Action::Bottom => *cursor = last,
            Action::Open => match self.view {
                View::Alerts => self.open_selected_alert(),
                View::Alert | View::Silences | View::Handoff => {}
                _ if len > 0 => {
                    self.view = if in_slos { View::Slo } else { View::Service };
                }
                _ => {}
            },
            Action::Back => {
                if self.help {
                    self.help = false;
                } else if self.view == View::Alerts && !self.alerts.filter_input.text.is_empty() {
                    // Esc clears the filter before it leaves the list.
                    self.alerts.filter_input = Default::default();
                    self.alerts.set_filter(&self.config.alerts.group_by);
                } else {
                    self.view = match self.view {
                        View::Slo => View::Slos,
                        View::Alert => View::Alerts,
                        _ => View::Overview,
                    };
                }
            }
            Action::NextView | Action::PrevView => {
                let n = View::ALL.len();
                let i = View::ALL.iter().position(|v| *v == self.view).unwrap_or(0);
                let next = if action == Action::NextView {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.show_view(View::ALL[next]);
            }
            Action::RangeLonger | Action::RangeShorter | Action::PickRange(_) => {
                let i = self
                    .ranges
                    .iter()
                    .position(|r| *r == self.range)
                    .unwrap_or(0);
                let j = match action {
                    Action::RangeLonger => (i + 1).min(self.ranges.len().saturating_sub(1)),
                    Action::RangeShorter => i.saturating_sub(1),
                    Action::PickRange(p) if p < self.ranges.len() => p,
                    _ => i,
                };
                if let Some(r) = self.ranges.get(j) {
                    if *r != self.range {
                        self.range = *r;
                        self.view_changed();
                    }
                }
            }
            Action::PanBack => {
                let half = i64::try_from(self.range.as_secs() / 2).unwrap_or(0).max(1);
                let end = self.anchor.unwrap_or_else(|| self.window().end);
                self.anchor = Some(end - half);
                self.view_changed();
            }
            Action::PanForward => {
                if let Some(end) = self.anchor {
                    let half = i64::try_from(self.range.as_secs() / 2).unwrap_or(0).max(1);
                    let next = end + half;
                    self.anchor = None;
                    let live_end = self.window().end;
                    self.anchor = (next < live_end).then_some(next);
                    self.view_changed();
                }
            }
            Action::Live => {
                if self.anchor.take().is_some() {
                    self.view_changed();
                }
            }
            Action::Refresh => {
                for q in &mut self.queries {
                    q.next_due = Some(self.now);
                }
                for p in &mut self.alerts.polls {
                    p.next_due = Some(self.now);
                }
                self.request_chart();
            }
            Action::Alerts
            | Action::Filter
            | Action::Sort
            | Action::Silence
            | Action::Expire
            | Action::CopyRunbook
            | Action::CopyGenerator
            | Action::RelatedService
            | Action::RelatedSlo
            | Action::Handoff
            | Action::AckHandoff
            | Action::ComposeHandoff => {}
            Action::Command => self.command.open(),
            Action::NextContext => {
                let names: Vec<String> =
                    self.config.sources.iter().map(|s| s.name.clone()).collect();
                if names.len() > 1 {
                    let i = names.iter().position(|n| *n == self.context).unwrap_or(0);
                    self.context = names[(i + 1) % names.len()].clone();
                    self.rebuild();
                }
            }
        }
    }

    /// The window moved: everything is due again, older answers are dropped.
    fn view_changed(&mut self) {
        self.generation += 1;
        for q in &mut self.queries {
            q.next_due = Some(self.now);
            q.held = None;
        }
        self.request_chart();
    }

    /// Fetches that are due now and not already in flight; marks them in flight.
    fn due_fetches(&mut self) -> Vec<Cmd> {
        let window = self.window();
        let rate = self.rate_window(&window);
        let mut cmds = Vec::new();
        for i in 0..self.queries.len() {
            let q = &self.queries[i];
            if q.in_flight == Some(self.generation) {
                continue;
            }
            let Some(due) = q.next_due else { continue };
            if due > self.now {
                continue;
            }
            let (promql, fetch_window, instant) = match &q.plan {
                Plan::Signal(p) => (p.promql(&rate), window, false),
                Plan::Slo(p) => match self.slo_request(p, &window) {
                    Some(request) => request,
                    None => {
                        // Nothing to ask for this window (history of a calendar SLO).
                        self.queries[i].next_due = None;
                        continue;
                    }
                },
            };
            let q = &mut self.queries[i];
            let request = match &q.plan {
                Plan::Signal(_) => tail_window(q.held, fetch_window),
                Plan::Slo(_) => fetch_window,
            };
            q.in_flight = Some(self.generation);
            q.dispatched = Some(self.now);
            q.last_promql = Some(promql.clone());
            cmds.push(Cmd::Fetch(Fetch {
                query: i,
                generation: self.generation,
                source: q.plan.source().to_string(),
                promql,
                window: request,
                frame: fetch_window,
                instant,
                slow: matches!(&q.plan, Plan::Slo(p) if p.slow),
            }));
        }
        for (i, p) in self.alerts.polls.iter_mut().enumerate() {
            if p.in_flight || p.next_due.is_none_or(|due| due > self.now) {
                continue;
            }
            p.in_flight = true;
            cmds.push(Cmd::Alerts(AlertRequest {
                poll: i,
                generation: self.alerts.epoch,
                feed: p.feed,
                source: p.source.clone(),
            }));
        }
        cmds
    }

    /// PromQL, window and kind (instant or range) for an SLO query, evaluated at the right edge
    /// of the screen's window.
    fn slo_request(&self, p: &SloQueryPlan, screen: &Window) -> Option<(String, Window, bool)> {
        let t = screen.end;
        let at = |secs: i64| Window {
            start: secs,
            end: secs,
            step: 1,
        };
        let spec = &self.slos.get(p.members.first()?.slo)?.spec;
        let now = chrono::DateTime::from_timestamp(t, 0).unwrap_or(self.now);
        let (length, calendar) = match spec.window {
            slo_plan::WindowSpec::Rolling(s) => (s, None),
            slo_plan::WindowSpec::Calendar(period) => {
                let cal = crate::domain::slo::CalendarWindow::containing(now, period);
                (cal.lookback_secs(now).max(60), Some(cal))
            }
        };
        let d = slo_plan::promql_duration;
        Some(match p.shape {
            Shape::Instant { lookback: Some(w) } => (p.promql(&d(w)), at(t), true),
            Shape::Instant { lookback: None } => (p.promql(&d(length)), at(t), true),
            Shape::History => {
                if calendar.is_some() {
                    return None;
                }
                let range = screen.end - screen.start;
                let w = Window::new(t, range, 24, 60);
                (p.promql(&d(length)), w, false)
            }
            Shape::Consumption => {
                // Points end exactly at `t` (not rounded down to the step, which would hide
                // the latest burn), each counting the step before it, so together they cover
                // the SLO window and nothing before it.
                let length = i64::try_from(length).unwrap_or(i64::MAX / 4);
                let step = Window::new(t, length, 120, 60).step;
                let n = (length + step - 1) / step;
                let w = Window {
                    start: t - (n - 1) * step,
                    end: t,
                    step,
                };
                (p.promql(&d(u64::try_from(step).unwrap_or(60))), w, false)
            }
        })
    }

    fn on_fetched(&mut self, f: Fetched) {
        let refresh = chrono::Duration::seconds(self.refresh_secs());
        let long_refresh = chrono::Duration::seconds(
            cadence_secs(self.config.slo_defaults.long_refresh).max(self.refresh_secs()),
        );
        let slo_refresh = self
            .config
            .slo_defaults
            .refresh
            .map_or(refresh, |d| chrono::Duration::seconds(cadence_secs(d)));
        let live = self.is_live();
        let now = self.now;
        let seed = self.jitter;
        if let (Some(skew), Some(q)) = (f.clock_skew, self.queries.get(f.query)) {
            let source = self.sources.entry(q.plan.source().to_string()).or_default();
            if source.clock_skew.map(|s| s.num_seconds()) != Some(skew.num_seconds()) {
                source.clock_skew = Some(skew);
                self.dirty = true;
            }
        }
        let Some(q) = self.queries.get_mut(f.query) else {
            return;
        };
        if q.in_flight == Some(f.generation) {
            q.in_flight = None;
        }
        if f.generation != self.generation {
            // An answer for an older window, range or context says nothing about what is on
            // screen now, not even about the source's health (it may be another source).
            return;
        }
        self.dirty = true;
        // Every query of a round was sent at the same time: scheduling from the send time
        // (not the arrival) keeps them on one schedule and so on one window.
        let round = q.dispatched.unwrap_or(now);
        let source_name = q.plan.source().to_string();
        let (every, kind) = match &q.plan {
            Plan::Slo(p) if p.slow => (long_refresh, 2),
            Plan::Slo(_) => (slo_refresh, 1),
            Plan::Signal(_) => (refresh, 0),
        };
        let every = every + jitter_delay(seed, kind, round, every);
        match f.result {
            Ok(resp) => {
                q.last_ok = Some(now);
                q.last_error = None;
                q.failures = 0;
                q.transport_failing = false;
                q.warnings = resp.warnings;
                // A historical window does not change: fetch it once.
                q.next_due = live.then(|| round + every);
                let plan = q.plan.clone();
                let source = self.sources.entry(source_name).or_default();
                source.last_ok = Some(now);
                source.down_since = None;
                source.last_error = None;
                match plan {
                    Plan::Signal(plan) => {
                        let whole = self.apply(&plan, f.frame, f.window, resp.data);
                        if let Some(q) = self.queries.get_mut(f.query) {
                            // A merge that could not line up (the step changed in between)
                            // leaves nothing whole to extend: the next fetch is a full one.
                            q.held = whole.then_some(f.frame);
                        }
                    }
                    Plan::Slo(plan) => self.apply_slo(&plan, f.window, resp.data),
                }
            }
            Err(err) => {
                let reason = err.to_string();
                q.last_error = Some((now, reason.clone()));
                let err = &err;
                if err.is_transport() {
                    q.failures += 1;
                    q.transport_failing = true;
                    let backoff =
                        (1i64 << q.failures.min(6).saturating_sub(1)).min(MAX_BACKOFF_SECS);
                    q.next_due = Some(round + chrono::Duration::seconds(backoff));
                } else {
                    // The source is fine but this query is not (bad PromQL, too many series):
                    // retrying fast will not help.
                    q.transport_failing = false;
                    q.next_due = Some(round + every);
                }
                // The source is down when it cannot be reached at all, or when every query on
                // the refresh cadence fails at the transport level; one slow query timing out
                // alone is that query's problem, shown on its panel.
                let unreachable = matches!(
                    err,
                    PromError::Connect { .. } | PromError::Dns { .. } | PromError::Tls { .. }
                );
                let all_failing = self
                    .queries
                    .iter()
                    .filter(|q| q.plan.source() == source_name)
                    .filter(|q| !matches!(&q.plan, Plan::Slo(p) if p.slow))
                    .all(|q| q.transport_failing);
                let source = self.sources.entry(source_name).or_default();
                if unreachable || all_failing {
                    source.down_since.get_or_insert(now);
                    source.last_error = Some(reason);
                }
            }
        }
    }

    /// When the next request to a source goes out (its earliest due query).
    pub fn next_attempt(&self, source: &str) -> Option<DateTime<Utc>> {
        let queries = self
            .queries
            .iter()
            .filter(|q| q.plan.source() == source && q.in_flight.is_none())
            .filter_map(|q| q.next_due);
        let polls = self
            .alerts
            .polls
            .iter()
            .filter(|p| p.source == source && !p.in_flight)
            .filter_map(|p| p.next_due);
        queries.chain(polls).min()
    }

    /// Lays a successful SLO answer onto the SLOs it serves.
    fn apply_slo(&mut self, plan: &SloQueryPlan, window: Window, data: QueryData) {
        let series = labelled(data);
        let count = series.len();
        let mut seen = vec![false; plan.members.len()];
        for (labels, samples) in &series {
            for member in plan.members_for(labels, count) {
                let Some(idx) = plan.members.iter().position(|m| std::ptr::eq(m, member)) else {
                    continue;
                };
                seen[idx] = true;
                if let Some(state) = self.slos.get_mut(member.slo) {
                    state.record(plan, window, Some(samples));
                }
            }
        }
        // SLOs absent from the answer (see `SloState::record` for what that means).
        for (member, seen) in plan.members.iter().zip(seen) {
            if !seen {
                if let Some(state) = self.slos.get_mut(member.slo) {
                    state.record(plan, window, None);
                }
            }
        }
    }

    /// Lays a successful answer onto the services it serves: the whole `frame`, or only its
    /// tail (`request`) merged onto what is held. Returns whether every series now covers the
    /// whole frame.
    fn apply(&mut self, plan: &QueryPlan, frame: Window, request: Window, data: QueryData) -> bool {
        let series = labelled(data);
        let mut found: BTreeMap<usize, Series> = BTreeMap::new();
        let count = series.len();
        for (labels, samples) in &series {
            for svc in plan.services_for(labels, count) {
                found.insert(svc, Series::from_samples(request, samples.iter().copied()));
            }
        }
        let mut whole = true;
        for member in &plan.members {
            let Some(svc) = self.services.get_mut(member.service) else {
                continue;
            };
            // A service absent from the answer has no data in this window (for errors: no
            // error series yet, which with traffic present means zero errors).
            let tail = found
                .remove(&member.service)
                .unwrap_or_else(|| Series::empty(request));
            let slot = match &plan.kind {
                SignalKind::Traffic => Some(&mut svc.traffic),
                SignalKind::Errors => Some(&mut svc.errors),
                SignalKind::Latency { quantile } => svc
                    .latency
                    .iter_mut()
                    .find(|(q, _)| q == quantile)
                    .map(|(_, s)| s),
                SignalKind::Saturation { gauge } => svc
                    .saturation
                    .iter_mut()
                    .find(|(g, _)| g == gauge)
                    .map(|(_, s)| s),
            };
            let Some(slot) = slot else { continue };
            *slot = Some(if request == frame {
                tail
            } else {
                match Series::merge_tail(slot.as_ref(), frame, request.start, &tail) {
                    Some(merged) => merged,
                    None => {
                        whole = false;
                        Series::merge_tail(None, frame, request.start, &tail)
                            .unwrap_or_else(|| Series::empty(frame))
                    }
                }
            });
            if matches!(plan.kind, SignalKind::Traffic | SignalKind::Errors) {
                if let (Some(traffic), Some(errors)) = (&svc.traffic, &svc.errors) {
                    svc.error_ratio = Some(Series::ratio(Some(errors), traffic));
                }
            }
        }
        whole
    }

    pub fn selected_slo(&self) -> Option<&SloState> {
        self.slos.get(self.slo_selected)
    }

    /// How often a query is polled, in seconds (as [`Self::on_fetched`] schedules it, without
    /// the jitter).
    fn cadence_of(&self, plan: &Plan) -> i64 {
        let refresh = self.refresh_secs();
        match plan {
            Plan::Slo(p) if p.slow => {
                cadence_secs(self.config.slo_defaults.long_refresh).max(refresh)
            }
            Plan::Slo(_) => self
                .config
                .slo_defaults
                .refresh
                .map_or(refresh, cadence_secs),
            Plan::Signal(_) => refresh,
        }
    }

    /// How fresh the data fed by these queries is.
    pub fn freshness(&self, feeds: &[usize]) -> Freshness {
        let mut worst = Freshness::Fresh;
        for q in feeds.iter().filter_map(|i| self.queries.get(*i)) {
            // Stale after two missed polls of this query's own cadence: the slow SLO windows
            // are polled every `slo_defaults.long_refresh`, not every `refresh`.
            let stale_after = 2 * self.cadence_of(&q.plan) + 5;
            let error = q.last_error.as_ref().map(|(_, e)| e.clone());
            let this = match (q.last_ok, error) {
                (None, None) => Freshness::Loading,
                (None, Some(reason)) => Freshness::Failed { reason },
                (Some(ok), reason) => {
                    let age_secs = (self.now - ok).num_seconds();
                    if reason.is_some() || (self.is_live() && age_secs > stale_after) {
                        Freshness::Stale { age_secs, reason }
                    } else {
                        Freshness::Fresh
                    }
                }
            };
            worst = match (&worst, &this) {
                (Freshness::Failed { .. }, _) => worst,
                (_, Freshness::Failed { .. }) => this,
                (Freshness::Stale { .. }, _) => worst,
                (_, Freshness::Stale { .. }) => this,
                (Freshness::Loading, _) => worst,
                _ => this,
            };
        }
        worst
    }

    /// The most recent successful poll of any source.
    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        self.sources.values().filter_map(|s| s.last_ok).max()
    }

    /// True while any request is out.
    pub fn in_flight(&self) -> bool {
        self.queries.iter().any(|q| q.in_flight.is_some())
            || self.alerts.polls.iter().any(|p| p.in_flight)
    }

    pub fn selected_service(&self) -> Option<&ServiceState> {
        self.services.get(self.selected)
    }
}

/// A polling cadence in seconds, kept within 1 s … 1 day whatever the config says, so schedule
/// arithmetic on it can never overflow.
/// The part of `frame` still to fetch when the data of `held` is on hand: from shortly
/// before `held` ends (see [`TAIL_OVERLAP_SECS`]) to the end of `frame`, on the same grid.
/// The whole frame when nothing usable is held: nothing yet, another step or grid, or a gap
/// (what is held ends before the frame starts).
pub fn tail_window(held: Option<Window>, frame: Window) -> Window {
    let Some(h) = held else { return frame };
    let step = frame.step;
    let same_grid = h.step == step && (h.end - frame.end) % step == 0;
    if !same_grid || h.end < frame.start || h.end > frame.end {
        return frame;
    }
    let from = h.end - TAIL_OVERLAP_SECS.max(step);
    // Onto the frame's grid, rounding up (a tail never starts before the frame).
    let k = (from - frame.start + step - 1).div_euclid(step).max(0);
    Window {
        start: frame.start + k * step,
        ..frame
    }
}

/// How much later than its cadence a round goes out: up to a tenth of the cadence (at most
/// 30 s), the same for every query of one kind and round, different from one sretop to the
/// next (the seed) and from one round to the next. Zero without a seed.
pub fn jitter_delay(
    seed: Option<u64>,
    kind: u64,
    round: DateTime<Utc>,
    every: chrono::Duration,
) -> chrono::Duration {
    let Some(seed) = seed else {
        return chrono::Duration::zero();
    };
    let span = (every.num_milliseconds() / 10).clamp(0, 30_000);
    if span == 0 {
        return chrono::Duration::zero();
    }
    // splitmix64 over (seed, kind, round): cheap, well spread, no state to keep.
    let mut x = seed ^ kind.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ round.timestamp() as u64;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    chrono::Duration::milliseconds((x % span as u64) as i64)
}

pub fn cadence_secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs())
        .unwrap_or(i64::MAX)
        .clamp(1, 86_400)
}

/// One series of an answer: its labels and `(t, v)` samples.
type Labelled = (BTreeMap<String, String>, Vec<(f64, f64)>);

/// Series of an answer, whatever the result type.
fn labelled(data: QueryData) -> Vec<Labelled> {
    match data {
        QueryData::Matrix(m) => m
            .into_iter()
            .map(|s| (s.metric, s.values.into_iter().map(|p| (p.t, p.v)).collect()))
            .collect(),
        QueryData::Vector(v) => v
            .into_iter()
            .map(|s| (s.metric, vec![(s.value.t, s.value.v)]))
            .collect(),
        QueryData::Scalar(s) => vec![(BTreeMap::new(), vec![(s.t, s.v)])],
        QueryData::String(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::{RangeSeries, Sample};
    use chrono::TimeZone;
    use crossterm::event::{KeyCode, KeyModifiers};

    const YAML: &str = r#"
refresh: 15s
sources: [{name: demo, url: "http://127.0.0.1:9090"}, {name: other, url: "http://127.0.0.1:9091"}]
services: [{name: api}, {name: checkout}]
"#;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0)
            .single()
            .expect("valid time")
    }

    fn app() -> App {
        let config: Config = serde_yaml::from_str(YAML).expect("config");
        App::new(config, t(0), FixedOffset::east_opt(0).expect("utc"))
    }

    fn key(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    fn fetches(cmds: &[Cmd]) -> Vec<&Fetch> {
        cmds.iter()
            .filter_map(|c| match c {
                Cmd::Fetch(f) => Some(f),
                _ => None,
            })
            .collect()
    }

    fn answer(f: &Fetch, result: Result<QueryResponse, PromError>) -> Msg {
        Msg::Fetched(Box::new(Fetched {
            query: f.query,
            generation: f.generation,
            window: f.window,
            frame: f.frame,
            result,
            clock_skew: None,
        }))
    }

    fn matrix(w: &Window, per_service: &[(&str, f64)]) -> QueryResponse {
        QueryResponse {
            data: QueryData::Matrix(
                per_service
                    .iter()
                    .map(|(svc, v)| RangeSeries {
                        metric: [("service".to_string(), svc.to_string())].into(),
                        values: vec![
                            Sample {
                                t: w.start as f64,
                                v: *v,
                            },
                            Sample {
                                t: w.end as f64,
                                v: *v,
                            },
                        ],
                    })
                    .collect(),
            ),
            warnings: vec![],
        }
    }

    fn refused() -> PromError {
        PromError::Connect {
            reason: "connection refused".into(),
        }
    }

    fn alert_polls(cmds: &[Cmd]) -> Vec<AlertRequest> {
        cmds.iter()
            .filter_map(|c| match c {
                Cmd::Alerts(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }

    fn firing(name: &str) -> crate::prom::alerts::PromAlert {
        crate::prom::alerts::PromAlert {
            labels: [("alertname".to_string(), name.to_string())].into(),
            annotations: BTreeMap::new(),
            state: crate::prom::alerts::PromAlertState::Firing,
            active_at: Some(t(-3600)),
            value: Some(1.0),
        }
    }

    fn alert_answer(r: &AlertRequest, firing_now: Vec<crate::prom::alerts::PromAlert>) -> Msg {
        let data = match r.feed {
            AlertFeed::PromAlerts => alerts::AlertData::PromAlerts(firing_now),
            _ => alerts::AlertData::Rules(Vec::new()),
        };
        Msg::AlertsFetched(Box::new(AlertFetched {
            poll: r.poll,
            generation: r.generation,
            result: Ok(data),
        }))
    }

    #[test]
    fn context_switch_sets_a_new_alert_baseline_and_drops_old_answers() {
        let mut app = app();
        app.config.alerts.bell = true;
        let old = alert_polls(&app.update(Msg::Tick, t(0)));
        assert_eq!(old.len(), 2);
        for r in &old {
            let cmds = app.update(alert_answer(r, vec![firing("A")]), t(1));
            assert!(!cmds.contains(&Cmd::Bell), "the first answer is a baseline");
        }
        // A range change does not touch alert polls: nothing is re-sent.
        assert!(alert_polls(&app.update(key('+'), t(2))).is_empty());
        let new = alert_polls(&app.update(key('c'), t(3)));
        assert_eq!(new.len(), 2);
        assert!(new.iter().all(|r| r.source == "other"));
        // An answer of the old context arriving late leaves the new polls in flight.
        app.update(alert_answer(&old[0], vec![]), t(4));
        assert!(app.alerts.polls.iter().all(|p| p.in_flight));
        assert!(
            alert_polls(&app.update(Msg::Tick, t(4))).is_empty(),
            "no duplicate polls"
        );
        // The new context's alerts firing for an hour are not "new": no bell, no highlight.
        for r in &new {
            let cmds = app.update(alert_answer(r, vec![firing("B")]), t(5));
            assert!(!cmds.contains(&Cmd::Bell), "{cmds:?}");
        }
        assert!(app.alerts.new_since.is_empty());
        // A third alert starting later is new, once.
        let next = alert_polls(&app.update(Msg::Tick, t(20)));
        let prom = next
            .iter()
            .find(|r| r.feed == AlertFeed::PromAlerts)
            .expect("alerts polled again");
        let cmds = app.update(alert_answer(prom, vec![firing("B"), firing("C")]), t(21));
        assert!(cmds.contains(&Cmd::Bell));
        assert_eq!(app.alerts.new_since.len(), 1);
    }

    #[test]
    fn first_tick_fetches_every_query_once() {
        let mut app = app();
        let cmds = app.update(Msg::Tick, t(0));
        // traffic, errors, three quantiles; no saturation gauges configured.
        assert_eq!(fetches(&cmds).len(), 5);
        // The context's Prometheus alerts and alerting rules.
        let feeds: Vec<_> = cmds
            .iter()
            .filter_map(|c| match c {
                Cmd::Alerts(r) => Some((r.feed, r.source.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            feeds,
            [
                (AlertFeed::PromAlerts, "demo"),
                (AlertFeed::PromRules, "demo")
            ]
        );
        assert!(
            app.update(Msg::Tick, t(1)).is_empty(),
            "in flight: nothing new"
        );
    }

    #[test]
    fn a_query_is_due_again_one_refresh_after_success() {
        let mut app = app();
        let cmds = app.update(Msg::Tick, t(0));
        for f in fetches(&cmds) {
            let w = f.window;
            assert!(app.update(answer(f, Ok(matrix(&w, &[]))), t(1)).is_empty());
        }
        // Due one refresh after the round was sent (t0), whenever the answers came back.
        assert!(app.update(Msg::Tick, t(14)).is_empty());
        assert_eq!(app.update(Msg::Tick, t(15)).len(), 5);
    }

    /// Answers every fetch with one point per step for `api`, valued `v(t)`.
    fn answer_all(app: &mut App, cmds: &[Cmd], at: DateTime<Utc>, v: impl Fn(i64) -> f64) {
        for f in fetches(cmds) {
            let w = f.window;
            let values = (0..w.len() as i64)
                .map(|i| Sample {
                    t: (w.start + i * w.step) as f64,
                    v: v(w.start + i * w.step),
                })
                .collect();
            let resp = QueryResponse {
                data: QueryData::Matrix(vec![RangeSeries {
                    metric: [("service".to_string(), "api".to_string())].into(),
                    values,
                }]),
                warnings: vec![],
            };
            app.update(answer(f, Ok(resp)), at);
        }
    }

    #[test]
    fn later_refreshes_fetch_only_the_tail_and_merge_it() {
        let mut app = app();
        // The runtime's first message: the screen's size, and the first round.
        let first = app.update(
            Msg::Resize {
                width: 160,
                height: 48,
            },
            t(0),
        );
        let fs = fetches(&first);
        assert!(
            fs.iter().all(|f| !f.is_tail()),
            "nothing held: whole windows"
        );
        let frame0 = fs[0].frame;
        // 1h over 160 columns: a 30 s step, 121 points.
        assert_eq!((frame0.step, frame0.len()), (30, 121));
        answer_all(&mut app, &first, t(1), |t| t as f64);
        // Two steps later only the new points (and the last one held) are asked for.
        let next = app.update(Msg::Tick, t(60));
        let fs = fetches(&next);
        assert_eq!(fs.len(), 5);
        let f = fs[0];
        assert!(f.is_tail());
        assert_eq!(f.frame.end, frame0.end + 60);
        assert_eq!(f.window.end, f.frame.end);
        assert_eq!(f.window.step, 30);
        assert_eq!(
            f.window.start,
            frame0.end - 30,
            "from one step before what is held"
        );
        assert_eq!(f.window.len(), 4, "4 points instead of 121");
        // The tail says something else for the overlapping point: the newer answer wins.
        answer_all(&mut app, &next, t(61), |t| {
            if t == frame0.end {
                -1.0
            } else {
                t as f64
            }
        });
        let traffic = app.services[0].traffic.clone().expect("traffic");
        assert_eq!(traffic.window, f.frame);
        assert_eq!(traffic.values.len(), 121);
        assert_eq!(traffic.current(), Some(f.frame.end as f64));
        assert_eq!(traffic.at(frame0.end), Some(-1.0));
        assert_eq!(
            traffic.at(f.frame.start),
            Some(f.frame.start as f64),
            "old points kept from the first answer"
        );
        assert!(traffic.values.iter().all(Option::is_some), "no holes");
        // A range change refetches whole.
        let cmds = app.update(key('+'), t(62));
        assert!(fetches(&cmds).iter().all(|f| !f.is_tail()));
    }

    #[test]
    fn a_new_width_or_a_gap_refetches_the_whole_window() {
        let mut app = app();
        app.set_width(160);
        let cmds = app.update(Msg::Tick, t(0));
        answer_all(&mut app, &cmds, t(1), |_| 1.0);
        // Narrower: a coarser step, nothing held on that grid.
        let cmds = app.update(
            Msg::Resize {
                width: 80,
                height: 24,
            },
            t(15),
        );
        let fs = fetches(&cmds);
        assert!(!fs.is_empty() && fs.iter().all(|f| !f.is_tail()));
        assert_eq!(fs[0].frame.step, 60);
        answer_all(&mut app, &cmds, t(16), |_| 1.0);
        // The source is down for longer than the range: what is held ends before the new
        // window starts, so there is nothing to extend.
        let cmds = app.update(Msg::Tick, t(30));
        for f in fetches(&cmds) {
            app.update(answer(f, Err(refused())), t(30));
        }
        let cmds = app.update(Msg::Tick, t(30 + 3 * 3600));
        let fs = fetches(&cmds);
        assert!(!fs.is_empty() && fs.iter().all(|f| !f.is_tail()), "{fs:?}");
    }

    #[test]
    fn tail_windows_stay_on_the_frame_grid() {
        let frame = Window {
            start: 1000,
            end: 4600,
            step: 30,
        };
        // Nothing held, another step, a gap, a held window ahead of the frame: whole.
        assert_eq!(tail_window(None, frame), frame);
        assert_eq!(
            tail_window(Some(Window { step: 15, ..frame }), frame),
            frame
        );
        let old = Window {
            start: -5000,
            end: 900,
            step: 30,
        };
        assert_eq!(tail_window(Some(old), frame), frame);
        let ahead = Window {
            start: 1030,
            end: 4630,
            step: 30,
        };
        assert_eq!(tail_window(Some(ahead), frame), frame);
        // Held up to 4540: ask from 4510 (one step back) to 4600.
        let held = Window {
            start: 940,
            end: 4540,
            step: 30,
        };
        assert_eq!(
            tail_window(Some(held), frame),
            Window {
                start: 4510,
                ..frame
            }
        );
        // A 5 s step still goes back 15 s.
        let fine = Window {
            start: 1000,
            end: 1300,
            step: 5,
        };
        let held = Window {
            start: 990,
            end: 1290,
            step: 5,
        };
        assert_eq!(tail_window(Some(held), fine).start, 1275);
    }

    #[test]
    fn a_failed_discovery_is_retried_with_backoff_until_it_finds_services() {
        let bare: Config =
            serde_yaml::from_str("sources: [{name: demo, url: 'http://127.0.0.1:9090'}]")
                .expect("config");
        let mut app = App::new(bare, t(0), FixedOffset::east_opt(0).expect("utc"));
        app.warnings
            .push("no services: cannot list the metric names".into());
        app.rediscover = Some(Rediscover {
            service_label: Some("app".into()),
            next_due: t(2),
            failures: 0,
            in_flight: false,
        });
        let discover = |cmds: &[Cmd]| {
            cmds.iter()
                .filter(|c| matches!(c, Cmd::Discover { .. }))
                .count()
        };
        assert_eq!(discover(&app.update(Msg::Tick, t(1))), 0, "not yet due");
        let cmds = app.update(Msg::Tick, t(2));
        assert!(cmds.contains(&Cmd::Discover {
            source: "demo".into(),
            url: "http://127.0.0.1:9090".into(),
            service_label: Some("app".into()),
        }));
        assert_eq!(discover(&app.update(Msg::Tick, t(3))), 0, "in flight");
        app.update(Msg::Discovered(Err("connection refused".into())), t(3));
        assert_eq!(app.warnings.len(), 1, "{:?}", app.warnings);
        assert!(app.warnings[0].contains("connection refused"));
        assert_eq!(discover(&app.update(Msg::Tick, t(4))), 0, "backing off");
        assert_eq!(discover(&app.update(Msg::Tick, t(5))), 1, "2 s later");
        let mut found: Config = serde_yaml::from_str(YAML).expect("config");
        found.sources[0].service_label = "app".into();
        let cmds = app.update(
            Msg::Discovered(Ok(Box::new((found, "discovered 2 services".into())))),
            t(6),
        );
        assert!(app.rediscover.is_none());
        assert_eq!(app.services.len(), 2);
        // The label discovery chose splits the answers (not the default `service`).
        assert_eq!(
            app.config.source("demo").map(|s| s.service_label.as_str()),
            Some("app")
        );
        assert_eq!(app.warnings, ["discovered 2 services"]);
        assert_eq!(
            fetches(&cmds).len(),
            5,
            "the new services are fetched at once"
        );
        assert_eq!(discover(&app.update(Msg::Tick, t(100))), 0, "done for good");
    }

    #[test]
    fn jitter_delays_a_whole_round_by_up_to_a_tenth() {
        let every = chrono::Duration::seconds(15);
        assert_eq!(jitter_delay(None, 0, t(0), every), chrono::Duration::zero());
        let delays: Vec<i64> = (0..200)
            .map(|i| jitter_delay(Some(42), 0, t(i * 15), every).num_milliseconds())
            .collect();
        assert!(delays.iter().all(|d| (0..1500).contains(d)), "{delays:?}");
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 100, "spread out, not one fixed offset");
        assert_ne!(
            jitter_delay(Some(1), 0, t(0), every),
            jitter_delay(Some(2), 0, t(0), every),
            "two sretops, two offsets"
        );
        // In the app: every query of the round is due again at the same, delayed time.
        let mut app = app();
        app.jitter = Some(7);
        let cmds = app.update(Msg::Tick, t(0));
        answer_all(&mut app, &cmds, t(1), |_| 1.0);
        let dues: std::collections::BTreeSet<_> = app
            .queries
            .iter()
            .filter(|q| matches!(q.plan, Plan::Signal(_)))
            .filter_map(|q| q.next_due)
            .collect();
        assert_eq!(dues.len(), 1, "one round");
        let due = *dues.iter().next().expect("due");
        assert!(due >= t(15) && due < t(15) + chrono::Duration::milliseconds(1500));
    }

    #[test]
    fn error_ratio_is_errors_over_traffic_and_missing_errors_are_zero() {
        let mut app = app();
        let cmds = app.update(Msg::Tick, t(0));
        let fs = fetches(&cmds);
        let w = fs[0].window;
        app.update(
            answer(fs[0], Ok(matrix(&w, &[("api", 100.0), ("checkout", 0.0)]))),
            t(1),
        );
        app.update(answer(fs[1], Ok(matrix(&w, &[("api", 2.0)]))), t(1));
        let api = &app.services[0];
        assert_eq!(
            api.error_ratio.as_ref().and_then(Series::current),
            Some(0.02)
        );
        let checkout = &app.services[1];
        assert_eq!(
            checkout.error_ratio.as_ref().and_then(Series::current),
            None,
            "0 traffic: no data, not 0%"
        );
        assert_eq!(
            api.status(),
            Status::Warn,
            "2% errors is past the 1% warning"
        );
        assert_eq!(app.services[1].status(), Status::Ok);
    }

    #[test]
    fn a_down_source_keeps_old_data_marks_it_stale_and_backs_off() {
        let mut app = app();
        let cmds = app.update(Msg::Tick, t(0));
        let fs = fetches(&cmds);
        let w = fs[0].window;
        app.update(answer(fs[0], Ok(matrix(&w, &[("api", 100.0)]))), t(1));
        for f in &fs[1..] {
            app.update(answer(f, Ok(matrix(&w, &[]))), t(1));
        }
        let cmds = app.update(Msg::Tick, t(16));
        assert_eq!(cmds.len(), 5);
        for f in fetches(&cmds) {
            app.update(answer(f, Err(refused())), t(16));
        }
        let src = &app.sources["demo"];
        assert!(app.queries.iter().all(|q| q.failures == 1));
        assert_eq!(src.down_since, Some(t(16)));
        assert_eq!(src.last_error.as_deref(), Some("connection refused"));
        // Old data is kept and marked stale with the reason.
        assert_eq!(
            app.services[0].traffic.as_ref().and_then(Series::current),
            Some(100.0)
        );
        match app.freshness(&app.services[0].feeds) {
            Freshness::Stale { age_secs, reason } => {
                assert_eq!(age_secs, 15);
                assert_eq!(reason.as_deref(), Some("connection refused"));
            }
            other => panic!("expected stale, got {other:?}"),
        }
        // Backoff from the round's send time (t16): 1 s, then 2 s, then 4 s …
        assert_eq!(app.next_attempt("demo"), Some(t(17)));
        let cmds = app.update(Msg::Tick, t(17));
        assert_eq!(cmds.len(), 5);
        for f in fetches(&cmds) {
            app.update(answer(f, Err(refused())), t(17));
        }
        assert_eq!(app.next_attempt("demo"), Some(t(19)));
        assert!(app.update(Msg::Tick, t(18)).is_empty());
        let cmds = app.update(Msg::Tick, t(19));
        assert_eq!(cmds.len(), 5);
        for f in fetches(&cmds) {
            app.update(answer(f, Err(refused())), t(19));
        }
        assert_eq!(app.next_attempt("demo"), Some(t(23)));
        let cmds = app.update(Msg::Tick, t(23));
        // Recovery clears the outage and the stale mark.
        for f in fetches(&cmds) {
            let w = f.window;
            app.update(answer(f, Ok(matrix(&w, &[("api", 50.0)]))), t(21));
        }
        assert_eq!(app.sources["demo"].down_since, None);
        assert_eq!(app.freshness(&app.services[0].feeds), Freshness::Fresh);
        assert_eq!(
            app.services[0].traffic.as_ref().and_then(Series::current),
            Some(50.0)
        );
    }

    #[test]
    fn one_failing_query_does_not_mark_the_source_down() {
        let mut app = app();
        let cmds = app.update(Msg::Tick, t(0));
        let fs = fetches(&cmds);
        let timeout = PromError::Timeout {
            after: std::time::Duration::from_secs(10),
        };
        app.update(answer(fs[4], Err(timeout)), t(10));
        for f in &fs[..4] {
            let w = f.window;
            app.update(answer(f, Ok(matrix(&w, &[("api", 1.0)]))), t(1));
        }
        assert_eq!(app.sources["demo"].down_since, None);
        assert_eq!(app.queries[4].failures, 1);
        // The slow query backs off alone; the others keep their schedule.
        assert_eq!(app.queries[4].next_due, Some(t(1)));
        assert_eq!(app.queries[0].next_due, Some(t(15)));
    }

    #[test]
    fn late_answers_from_an_old_generation_change_nothing() {
        let mut app = app();
        let cmds = app.update(Msg::Tick, t(0));
        let old: Vec<Fetch> = fetches(&cmds).into_iter().cloned().collect();
        let cmds = app.update(key('+'), t(1));
        for f in fetches(&cmds) {
            let w = f.window;
            app.update(answer(f, Ok(matrix(&w, &[("api", 1.0)]))), t(2));
        }
        app.dirty = false;
        for f in &old {
            app.update(answer(f, Err(refused())), t(2));
        }
        assert_eq!(app.sources["demo"].down_since, None);
        assert_eq!(app.freshness(&app.services[0].feeds), Freshness::Fresh);
        assert!(!app.dirty, "nothing visible changed");
    }

    #[test]
    fn error_ratio_follows_even_when_answers_arrive_at_different_times() {
        let mut app = app();
        let mut now = 0;
        for round in 0..5 {
            let cmds = app.update(Msg::Tick, t(now));
            for (i, f) in fetches(&cmds).into_iter().enumerate() {
                let w = f.window;
                let errors = f64::from(round + 1);
                let v = if i == 1 { errors } else { 100.0 };
                // The errors answer comes back 7 s after the others.
                let at = if i == 1 { now + 7 } else { now + 1 };
                app.update(answer(f, Ok(matrix(&w, &[("api", v)]))), t(at));
            }
            now += 15;
            let ratio = app.services[0]
                .error_ratio
                .as_ref()
                .and_then(Series::current);
            assert_eq!(ratio, Some(errors_ratio(round)));
        }
        fn errors_ratio(round: i32) -> f64 {
            f64::from(round + 1) / 100.0
        }
    }

    #[test]
    fn slo_windows_of_a_day_or_more_refresh_slowly() {
        let names = crate::fixture::demo_names();
        let now = crate::fixture::fixed_now();
        let mut app = App::new(
            crate::fixture::config(&names),
            now,
            FixedOffset::east_opt(0).expect("utc"),
        );
        let cmds = app.update(Msg::Tick, now);
        let total = fetches(&cmds).len();
        crate::fixture::answer(&mut app, cmds, now, None);
        let at = |secs| now + chrono::Duration::seconds(secs);
        // After one refresh only the golden signals and the short SLO windows are due.
        let fast = app.update(Msg::Tick, at(15));
        let slow_count = app
            .queries
            .iter()
            .filter(|q| matches!(&q.plan, Plan::Slo(p) if p.slow))
            .count();
        assert_eq!(fetches(&fast).len(), total - slow_count);
        assert!(fetches(&fast).iter().all(|f| !matches!(
            &app.queries[f.query].plan,
            Plan::Slo(p) if p.slow
        )));
        crate::fixture::answer(&mut app, fast, at(15), None);
        // After `long_refresh` (5 min) everything is due again.
        assert_eq!(fetches(&app.update(Msg::Tick, at(300))).len(), total);
    }

    #[test]
    fn slow_slo_windows_are_not_stale_between_their_polls() {
        let names = crate::fixture::demo_names();
        let now = crate::fixture::fixed_now();
        let mut app = App::new(
            crate::fixture::config(&names),
            now,
            FixedOffset::east_opt(0).expect("utc"),
        );
        let cmds = app.update(Msg::Tick, now);
        crate::fixture::answer(&mut app, cmds, now, None);
        let all: Vec<usize> = (0..app.queries.len()).collect();
        // Four minutes on, the fast queries answered every refresh, the slow SLO windows
        // (polled every 5 min) once: nothing is stale.
        let later = now + chrono::Duration::seconds(240);
        let fast = app.update(Msg::Tick, later);
        crate::fixture::answer(&mut app, fast, later, None);
        assert_eq!(app.freshness(&all), Freshness::Fresh);
        // Past two of its own polls, a slow window is stale.
        let much_later = now + chrono::Duration::seconds(2 * 300 + 6);
        app.now = much_later;
        assert!(matches!(app.freshness(&all), Freshness::Stale { .. }));
    }

    #[test]
    fn slo_status_comes_from_the_fetched_counts() {
        let app = crate::fixture::app(&crate::fixture::demo_names());
        let bands: Vec<crate::domain::slo::Band> = app
            .slos
            .iter()
            .map(|s| s.status(&app.config.policy, app.now).band)
            .collect();
        use crate::domain::slo::Band::*;
        assert_eq!(bands, vec![Green, Exhausted, Yellow, Red, NoData]);
        let checkout = app.slos[1].status(&app.config.policy, app.now);
        assert!(checkout.burn.page_firing, "24x burn pages");
        assert!((checkout.budget.remaining.expect("remaining") + 0.2).abs() < 1e-9);
    }

    #[test]
    fn a_rolling_window_as_long_as_a_burn_window_has_its_own_counts() {
        // 1h is also a burn-rate look-back of the default alert windows: the planner sends
        // one query for both, and the answer must fill both.
        let yaml = "sources: [{name: demo, url: 'http://127.0.0.1:9090'}]\n\
                    services:\n  - name: api\n    slos:\n      - {name: availability, \
                    objective: 90, window: {rolling: 1h}, sli: {availability: {}}}\n";
        let config: Config = serde_yaml::from_str(yaml).expect("config");
        let now = t(0);
        let mut app = App::new(config, now, FixedOffset::east_opt(0).expect("utc"));
        let cmds = app.update(Msg::Tick, now);
        for f in fetches(&cmds) {
            let Plan::Slo(plan) = &app.queries[f.query].plan else {
                continue;
            };
            let v = match plan.count {
                Count::Total => 1000.0,
                _ => 50.0,
            };
            let data = QueryData::Vector(
                plan.members
                    .iter()
                    .map(|m| crate::prom::InstantSample {
                        metric: [(plan.by.clone(), m.label_value.clone())].into(),
                        value: crate::prom::Sample { t: 0.0, v },
                    })
                    .collect(),
            );
            let resp = QueryResponse {
                data,
                warnings: vec![],
            };
            app.update(answer(f, Ok(resp)), now);
        }
        let status = app.slos[0].status(&app.config.policy, now);
        assert_eq!(status.budget.error_ratio, Some(0.05));
        let remaining = status.budget.remaining.expect("not NO DATA");
        assert!((remaining - 0.5).abs() < 1e-9, "{remaining}");
    }

    #[test]
    fn a_missing_error_series_is_zero_errors_for_slos_too() {
        let names = crate::fixture::demo_names();
        let now = crate::fixture::fixed_now();
        let mut app = App::new(
            crate::fixture::config(&names),
            now,
            FixedOffset::east_opt(0).expect("utc"),
        );
        let cmds = app.update(Msg::Tick, now);
        for f in fetches(&cmds) {
            let Plan::Slo(plan) = &app.queries[f.query].plan else {
                continue;
            };
            // Totals answer 1000 for every member; bad counts answer nothing at all.
            let data = match plan.count {
                Count::Total => QueryData::Vector(
                    plan.members
                        .iter()
                        .map(|m| crate::prom::InstantSample {
                            metric: [(plan.by.clone(), m.label_value.clone())].into(),
                            value: crate::prom::Sample { t: 0.0, v: 1000.0 },
                        })
                        .collect(),
                ),
                _ => QueryData::Vector(vec![]),
            };
            let msg = answer(
                f,
                Ok(QueryResponse {
                    data,
                    warnings: vec![],
                }),
            );
            app.update(msg, now);
        }
        let api = app.slos[0].status(&app.config.policy, app.now);
        assert_eq!(api.budget.error_ratio, Some(0.0));
        assert_eq!(api.band, crate::domain::slo::Band::Green);
        // A latency SLO with traffic but no bucket at its threshold is flagged.
        assert!(app.slos[2].missing_bucket());
        assert!(!app.slos[0].missing_bucket());
    }

    #[test]
    fn backoff_is_capped() {
        let mut app = app();
        let mut now = 0;
        for _ in 0..10 {
            let cmds = app.update(Msg::Tick, t(now));
            for f in fetches(&cmds) {
                app.update(answer(f, Err(refused())), t(now));
            }
            now = (app.next_attempt("demo").expect("retry set") - t(0)).num_seconds();
        }
        let cmds = app.update(Msg::Tick, t(now));
        for f in fetches(&cmds) {
            app.update(answer(f, Err(refused())), t(now));
        }
        let wait = (app.next_attempt("demo").expect("retry") - t(now)).num_seconds();
        assert_eq!(wait, MAX_BACKOFF_SECS);
        assert!(wait <= MAX_BACKOFF_SECS);
    }

    #[test]
    fn a_bad_query_is_a_panel_error_not_an_outage() {
        let mut app = app();
        let cmds = app.update(Msg::Tick, t(0));
        let f = fetches(&cmds)[0].clone();
        app.update(
            answer(
                &f,
                Err(PromError::Api {
                    status: 400,
                    error_type: "bad_data".into(),
                    error: "parse error".into(),
                }),
            ),
            t(1),
        );
        assert_eq!(app.sources["demo"].down_since, None);
        assert!(matches!(
            app.freshness(&[f.query]),
            Freshness::Failed { reason } if reason == "bad_data: parse error"
        ));
    }

    #[test]
    fn answers_for_an_old_window_are_dropped() {
        let mut app = app();
        let cmds = app.update(Msg::Tick, t(0));
        let old = fetches(&cmds)[0].clone();
        let cmds = app.update(key('+'), t(1));
        assert_eq!(cmds.len(), 5, "new range: everything refetched at once");
        assert!(fetches(&cmds)
            .iter()
            .all(|f| f.generation == old.generation + 1));
        let w = old.window;
        app.update(answer(&old, Ok(matrix(&w, &[("api", 1.0)]))), t(2));
        assert!(app.services[0].traffic.is_none());
    }

    #[test]
    fn range_keys_step_through_the_ranges() {
        let mut app = app();
        assert_eq!(app.range, Duration::from_secs(3600));
        app.update(key('+'), t(0));
        assert_eq!(app.range, Duration::from_secs(6 * 3600));
        app.update(key('1'), t(0));
        assert_eq!(app.range, Duration::from_secs(900));
        app.update(key('-'), t(0));
        assert_eq!(app.range, Duration::from_secs(900), "stays at the shortest");
    }

    #[test]
    fn panning_goes_historical_and_back_to_live() {
        let mut app = app();
        app.update(key('['), t(0));
        assert!(!app.is_live());
        let end = app.window().end;
        assert!(end <= t(0).timestamp() - 1800);
        app.update(key('['), t(0));
        assert_eq!(app.window().end, end - 1800);
        app.update(key(']'), t(0));
        app.update(key(']'), t(0));
        assert!(app.is_live());
        app.update(key('['), t(0));
        app.update(key('L'), t(0));
        assert!(app.is_live());
    }

    #[test]
    fn a_historical_window_is_fetched_once() {
        let mut app = app();
        let cmds = app.update(key('['), t(0));
        for f in fetches(&cmds) {
            let w = f.window;
            app.update(answer(f, Ok(matrix(&w, &[]))), t(1));
        }
        assert!(app.update(Msg::Tick, t(100)).is_empty());
    }

    #[test]
    fn navigation_and_views() {
        let mut app = app();
        app.update(key('j'), t(0));
        assert_eq!(app.selected, 1);
        app.update(key('j'), t(0));
        assert_eq!(app.selected, 1, "stays on the last service");
        app.update(
            Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            t(0),
        );
        assert_eq!(app.view, View::Service);
        app.update(
            Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            t(0),
        );
        assert_eq!(app.view, View::Overview);
        app.update(
            Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
            t(0),
        );
        assert_eq!(app.view, View::Service);
        app.update(key('?'), t(0));
        assert!(app.help);
        app.update(key('j'), t(0));
        assert!(!app.help, "a key closes help without acting");
        assert_eq!(app.selected, 1);
        app.update(key('q'), t(0));
        assert!(app.quit);
    }

    #[test]
    fn switching_context_rebinds_services_and_drops_data() {
        let mut app = app();
        let cmds = app.update(Msg::Tick, t(0));
        let f = fetches(&cmds)[0].clone();
        let w = f.window;
        app.update(answer(&f, Ok(matrix(&w, &[("api", 1.0)]))), t(1));
        let cmds = app.update(key('c'), t(2));
        assert_eq!(app.context, "other");
        assert!(app.services[0].traffic.is_none());
        assert!(fetches(&cmds).iter().all(|f| f.source == "other"));
    }

    #[test]
    fn ticks_redraw_only_when_something_visible_changes() {
        let mut app = app();
        app.dirty = false;
        // Nothing fetched, no countdown: a tick changes nothing visible except the clock
        // second, which the header does not show.
        let cmds = app.update(Msg::Tick, t(1));
        let fs: Vec<Fetch> = fetches(&cmds).into_iter().cloned().collect();
        app.dirty = false;
        app.update(Msg::Tick, t(2));
        assert!(!app.dirty);
        for f in &fs {
            let w = f.window;
            app.update(answer(f, Ok(matrix(&w, &[]))), t(3));
        }
        assert!(app.dirty);
        app.dirty = false;
        app.update(Msg::Tick, t(4));
        assert!(app.dirty, "the 'updated Ns ago' age changed");
    }

    #[test]
    fn rate_window_is_at_least_the_step() {
        let mut app = app();
        app.update(key('5'), t(0));
        let w = app.window();
        assert_eq!(w.step, 600);
        assert_eq!(app.rate_window(&w), "10m");
        app.update(key('1'), t(0));
        assert_eq!(app.rate_window(&app.window()), "1m");
    }
}
