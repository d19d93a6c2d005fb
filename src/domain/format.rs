//! Numbers and times as the dashboard prints them: short, fixed-ish width, unit included.

/// Requests per second: `0.52/s`, `12.3/s`, `1.2k/s`.
pub fn rate(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(v) if !v.is_finite() => non_finite(v),
        Some(v) => format!("{}/s", si(v)),
    }
}

/// A number with a k/M/G suffix and three significant digits.
pub fn si(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    format!("{}{suffix}", sig3(x))
}

fn sig3(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 0.01 {
        format!("{x:.2}")
    } else {
        format!("{x:.1e}")
    }
}

/// A ratio shown as a percentage: `0.12%`, `12.5%`, `100%`.
pub fn ratio_pct(v: Option<f64>) -> String {
    percent(v.map(|r| r * 100.0))
}

/// A value already in percent.
pub fn percent(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(v) if !v.is_finite() => non_finite(v),
        Some(0.0) => "0%".into(),
        Some(v) if v.abs() < 0.01 => "<0.01%".into(),
        Some(v) if v.abs() < 10.0 => format!("{v:.2}%"),
        Some(v) if v.abs() < 100.0 => format!("{v:.1}%"),
        Some(v) => format!("{v:.0}%"),
    }
}

/// Seconds as `850µs`, `45ms`, `1.25s`, `2m05s`.
pub fn latency(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(v) if !v.is_finite() => non_finite(v),
        Some(0.0) => "0s".into(),
        Some(v) if v < 0.001 => format!("{:.0}µs", v * 1e6),
        Some(v) if v < 1.0 => format!("{:.0}ms", v * 1e3),
        Some(v) if v < 10.0 => format!("{v:.2}s"),
        Some(v) if v < 60.0 => format!("{v:.1}s"),
        Some(v) => {
            let s = v.round() as i64;
            format!("{}m{:02}s", s / 60, s % 60)
        }
    }
}

fn non_finite(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v > 0.0 {
        "+Inf".into()
    } else {
        "-Inf".into()
    }
}

/// An age in the coarsest unit that still helps: `4s`, `2m`, `1h05m`, `3d`.
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86400 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d", s / 86400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rates() {
        assert_eq!(rate(Some(123.456)), "123/s");
        assert_eq!(rate(Some(12.34)), "12.3/s");
        assert_eq!(rate(Some(0.5)), "0.50/s");
        assert_eq!(rate(Some(1234.0)), "1.23k/s");
        assert_eq!(rate(Some(0.0)), "0/s");
        assert_eq!(rate(None), "—");
        assert_eq!(rate(Some(f64::NAN)), "NaN");
    }

    #[test]
    fn formats_percentages() {
        assert_eq!(ratio_pct(Some(0.0012)), "0.12%");
        assert_eq!(ratio_pct(Some(0.125)), "12.5%");
        assert_eq!(ratio_pct(Some(1.0)), "100%");
        assert_eq!(ratio_pct(Some(0.0)), "0%");
        assert_eq!(ratio_pct(Some(0.00000001)), "<0.01%");
        assert_eq!(percent(None), "—");
    }

    #[test]
    fn formats_latencies() {
        assert_eq!(latency(Some(0.0004)), "400µs");
        assert_eq!(latency(Some(0.045)), "45ms");
        assert_eq!(latency(Some(1.25)), "1.25s");
        assert_eq!(latency(Some(125.0)), "2m05s");
        assert_eq!(latency(Some(f64::INFINITY)), "+Inf");
    }

    #[test]
    fn formats_ages() {
        assert_eq!(age(4), "4s");
        assert_eq!(age(125), "2m");
        assert_eq!(age(3900), "1h05m");
        assert_eq!(age(200_000), "2d");
        assert_eq!(age(-3), "0s");
    }
}
