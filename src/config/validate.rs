//! Checks that need more than the types: references between sections, ranges of numbers,
//! URLs, names. Each error names the file, line, column and field path, found in the text
//! with [`position::locate`](super::position::locate).

use std::collections::HashMap;
use std::path::Path;

use super::error::{did_you_mean, ConfigError};
use super::position::FieldPath;
use super::schema::{
    AuthConfig, Config, Level, LowLevel, SaturationConfig, SecretSource, SourceConfig,
    ThresholdOverrides, Thresholds,
};
use super::Duration;

/// Checks a parsed (and `${VAR}`-expanded) configuration. `text` is the file's text, used only
/// to find line and column of the field at fault.
pub fn validate(config: &Config, text: &str, file: &Path) -> Result<(), ConfigError> {
    let check = Check { file, text };
    let root = FieldPath::root();
    check.refresh(config.refresh)?;
    check.positive(&root.key("range"), config.range)?;
    if config.ranges.is_empty() {
        return Err(check.fail(
            &root.key("ranges"),
            "must list at least one range (e.g. [15m, 1h, 6h, 24h])",
        ));
    }
    for (i, range) in config.ranges.iter().enumerate() {
        check.positive(&root.key("ranges").index(i), *range)?;
    }
    check.sources(config)?;
    if let Some(context) = &config.context {
        check.source_reference(config, &root.key("context"), context)?;
    }
    check.signals(config)?;
    check.thresholds(&root.key("thresholds"), &config.thresholds)?;
    check.services(config)?;
    check.slo_config(config)?;
    check.imports(config)?;
    check.alerts(config)?;
    check.keys(config)?;
    if let Some(oncall) = &config.oncall {
        super::oncall::validate_oncall(oncall).map_err(|(path, message)| {
            // `oncall.rotation.primary` or `oncall.overrides[0].to` as a field path.
            let mut at = FieldPath::root();
            for part in path.split('.') {
                match part.split_once('[') {
                    Some((key, rest)) => {
                        at = at.key(key);
                        if let Ok(i) = rest.trim_end_matches(']').parse::<usize>() {
                            at = at.index(i);
                        }
                    }
                    None => at = at.key(part),
                }
            }
            check.fail(&at, message)
        })?;
    }
    Ok(())
}

