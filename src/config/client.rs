//! From a [`SourceConfig`] to the Prometheus client's options: secrets are read here, from
//! their variable or file, and only here. Plus the warnings about risky settings.

use std::path::Path;

use super::error::ConfigError;
use super::schema::{AuthConfig, Config, SecretSource, SourceConfig};
use super::validate::check_url;
use crate::prom::{Auth, ClientOptions, Secret};

impl SourceConfig {
    /// The options to build this source's Prometheus client with: the URL parsed (it was
    /// `${VAR}`-expanded by [`parse`](super::parse)), the secret read from its variable or file,
    /// the CA file read. Errors name the variable or file, never the secret.
    pub fn client_options(&self) -> Result<ClientOptions, ConfigError> {
        let url = check_url(&self.url).map_err(|message| ConfigError::Source {
            source_name: self.name.clone(),
            field: "url".into(),
            message,
        })?;
        let mut options = ClientOptions::new(self.name.clone(), url);
        options.path_prefix = self.path_prefix.clone().filter(|p| !p.is_empty());
        options.timeout = self.timeout.std();
        options.slow_timeout = self.slow_timeout.std();
        options.auth = match &self.auth {
            None => None,
            Some(AuthConfig::BearerToken(secret)) => {
                Some(Auth::Bearer(self.read_secret("auth.bearer_token", secret)?))
            }
            Some(AuthConfig::Basic { username, password }) => Some(Auth::Basic {
                username: username.clone(),
                password: self.read_secret("auth.basic.password", password)?,
            }),
        };
        options.headers = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        options.ca_pem = match &self.ca_file {
            None => None,
            Some(path) => Some(std::fs::read(path).map_err(|e| ConfigError::Io {
                path: path.clone(),
                reason: format!("cannot read the CA file of source `{}`: {e}", self.name),
            })?),
        };
        options.insecure_skip_verify = self.insecure_skip_verify;
        Ok(options)
    }

    fn read_secret(&self, field: &str, secret: &SecretSource) -> Result<Secret, ConfigError> {
        let fail = |field: String, message: String| ConfigError::Secret {
            source_name: self.name.clone(),
            field,
            message,
        };
        match secret {
            SecretSource::Env(name) => {
                let field = format!("{field}.env");
                match std::env::var(name) {
                    Ok(value) if value.trim().is_empty() => Err(fail(
                        field,
                        format!("environment variable `{name}` is empty"),
                    )),
                    Ok(value) => Ok(Secret::new(value)),
                    Err(std::env::VarError::NotPresent) => Err(fail(
                        field,
                        format!(
                            "environment variable `{name}` is not set (export it before starting sretop)"
                        ),
                    )),
                    Err(std::env::VarError::NotUnicode(_)) => Err(fail(
                        field,
                        format!("environment variable `{name}` is not valid UTF-8"),
                    )),
                }
            }
            SecretSource::File(path) => {
                let field = format!("{field}.file");
                let bytes = std::fs::read(path).map_err(|e| {
                    fail(
                        field.clone(),
                        format!("cannot read secret file {}: {e}", path.display()),
                    )
                })?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    fail(
                        field.clone(),
                        format!("secret file {} is not UTF-8 text", path.display()),
                    )
                })?;
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    return Err(fail(
                        field,
                        format!("secret file {} is empty", path.display()),
                    ));
                }
                Ok(Secret::new(trimmed.to_owned()))
            }
        }
    }
}

/// Risky but allowed settings, one message each, to show at start-up: insecure sources, what
/// the SLO imports skipped, SLOs whose budget or alert conditions cannot work as meant. `path`
/// is the config file the messages name.
pub fn warnings(config: &Config, path: &Path) -> Vec<String> {
    let file = path.display();
    let mut out = Vec::new();
    let sources = config
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| ("sources", i, s));
    let alertmanagers =
        (config.alertmanagers.iter().enumerate()).map(|(i, s)| ("alertmanagers", i, s));
    for (list, i, source) in sources.chain(alertmanagers) {
        let at = format!("{list}[{i}]");
        let name = &source.name;
        if source.insecure_skip_verify {
            out.push(format!(
                "{file}: {at}.insecure_skip_verify: TLS certificate verification is off for source \
                 `{name}`: anyone on the network path can read and change its answers (set \
                 ca_file instead)"
            ));
        }
        let secrets = match &source.auth {
            None => vec![],
            Some(AuthConfig::BearerToken(secret)) => vec![("auth.bearer_token", secret)],
            Some(AuthConfig::Basic { password, .. }) => vec![("auth.basic.password", password)],
        };
        for (field, secret) in secrets {
            if let SecretSource::File(secret_path) = secret {
                if is_world_readable(secret_path) {
                    out.push(format!(
                        "{file}: {at}.{field}.file: secret file {} is readable by every user \
                         on this machine (chmod 600 {})",
                        secret_path.display(),
                        secret_path.display()
                    ));
                }
            }
        }
        if source.auth.is_some() {
            if let Ok(url) = url::Url::parse(&source.url) {
                if url.scheme() == "http" && !is_loopback(&url) {
                    out.push(format!(
                        "{file}: {at}.url: source `{name}` sends its credentials over plain \
                         http (use https://)"
                    ));
                }
            }
        }
    }
    if is_world_readable(path) {
        for field in &config.literal_credentials {
            out.push(format!(
                "{file}: {field}: the config file {file} holds a credential and is readable by \
                 every user on this machine (chmod 600 {file}, or write the value as ${{VARIABLE}} \
                 and set it in the environment)"
            ));
        }
    }
    out.extend(config.import_warnings.iter().cloned());
    out.extend(super::slo_check::slo_warnings(config, path));
    out
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(unix)]
fn is_world_readable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o004 != 0)
}

#[cfg(not(unix))]
fn is_world_readable(_path: &Path) -> bool {
    false
}
