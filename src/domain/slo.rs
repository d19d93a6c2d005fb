//! SLO and error-budget maths: budget, burn rates, budget consumed and remaining, time to
//! exhaustion, the policy band, multi-window multi-burn-rate conditions, calendar windows and
//! time slices. Pure: no I/O, no clock (callers pass `now`).
//!
//! With objective T (percent), budget `B = 1 − T/100`, window W and `e(w) = bad(w) / total(w)`:
//!
//! ```text
//! burn rate   br(w) = e(w) / B             consumed  C = e(W) / B     remaining  R = 1 − C
//! exhaustion  R × W / br(1h)   (R > 0, br > 0; an estimate)
//! factor      f = budget_percent/100 × W / long      threshold  f × B     can fire  f ≤ 1/B
//! condition   e(long) > f × B  and  e(short) > f × B
//! ```
//!
//! "No data" (no traffic, NaN, negative counts) is a state of its own and never reads as green.
//! Remaining budget is never clamped: overspending shows as a negative R.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};

use crate::config::{
    AlertWindow, AlertWindowSet, CalendarPeriod, Duration, PolicyActions, PolicyConfig,
};

/// One hour in seconds.
pub const HOUR_SECS: u64 = 3_600;
/// One day in seconds.
pub const DAY_SECS: u64 = 86_400;
/// Look-back of the burn rate that time to exhaustion extrapolates ("at the 1 h rate").
pub const TTE_RATE_WINDOW_SECS: u64 = HOUR_SECS;
/// Names of the built-in alert window sets (see [`builtin_set`]).
pub const BUILTIN_SETS: [&str; 2] = ["google-30d", "google-28d"];

/// Remaining budget within this distance of a band boundary counts as on the boundary, so
/// float noise cannot turn "exactly half spent" green or "exactly all spent" red instead of
/// exhausted (at 99%, `B = 0.010000000000000009`: 1% errors give `R = +8.9e-16`).
const BAND_EPSILON: f64 = 1e-9;

/// Error budget `B = 1 − T/100` for an objective in percent (99.9 → 0.001).
pub fn budget(objective_percent: f64) -> f64 {
    1.0 - objective_percent / 100.0
}

/// True when `b` can divide: finite and positive (a 100% objective has no budget).
fn usable_budget(b: f64) -> bool {
    b.is_finite() && b > 0.0
}

/// Bad and total (valid) events over one look-back window, as counts (`increase`) or rates:
/// only their ratio matters, so both must use the same.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Events {
    pub bad: f64,
    pub total: f64,
}

impl Events {
    /// Events from explicit counts.
    pub const fn new(bad: f64, total: f64) -> Self {
        Events { bad, total }
    }

    /// Events from two query answers: a missing bad series with traffic means zero bad events
    /// (error counters often have no series until the first error); a missing total is no
    /// data.
    pub fn from_series(bad: Option<f64>, total: Option<f64>) -> Self {
        match total {
            Some(total) => Events {
                bad: bad.unwrap_or(0.0),
                total,
            },
            None => Events {
                bad: bad.unwrap_or(0.0),
                total: 0.0,
            },
        }
    }

    /// `e = bad / total`, or `None` ("no data") when there is no traffic (`total ≤ 0`) or a
    /// count is negative or not finite. Capped at 1: `increase` extrapolates each series on its
    /// own, so `bad` can exceed `total` by a hair.
    pub fn error_ratio(&self) -> Option<f64> {
        let ok =
            self.total.is_finite() && self.total > 0.0 && self.bad.is_finite() && self.bad >= 0.0;
        ok.then(|| (self.bad / self.total).min(1.0))
    }

    /// `SLI = 1 − e` (good over valid), `None` when there is no data.
    pub fn sli(&self) -> Option<f64> {
        self.error_ratio().map(|e| 1.0 - e)
    }

    /// `br = e / B` over this window, `None` when there is no data or no usable budget.
    pub fn burn_rate(&self, budget: f64) -> Option<f64> {
        self.error_ratio().and_then(|e| burn_rate(e, budget))
    }

    /// The total if it is a usable count (finite, ≥ 0), for low-traffic checks.
    fn usable_total(&self) -> Option<f64> {
        (self.total.is_finite() && self.total >= 0.0).then_some(self.total)
    }
}

/// Burn rate `br = e / B`: 1 spends the budget exactly over the window. `None` when `e` is
/// not a ratio in 0..=1 or the budget is not positive and finite.
pub fn burn_rate(error_ratio: f64, budget: f64) -> Option<f64> {
    let ok = (0.0..=1.0).contains(&error_ratio) && usable_budget(budget);
    ok.then(|| error_ratio / budget)
}

/// Budget consumed `C = e(W) / B` (1.0 = all of it; above 1 = overspent). `None` as for
/// [`burn_rate`].
pub fn consumed(error_ratio_over_window: f64, budget: f64) -> Option<f64> {
    burn_rate(error_ratio_over_window, budget)
}

/// Budget remaining `R = 1 − C`, never clamped (negative when overspent). `None` when `C` is
/// not finite.
pub fn remaining(consumed: f64) -> Option<f64> {
    consumed.is_finite().then_some(1.0 - consumed)
}

/// Bad events the objective allows over the window: `B × total(W)` (fractional: `increase`
/// extrapolates; round only for display). `None` for unusable inputs.
pub fn allowed_bad(budget: f64, total: f64) -> Option<f64> {
    let ok = budget.is_finite() && budget >= 0.0 && total.is_finite() && total >= 0.0;
    ok.then_some(budget * total)
}

/// Fraction of the window's budget spent by burning at `burn_rate` for `lookback_secs`:
/// `br × w / W` (a condition firing on its long window has spent `factor × long / W`).
/// `None` for unusable inputs.
pub fn budget_spent(burn_rate: f64, lookback_secs: f64, window_secs: f64) -> Option<f64> {
    let ok = burn_rate.is_finite()
        && burn_rate >= 0.0
        && lookback_secs.is_finite()
        && lookback_secs >= 0.0
        && window_secs.is_finite()
        && window_secs > 0.0;
    ok.then(|| burn_rate * lookback_secs / window_secs)
}

