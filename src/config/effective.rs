//! The SLO settings once defaults apply: an SLO's window, budgeting method and alert window
//! set (its own, else `slo_defaults`, else a built-in set), and the built-in sets themselves.

use super::duration::Duration;
use super::schema::Config;
use super::slo::{AlertWindow, AlertWindowSet, Budgeting, CalendarPeriod, SloConfig, SloWindow};

/// The alert window sets that need no entry under `alert_windows` (an entry of the same name
/// replaces them). Both are the SRE Workbook's four conditions, stored as budget percent:
/// page 1h/5m at 2% and 6h/30m at 5%, ticket 1d/2h and 3d/6h at 10% each (factors 14.4, 6, 3, 1
/// over 30 days; 13.44, 5.6, 2.8, 0.933 over 28).
pub const BUILTIN_ALERT_WINDOW_SETS: [&str; 2] = ["google-30d", "google-28d"];

/// The built-in set called `name`, if there is one.
pub fn builtin_alert_window_set(name: &str) -> Option<AlertWindowSet> {
    let days = match name {
        "google-30d" => 30,
        "google-28d" => 28,
        _ => return None,
    };
    let window = |long: u64, short: u64, budget_percent: f64| AlertWindow {
        long: Duration::from_secs(long),
        short: Duration::from_secs(short),
        budget_percent,
    };
    const HOUR: u64 = 3600;
    Some(AlertWindowSet {
        period: Duration::from_secs(days * 24 * HOUR),
        page: vec![window(HOUR, 5 * 60, 2.0), window(6 * HOUR, 30 * 60, 5.0)],
        ticket: vec![
            window(24 * HOUR, 2 * HOUR, 10.0),
            window(3 * 24 * HOUR, 6 * HOUR, 10.0),
        ],
    })
}

/// True when a PromQL template holds the window placeholder: `{{window}}`, `{{ window }}` or
/// Sloth's `{{.window}}`.
pub fn has_window_placeholder(template: &str) -> bool {
    ["{{window}}", "{{ window }}", "{{.window}}"]
        .iter()
        .any(|placeholder| template.contains(placeholder))
}

impl CalendarPeriod {
    /// A nominal length, for checks and estimates: a week is 7d, a month 30d. The real length
    /// of a calendar month (28 to 31 days) depends on the date.
    pub fn nominal_length(self) -> Duration {
        match self {
            CalendarPeriod::Week => Duration::from_secs(7 * 86_400),
            CalendarPeriod::Month => Duration::from_secs(30 * 86_400),
        }
    }
}

impl SloWindow {
    /// The rolling length, or the calendar period's [nominal length](CalendarPeriod::nominal_length).
    /// `None` when neither is given (validation rejects that).
    pub fn nominal_length(&self) -> Option<Duration> {
        match (self.rolling, self.calendar) {
            (Some(rolling), _) => Some(rolling),
            (None, Some(calendar)) => Some(calendar.nominal_length()),
            (None, None) => None,
        }
    }
}

impl AlertWindow {
    /// The burn rate both windows must exceed: `budget_percent / 100 × window / long`, where
    /// `window` is the SLO's window W (so one set serves any W). The error-ratio threshold is
    /// this times the budget `1 − objective / 100`.
    pub fn burn_rate_factor(&self, window: Duration) -> f64 {
        let long = self.long.as_secs_f64();
        if long <= 0.0 {
            return f64::INFINITY;
        }
        self.budget_percent / 100.0 * window.as_secs_f64() / long
    }
}

impl Config {
    /// The SLO's window: its own, else `slo_defaults.window`.
    pub fn slo_window<'a>(&'a self, slo: &'a SloConfig) -> &'a SloWindow {
        slo.window.as_ref().unwrap_or(&self.slo_defaults.window)
    }

    /// The SLO's budgeting method: its own, else `slo_defaults.budgeting`.
    pub fn slo_budgeting(&self, slo: &SloConfig) -> Budgeting {
        slo.budgeting.unwrap_or(self.slo_defaults.budgeting)
    }

    /// The alert window set called `name`: an entry of `alert_windows`, else a built-in set.
    pub fn alert_window_set(&self, name: &str) -> Option<AlertWindowSet> {
        self.alert_windows
            .get(name)
            .cloned()
            .or_else(|| builtin_alert_window_set(name))
    }

    /// The name and conditions of the SLO's alert window set: its own `alert_windows`, else
    /// `slo_defaults.alert_windows`, else `google-28d` for a rolling 28-day window and
    /// `google-30d` for any other.
    pub fn slo_alert_windows(&self, slo: &SloConfig) -> (String, AlertWindowSet) {
        let default = if self.slo_window(slo).rolling == Some(Duration::from_secs(28 * 86_400)) {
            "google-28d"
        } else {
            "google-30d"
        };
        let name = slo
            .alert_windows
            .as_deref()
            .or(self.slo_defaults.alert_windows.as_deref())
            .unwrap_or(default);
        match self.alert_window_set(name) {
            Some(set) => (name.to_owned(), set),
            // Validation rejects unknown names; a config built in code may still hold one.
            None => (
                default.to_owned(),
                builtin_alert_window_set(default).unwrap_or(AlertWindowSet {
                    period: Duration::from_secs(30 * 86_400),
                    page: Vec::new(),
                    ticket: Vec::new(),
                }),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_factors() {
        let set = builtin_alert_window_set("google-30d").expect("built in");
        let days = |d: u64| Duration::from_secs(d * 86_400);
        let factors: Vec<f64> = set
            .page
            .iter()
            .chain(&set.ticket)
            .map(|w| w.burn_rate_factor(days(30)))
            .collect();
        for (got, want) in factors.iter().zip([14.4, 6.0, 3.0, 1.0]) {
            assert!((got - want).abs() < 1e-9, "{factors:?}");
        }
        let factors: Vec<f64> = set
            .page
            .iter()
            .chain(&set.ticket)
            .map(|w| w.burn_rate_factor(days(28)))
            .collect();
        for (got, want) in factors.iter().zip([13.44, 5.6, 2.8, 0.9333]) {
            assert!((got - want).abs() < 1e-3, "{factors:?}");
        }
        assert!(builtin_alert_window_set("google-7d").is_none());
    }

    #[test]
    fn window_placeholders() {
        assert!(has_window_placeholder("sum(increase(x[{{window}}]))"));
        assert!(has_window_placeholder("sum(rate(x[{{.window}}]))"));
        assert!(has_window_placeholder("sum(rate(x[{{ window }}]))"));
        assert!(!has_window_placeholder("sum(rate(x[5m]))"));
        assert!(!has_window_placeholder("sum(rate(x[{{rate}}]))"));
    }
}
