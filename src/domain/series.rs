//! Series on the window's time grid. Prometheus answers with sparse `[t, "v"]` pairs; the
//! dashboard wants one slot per step, `None` where there is no sample or the value is NaN.

use super::window::Window;

/// One series laid on a [`Window`]'s grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub window: Window,
    pub values: Vec<Option<f64>>,
}

impl Series {
    /// An all-empty series.
    pub fn empty(window: Window) -> Self {
        Series {
            window,
            values: vec![None; window.len()],
        }
    }

    /// Lays `(t, v)` samples on the grid. NaN becomes a gap; samples off the grid are ignored.
    pub fn from_samples(window: Window, samples: impl IntoIterator<Item = (f64, f64)>) -> Self {
        let mut series = Series::empty(window);
        for (t, v) in samples {
            if let Some(i) = window.index_of(t) {
                series.values[i] = (!v.is_nan()).then_some(v);
            }
        }
        series
    }

    /// The value at time `t`, if `t` is on this series' grid and has a value.
    pub fn at(&self, t: i64) -> Option<f64> {
        let i = self.window.index_of(t as f64)?;
        self.values.get(i).copied().flatten()
    }

    /// Lays a tail answer onto `frame`: points at or after `tail_start` come from `tail`,
    /// earlier ones from `held` (what was fetched before, matched by time). What neither covers
    /// is a gap. `None` when the two grids differ (another step): the caller refetches whole.
    pub fn merge_tail(
        held: Option<&Series>,
        frame: Window,
        tail_start: i64,
        tail: &Series,
    ) -> Option<Series> {
        if tail.window.step != frame.step || held.is_some_and(|h| h.window.step != frame.step) {
            return None;
        }
        let values = (0..frame.len())
            .map(|i| {
                let t = frame.start + i as i64 * frame.step;
                if t >= tail_start {
                    tail.at(t)
                } else {
                    held.and_then(|h| h.at(t))
                }
            })
            .collect();
        Some(Series {
            window: frame,
            values,
        })
    }

    /// The value at the right edge of the window: what Prometheus answers for an instant
    /// query at `window.end`.
    pub fn current(&self) -> Option<f64> {
        self.values.last().copied().flatten()
    }

    /// Largest finite value, for scaling charts.
    pub fn max_finite(&self) -> Option<f64> {
        self.values
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold(None, |acc: Option<f64>, v| {
                Some(acc.map_or(v, |a| a.max(v)))
            })
    }