/// Time the budget lasts at a 100% error ratio: `B × W` (99.9% over 30 d: 43.2 min). Also the
/// budget of a time-slice SLO in bad time. `None` for an unusable budget.
pub fn budget_time(budget: f64, window: std::time::Duration) -> Option<std::time::Duration> {
    if !budget.is_finite() || budget < 0.0 {
        return None;
    }
    std::time::Duration::try_from_secs_f64(budget * window.as_secs_f64()).ok()
}

/// How long a condition on a `long_secs` window with `factor` takes to fire after the error
/// ratio jumps to `error_ratio` (from zero): `(B / e) × long × factor` (full outage at 99.9%,
/// 1h@14.4 → 51.84 s). `None` when it never fires (`e ≤ f × B`) or inputs are unusable.
pub fn detection_time(
    error_ratio: f64,
    budget: f64,
    long_secs: f64,
    factor: f64,
) -> Option<std::time::Duration> {
    let threshold = threshold(factor, budget);
    let ok = error_ratio.is_finite()
        && error_ratio > threshold
        && long_secs.is_finite()
        && long_secs >= 0.0;
    if !ok {
        return None;
    }
    std::time::Duration::try_from_secs_f64(threshold / error_ratio * long_secs).ok()
}

/// The budget over the SLO window, computed from the window's events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetStatus {
    /// `B = 1 − T/100`.
    pub budget: f64,
    /// The events over the window (for a calendar SLO: since the period started).
    pub events: Events,
    /// `e(W)`; `None` = no data.
    pub error_ratio: Option<f64>,
    /// `1 − e(W)`.
    pub sli: Option<f64>,
    /// `C = e(W) / B`.
    pub consumed: Option<f64>,
    /// `R = 1 − C`, may be negative.
    pub remaining: Option<f64>,
    /// `B × total(W)`; `None` when there is no data.
    pub allowed_bad: Option<f64>,
}

impl BudgetStatus {
    /// Budget status of an SLO with `objective_percent` given the events over its window.
    pub fn new(objective_percent: f64, window: Events) -> Self {
        let b = budget(objective_percent);
        let error_ratio = window.error_ratio();
        let consumed = error_ratio.and_then(|e| consumed(e, b));
        let remaining = consumed.and_then(remaining);
        BudgetStatus {
            budget: b,
            events: window,
            error_ratio,
            sli: error_ratio.map(|e| 1.0 - e),
            consumed,
            remaining,
            allowed_bad: error_ratio.and_then(|_| allowed_bad(b, window.total)),
        }
    }

    /// The policy band of the remaining budget.
    pub fn band(&self, policy: &PolicyConfig) -> Band {
        Band::from_remaining(self.remaining, policy)
    }

    /// Time to exhaustion at `burn_rate` (usually the 1 h rate) over a window of `window`
    /// length (for calendar SLOs the whole period).
    pub fn exhaustion(&self, window: std::time::Duration, burn_rate: Option<f64>) -> Exhaustion {
        time_to_exhaustion(self.remaining, window, burn_rate)
    }
}

/// When the budget runs out at the current burn rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhaustion {
    /// Remaining budget is at or below zero.
    Exhausted,
    /// Budget left and the burn rate is zero: it does not run out at this rate.
    NotBurning,
    /// A straight-line estimate `R × W / br`: constant traffic and error ratio assumed; in a
    /// rolling window old errors also age out, so the real time is usually longer. Saturates
    /// at `Duration::MAX`.
    In(std::time::Duration),
    /// No remaining budget or no burn rate to extrapolate from.
    NoData,
}

/// Time to exhaustion `R × W / br`: [`Exhaustion::Exhausted`] when `R ≤ 0`,
/// [`Exhaustion::NotBurning`] when `br ≤ 0`, [`Exhaustion::NoData`] when either is unknown
/// (or the window is empty).
pub fn time_to_exhaustion(
    remaining: Option<f64>,
    window: std::time::Duration,
    burn_rate: Option<f64>,
) -> Exhaustion {
    let Some(r) = remaining.filter(|r| !r.is_nan()) else {
        return Exhaustion::NoData;
    };
    if r <= BAND_EPSILON {
        return Exhaustion::Exhausted;
    }
    let Some(br) = burn_rate.filter(|br| !br.is_nan()) else {
        return Exhaustion::NoData;
    };
    if br <= 0.0 {
        return Exhaustion::NotBurning;
    }
    if window.is_zero() {
        return Exhaustion::NoData;
    }
    let secs = r * window.as_secs_f64() / br;
    Exhaustion::In(std::time::Duration::try_from_secs_f64(secs).unwrap_or(std::time::Duration::MAX))
}

/// Error-budget policy band of the remaining budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Band {
    /// `R > green_above`: deploys allowed.
    Green,
    /// `red_below ≤ R ≤ green_above`: deploys allowed, with care.
    Yellow,
    /// `0 < R < red_below`: freeze.
    Red,
    /// `R ≤ 0`: budget spent.
    Exhausted,
    /// No traffic or no answer: cannot judge.
    NoData,
}

impl Band {
    /// The band of `remaining` under `policy`. `None` or NaN → `NoData`; `R ≤ 0` → `Exhausted`;
    /// `R < red_below` → `Red`; `R > green_above` → `Green`; otherwise (boundaries included)
    /// `Yellow`. Values within 1e-9 of a boundary count as on it.
    pub fn from_remaining(remaining: Option<f64>, policy: &PolicyConfig) -> Band {
        match remaining {
            None => Band::NoData,
            Some(r) if r.is_nan() => Band::NoData,
            Some(r) if r <= BAND_EPSILON => Band::Exhausted,
            Some(r) if r < policy.red_below - BAND_EPSILON => Band::Red,
            Some(r) if r > policy.green_above + BAND_EPSILON => Band::Green,
            Some(_) => Band::Yellow,
        }
    }

    /// May we deploy? `Some(true)` for green and yellow, `Some(false)` for red and exhausted,
    /// `None` when there is no data to judge by.
    pub fn deploy_allowed(self) -> Option<bool> {
        match self {
            Band::Green | Band::Yellow => Some(true),
            Band::Red | Band::Exhausted => Some(false),
            Band::NoData => None,
        }
    }

