//! SLO state inside the app: the event counts fetched per look-back, and what they mean
//! (budget, burn rates, alert conditions, policy band), computed on demand by the pure math in
//! [`crate::domain::slo`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::config::{Config, PolicyConfig};
use crate::domain::series::Series;
use crate::domain::slo::{
    self, Band, BudgetStatus, BurnEval, CalendarWindow, Events, Exhaustion, Slices, WindowPair,
};
use crate::domain::slo_plan::{Count, Shape, SliSpec, SloQueryPlan, SloSpec, WindowSpec};
use crate::domain::window::Window;

/// Event counts over one look-back, as last fetched. `None`: not fetched, or no series.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub bad: Option<f64>,
    pub total: Option<f64>,
    pub good: Option<f64>,
    /// The bucket query succeeded but had no series at the threshold.
    pub good_absent: bool,
}

impl Counts {
    pub fn set(&mut self, count: Count, value: Option<f64>) {
        match count {
            Count::Bad => self.bad = value,
            Count::Total => self.total = value,
            Count::Good => {
                self.good = value;
                self.good_absent = false;
            }
            Count::GoodSlices | Count::TotalSlices => {}
        }
    }
}

/// One SLO and what was fetched for it.
#[derive(Debug, Clone)]
pub struct SloState {
    pub spec: SloSpec,
    pub pairs: Vec<WindowPair>,
    /// Counts per burn-rate look-back (seconds).
    pub windows: BTreeMap<u64, Counts>,
    /// Counts over the SLO window itself.
    pub own: Counts,
    /// Time slices (good, total) over the SLO window.
    pub slices: (Option<f64>, Option<f64>),
    /// Per-count series of the SLO-window counts over the screen's range.
    pub history: BTreeMap<Count, Series>,
    /// Per-count series of per-step counts over the SLO window.
    pub consumption: BTreeMap<Count, Series>,
    /// The queries that feed this SLO.
    pub feeds: Vec<usize>,
}

/// Everything the screens show about one SLO, computed from its counts.
#[derive(Debug, Clone)]
pub struct SloStatus {
    pub budget: BudgetStatus,
    pub band: Band,
    pub burn: BurnEval,
    /// Burn rate over the last hour (the rate time to exhaustion is estimated at).
    pub burn_1h: Option<f64>,
    pub exhaustion: Exhaustion,
    /// The window length the factors use, in seconds.
    pub window_secs: u64,
    /// For calendar windows: elapsed fraction of the period.
    pub elapsed: Option<f64>,
}

impl SloState {
    pub fn new(spec: SloSpec, config: &Config) -> Self {
        let set = spec_alert_set(config, &spec);
        let pairs = slo::pairs_for(set.as_ref());
        SloState {
            spec,
            pairs,
            windows: BTreeMap::new(),
            own: Counts::default(),
            slices: (None, None),
            history: BTreeMap::new(),
            consumption: BTreeMap::new(),
            feeds: Vec::new(),
        }
    }

    /// A latency SLO whose threshold is not a bucket boundary: traffic, but no `le` series at
    /// the threshold (the config check's advice: pick one of the histogram's `le` values).
    pub fn missing_bucket(&self) -> bool {
        self.windows
            .values()
            .chain([&self.own])
            .any(|c| c.good_absent && c.total.is_some_and(|t| t > 0.0))
    }

    /// Records one answer for this SLO: the samples of its series, or `None` when the answer
    /// had no series for it. Absent means: no bad series = no errors yet (zero); no total = no
    /// traffic data; no bucket series while there is traffic = a threshold that is not a bucket
    /// boundary.
    pub fn record(&mut self, plan: &SloQueryPlan, window: Window, samples: Option<&[(f64, f64)]>) {
        match plan.shape {
            Shape::Instant { lookback } => {
                let value = match samples {
                    Some(samples) => samples.last().map(|p| p.1).filter(|v| !v.is_nan()),
                    None if plan.count == Count::Bad => Some(0.0),
                    None => None,
                };
                // A burn-rate look-back as long as a rolling SLO window is the same query
                // (the planner sends it once): it fills both.
                let also_own = matches!(
                    (lookback, &self.spec.window),
                    (Some(w), WindowSpec::Rolling(s)) if w == *s
                );
                let targets: Vec<&mut Counts> = match lookback {
                    Some(w) if also_own => {
                        vec![self.windows.entry(w).or_default(), &mut self.own]
                    }
                    Some(w) => vec![self.windows.entry(w).or_default()],
                    None => vec![&mut self.own],
                };
                for counts in targets {
                    match plan.count {
                        Count::GoodSlices | Count::TotalSlices => {}
                        c => counts.set(c, value),
                    }
                    if plan.count == Count::Good && samples.is_none() {
                        counts.good_absent = true;
                    }
                }
                match plan.count {
                    Count::GoodSlices => self.slices.0 = value,
                    Count::TotalSlices => self.slices.1 = value,
                    _ => {}
                }
            }
            Shape::History | Shape::Consumption => {
                let series = match samples {
                    Some(samples) => Series::from_samples(window, samples.iter().copied()),
                    None => Series::empty(window),
                };
                let map = if plan.shape == Shape::History {
                    &mut self.history
                } else {
                    &mut self.consumption
                };
                map.insert(plan.count, series);
            }
        }
    }

