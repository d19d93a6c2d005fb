//! Judging a value against its thresholds. "No data" is its own state: never green.

use crate::config::{Level, LowLevel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Nothing to judge: no traffic, no series, or NaN.
    NoData,
    Ok,
    Warn,
    Crit,
}

/// Higher is worse (errors, latency, saturation).
pub fn judge(value: Option<f64>, level: &Level) -> Status {
    match value {
        None => Status::NoData,
        Some(v) if v.is_nan() => Status::NoData,
        Some(v) if v >= level.crit => Status::Crit,
        Some(v) if v >= level.warn => Status::Warn,
        Some(_) => Status::Ok,
    }
}

/// Lower is worse (traffic); with no thresholds any value is fine.
pub fn judge_low(value: Option<f64>, level: Option<&LowLevel>) -> Status {
    match (value, level) {
        (None, _) => Status::NoData,
        (Some(v), _) if v.is_nan() => Status::NoData,
        (Some(v), Some(l)) if v < l.crit_below => Status::Crit,
        (Some(v), Some(l)) if v < l.warn_below => Status::Warn,
        (Some(_), _) => Status::Ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_inclusive_and_nan_is_no_data() {
        let l = Level {
            warn: 0.01,
            crit: 0.05,
        };
        assert_eq!(judge(Some(0.0), &l), Status::Ok);
        assert_eq!(judge(Some(0.01), &l), Status::Warn);
        assert_eq!(judge(Some(0.05), &l), Status::Crit);
        assert_eq!(judge(Some(f64::INFINITY), &l), Status::Crit);
        assert_eq!(judge(Some(f64::NAN), &l), Status::NoData);
        assert_eq!(judge(None, &l), Status::NoData);
    }

    #[test]
    fn low_traffic_is_worse() {
        let l = LowLevel {
            warn_below: 10.0,
            crit_below: 1.0,
        };
        assert_eq!(judge_low(Some(0.5), Some(&l)), Status::Crit);
        assert_eq!(judge_low(Some(5.0), Some(&l)), Status::Warn);
        assert_eq!(judge_low(Some(50.0), Some(&l)), Status::Ok);
        assert_eq!(judge_low(Some(0.0), None), Status::Ok);
        assert_eq!(judge_low(None, None), Status::NoData);
    }
}
