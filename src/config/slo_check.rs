//! Checks of the SLO part of the config (alert window sets, the policy, `slo_defaults`, each
//! service's `slos`, `imports`) as more methods of [`Check`], and the warnings about SLOs that
//! are valid but cannot work as meant (a burn-rate condition that can never fire, a budget too
//! small to measure). The rules on single values are plain functions, shared with the importers.

use std::collections::HashMap;
use std::path::Path;

use super::effective::{has_window_placeholder, BUILTIN_ALERT_WINDOW_SETS};
use super::error::{did_you_mean, ConfigError};
use super::position::FieldPath;
use super::schema::{Config, ServiceConfig};
use super::slo::{Budgeting, PolicyConfig, SliConfig, SloConfig, SloWindow};
use super::validate::Check;

/// A budget smaller than this much total outage (B × W) is warned about: scrape intervals,
/// rule evaluation and query latency alone are of that order.
const SHORTEST_USEFUL_BUDGET_SECS: f64 = 300.0;

/// Why an objective (percent) is unusable, if it is.
pub(super) fn objective_problem(objective: f64) -> Option<String> {
    (!(objective > 0.0 && objective < 100.0)).then(|| {
        format!(
            "objective {objective} is out of range (a percentage strictly between 0 and 100, \
             e.g. 99.9)"
        )
    })
}

/// Why a time slice target (a ratio) is unusable, if it is.
pub(super) fn time_slice_target_problem(name: &str, target: f64) -> Option<String> {
    (!(target > 0.0 && target <= 1.0)).then(|| {
        format!(
            "{name} {target} is out of range (the success ratio a slice needs to count as good: \
             greater than 0 and at most 1, e.g. 0.99)"
        )
    })
}

/// Why an events query template is unusable, if it is.
pub(super) fn events_query_problem(query: &str) -> Option<String> {
    (!has_window_placeholder(query)).then(|| {
        "has no {{window}} placeholder (each query counts events over the window: write its \
         range as [{{window}}], e.g. sum(increase(http_requests_total{code=~\"5..\"}[{{window}}])))"
            .to_owned()
    })
}