    /// Lower-case name: `green`, `yellow`, `red`, `exhausted`, `no data`.
    pub fn label(self) -> &'static str {
        match self {
            Band::Green => "green",
            Band::Yellow => "yellow",
            Band::Red => "red",
            Band::Exhausted => "exhausted",
            Band::NoData => "no data",
        }
    }

    /// The policy's actions text for this band.
    pub fn actions(self, actions: &PolicyActions) -> &str {
        match self {
            Band::Green => &actions.green,
            Band::Yellow => &actions.yellow,
            Band::Red => &actions.red,
            Band::Exhausted => &actions.exhausted,
            Band::NoData => &actions.no_data,
        }
    }
}

/// Who a burn-rate condition notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Page,
    Ticket,
}

impl Severity {
    /// `page` or `ticket`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }
}

/// One multi-window burn-rate condition, stored as the share of the budget it lets burn in
/// its long window so that it scales with the SLO window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowPair {
    pub severity: Severity,
    pub long: Duration,
    pub short: Duration,
    /// Percent of the whole budget spent when the long window fires.
    pub budget_percent: f64,
}

impl WindowPair {
    /// The burn-rate factor of this pair for an SLO window of `slo_window_secs`.
    pub fn factor(&self, slo_window_secs: f64) -> f64 {
        factor(
            self.budget_percent,
            slo_window_secs,
            self.long.as_secs_f64(),
        )
    }
}

/// The SRE Workbook's conditions (ch. 5, approach 6), as budget percents: page 1h/5m 2%,
/// page 6h/30m 5%, ticket 1d/2h 10%, ticket 3d/6h 10%. Over 30 d their factors are
/// 14.4 / 6 / 3 / 1, over 28 d 13.44 / 5.6 / 2.8 / 0.933.
pub fn google_pairs() -> Vec<WindowPair> {
    pairs_for(builtin_set("google-30d").as_ref())
}

/// A built-in alert window set by name (`google-30d`, `google-28d`): the Google pairs with
/// the period they are written for. Named sets in the config take precedence.
pub fn builtin_set(name: &str) -> Option<AlertWindowSet> {
    crate::config::builtin_alert_window_set(name)
}

/// The pairs of a configured set (pages first, then tickets, in config order), or the Google
/// pairs when there is none. The set's `period` does not enter the maths: budget percents
/// scale to whatever window the SLO has.
pub fn pairs_for(set: Option<&AlertWindowSet>) -> Vec<WindowPair> {
    let Some(set) = set else {
        return builtin_set("google-30d")
            .map(|set| pairs_for(Some(&set)))
            .unwrap_or_default();
    };
    let convert = |severity| {
        move |w: &AlertWindow| WindowPair {
            severity,
            long: w.long,
            short: w.short,
            budget_percent: w.budget_percent,
        }
    };
    set.page
        .iter()
        .map(convert(Severity::Page))
        .chain(set.ticket.iter().map(convert(Severity::Ticket)))
        .collect()
}

/// Burn-rate factor that spends `budget_percent` of the budget of a `window_secs` window in
/// `long_secs`: `p/100 × W / long` (2% of 30 d in 1 h → 14.4). Unusable inputs (zero long
/// window, NaN) give `+∞`: a condition that can never fire.
pub fn factor(budget_percent: f64, window_secs: f64, long_secs: f64) -> f64 {
    let f = budget_percent / 100.0 * window_secs / long_secs;
    if f.is_finite() && f >= 0.0 {
        f
    } else {
        f64::INFINITY
    }
}

/// The error ratio a condition compares against: `factor × B`.
pub fn threshold(factor: f64, budget: f64) -> f64 {
    factor * budget
}

/// Whether a condition with `factor` can ever fire: the highest burn rate is `1/B` (100%
/// errors), so it can when `factor ≤ 1/B`. The config check warns otherwise.
pub fn can_fire(factor: f64, budget: f64) -> bool {
    usable_budget(budget) && factor.is_finite() && factor <= 1.0 / budget
}

/// One condition evaluated against current data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairEval {
    pub pair: WindowPair,
    /// `p/100 × W / long`.
    pub factor: f64,
    /// Error ratio both windows must exceed: `factor × B`.
    pub threshold: f64,
    /// Burn rate over the long window; `None` = no data.
    pub long: Option<f64>,
    /// Burn rate over the short window; `None` = no data.
    pub short: Option<f64>,
    /// Total events in the long window (0 when unknown), to flag weak burn rates.
    pub long_events: f64,
    /// Both error ratios exceed the threshold (no data never holds).
    pub holds: bool,
    /// `factor ≤ 1/B`.
    pub can_fire: bool,
}

impl PairEval {
    /// The long window saw fewer than `min_events` events: its burn rate is weak evidence.
    pub fn low_traffic(&self, min_events: f64) -> bool {
        self.long_events < min_events
    }
}

/// All conditions of an SLO evaluated, with whether any page or ticket condition holds.
#[derive(Debug, Clone, PartialEq)]
pub struct BurnEval {
    pub pairs: Vec<PairEval>,
    pub page_firing: bool,
    pub ticket_firing: bool,
}

impl BurnEval {
    /// Whether any condition of `severity` holds.
    pub fn firing(&self, severity: Severity) -> bool {
        match severity {
            Severity::Page => self.page_firing,
            Severity::Ticket => self.ticket_firing,
        }
    }
}

/// Evaluates `pairs` for an SLO with budget `budget` and window length `slo_window_secs` (a
/// calendar SLO: the whole period). `lookup` answers the events over a look-back given in
/// whole seconds (`Duration::as_secs` of each pair's windows).
pub fn evaluate(
    pairs: &[WindowPair],
    budget: f64,
    slo_window_secs: f64,
    lookup: impl Fn(u64) -> Option<Events>,
) -> BurnEval {
    let evals: Vec<PairEval> = pairs
        .iter()
        .map(|pair| {
            let factor = pair.factor(slo_window_secs);
            let threshold = threshold(factor, budget);
            let long_events = lookup(pair.long.as_secs());
            let short_events = lookup(pair.short.as_secs());
            let long_e = long_events.and_then(|e| e.error_ratio());
            let short_e = short_events.and_then(|e| e.error_ratio());
            let exceeds = |e: Option<f64>| e.is_some_and(|e| e > threshold);
            PairEval {
                pair: *pair,
                factor,
                threshold,
                long: long_e.and_then(|e| burn_rate(e, budget)),
                short: short_e.and_then(|e| burn_rate(e, budget)),
                long_events: long_events.and_then(|e| e.usable_total()).unwrap_or(0.0),
                holds: exceeds(long_e) && exceeds(short_e),
                can_fire: can_fire(factor, budget),
            }
        })
        .collect();
    let firing = |s: Severity| evals.iter().any(|p| p.pair.severity == s && p.holds);
    BurnEval {
        page_firing: firing(Severity::Page),
        ticket_firing: firing(Severity::Ticket),
        pairs: evals,
    }
}

