//! Configuration: schema, loading, validation.
//!
//! ```text
//!  locate(--config) ─▶ load(path) ─▶ parse(text) = deserialize ─▶ expand ${VAR} ─▶ resolve paths ─▶ validate ─▶ import SLOs
//!                                                                                                                 │
//!                      SourceConfig::client_options() ◀── secrets read here ──────────────────────────────────────┘
//! ```
//!
//! Imported SLOs are merged into `services[].slos` (a service named by an import and not
//! configured is appended), so the rest of the program sees one config. What an import cannot
//! carry over is skipped and reported by [`warnings`].
//!
//! Every error is a [`ConfigError`] whose `Display` is the whole message for the user, e.g.
//! `config.yaml:12:7: services[1].thresholds.errors.warn: invalid type: string "high", expected f64`.
pub mod duration;
pub mod oncall;
pub mod schema;
pub mod slo;

mod client;
mod discover;
mod effective;
mod error;
// Public for the fuzz tests and targets (`tests/fuzz.rs`, `fuzz/`).
#[doc(hidden)]
pub mod expand;
mod import;
mod position;
mod slo_check;
mod validate;

pub use client::warnings;
pub use discover::{default_path, locate, locate_in, minimal, source_access_yaml, CONFIG_ENV};
pub use duration::Duration;
pub use effective::{builtin_alert_window_set, has_window_placeholder, BUILTIN_ALERT_WINDOW_SETS};
pub use error::{did_you_mean, ConfigError};
pub use schema::*;
pub use slo::*;
pub use validate::{check_url, validate};

use std::path::{Path, PathBuf};

use position::FieldPath;

/// Reads, parses and validates the config file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| ConfigError::Io {
        path: path.to_path_buf(),
        reason: format!("cannot read the config file: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ConfigError::Io {
        path: path.to_path_buf(),
        reason: format!(
            "the config file is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    parse(&text, path)
}

/// Parses and validates config text; `path` only names the file in messages and anchors
/// relative `ca_file`, secret `file` and `imports[].path` paths (to the file's directory).
/// `${VAR}` in `sources[].url` and `sources[].headers` is expanded from the process
/// environment. The files named by `imports` are read here.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    parse_with_env(text, path, &|name| std::env::var(name).ok())
}

/// [`parse`] with the environment given as a function, for tests and fuzzers.
pub fn parse_with_env(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let deserializer = serde_yaml::Deserializer::from_str(text);
    let mut config: Config = serde_path_to_error::deserialize(deserializer)
        .map_err(|e| ConfigError::from_serde(path, text, e))?;
    expand_variables(&mut config, text, path, env)?;
    resolve_paths(&mut config, path.parent(), env("HOME").as_deref());
    validate(&config, text, path)?;
    import::resolve(&mut config, text, path)?;
    Ok(config)
}

fn expand_variables(
    config: &mut Config,
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    let sources = config
        .sources
        .iter_mut()
        .enumerate()
        .map(|(i, s)| ("sources", i, s));
    let alertmanagers = config
        .alertmanagers
        .iter_mut()
        .enumerate()
        .map(|(i, s)| ("alertmanagers", i, s));
    for (list, i, source) in sources.chain(alertmanagers) {
        let at = FieldPath::root().key(list).index(i);
        source.url = expand::expand(&source.url, env)
            .map_err(|message| ConfigError::invalid(path, text, &at.key("url"), message))?;
        for (name, value) in source.headers.iter_mut() {
            if is_credential_header(name) && !value.contains('$') {
                config
                    .literal_credentials
                    .push(at.key("headers").key(name).to_string());
            }
            *value = expand::expand(value, env).map_err(|message| {
                ConfigError::invalid(path, text, &at.key("headers").key(name), message)
            })?;
        }
    }
    Ok(())
}