impl Check<'_> {
    pub(super) fn slo_config(&self, config: &Config) -> Result<(), ConfigError> {
        let root = FieldPath::root();
        self.alert_window_sets(config)?;
        self.policy(&root.key("policy"), &config.policy)?;
        self.slo_defaults(config)?;
        for (i, service) in config.services.iter().enumerate() {
            self.service_slos(config, &root.key("services").index(i), service)?;
        }
        Ok(())
    }

    pub(super) fn imports(&self, config: &Config) -> Result<(), ConfigError> {
        for (i, import) in config.imports.iter().enumerate() {
            let at = FieldPath::root().key("imports").index(i);
            self.not_empty(&at.key("path"), &import.path.to_string_lossy())?;
        }
        Ok(())
    }

    fn alert_window_sets(&self, config: &Config) -> Result<(), ConfigError> {
        for (name, set) in &config.alert_windows {
            let at = FieldPath::root().key("alert_windows").key(name);
            self.positive(&at.key("period"), set.period)?;
            if set.page.is_empty() && set.ticket.is_empty() {
                return Err(self.fail(
                    &at,
                    format!(
                        "alert window set `{name}` has no page or ticket windows (add at least \
                         one, e.g. page: [{{long: 1h, short: 5m, budget_percent: 2}}])"
                    ),
                ));
            }
            for (kind, windows) in [("page", &set.page), ("ticket", &set.ticket)] {
                for (i, window) in windows.iter().enumerate() {
                    let field = at.key(kind).index(i);
                    self.positive(&field.key("short"), window.short)?;
                    if window.long <= window.short {
                        return Err(self.fail(
                            &field,
                            format!(
                                "long window {} must be longer than short window {} (the short \
                                 one, typically 1/12 of the long one, confirms the burn goes on; \
                                 e.g. long: 1h, short: 5m)",
                                window.long, window.short
                            ),
                        ));
                    }
                    let percent = window.budget_percent;
                    if !(percent > 0.0 && percent <= 100.0) {
                        return Err(self.fail(
                            &field.key("budget_percent"),
                            format!(
                                "budget_percent {percent} is out of range (the share of the whole \
                                 budget spent when the long window fires: greater than 0 and at \
                                 most 100, e.g. 2)"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn policy(&self, at: &FieldPath, policy: &PolicyConfig) -> Result<(), ConfigError> {
        for (name, value, example) in [
            ("green_above", policy.green_above, "0.5"),
            ("red_below", policy.red_below, "0.1"),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(self.fail(
                    &at.key(name),
                    format!(
                        "{name} {value} is out of range (a fraction of the budget remaining, \
                         from 0 to 1, e.g. {example})"
                    ),
                ));
            }
        }
        if policy.red_below >= policy.green_above {
            return Err(self.fail(
                at,
                format!(
                    "red_below {} is not less than green_above {} (make red_below < \
                     green_above: the band between them is yellow)",
                    policy.red_below, policy.green_above
                ),
            ));
        }
        Ok(())
    }

    fn slo_defaults(&self, config: &Config) -> Result<(), ConfigError> {
        let at = FieldPath::root().key("slo_defaults");
        let defaults = &config.slo_defaults;
        self.slo_window(&at.key("window"), &defaults.window)?;
        if let Some(name) = &defaults.alert_windows {
            self.alert_windows_reference(config, &at.key("alert_windows"), name)?;
        }
        let min_events = defaults.min_events;
        if !(min_events >= 0.0 && min_events.is_finite()) {
            return Err(self.fail(
                &at.key("min_events"),
                format!(
                    "min_events {min_events} must be a number, 0 or more (burn rates over fewer \
                     events are shown as weak; 0 turns this off)"
                ),
            ));
        }
        if defaults.long_refresh < config.refresh {
            return Err(self.fail(
                &at.key("long_refresh"),
                format!(
                    "{} is shorter than refresh ({}) (the long windows are evaluated at most once \
                     per refresh, and less often to spare Prometheus: e.g. 5m)",
                    defaults.long_refresh, config.refresh
                ),
            ));
        }
        Ok(())
    }

    fn slo_window(&self, at: &FieldPath, window: &SloWindow) -> Result<(), ConfigError> {
        match (window.rolling, window.calendar) {
            (Some(rolling), None) => self.positive(&at.key("rolling"), rolling),
            (None, Some(_)) => Ok(()),
            (Some(_), Some(_)) => Err(self.fail(
                at,
                "give either `rolling` or `calendar`, not both (e.g. {rolling: 30d} or \
                 {calendar: month})",
            )),
            (None, None) => Err(self.fail(
                at,
                "give `rolling` (a duration, e.g. {rolling: 30d}) or `calendar` (week or month, \
                 e.g. {calendar: month})",
            )),
        }
    }

    fn alert_windows_reference(
        &self,
        config: &Config,
        field: &FieldPath,
        name: &str,
    ) -> Result<(), ConfigError> {
        if config.alert_window_set(name).is_some() {
            return Ok(());
        }
        let mut names: Vec<&str> = BUILTIN_ALERT_WINDOW_SETS.to_vec();
        for own in config.alert_windows.keys() {
            if !names.contains(&own.as_str()) {
                names.push(own);
            }
        }
        let message = match did_you_mean(name, names.iter().copied()) {
            Some(best) => format!("unknown alert window set `{name}`, did you mean `{best}`?"),
            None => format!(
                "unknown alert window set `{name}` (the sets are {})",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Err(self.fail(field, message))
    }

    fn service_slos(
        &self,
        config: &Config,
        at: &FieldPath,
        service: &ServiceConfig,
    ) -> Result<(), ConfigError> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (j, slo) in service.slos.iter().enumerate() {
            let field = at.key("slos").index(j);
            self.not_empty(&field.key("name"), &slo.name)?;
            if let Some(first) = seen.insert(&slo.name, j) {
                return Err(self.fail(
                    &field.key("name"),
                    format!(
                        "duplicate SLO name `{}` (slos[{first}] of service `{}` has it too; SLO \
                         names must be unique within a service)",
                        slo.name, service.name
                    ),
                ));
            }
            if let Some(problem) = objective_problem(slo.objective) {
                return Err(self.fail(&field.key("objective"), problem));
            }
            if let Some(window) = &slo.window {
                self.slo_window(&field.key("window"), window)?;
            }
            self.budgeting(config, &field, slo)?;
            self.sli(&field.key("sli"), &slo.sli)?;
            if let Some(name) = &slo.alert_windows {
                self.alert_windows_reference(config, &field.key("alert_windows"), name)?;
            }
        }
        Ok(())
    }

    fn budgeting(
        &self,
        config: &Config,
        at: &FieldPath,
        slo: &SloConfig,
    ) -> Result<(), ConfigError> {
        match (config.slo_budgeting(slo), &slo.time_slice) {
            (Budgeting::Occurrences, None) => Ok(()),
            (Budgeting::Occurrences, Some(_)) => Err(self.fail(
                &at.key("time_slice"),
                "time_slice is only used with budgeting: timeslices (add budgeting: timeslices, \
                 or remove time_slice)",
            )),
            (Budgeting::Timeslices, None) => {
                let (field, from) = match slo.budgeting {
                    Some(_) => (at.key("budgeting"), ""),
                    None => (at.clone(), " (from slo_defaults.budgeting)"),
                };
                Err(self.fail(
                    &field,
                    format!(
                        "budgeting: timeslices{from} needs `time_slice` (e.g. time_slice: \
                         {{window: 1m, target: 0.99}})"
                    ),
                ))
            }
            (Budgeting::Timeslices, Some(slice)) => {
                let field = at.key("time_slice");
                self.positive(&field.key("window"), slice.window)?;
                match time_slice_target_problem("target", slice.target) {
                    Some(problem) => Err(self.fail(&field.key("target"), problem)),
                    None => Ok(()),
                }
            }
        }
    }

    fn sli(&self, at: &FieldPath, sli: &SliConfig) -> Result<(), ConfigError> {
        let given: Vec<&str> = [
            ("availability", sli.availability.is_some()),
            ("latency", sli.latency.is_some()),
            ("events", sli.events.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect();
        match given.as_slice() {
            [] => {
                return Err(self.fail(
                    at,
                    "give one of `availability`, `latency` or `events` (e.g. sli: \
                     {availability: {}})",
                ))
            }
            [_] => {}
            many => {
                let names: Vec<String> = many.iter().map(|n| format!("`{n}`")).collect();
                return Err(self.fail(
                    at,
                    format!("gives {} (give exactly one)", names.join(" and ")),
                ));
            }
        }
        if let Some(availability) = &sli.availability {
            let field = at.key("availability");
            if let Some(metric) = &availability.metric {
                self.not_empty(&field.key("metric"), metric)?;
            }
            if let Some(selector) = &availability.error_selector {
                self.not_empty(&field.key("error_selector"), selector)?;
            }
        }
        if let Some(latency) = &sli.latency {
            let field = at.key("latency");
            if let Some(histogram) = &latency.histogram {
                self.not_empty(&field.key("histogram"), histogram)?;
            }
            let threshold = latency.threshold;
            if !(threshold.is_finite() && threshold > 0.0) {
                return Err(self.fail(
                    &field.key("threshold"),
                    format!(
                        "threshold {threshold} is not a latency (write a number of seconds \
                         greater than 0 that is one of the histogram's bucket boundaries, e.g. \
                         0.3)"
                    ),
                ));
            }
        }
        if let Some(events) = &sli.events {
            let field = at.key("events");
            for (name, query) in [
                ("error_query", &events.error_query),
                ("total_query", &events.total_query),
            ] {
                if let Some(problem) = events_query_problem(query) {
                    return Err(self.fail(&field.key(name), problem));
                }
            }
        }
        Ok(())
    }
}

/// The warnings about the SLOs of a valid config (imported ones included): a budget shorter
/// than 5 minutes of total outage, and burn-rate conditions that can never fire.
pub(super) fn slo_warnings(config: &Config, path: &Path) -> Vec<String> {
    let file = path.display();
    let mut out = Vec::new();
    for service in &config.services {
        for slo in &service.slos {
            let budget = 1.0 - slo.objective / 100.0;
            let Some(window) = config.slo_window(slo).nominal_length() else {
                continue;
            };
            if !(budget > 0.0 && budget < 1.0) || window.as_secs_f64() <= 0.0 {
                continue;
            }
            let label = format!(
                "service {}, SLO {} ({}%)",
                service.name, slo.name, slo.objective
            );
            let outage = budget * window.as_secs_f64();
            if outage < SHORTEST_USEFUL_BUDGET_SECS {
                out.push(format!(
                    "{file}: {label}: the whole error budget over {} is {} of total outage (B × \
                     W), shorter than 5m: scrape and rule delays alone can spend it (lower the \
                     objective or lengthen the window)",
                    days(window),
                    seconds(outage)
                ));
            }
            let highest = 1.0 / budget;
            let (set_name, set) = config.slo_alert_windows(slo);
            for (kind, windows) in [("page", &set.page), ("ticket", &set.ticket)] {
                for alert in windows {
                    let factor = alert.burn_rate_factor(window);
                    if factor > highest * (1.0 + 1e-9) {
                        out.push(format!(
                            "{file}: {label}: {kind} {}/{} needs burn rate {} but the highest \
                             possible is {}; it can never fire (in alert window set \
                             `{set_name}`: give this SLO alert_windows with a smaller \
                             budget_percent or a longer long window)",
                            alert.long,
                            alert.short,
                            number(factor),
                            number(highest)
                        ));
                    }
                }
            }
        }
    }
    out
}

/// `14.4`, `10`, `0.933`: at most three decimals, no trailing zeros.
fn number(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

/// Seconds rounded for a message: `26s`, `4m19s`, `850ms`.
fn seconds(secs: f64) -> String {
    let duration = if secs >= 1.0 {
        super::Duration::from_secs(secs.round() as u64)
    } else {
        super::Duration::from_millis((secs * 1000.0).round() as u64)
    };
    duration.to_string()
}

/// A window in days when it is whole days (`30d`, where the duration prints `4w2d`).
fn days(window: super::Duration) -> String {
    let secs = window.as_secs();
    if secs > 0 && secs.is_multiple_of(86_400) && window.std().subsec_millis() == 0 {
        format!("{}d", secs / 86_400)
    } else {
        window.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_messages() {
        assert_eq!(number(14.4), "14.4");
        assert_eq!(number(1.0 / (1.0 - 0.9)), "10");
        assert_eq!(number(0.933_333), "0.933");
        assert_eq!(seconds(25.92), "26s");
        assert_eq!(seconds(259.2), "4m19s");
        assert_eq!(seconds(0.85), "850ms");
        assert_eq!(days(super::super::Duration::from_secs(30 * 86_400)), "30d");
        assert_eq!(days(super::super::Duration::from_secs(3600)), "1h");
    }
}