    /// Bad and total events from raw counts, by SLI shape.
    pub fn events(&self, counts: &Counts) -> Option<Events> {
        let other = match self.spec.sli {
            SliSpec::Latency { .. } => counts.good,
            _ => counts.bad,
        };
        self.events_from(counts.total?, other)
    }

    /// Events from a total and the other count: the bad events, or for a latency SLI the good
    /// ones (a missing bad series is zero errors; a missing bucket with traffic is unknown).
    fn events_from(&self, total: f64, other: Option<f64>) -> Option<Events> {
        match self.spec.sli {
            SliSpec::Latency { .. } => match other {
                Some(good) => Some(Events::new((total - good).max(0.0), total)),
                None if total <= 0.0 => Some(Events::new(0.0, 0.0)),
                None => None,
            },
            _ => Some(Events::from_series(other, Some(total))),
        }
    }

    /// The count paired with the total for this SLI shape.
    fn other_count(&self) -> Count {
        match self.spec.sli {
            SliSpec::Latency { .. } => Count::Good,
            _ => Count::Bad,
        }
    }

    /// The SLO window's length in seconds and, for calendar windows, the period.
    pub fn window_secs(&self, now: DateTime<Utc>) -> (u64, Option<CalendarWindow>) {
        match self.spec.window {
            WindowSpec::Rolling(s) => (s, None),
            WindowSpec::Calendar(period) => {
                let cal = CalendarWindow::containing(now, period);
                (cal.length_secs(), Some(cal))
            }
        }
    }

    /// Budget, band, burn rates and conditions at `now`.
    pub fn status(&self, policy: &PolicyConfig, now: DateTime<Utc>) -> SloStatus {
        let (window_secs, calendar) = self.window_secs(now);
        let b = slo::budget(self.spec.objective);
        let budget = match (self.spec.time_slice, self.slices) {
            (Some(_), (Some(good), Some(total))) => {
                let slices = Slices { good, total };
                let mut status =
                    BudgetStatus::new(self.spec.objective, Events::new(total - good, total));
                status.consumed = slices.consumed(b);
                status.remaining = status.consumed.and_then(slo::remaining);
                status.sli = slices.sli();
                status
            }
            (Some(_), _) => BudgetStatus::new(self.spec.objective, Events::new(0.0, 0.0)),
            (None, _) => BudgetStatus::new(
                self.spec.objective,
                self.events(&self.own).unwrap_or(Events::new(0.0, 0.0)),
            ),
        };
        let band = budget.band(policy);
        let lookup = |secs: u64| self.windows.get(&secs).and_then(|c| self.events(c));
        let burn = slo::evaluate(&self.pairs, b, window_secs as f64, lookup);
        let burn_1h = lookup(slo::TTE_RATE_WINDOW_SECS).and_then(|e| e.burn_rate(b));
        let exhaustion = budget.exhaustion(std::time::Duration::from_secs(window_secs), burn_1h);
        SloStatus {
            budget,
            band,
            burn,
            burn_1h,
            exhaustion,
            window_secs,
            elapsed: calendar.and_then(|c| c.elapsed_fraction(now)),
        }
    }

    /// Remaining budget over the screen's range (from the history counts), for sparklines.
    pub fn remaining_history(&self) -> Option<Series> {
        let total = self.history.get(&Count::Total)?;
        let other = self.history.get(&self.other_count());
        let values = total
            .values
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let x = other.and_then(|s| s.values.get(i).copied().flatten());
                let events = self.events_from((*t)?, x)?;
                BudgetStatus::new(self.spec.objective, events)
                    .remaining
                    .filter(|r| r.is_finite())
                    .map(|r| r * 100.0)
            })
            .collect();
        Some(Series {
            window: total.window,
            values,
        })
    }

    /// Budget consumed so far within the window, in percent, per step (for the drill-down).
    pub fn consumption_curve(&self) -> Vec<(f64, f64)> {
        let Some(total) = self.consumption.get(&Count::Total) else {
            return Vec::new();
        };
        let other = self.consumption.get(&self.other_count());
        let w: Window = total.window;
        let intervals: Vec<(f64, Events)> = total
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let x = other.and_then(|s| s.values.get(i).copied().flatten());
                let events = self.events_from((*t)?, x)?;
                Some(((w.start + i as i64 * w.step) as f64, events))
            })
            .collect();
        slo::cumulative_consumption(&intervals, slo::budget(self.spec.objective))
            .into_iter()
            .map(|(t, c)| (t, c * 100.0))
            .collect()
    }
}

/// The alert window set an SLO uses: its own, the default, or the built-in Google set.
fn spec_alert_set(config: &Config, spec: &SloSpec) -> Option<crate::config::AlertWindowSet> {
    let svc = config.services.get(spec.service)?;
    let slo_cfg = svc.slos.iter().find(|s| s.name == spec.name)?;
    Some(config.slo_alert_windows(slo_cfg).1)
}

/// The look-backs an SLO needs for its burn-rate conditions and the 1 h rate (the SLO window
/// itself is fetched separately: it may be a growing calendar window).
pub fn burn_windows(config: &Config, slo_cfg: &crate::config::SloConfig, _window: u64) -> Vec<u64> {
    let (_, set) = config.slo_alert_windows(slo_cfg);
    let pairs = slo::pairs_for(Some(&set));
    slo::needed_windows(&pairs, 0)
        .into_iter()
        .chain([slo::TTE_RATE_WINDOW_SECS])
        .filter(|w| *w > 0)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}