/// Parses a source URL and checks it is usable: http(s), with a host, without credentials.
/// The message never repeats the URL, which may hold a secret.
pub fn check_url(url: &str) -> Result<url::Url, String> {
    if !url.contains("://") {
        return Err(
            "missing http:// or https:// in front (write e.g. http://prometheus:9090)".into(),
        );
    }
    let parsed = url::Url::parse(url).map_err(|e| {
        format!(
            "not a valid URL: {e} (write e.g. http://prometheus:9090 or https://prom.example.com)"
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "unsupported scheme `{}` (write http:// or https://)",
            parsed.scheme()
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "the URL carries a user name or password: remove it and use `auth:` instead \
                    (auth: {basic: {username: NAME, password: {env: VARIABLE}}})"
                .into(),
        );
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host (write e.g. http://prometheus:9090)".into());
    }
    Ok(parsed)
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, the Prometheus label name syntax.
pub(crate) fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`, the Prometheus metric name syntax.
pub(crate) fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// The file being checked and its text, to locate the field at fault. The SLO rules live in
/// [`slo_check`](super::slo_check), as more methods of this type.
pub(super) struct Check<'a> {
    pub(super) file: &'a Path,
    pub(super) text: &'a str,
}

impl Check<'_> {
    pub(super) fn fail(&self, field: &FieldPath, message: impl Into<String>) -> ConfigError {
        ConfigError::invalid(self.file, self.text, field, message)
    }

    /// `keys:` remaps: known actions, keys that parse, no two actions on one key.
    fn keys(&self, config: &Config) -> Result<(), ConfigError> {
        crate::keys::KeyMap::from_config(&config.keys)
            .map(|_| ())
            .map_err(|e| {
                let mut at = FieldPath::root().key("keys").key(&e.action);
                if let Some(i) = e.index {
                    // A single key written as a string has no index in the text.
                    if config.keys.get(&e.action).is_some_and(|k| k.0.len() > 1) || i > 0 {
                        at = at.index(i);
                    }
                }
                self.fail(&at, e.message)
            })
    }

    fn refresh(&self, refresh: Duration) -> Result<(), ConfigError> {
        if refresh < Duration::from_secs(1) {
            return Err(self.fail(
                &FieldPath::root().key("refresh"),
                format!("{refresh} is too short (the minimum is 1s; 15s matches a typical scrape interval)"),
            ));
        }
        Ok(())
    }

    pub(super) fn positive(
        &self,
        field: &FieldPath,
        duration: Duration,
    ) -> Result<(), ConfigError> {
        if duration == Duration::default() {
            return Err(self.fail(field, "must be longer than 0s"));
        }
        Ok(())
    }

    pub(super) fn not_empty(&self, field: &FieldPath, value: &str) -> Result<(), ConfigError> {
        if value.trim().is_empty() {
            return Err(self.fail(field, "must not be empty"));
        }
        Ok(())
    }

    fn sources(&self, config: &Config) -> Result<(), ConfigError> {
        let sources = FieldPath::root().key("sources");
        if config.sources.is_empty() {
            return Err(self.fail(
                &sources,
                "no sources (add at least one Prometheus source, e.g. \
                 {name: local, url: \"http://127.0.0.1:9090\"})",
            ));
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, source) in config.sources.iter().enumerate() {
            let at = sources.index(i);
            self.not_empty(&at.key("name"), &source.name)?;
            if let Some(first) = seen.insert(&source.name, i) {
                return Err(self.fail(
                    &at.key("name"),
                    format!(
                        "duplicate source name `{}` (sources[{first}] has it too; names must be unique)",
                        source.name
                    ),
                ));
            }
            self.source(&at, source)?;
        }
        Ok(())
    }

    fn alerts(&self, config: &Config) -> Result<(), ConfigError> {
        let list = FieldPath::root().key("alertmanagers");
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, am) in config.alertmanagers.iter().enumerate() {
            let at = list.index(i);
            self.not_empty(&at.key("name"), &am.name)?;
            if let Some(first) = seen.insert(&am.name, i) {
                return Err(self.fail(
                    &at.key("name"),
                    format!(
                        "duplicate alertmanager name `{}` (alertmanagers[{first}] has it too; \
                         names must be unique)",
                        am.name
                    ),
                ));
            }
            if config.source(&am.name).is_some() {
                return Err(self.fail(
                    &at.key("name"),
                    format!(
                        "`{}` is already the name of a Prometheus source; alerts say where they \
                         come from by name, so give the alertmanager another one",
                        am.name
                    ),
                ));
            }
            self.source(&at, am)?;
        }
        let alerts = FieldPath::root().key("alerts");
        if let Some(refresh) = config.alerts.refresh {
            self.positive(&alerts.key("refresh"), refresh)?;
        }
        self.positive(
            &alerts.key("silence_duration"),
            config.alerts.silence_duration,
        )?;
        if config.alerts.silence_duration > Duration::from_secs(366 * 86_400) {
            return Err(self.fail(
                &alerts.key("silence_duration"),
                "at most 1y (a long silence hides real pages)",
            ));
        }
        let labels = [
            ("group_by", &config.alerts.group_by),
            ("external_labels", &config.alerts.external_labels),
        ];
        for (field, names) in labels {
            for (i, name) in names.iter().enumerate() {
                let ok = is_label_name(name) || (field == "group_by" && name == "...");
                if !ok {
                    return Err(self.fail(
                        &alerts.key(field).index(i),
                        format!("`{name}` is not a valid label name"),
                    ));
                }
            }
        }
        if let Some(author) = &config.alerts.author {
            self.not_empty(&alerts.key("author"), author)?;
        }
        Ok(())
    }

    fn source(&self, at: &FieldPath, source: &SourceConfig) -> Result<(), ConfigError> {
        check_url(&source.url).map_err(|message| self.fail(&at.key("url"), message))?;
        self.positive(&at.key("timeout"), source.timeout)?;
        if !is_label_name(&source.service_label) {
            return Err(self.fail(
                &at.key("service_label"),
                format!(
                    "`{}` is not a valid label name (letters, digits and _, not starting with a digit)",
                    source.service_label
                ),
            ));
        }
        for (name, value) in &source.headers {
            let field = at.key("headers").key(name);
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(self.fail(
                    &field,
                    format!("`{name}` is not a valid HTTP header name (e.g. X-Scope-OrgID)"),
                ));
            }
            if reqwest::header::HeaderValue::from_str(value).is_err() {
                return Err(self.fail(
                    &field,
                    "not a valid HTTP header value (it holds a line break or another control character)",
                ));
            }
        }
        match &source.auth {
            None => {}
            Some(AuthConfig::BearerToken(secret)) => {
                self.secret(&at.key("auth").key("bearer_token"), secret)?;
            }
            Some(AuthConfig::Basic { username, password }) => {
                let basic = at.key("auth").key("basic");
                self.not_empty(&basic.key("username"), username)?;
                self.secret(&basic.key("password"), password)?;
            }
        }
        if let Some(prefix) = &source.path_prefix {
            if !prefix.is_empty() && !prefix.starts_with('/') {
                return Err(self.fail(
                    &at.key("path_prefix"),
                    format!("must start with `/` (write /{prefix})"),
                ));
            }
        }
        Ok(())
    }

    fn secret(&self, at: &FieldPath, secret: &SecretSource) -> Result<(), ConfigError> {
        match secret {
            SecretSource::Env(name) => self.not_empty(&at.key("env"), name),
            SecretSource::File(path) => self.not_empty(&at.key("file"), &path.to_string_lossy()),
        }
    }

    fn source_reference(
        &self,
        config: &Config,
        field: &FieldPath,
        name: &str,
    ) -> Result<(), ConfigError> {
        if config.source(name).is_some() {
            return Ok(());
        }
        let names = config.sources.iter().map(|s| s.name.as_str());
        let message = match did_you_mean(name, names.clone()) {
            Some(best) => format!("unknown source `{name}`, did you mean `{best}`?"),
            None => format!(
                "unknown source `{name}` (the sources are {})",
                names
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Err(self.fail(field, message))
    }

    fn signals(&self, config: &Config) -> Result<(), ConfigError> {
        let signals = FieldPath::root().key("signals");
        self.positive(&signals.key("rate_window"), config.signals.rate_window)?;
        for (field, name) in [
            ("requests_metric", &config.signals.requests_metric),
            ("latency_histogram", &config.signals.latency_histogram),
        ] {
            if !is_metric_name(name) {
                return Err(self.fail(
                    &signals.key(field),
                    format!(
                        "`{name}` is not a valid metric name (letters, digits, _ and :, not \
                         starting with a digit, e.g. http_requests_total)"
                    ),
                ));
            }
        }
        for (i, quantile) in config.signals.quantiles.iter().enumerate() {
            if !(*quantile > 0.0 && *quantile < 1.0) {
                return Err(self.fail(
                    &signals.key("quantiles").index(i),
                    format!(
                        "quantile {quantile} is out of range (a quantile is strictly between 0 \
                         and 1, e.g. 0.99)"
                    ),
                ));
            }
        }
        self.saturation(&signals.key("saturation"), &config.signals.saturation)
    }

    fn saturation(&self, at: &FieldPath, gauges: &[SaturationConfig]) -> Result<(), ConfigError> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, gauge) in gauges.iter().enumerate() {
            let field = at.index(i);
            self.not_empty(&field.key("name"), &gauge.name)?;
            if let Some(first) = seen.insert(&gauge.name, i) {
                return Err(self.fail(
                    &field.key("name"),
                    format!(
                        "duplicate gauge name `{}` ({at}[{first}] has it too)",
                        gauge.name
                    ),
                ));
            }
            let name = &gauge.name;
            let problem = match (&gauge.query, &gauge.used, &gauge.max) {
                (Some(_), None, None) | (None, Some(_), Some(_)) => None,
                (None, None, None) => Some(format!(
                    "gauge `{name}` needs either `query` or both `used` and `max`"
                )),
                (Some(_), _, _) => Some(format!(
                    "gauge `{name}` has both `query` and `used`/`max` (use one form)"
                )),
                (None, Some(_), None) => Some(format!(
                    "gauge `{name}` has `used` but no `max` (give both, or a `query`)"
                )),
                (None, None, Some(_)) => Some(format!(
                    "gauge `{name}` has `max` but no `used` (give both, or a `query`)"
                )),
            };
            if let Some(problem) = problem {
                return Err(self.fail(&field, problem));
            }
        }
        Ok(())
    }

    fn thresholds(&self, at: &FieldPath, thresholds: &Thresholds) -> Result<(), ConfigError> {
        self.level(&at.key("errors"), &thresholds.errors)?;
        self.level(&at.key("latency"), &thresholds.latency)?;
        self.level(&at.key("saturation"), &thresholds.saturation)?;
        if let Some(traffic) = &thresholds.traffic {
            self.low_level(&at.key("traffic"), traffic)?;
        }
        Ok(())
    }

    fn overrides(&self, at: &FieldPath, overrides: &ThresholdOverrides) -> Result<(), ConfigError> {
        for (name, level) in [
            ("errors", &overrides.errors),
            ("latency", &overrides.latency),
            ("saturation", &overrides.saturation),
        ] {
            if let Some(level) = level {
                self.level(&at.key(name), level)?;
            }
        }
        if let Some(traffic) = &overrides.traffic {
            self.low_level(&at.key("traffic"), traffic)?;
        }
        Ok(())
    }

    fn number(&self, at: &FieldPath, value: f64) -> Result<(), ConfigError> {
        if value.is_nan() {
            return Err(self.fail(at, "NaN is not a threshold (write a number)"));
        }
        Ok(())
    }

    fn level(&self, at: &FieldPath, level: &Level) -> Result<(), ConfigError> {
        self.number(&at.key("warn"), level.warn)?;
        self.number(&at.key("crit"), level.crit)?;
        if level.warn > level.crit {
            return Err(self.fail(
                at,
                format!(
                    "warn {} is greater than crit {} (make warn <= crit: a value turns yellow at \
                     warn, red at crit)",
                    level.warn, level.crit
                ),
            ));
        }
        Ok(())
    }

    fn low_level(&self, at: &FieldPath, level: &LowLevel) -> Result<(), ConfigError> {
        self.number(&at.key("warn_below"), level.warn_below)?;
        self.number(&at.key("crit_below"), level.crit_below)?;
        if level.warn_below < level.crit_below {
            return Err(self.fail(
                at,
                format!(
                    "warn_below {} is less than crit_below {} (make warn_below >= crit_below: \
                     traffic turns yellow below warn_below, red below crit_below)",
                    level.warn_below, level.crit_below
                ),
            ));
        }
        Ok(())
    }

    fn services(&self, config: &Config) -> Result<(), ConfigError> {
        let services = FieldPath::root().key("services");
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, service) in config.services.iter().enumerate() {
            let at = services.index(i);
            self.not_empty(&at.key("name"), &service.name)?;
            if let Some(first) = seen.insert(&service.name, i) {
                let line = super::position::locate(self.text, &services.index(first)).line;
                return Err(self.fail(
                    &at.key("name"),
                    format!(
                        "duplicate service name `{}` (services[{first}] on line {line} has it too; \
                         to show one service from two sources, give them different names and the \
                         same label_value)",
                        service.name
                    ),
                ));
            }
            if let Some(source) = &service.source {
                self.source_reference(config, &at.key("source"), source)?;
            }
            if let Some(label_value) = &service.label_value {
                self.not_empty(&at.key("label_value"), label_value)?;
            }
            self.overrides(&at.key("thresholds"), &service.thresholds)?;
            if let Some(saturation) = &service.saturation {
                self.saturation(&at.key("saturation"), saturation)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_url("http://127.0.0.1:9090").is_ok());
        assert!(check_url("https://prom.example.com/prometheus").is_ok());
        assert!(check_url("prometheus:9090").is_err());
        assert!(check_url("ftp://x")
            .expect_err("must be rejected")
            .contains("scheme `ftp`"));
        let err = check_url("https://me:hunter2@prom").expect_err("must be rejected");
        assert!(err.contains("auth:") && !err.contains("hunter2"), "{err}");
        assert!(check_url("https://me@prom").is_err());
        assert!(check_url("localhost:9090")
            .expect_err("must be rejected")
            .contains("missing http://"));
    }

    #[test]
    fn label_names() {
        assert!(is_label_name("service"));
        assert!(is_label_name("_app_2"));
        assert!(!is_label_name("2app"));
        assert!(!is_label_name("app-name"));
        assert!(!is_label_name(""));
    }
}