/// The distinct look-backs (whole seconds, ascending) an SLO needs: every pair's long and
/// short window, the SLO window's look-back (`now − start` for a calendar SLO) and the
/// [`TTE_RATE_WINDOW_SECS`]. Zero-length look-backs are left out.
pub fn needed_windows(pairs: &[WindowPair], slo_lookback_secs: u64) -> Vec<u64> {
    let mut secs: Vec<u64> = pairs
        .iter()
        .flat_map(|p| [p.long.as_secs(), p.short.as_secs()])
        .chain([slo_lookback_secs, TTE_RATE_WINDOW_SECS])
        .filter(|s| *s > 0)
        .collect();
    secs.sort_unstable();
    secs.dedup();
    secs
}

/// The calendar period containing `now`, in UTC: a week runs from Monday 00:00 to the next
/// Monday, a month from the 1st 00:00 to the next 1st. The end is exclusive.
pub fn calendar_bounds(
    now: DateTime<Utc>,
    period: CalendarPeriod,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now.date_naive();
    let (start, end) = match period {
        CalendarPeriod::Week => {
            let start = today
                .checked_sub_days(Days::new(u64::from(today.weekday().num_days_from_monday())));
            (start, start.and_then(|s| s.checked_add_days(Days::new(7))))
        }
        CalendarPeriod::Month => {
            let start = NaiveDate::from_ymd_opt(today.year(), today.month(), 1);
            let end = if today.month() == 12 {
                NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(today.year(), today.month() + 1, 1)
            };
            (start, end)
        }
    };
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    (
        start.and_then(midnight).unwrap_or(now),
        end.and_then(midnight).unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

/// A calendar period and where `now` is in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl CalendarWindow {
    /// The period of kind `period` that contains `now` (see [`calendar_bounds`]).
    pub fn containing(now: DateTime<Utc>, period: CalendarPeriod) -> Self {
        let (start, end) = calendar_bounds(now, period);
        CalendarWindow { start, end }
    }

    /// Length of the whole period in seconds: the `W` for factors and time to exhaustion.
    pub fn length_secs(&self) -> u64 {
        secs_between(self.start, self.end)
    }

    /// Look-back for `e(W)` at `now`: `now − start` in whole seconds (0 before the start).
    pub fn lookback_secs(&self, now: DateTime<Utc>) -> u64 {
        secs_between(self.start, now)
    }

    /// Elapsed fraction `a = (now − start) / (end − start)`, within 0..=1.
    pub fn elapsed_fraction(&self, now: DateTime<Utc>) -> Option<f64> {
        elapsed_fraction(now, self.start, self.end)
    }
}

fn secs_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
    u64::try_from((to - from).num_seconds()).unwrap_or(0)
}

/// Elapsed fraction `a = (now − start) / (end − start)`, clamped to 0..=1; `None` when the
/// period is empty.
pub fn elapsed_fraction(
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Option<f64> {
    let length = end - start;
    if length <= TimeDelta::zero() {
        return None;
    }
    let ms = |d: TimeDelta| d.num_milliseconds() as f64;
    Some((ms(now - start) / ms(length)).clamp(0.0, 1.0))
}

/// "Ahead of plan": a calendar SLO has consumed more of its budget than of its period
/// (`C > a`). False when either is unknown.
pub fn ahead_of_plan(consumed: Option<f64>, elapsed: Option<f64>) -> bool {
    matches!((consumed, elapsed), (Some(c), Some(a)) if c > a)
}

/// Time-slice counts over the window: a slice is good when its own success ratio met the
/// slice target; slices without traffic are counted (or not) by the query's policy.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Slices {
    pub good: f64,
    pub total: f64,
}

impl Slices {
    /// `SLI = good / total`; `None` when there are no slices or counts are unusable.
    pub fn sli(&self) -> Option<f64> {
        self.events().sli()
    }

    /// Bad slices `total − good`; `None` as for [`Slices::sli`].
    pub fn bad(&self) -> Option<f64> {
        self.events().error_ratio().map(|e| e * self.total)
    }

    /// Budget consumed `bad / (B × total)`; `None` when there is no data or no budget.
    pub fn consumed(&self, budget: f64) -> Option<f64> {
        self.events().burn_rate(budget)
    }

    fn events(&self) -> Events {
        let ok = self.good.is_finite() && self.good >= 0.0;
        Events {
            bad: if ok {
                (self.total - self.good).max(0.0)
            } else {
                f64::NAN
            },
            total: self.total,
        }
    }
}

/// Bad slices a time-slice SLO may have over `window`: `B × W / slice` (99.9%, 30 d, 1 m →
/// 43.2). `None` for an empty slice or unusable budget.
pub fn timeslice_budget(
    budget: f64,
    window: std::time::Duration,
    slice: std::time::Duration,
) -> Option<f64> {
    let ok = budget.is_finite() && budget >= 0.0 && !slice.is_zero();
    ok.then(|| budget * window.as_secs_f64() / slice.as_secs_f64())
}