    /// Element-wise `num / den` where both are present. `0 / 0` (no traffic) is no data, never
    /// zero; a missing numerator with traffic present means zero (an error counter often has no
    /// series until the first error). `num == None` means the numerator had no series at all.
    pub fn ratio(num: Option<&Series>, den: &Series) -> Series {
        let values = den
            .values
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let d = (*d)?;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                // Match points by time, so two answers for slightly different windows (same
                // step) still divide point by point.
                let t = (den.window.start + i as i64 * den.window.step) as f64;
                let n = num
                    .filter(|s| s.window.step == den.window.step)
                    .and_then(|s| s.window.index_of(t).and_then(|j| s.values[j]))
                    .unwrap_or(0.0);
                Some(n / d)
            })
            .collect();
        Series {
            window: den.window,
            values,
        }
    }

    /// Element-wise scaling (e.g. ratio to percent).
    pub fn scaled(mut self, factor: f64) -> Series {
        for v in self.values.iter_mut().flatten() {
            *v *= factor;
        }
        self
    }

    /// Reduces the series to `width` buckets, keeping each bucket's maximum (a spike must stay
    /// visible when squeezed into a sparkline). Infinite values are skipped.
    pub fn downsample_max(&self, width: usize) -> Vec<Option<f64>> {
        let n = self.values.len();
        if width == 0 || n == 0 {
            return Vec::new();
        }
        (0..width)
            .map(|b| {
                let from = b * n / width;
                let to = ((b + 1) * n / width).max(from + 1).min(n);
                self.values[from..to]
                    .iter()
                    .flatten()
                    .copied()
                    .filter(|v| v.is_finite())
                    .fold(None, |acc: Option<f64>, v| {
                        Some(acc.map_or(v, |a| a.max(v)))
                    })
            })
            .collect()
    }

    /// `(t, v)` points with finite values, for charts.
    pub fn points(&self) -> Vec<(f64, f64)> {
        let w = self.window;
        self.values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let v = (*v)?;
                v.is_finite()
                    .then_some(((w.start + i as i64 * w.step) as f64, v))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        Window {
            start: 0,
            end: 40,
            step: 10,
        }
    }

    #[test]
    fn lays_samples_on_the_grid_with_nan_as_gap() {
        let s = Series::from_samples(
            window(),
            [(0.0, 1.0), (10.0, f64::NAN), (40.0, 4.0), (5.0, 9.0)],
        );
        assert_eq!(s.values, vec![Some(1.0), None, None, None, Some(4.0)]);
        assert_eq!(s.current(), Some(4.0));
    }

    #[test]
    fn ratio_treats_no_traffic_as_no_data_and_missing_errors_as_zero() {
        let den = Series::from_samples(window(), [(0.0, 10.0), (10.0, 0.0), (20.0, 5.0)]);
        let num = Series::from_samples(window(), [(0.0, 1.0), (10.0, 0.0)]);
        let r = Series::ratio(Some(&num), &den);
        assert_eq!(r.values, vec![Some(0.1), None, Some(0.0), None, None]);
        let r = Series::ratio(None, &den);
        assert_eq!(r.values[0], Some(0.0));
        assert_eq!(r.values[1], None, "0/0 is no data");
    }

    #[test]
    fn ratio_matches_points_by_time_across_windows() {
        let den = Series::from_samples(window(), [(20.0, 10.0), (30.0, 10.0), (40.0, 10.0)]);
        let shifted = Window {
            start: 10,
            end: 50,
            step: 10,
        };
        let num = Series::from_samples(shifted, [(20.0, 1.0), (30.0, 2.0), (40.0, 3.0)]);
        let r = Series::ratio(Some(&num), &den);
        assert_eq!(r.values[2..], [Some(0.1), Some(0.2), Some(0.3)]);
    }

    #[test]
    fn a_tail_merges_onto_what_is_held() {
        let held = Series::from_samples(
            window(),
            [(0.0, 1.0), (10.0, 2.0), (30.0, 3.0), (40.0, 4.0)],
        );
        // The window moved on by two steps; the tail refetches from 30 (the last point may
        // have changed since it was first evaluated).
        let frame = Window {
            start: 20,
            end: 60,
            step: 10,
        };
        let tail_window = Window {
            start: 30,
            end: 60,
            step: 10,
        };
        let tail = Series::from_samples(tail_window, [(30.0, 3.5), (50.0, 5.0), (60.0, 6.0)]);
        let merged = Series::merge_tail(Some(&held), frame, 30, &tail).expect("same step");
        assert_eq!(merged.window, frame);
        // 20: held had none; 30: the tail wins; 40: the tail has none, so none (not the held
        // value: the tail is the newer answer for that time); 50, 60: new.
        assert_eq!(
            merged.values,
            vec![None, Some(3.5), None, Some(5.0), Some(6.0)]
        );
        // Nothing held: only the tail.
        let alone = Series::merge_tail(None, frame, 30, &tail).expect("same step");
        assert_eq!(
            alone.values,
            vec![None, Some(3.5), None, Some(5.0), Some(6.0)]
        );
        // Another step: refuse, the caller refetches the whole window.
        let coarse = Window { step: 20, ..frame };
        assert!(Series::merge_tail(Some(&held), coarse, 30, &tail).is_none());
    }

    #[test]
    fn downsample_keeps_spikes() {
        let s = Series::from_samples(
            Window {
                start: 0,
                end: 90,
                step: 10,
            },
            (0..10).map(|i| (f64::from(i) * 10.0, if i == 3 { 100.0 } else { 1.0 })),
        );
        let d = s.downsample_max(3);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0], Some(1.0));
        assert_eq!(d[1], Some(100.0));
    }

    #[test]
    fn infinite_values_are_kept_but_not_plotted() {
        let s = Series::from_samples(window(), [(0.0, f64::INFINITY), (10.0, 2.0)]);
        assert_eq!(s.values[0], Some(f64::INFINITY));
        assert_eq!(s.max_finite(), Some(2.0));
        assert_eq!(s.points(), vec![(10.0, 2.0)]);
    }
}