/// Whether a header's value is a credential by its name: `Authorization`, `Cookie`, API keys,
/// tokens, secrets, passwords.
pub fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie"
    ) || [
        "token", "secret", "password", "passwd", "api-key", "apikey", "api_key", "auth",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// `~/x` becomes `$HOME/x`; a relative path is taken from the config file's directory.
fn resolve_paths(config: &mut Config, base: Option<&Path>, home: Option<&str>) {
    let resolve = |path: &mut PathBuf| {
        if let (Ok(rest), Some(home)) = (path.strip_prefix("~"), home) {
            *path = Path::new(home).join(rest);
        } else if let Some(base) = base.filter(|b| !b.as_os_str().is_empty()) {
            if path.is_relative() && !path.as_os_str().is_empty() {
                *path = base.join(&*path);
            }
        }
    };
    for source in config.sources.iter_mut().chain(&mut config.alertmanagers) {
        if let Some(ca_file) = &mut source.ca_file {
            resolve(ca_file);
        }
        match &mut source.auth {
            Some(AuthConfig::BearerToken(SecretSource::File(file)))
            | Some(AuthConfig::Basic {
                password: SecretSource::File(file),
                ..
            }) => resolve(file),
            _ => {}
        }
    }
    for import in &mut config.imports {
        resolve(&mut import.path);
    }
    if let Some(dir) = &mut config.handoff.dir {
        resolve(dir);
    }
}

impl Config {
    /// The source named `name`.
    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|source| source.name == name)
    }

    /// The source used by services that name none: `context`, or else the first source
    /// (`default` for a configuration without sources, which validation rejects).
    pub fn current_context(&self) -> &str {
        match &self.context {
            Some(context) => context,
            None => self
                .sources
                .first()
                .map_or("default", |source| source.name.as_str()),
        }
    }

    /// The source a service is read from: its own `source`, or the current context.
    pub fn source_of(&self, service: &ServiceConfig) -> Option<&SourceConfig> {
        self.source(service.source.as_deref().unwrap_or(self.current_context()))
    }

    /// Takes what discovery found (`found`, a config written by discovery for one source)
    /// into this config: the services, the metrics their queries use, and the label that
    /// tells them apart, set on the current source. Everything else stays: the source's URL,
    /// auth, headers and TLS options, the signals' extra `selector`, rate window and
    /// quantiles, alerting, SLOs, handoff.
    pub fn adopt_discovered(&mut self, found: Config) {
        let label = found.sources.first().map(|s| s.service_label.clone());
        self.services = found.services;
        // The metric names are discovery's; the extra selector, rate window and quantiles are
        // the user's (defaults when no file set them).
        let mut signals = found.signals;
        signals.selector = self.signals.selector.take();
        signals.rate_window = self.signals.rate_window;
        signals.quantiles = std::mem::take(&mut self.signals.quantiles);
        self.signals = signals;
        let current = self.current_context().to_owned();
        if let (Some(label), Some(source)) =
            (label, self.sources.iter_mut().find(|s| s.name == current))
        {
            source.service_label = label;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn adopting_a_discovery_keeps_the_users_choices() {
        let mine = "sources:\n- {name: prod, url: 'http://p:1', timeout: 9s}\nsignals:\n  selector: env=\"prod\"\n  quantiles: [0.9]\nalertmanagers:\n- {name: am, url: 'http://a:1'}\n";
        let mut config = parse_with_env(mine, Path::new("c.yaml"), &no_env).expect("valid");
        let found = "sources:\n- {name: default, url: 'http://p:1', service_label: job}\nsignals:\n  requests_metric: grpc_server_handled_total\nservices:\n- {name: api}\n";
        let found = parse_with_env(found, Path::new("d.yaml"), &no_env).expect("valid");
        config.adopt_discovered(found);
        assert_eq!(config.services.len(), 1);
        assert_eq!(config.signals.requests_metric, "grpc_server_handled_total");
        assert_eq!(config.signals.selector.as_deref(), Some("env=\"prod\""));
        assert_eq!(config.signals.quantiles, [0.9]);
        let source = &config.sources[0];
        assert_eq!(
            (source.name.as_str(), source.service_label.as_str()),
            ("prod", "job")
        );
        assert_eq!(source.timeout, Duration::from_secs(9));
        assert_eq!(config.alertmanagers.len(), 1);
    }

    #[test]
    fn source_access_yaml_loads_back_as_the_same_options() {
        let mut source = minimal("https://p:9090").sources.remove(0);
        source.path_prefix = Some("/prometheus".into());
        source.auth = Some(AuthConfig::Basic {
            username: "it's me".into(),
            password: SecretSource::File("/run/pw file".into()),
        });
        source.ca_file = Some("/etc/ssl/ca.pem".into());
        source.insecure_skip_verify = true;
        source
            .headers
            .insert("X-Scope-OrgID".into(), "tenant-$1".into());
        source
            .headers
            .insert("Authorization".into(), "Bearer s3cr3t".into());
        let (yaml, notes) = source_access_yaml(&source, true);
        assert!(!yaml.contains("s3cr3t"), "{yaml}");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("Authorization"), "{notes:?}");
        // Headers read from a config file (expanded from ${VAR}) are never written out.
        let (from_file, notes) = source_access_yaml(&source, false);
        assert!(!from_file.contains("tenant-"), "{from_file}");
        assert_eq!(notes.len(), 2, "{notes:?}");
        let text = format!("sources:\n  - name: default\n    url: https://p:9090\n{yaml}");
        let config = parse_with_env(&text, Path::new("c.yaml"), &no_env).expect(&text);
        let back = &config.sources[0];
        assert_eq!(back.path_prefix, source.path_prefix);
        assert_eq!(back.auth, source.auth);
        assert_eq!(back.ca_file, source.ca_file);
        assert!(back.insecure_skip_verify);
        assert_eq!(back.timeout, source.timeout);
        assert_eq!(
            back.headers.get("X-Scope-OrgID").map(String::as_str),
            Some("tenant-$1"),
            "a literal $ survives expansion"
        );
        assert!(!back.headers.contains_key("Authorization"));

        source.auth = Some(AuthConfig::BearerToken(SecretSource::Env(
            "PROM_TOKEN".into(),
        )));
        let (yaml, _) = source_access_yaml(&source, true);
        let text = format!("sources:\n  - name: default\n    url: https://p:9090\n{yaml}");
        let config = parse_with_env(&text, Path::new("c.yaml"), &no_env).expect(&text);
        assert_eq!(config.sources[0].auth, source.auth);
    }

    #[test]
    fn minimal_config_has_one_default_source() {
        let config = minimal("http://localhost:9090");
        assert_eq!(config.current_context(), "default");
        assert!(config.services.is_empty());
        assert_eq!(config.refresh, Duration::from_secs(15));
        assert!(validate(&config, "", Path::new("-")).is_ok());
    }

    #[test]
    fn accessors() {
        let text = "context: b\nsources:\n- {name: a, url: 'http://a:1'}\n- {name: b, url: 'http://b:1'}\nservices:\n- {name: x}\n- {name: y, source: a}\n";
        let config = parse_with_env(text, Path::new("c.yaml"), &no_env).expect("valid");
        assert_eq!(config.current_context(), "b");
        assert_eq!(
            config.source("a").map(|s| s.url.as_str()),
            Some("http://a:1")
        );
        assert!(config.source("c").is_none());
        assert_eq!(
            config
                .source_of(&config.services[0])
                .map(|s| s.name.as_str()),
            Some("b")
        );
        assert_eq!(
            config
                .source_of(&config.services[1])
                .map(|s| s.name.as_str()),
            Some("a")
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        // (libyaml itself is quadratic in the depth of flow collections: keep it small.)
        let flow = format!("sources: {}", "[".repeat(2_000));
        let err = parse_with_env(&flow, Path::new("c.yaml"), &no_env).expect_err("too deep");
        assert!(
            err.to_string().starts_with("c.yaml:1:11: sources[0]: "),
            "{err}"
        );
        let block = format!("sources:\n{}", "- ".repeat(50_000));
        let err = parse_with_env(&block, Path::new("c.yaml"), &no_env).expect_err("too deep");
        assert!(
            err.to_string().starts_with("c.yaml:2:3: sources[0]: "),
            "{err}"
        );
    }

    #[test]
    fn relative_and_home_paths_are_resolved() {
        let text = "sources:\n- name: a\n  url: http://a:1\n  ca_file: certs/ca.pem\n  auth:\n    bearer_token:\n      file: ~/token\n";
        let env = |name: &str| (name == "HOME").then(|| "/home/me".to_owned());
        let config =
            parse_with_env(text, Path::new("/etc/sretop/config.yaml"), &env).expect("valid");
        let source = &config.sources[0];
        assert_eq!(
            source.ca_file.as_deref(),
            Some(Path::new("/etc/sretop/certs/ca.pem"))
        );
        assert_eq!(
            source.auth,
            Some(AuthConfig::BearerToken(SecretSource::File(
                "/home/me/token".into()
            )))
        );
    }
}