/// Cumulative budget consumption over the window for a chart: for intervals in time order
/// covering the window, the fraction of the window's budget (`B × Σtotal`) spent up to and
/// including each interval. The last point equals `C = e(W) / B`. Intervals with unusable
/// counts add nothing; empty when the window has no traffic or the budget is unusable.
pub fn cumulative_consumption<T: Copy>(intervals: &[(T, Events)], budget: f64) -> Vec<(T, f64)> {
    let usable = |e: &Events| {
        let ok = e.total.is_finite() && e.total >= 0.0 && e.bad.is_finite() && e.bad >= 0.0;
        ok.then_some((e.bad, e.total))
    };
    let total: f64 = intervals
        .iter()
        .filter_map(|(_, e)| usable(e))
        .map(|(_, t)| t)
        .sum();
    let denominator = budget * total;
    let usable_denominator = denominator.is_finite() && denominator > 0.0;
    if !usable_budget(budget) || !usable_denominator {
        return Vec::new();
    }
    let mut bad_so_far = 0.0;
    intervals
        .iter()
        .map(|(t, e)| {
            bad_so_far += usable(e).map_or(0.0, |(bad, _)| bad);
            (*t, bad_so_far / denominator)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const D30: f64 = 30.0 * 86_400.0;
    const D28: f64 = 28.0 * 86_400.0;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[track_caller]
    fn assert_close(actual: f64, expected: f64, tol: f64) {
        assert!(
            close(actual, expected, tol),
            "{actual} is not within {tol} of {expected}"
        );
    }

    #[track_caller]
    fn some_close(actual: Option<f64>, expected: f64, tol: f64) {
        match actual {
            Some(a) => assert_close(a, expected, tol),
            None => panic!("None, expected {expected}"),
        }
    }

    fn policy() -> PolicyConfig {
        PolicyConfig::default()
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        match Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single() {
            Some(t) => t,
            None => panic!("bad test date"),
        }
    }

    fn secs(d: std::time::Duration) -> f64 {
        d.as_secs_f64()
    }

    #[test]
    fn three_nines_over_30_days() {
        let b = budget(99.9);
        assert_close(b, 0.001, 1e-12);
        let outage = budget_time(b, std::time::Duration::from_secs(30 * DAY_SECS));
        assert_close(outage.map_or(0.0, secs), 43.2 * 60.0, 1e-6);
        let f = factor(2.0, D30, 3600.0);
        assert_close(f, 14.4, 1e-9);
        assert_close(threshold(f, b), 0.0144, 1e-12);
        // 99% over 28 d allows 403.2 min of full outage; 99.999% over 30 d only 26 s.
        let d28 = std::time::Duration::from_secs(28 * DAY_SECS);
        assert_close(
            budget_time(budget(99.0), d28).map_or(0.0, secs),
            403.2 * 60.0,
            1e-6,
        );
        let d30 = std::time::Duration::from_secs(30 * DAY_SECS);
        assert_close(
            budget_time(budget(99.999), d30).map_or(0.0, secs),
            25.92,
            1e-3,
        );
    }

    #[test]
    fn a_million_requests_with_600_errors_leave_40_percent() {
        let s = BudgetStatus::new(99.9, Events::new(600.0, 1_000_000.0));
        some_close(s.error_ratio, 0.0006, 1e-15);
        some_close(s.sli, 0.9994, 1e-12);
        some_close(s.consumed, 0.60, 1e-9);
        some_close(s.remaining, 0.40, 1e-9);
        some_close(s.allowed_bad, 1000.0, 1e-6);
        assert_eq!(s.band(&policy()), Band::Yellow);
        assert_eq!(s.band(&policy()).deploy_allowed(), Some(true));
    }

    #[test]
    fn time_to_exhaustion_at_twice_the_sustainable_rate_is_144_hours() {
        let b = budget(99.9);
        let s = BudgetStatus::new(99.9, Events::new(600.0, 1_000_000.0));
        let hour = Events::new(2.0, 1000.0);
        let br = hour.burn_rate(b);
        some_close(br, 2.0, 1e-9);
        let window = std::time::Duration::from_secs(30 * DAY_SECS);
        match s.exhaustion(window, br) {
            Exhaustion::In(d) => assert_close(secs(d), 144.0 * 3600.0, 1.0),
            other => panic!("expected an estimate, got {other:?}"),
        }
        assert_eq!(s.exhaustion(window, Some(0.0)), Exhaustion::NotBurning);
        assert_eq!(s.exhaustion(window, None), Exhaustion::NoData);
        assert_eq!(s.exhaustion(window, Some(f64::NAN)), Exhaustion::NoData);
        assert_eq!(
            s.exhaustion(std::time::Duration::ZERO, br),
            Exhaustion::NoData
        );
        // An absurdly slow burn saturates rather than panicking.
        assert_eq!(
            time_to_exhaustion(Some(1.0), window, Some(1e-300)),
            Exhaustion::In(std::time::Duration::MAX)
        );
    }

    #[test]
    fn table_2_4_allowed_errors_and_consumption() {
        let b = budget(97.0);
        let allowed = allowed_bad(b, 3_663_253.0).unwrap_or(f64::NAN);
        assert_eq!(allowed.floor(), 109_897.0);
        let s = BudgetStatus::new(97.0, Events::new(14_066.0, 3_663_253.0));
        // 12.8% consumed, as in the Workbook.
        some_close(s.consumed.map(|c| (c * 1000.0).round() / 10.0), 12.8, 1e-9);
        let s = BudgetStatus::new(97.0, Events::new(72_000.0, 3_663_253.0));
        some_close(s.consumed.map(|c| (c * 1000.0).round() / 10.0), 65.5, 1e-9);
    }

    #[test]
    fn overspent_budget_goes_negative_and_is_exhausted() {
        let s = BudgetStatus::new(99.9, Events::new(2_500.0, 1_000_000.0));
        some_close(s.consumed, 2.5, 1e-9);
        some_close(s.remaining, -1.5, 1e-9);
        assert_eq!(s.band(&policy()), Band::Exhausted);
        assert_eq!(s.band(&policy()).deploy_allowed(), Some(false));
        let w = std::time::Duration::from_secs(30 * DAY_SECS);
        assert_eq!(s.exhaustion(w, Some(3.0)), Exhaustion::Exhausted);
        assert_eq!(remaining(2.5), Some(-1.5));
    }

    #[test]
    fn exactly_all_budget_spent_is_exhausted_despite_float_noise() {
        let s = BudgetStatus::new(99.9, Events::new(1_000.0, 1_000_000.0));
        assert_eq!(s.band(&policy()), Band::Exhausted);
        let w = std::time::Duration::from_secs(30 * DAY_SECS);
        assert_eq!(s.exhaustion(w, Some(1.0)), Exhaustion::Exhausted);
        // At 99% the rounding goes the other way: R = +8.9e-16 would read red.
        let s = BudgetStatus::new(99.0, Events::new(10_000.0, 1_000_000.0));
        assert_eq!(s.band(&policy()), Band::Exhausted);
        assert_eq!(s.exhaustion(w, Some(1.0)), Exhaustion::Exhausted);
        // Exactly half (and exactly 90%) spent is yellow, not green or red by a rounding error.
        for t in [99.9, 99.0, 99.99] {
            let b = budget(t);
            for spent in [0.5, 0.9] {
                let bad = (spent * b * 1e6_f64).round();
                let s = BudgetStatus::new(t, Events::new(bad, 1_000_000.0));
                assert_eq!(s.band(&policy()), Band::Yellow, "{t}% with {bad} bad");
            }
        }
        // Rounding noise on either side of a boundary counts as on it.
        let p = policy();
        assert_eq!(Band::from_remaining(Some(1e-12), &p), Band::Exhausted);
        assert_eq!(Band::from_remaining(Some(0.5 + 1e-12), &p), Band::Yellow);
        assert_eq!(Band::from_remaining(Some(0.1 - 1e-12), &p), Band::Yellow);
        assert_eq!(
            time_to_exhaustion(Some(1e-12), w, Some(1.0)),
            Exhaustion::Exhausted
        );
    }

    #[test]
    fn no_traffic_is_no_data_never_green() {
        let s = BudgetStatus::new(99.9, Events::new(0.0, 0.0));
        assert_eq!(s.error_ratio, None);
        assert_eq!(s.remaining, None);
        assert_eq!(s.allowed_bad, None);
        let band = s.band(&policy());
        assert_eq!(band, Band::NoData);
        assert_eq!(band.deploy_allowed(), None);
        assert_eq!(band.label(), "no data");
        let w = std::time::Duration::from_secs(30 * DAY_SECS);
        assert_eq!(s.exhaustion(w, Some(2.0)), Exhaustion::NoData);
        assert_eq!(Events::from_series(None, None).error_ratio(), None);
        assert_eq!(Events::from_series(Some(3.0), None).error_ratio(), None);
    }

    #[test]
    fn missing_error_series_with_traffic_is_zero_errors() {
        let ev = Events::from_series(None, Some(12_345.0));
        assert_eq!(ev.error_ratio(), Some(0.0));
        let s = BudgetStatus::new(99.9, ev);
        assert_eq!(s.remaining, Some(1.0));
        assert_eq!(s.band(&policy()), Band::Green);
        let w = std::time::Duration::from_secs(30 * DAY_SECS);
        assert_eq!(
            s.exhaustion(w, ev.burn_rate(s.budget)),
            Exhaustion::NotBurning
        );
    }

    #[test]
    fn negative_or_nan_counts_are_no_data() {
        for ev in [
            Events::new(-5.0, 100.0),
            Events::new(5.0, -100.0),
            Events::new(f64::NAN, 100.0),
            Events::new(5.0, f64::NAN),
            Events::new(f64::INFINITY, 100.0),
            Events::new(5.0, f64::INFINITY),
        ] {
            assert_eq!(ev.error_ratio(), None, "{ev:?}");
            let s = BudgetStatus::new(99.9, ev);
            assert_eq!(s.band(&policy()), Band::NoData, "{ev:?}");
        }
        // Extrapolated bad a hair above total is capped to a 100% error ratio.
        assert_eq!(Events::new(100.5, 100.0).error_ratio(), Some(1.0));
        assert_eq!(burn_rate(f64::NAN, 0.001), None);
        assert_eq!(burn_rate(0.5, 0.0), None);
        assert_eq!(burn_rate(0.5, f64::NAN), None);
        assert_eq!(remaining(f64::NAN), None);
    }

    #[test]
    fn band_boundaries() {
        let p = policy();
        let band = |r: f64| Band::from_remaining(Some(r), &p);
        assert_eq!(band(1.0), Band::Green);
        assert_eq!(band(0.500_001), Band::Green);
        assert_eq!(band(0.5), Band::Yellow);
        assert_eq!(band(0.3), Band::Yellow);
        assert_eq!(band(0.1), Band::Yellow);
        assert_eq!(band(0.099_999), Band::Red);
        assert_eq!(band(0.000_001), Band::Red);
        assert_eq!(band(0.0), Band::Exhausted);
        assert_eq!(band(-0.2), Band::Exhausted);
        assert_eq!(band(f64::NAN), Band::NoData);
        assert_eq!(band(f64::NEG_INFINITY), Band::Exhausted);
        assert_eq!(Band::from_remaining(None, &p), Band::NoData);
    }

    #[test]
    fn band_labels_actions_and_deploy_gate() {
        let actions = PolicyActions {
            green: "g".into(),
            yellow: "y".into(),
            red: "r".into(),
            exhausted: "x".into(),
            no_data: "n".into(),
        };
        let all = [
            (Band::Green, "green", "g", Some(true)),
            (Band::Yellow, "yellow", "y", Some(true)),
            (Band::Red, "red", "r", Some(false)),
            (Band::Exhausted, "exhausted", "x", Some(false)),
            (Band::NoData, "no data", "n", None),
        ];
        for (band, label, action, deploy) in all {
            assert_eq!(band.label(), label);
            assert_eq!(band.actions(&actions), action);
            assert_eq!(band.deploy_allowed(), deploy, "{band:?}");
        }
    }

    #[test]
    fn a_factor_above_one_over_b_cannot_fire() {
        let b = budget(90.0);
        let f = factor(2.0, D30, 3600.0);
        assert_close(f, 14.4, 1e-9);
        assert!(!can_fire(f, b), "max burn rate at 90% is 10 < 14.4");
        assert!(can_fire(6.0, b));
        assert!(can_fire(14.4, budget(99.9)));
        // 14.4 needs T ≥ 1 − 1/14.4 ≈ 93.06%.
        assert!(!can_fire(14.4, budget(93.0)));
        assert!(can_fire(14.4, budget(93.1)));
        // A full one-hour outage at 90% spends only 1.4% of a 30-day budget, below the 2% page.
        some_close(budget_spent(10.0, 3600.0, D30), 0.01389, 1e-5);
        // Even a 100% error ratio does not hold the page condition at 90%.
        let pairs = google_pairs();
        let eval = evaluate(&pairs, b, D30, |_| Some(Events::new(100.0, 100.0)));
        assert!(!eval.pairs[0].can_fire);
        assert!(!eval.pairs[0].holds);
        assert!(eval.pairs[1].holds, "6 < 10: the 6h pair can fire");
        assert!(!can_fire(factor(1.0, D30, 0.0), b));
        assert_eq!(factor(1.0, D30, 0.0), f64::INFINITY);
        assert_eq!(factor(f64::NAN, D30, 3600.0), f64::INFINITY);
    }

    #[test]
    fn google_pairs_scale_with_the_window() {
        let pairs = google_pairs();
        let at = |w: f64| pairs.iter().map(|p| p.factor(w)).collect::<Vec<_>>();
        for (got, want) in at(D30).into_iter().zip([14.4, 6.0, 3.0, 1.0]) {
            assert_close(got, want, 1e-9);
        }
        for (got, want) in at(D28).into_iter().zip([13.44, 5.6, 2.8, 0.9333]) {
            assert_close(got, want, 1e-4);
        }
        let sev: Vec<_> = pairs.iter().map(|p| p.severity).collect();
        assert_eq!(
            sev,
            [
                Severity::Page,
                Severity::Page,
                Severity::Ticket,
                Severity::Ticket
            ]
        );
        let shorts: Vec<_> = pairs.iter().map(|p| p.short.as_secs()).collect();
        assert_eq!(shorts, [300, 1800, 7200, 21600]);
    }

    #[test]
    fn config_sets_convert_to_pairs() {
        assert_eq!(pairs_for(None), google_pairs());
        let g28 = builtin_set("google-28d");
        assert_eq!(
            g28.as_ref().map(|s| s.period.as_secs()),
            Some(28 * DAY_SECS)
        );
        assert_eq!(pairs_for(g28.as_ref()), google_pairs());
        assert_eq!(builtin_set("google-7d"), None);
        // Sloth's 7-day example: percents 8 / 12.5 / 20 / 42.
        let w = |long: u64, short: u64, p: f64| AlertWindow {
            long: Duration::from_secs(long),
            short: Duration::from_secs(short),
            budget_percent: p,
        };
        let set = AlertWindowSet {
            period: Duration::from_secs(7 * DAY_SECS),
            page: vec![w(3600, 300, 8.0), w(6 * 3600, 1800, 12.5)],
            ticket: vec![w(DAY_SECS, 7200, 20.0), w(3 * DAY_SECS, 6 * 3600, 42.0)],
        };
        let pairs = pairs_for(Some(&set));
        assert_eq!(pairs.len(), 4);
        assert_eq!(pairs[1].severity, Severity::Page);
        assert_eq!(pairs[2].severity, Severity::Ticket);
        assert_eq!(pairs[3].budget_percent, 42.0);
        // 8% of a 7-day budget in 1 h: 0.08 × 168 = 13.44.
        assert_close(pairs[0].factor(7.0 * 86_400.0), 13.44, 1e-9);
    }

    #[test]
    fn a_condition_holds_only_when_both_windows_exceed() {
        let b = budget(99.9);
        let pairs = google_pairs();
        // 1h at 2% errors (br 20 > 14.4), 5m clean: the page 1h/5m does not hold.
        let lookup = |s: u64| match s {
            3600 => Some(Events::new(200.0, 10_000.0)),
            300 => Some(Events::new(0.0, 800.0)),
            _ => Some(Events::new(0.0, 100_000.0)),
        };
        let eval = evaluate(&pairs, b, D30, lookup);
        let p = &eval.pairs[0];
        assert_close(p.factor, 14.4, 1e-9);
        assert_close(p.threshold, 0.0144, 1e-12);
        some_close(p.long, 20.0, 1e-9);
        some_close(p.short, 0.0, 1e-12);
        assert!(!p.holds);
        assert!(!eval.page_firing);
        // Short window burning too: it holds and pages.
        let lookup = |s: u64| match s {
            3600 => Some(Events::new(200.0, 10_000.0)),
            300 => Some(Events::new(20.0, 800.0)),
            _ => Some(Events::new(0.0, 100_000.0)),
        };
        let eval = evaluate(&pairs, b, D30, lookup);
        assert!(eval.pairs[0].holds);
        assert!(eval.page_firing && eval.firing(Severity::Page));
        assert!(!eval.ticket_firing);
        assert_eq!(eval.pairs[0].long_events, 10_000.0);
        // Short window with no data: never holds.
        let lookup = |s: u64| match s {
            3600 => Some(Events::new(200.0, 10_000.0)),
            300 => Some(Events::new(0.0, 0.0)),
            _ => None,
        };
        let eval = evaluate(&pairs, b, D30, lookup);
        assert!(!eval.pairs[0].holds);
        assert_eq!(eval.pairs[0].short, None);
        assert_eq!(eval.pairs[3].long, None);
        assert_eq!(eval.pairs[3].long_events, 0.0);
        assert!(!eval.page_firing && !eval.ticket_firing);
    }

    #[test]
    fn slow_burn_fires_a_ticket_only() {
        let b = budget(99.9);
        // A steady 0.25% error ratio everywhere: br 2.5 > 1 (3d/6h) but < 3, 6, 14.4.
        let eval = evaluate(&google_pairs(), b, D30, |_| {
            Some(Events::new(25.0, 10_000.0))
        });
        let holds: Vec<bool> = eval.pairs.iter().map(|p| p.holds).collect();
        assert_eq!(holds, [false, false, false, true]);
        assert!(!eval.page_firing);
        assert!(eval.ticket_firing);
    }

    #[test]
    fn low_traffic_burn_rate_is_100x_and_spends_13_9_percent() {
        let b = budget(99.9);
        let hour = Events::new(1.0, 10.0);
        let br = hour.burn_rate(b);
        some_close(br, 100.0, 1e-9);
        some_close(
            br.and_then(|br| budget_spent(br, 3600.0, D30)),
            0.1389,
            1e-4,
        );
        let lookup = |s: u64| {
            Some(if s == 3600 {
                hour
            } else {
                Events::new(0.0, 1.0)
            })
        };
        let eval = evaluate(&google_pairs(), b, D30, lookup);
        assert!(eval.pairs[0].low_traffic(100.0));
        assert!(!eval.pairs[0].low_traffic(10.0));
    }

    #[test]
    fn detection_times_for_a_full_outage() {
        let b = budget(99.9);
        let d = detection_time(1.0, b, 3600.0, 14.4).map_or(f64::NAN, secs);
        assert_close(d, 51.84, 1e-6);
        let d = detection_time(1.0, b, 300.0, 14.4).map_or(f64::NAN, secs);
        assert_close(d, 4.32, 1e-6);
        assert_eq!(detection_time(0.01, b, 3600.0, 14.4), None);
    }

    #[test]
    fn needed_windows_are_distinct_and_sorted() {
        let pairs = google_pairs();
        let w = needed_windows(&pairs, 30 * DAY_SECS);
        assert_eq!(
            w,
            [300, 1800, 3600, 7200, 21600, 86400, 3 * 86400, 30 * 86400]
        );
        // No pairs: the window and the TTE rate; a calendar SLO at its very start skips 0.
        assert_eq!(needed_windows(&[], 0), [3600]);
        assert_eq!(needed_windows(&[], 7200), [3600, 7200]);
    }

    #[test]
    fn calendar_month_across_the_year_boundary() {
        let now = utc(2025, 12, 31, 23, 59, 59);
        let (start, end) = calendar_bounds(now, CalendarPeriod::Month);
        assert_eq!(start, utc(2025, 12, 1, 0, 0, 0));
        assert_eq!(end, utc(2026, 1, 1, 0, 0, 0));
        let now = utc(2026, 1, 1, 0, 0, 0);
        assert_eq!(
            calendar_bounds(now, CalendarPeriod::Month),
            (utc(2026, 1, 1, 0, 0, 0), utc(2026, 2, 1, 0, 0, 0))
        );
        let now = utc(2026, 1, 16, 12, 0, 0);
        let w = CalendarWindow::containing(now, CalendarPeriod::Month);
        assert_eq!(w.length_secs(), 31 * DAY_SECS);
        assert_eq!(w.lookback_secs(now), 15 * DAY_SECS + 12 * HOUR_SECS);
        some_close(w.elapsed_fraction(now), 15.5 / 31.0, 1e-12);
        assert!(ahead_of_plan(Some(0.6), w.elapsed_fraction(now)));
        assert!(!ahead_of_plan(Some(0.4), w.elapsed_fraction(now)));
        assert!(!ahead_of_plan(None, w.elapsed_fraction(now)));
    }

    #[test]
    fn calendar_february_scales_factors_like_28_days() {
        let now = utc(2026, 2, 10, 8, 0, 0);
        let w = CalendarWindow::containing(now, CalendarPeriod::Month);
        assert_eq!(w.length_secs(), 28 * DAY_SECS);
        let f = google_pairs()[0].factor(w.length_secs() as f64);
        assert_close(f, 13.44, 1e-9);
        // Leap year.
        let w = CalendarWindow::containing(utc(2028, 2, 29, 23, 0, 0), CalendarPeriod::Month);
        assert_eq!(w.length_secs(), 29 * DAY_SECS);
    }

    #[test]
    fn calendar_week_starts_monday_utc() {
        // 2026-01-01 is a Thursday.
        let now = utc(2026, 1, 1, 10, 0, 0);
        let (start, end) = calendar_bounds(now, CalendarPeriod::Week);
        assert_eq!(start, utc(2025, 12, 29, 0, 0, 0));
        assert_eq!(end, utc(2026, 1, 5, 0, 0, 0));
        // Monday midnight starts a new week; Sunday night is the old one.
        let monday = utc(2026, 1, 5, 0, 0, 0);
        assert_eq!(calendar_bounds(monday, CalendarPeriod::Week).0, monday);
        let sunday = utc(2026, 1, 4, 23, 59, 59);
        assert_eq!(calendar_bounds(sunday, CalendarPeriod::Week).0, start);
        some_close(
            elapsed_fraction(monday, monday, end + TimeDelta::days(7)),
            0.0,
            0.0,
        );
        assert_eq!(elapsed_fraction(now, end, start), None);
        // Outside the period the fraction stays within 0..=1.
        assert_eq!(
            elapsed_fraction(end + TimeDelta::days(1), start, end),
            Some(1.0)
        );
        assert_eq!(
            elapsed_fraction(start - TimeDelta::days(1), start, end),
            Some(0.0)
        );
    }

    #[test]
    fn time_slices() {
        let b = budget(99.9);
        let month = std::time::Duration::from_secs(30 * DAY_SECS);
        let minute = std::time::Duration::from_secs(60);
        some_close(timeslice_budget(b, month, minute), 43.2, 1e-9);
        assert_close(budget_time(b, month).map_or(0.0, secs) / 60.0, 43.2, 1e-9);
        assert_eq!(timeslice_budget(b, month, std::time::Duration::ZERO), None);
        // 43,200 minutes, 30 bad: SLI 99.93%, 30 / 43.2 of the budget.
        let s = Slices {
            good: 43_170.0,
            total: 43_200.0,
        };
        some_close(s.sli(), 43_170.0 / 43_200.0, 1e-12);
        some_close(s.bad(), 30.0, 1e-9);
        some_close(s.consumed(b), 30.0 / 43.2, 1e-9);
        assert_eq!(Slices::default().consumed(b), None);
        let bogus = Slices {
            good: f64::NAN,
            total: 10.0,
        };
        assert_eq!(bogus.consumed(b), None);
    }

    #[test]
    fn cumulative_consumption_ends_at_the_window_consumption() {
        let b = budget(99.9);
        let intervals = [
            (0, Events::new(0.0, 250_000.0)),
            (1, Events::new(500.0, 250_000.0)),
            (2, Events::new(f64::NAN, f64::NAN)),
            (3, Events::new(100.0, 500_000.0)),
        ];
        let chart = cumulative_consumption(&intervals, b);
        let ts: Vec<i32> = chart.iter().map(|(t, _)| *t).collect();
        assert_eq!(ts, [0, 1, 2, 3]);
        assert_close(chart[0].1, 0.0, 1e-12);
        assert_close(chart[1].1, 0.5, 1e-9);
        assert_close(chart[2].1, 0.5, 1e-9);
        assert_close(chart[3].1, 0.6, 1e-9);
        let whole = BudgetStatus::new(99.9, Events::new(600.0, 1_000_000.0));
        some_close(whole.consumed, chart[3].1, 1e-12);
        assert!(cumulative_consumption(&[(0, Events::new(0.0, 0.0))], b).is_empty());
        assert!(cumulative_consumption::<i32>(&[], b).is_empty());
        assert!(cumulative_consumption(&intervals, 0.0).is_empty());
    }
}
