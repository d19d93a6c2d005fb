//! The time window on screen: a range ending now (live) or ending in the past (historical),
//! and the query step that fits it.

use chrono::{DateTime, TimeZone, Utc};

/// Prometheus refuses a range query with more than 11,000 points per series.
pub const MAX_POINTS_PER_SERIES: i64 = 11_000;

/// Steps the window snaps to, so that points stay on the same timestamps from one refresh to
/// the next (stable sparklines, and the same answer Prometheus gives for the same instant).
const NICE_STEPS: [i64; 16] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400,
];

/// A concrete window: `start..=end` sampled every `step` seconds. Times are whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

impl Window {
    /// Picks the step and aligns the window. `end` is the right edge before alignment,
    /// `range` and `min_step` are in seconds; `points` is how many points to aim for.
    pub fn new(end: i64, range: i64, points: i64, min_step: i64) -> Self {
        let range = range.max(1);
        let wanted = (range + points.max(1) - 1) / points.max(1);
        let limit = (range + MAX_POINTS_PER_SERIES - 1) / MAX_POINTS_PER_SERIES;
        let at_least = wanted.max(limit).max(min_step).max(1);
        let step = NICE_STEPS
            .iter()
            .copied()
            .find(|s| *s >= at_least)
            .unwrap_or(at_least);
        let end = end.div_euclid(step) * step;
        Window {
            start: end - range,
            end,
            step,
        }
    }

    /// Number of points on the grid, both ends included.
    pub fn len(&self) -> usize {
        usize::try_from((self.end - self.start) / self.step + 1).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The grid index of timestamp `t`, if `t` falls on the grid (within a millisecond).
    pub fn index_of(&self, t: f64) -> Option<usize> {
        let offset = (t - self.start as f64) / self.step as f64;
        let rounded = offset.round();
        if (offset - rounded).abs() * self.step as f64 > 0.001 || rounded < 0.0 {
            return None;
        }
        let idx = rounded as usize;
        (idx < self.len()).then_some(idx)
    }

    pub fn start_time(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.start, 0)
            .single()
            .unwrap_or_default()
    }

    pub fn end_time(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.end, 0).single().unwrap_or_default()
    }

    pub fn step_duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::try_from(self.step).unwrap_or(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_a_nice_step_and_aligns_the_end() {
        let w = Window::new(1_000_007, 3600, 240, 5);
        assert_eq!(w.step, 15);
        assert_eq!(w.end % 15, 0);
        assert!(w.end <= 1_000_007 && w.end > 1_000_007 - 15);
        assert_eq!(w.end - w.start, 3600);
        assert_eq!(w.len(), 241);
    }

    #[test]
    fn respects_the_minimum_step() {
        assert_eq!(Window::new(0, 900, 240, 5).step, 5);
        assert_eq!(Window::new(0, 900, 240, 30).step, 30);
    }

    #[test]
    fn never_exceeds_prometheus_point_limit() {
        // 30 days at 1 point per second wanted would be 2.6M points.
        let w = Window::new(0, 30 * 86400, 10_000_000, 1);
        assert!(w.len() as i64 <= MAX_POINTS_PER_SERIES + 1, "{w:?}");
        assert!(w.step >= 236);
    }

    #[test]
    fn maps_timestamps_to_grid_indexes() {
        let w = Window::new(3600, 3600, 240, 15);
        assert_eq!(w.index_of(0.0), Some(0));
        assert_eq!(w.index_of(15.0), Some(1));
        assert_eq!(w.index_of(3600.0), Some(240));
        assert_eq!(w.index_of(7.0), None);
        assert_eq!(w.index_of(3615.0), None);
        assert_eq!(w.index_of(-15.0), None);
    }
}
