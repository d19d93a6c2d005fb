//! Which config file to read, and the built-in configuration used when there is none.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::schema::{
    default_range, default_ranges, default_refresh, default_service_label, default_slow_timeout,
    default_timeout, AuthConfig, Config, SecretSource, SignalDefaults, SourceConfig, Thresholds,
    TimeZoneChoice,
};

/// The environment variable naming the config file.
pub const CONFIG_ENV: &str = "SRETOP_CONFIG";

/// Finds the config file: the `--config` path (which must exist), else `$SRETOP_CONFIG`
/// (which must exist too), else `$XDG_CONFIG_HOME/sretop/config.yaml` (by default
/// `~/.config/sretop/config.yaml`) if it exists, else `None`.
pub fn locate(cli: Option<&Path>) -> Result<Option<PathBuf>, ConfigError> {
    let from_env = std::env::var_os(CONFIG_ENV)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from);
    locate_in(cli, from_env.as_deref(), default_path().as_deref())
}

/// The conventional place of the config file, whether or not it exists:
/// `$XDG_CONFIG_HOME/sretop/config.yaml`, by default `~/.config/sretop/config.yaml`.
pub fn default_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().ok()?;
    Some(strategy.config_dir().join("sretop").join("config.yaml"))
}

/// [`locate`] with its inputs given.
pub fn locate_in(
    cli: Option<&Path>,
    from_env: Option<&Path>,
    default: Option<&Path>,
) -> Result<Option<PathBuf>, ConfigError> {
    if let Some(path) = cli {
        return must_be_file(path, "given with --config").map(Some);
    }
    if let Some(path) = from_env {
        return must_be_file(path, &format!("named by ${CONFIG_ENV}")).map(Some);
    }
    Ok(default.filter(|path| path.is_file()).map(Path::to_path_buf))
}

fn must_be_file(path: &Path, how: &str) -> Result<PathBuf, ConfigError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(path.to_path_buf()),
        Ok(_) => Err(ConfigError::Io {
            path: path.to_path_buf(),
            reason: format!("the config file {how} is not a regular file"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ConfigError::Io {
            path: path.to_path_buf(),
            reason: format!(
                "the config file {how} does not exist (see config.example.yaml for one to start from)"
            ),
        }),
        Err(e) => Err(ConfigError::Io {
            path: path.to_path_buf(),
            reason: format!("cannot read the config file {how}: {e}"),
        }),
    }
}

/// The configuration used when there is no file but a `--prometheus URL`: one source named
/// `default` and no services. The URL is checked when the client is
/// built ([`SourceConfig::client_options`]).
pub fn minimal(url: &str) -> Config {
    Config {
        refresh: default_refresh(),
        range: default_range(),
        ranges: default_ranges(),
        time_zone: TimeZoneChoice::default(),
        context: None,
        sources: vec![SourceConfig {
            name: "default".into(),
            url: url.to_owned(),
            path_prefix: None,
            timeout: default_timeout(),
            slow_timeout: default_slow_timeout(),
            auth: None,
            headers: BTreeMap::new(),
            ca_file: None,
            insecure_skip_verify: false,
            service_label: default_service_label(),
        }],
        signals: SignalDefaults::default(),
        thresholds: Thresholds::default(),
        services: Vec::new(),
        alert_windows: Default::default(),
        policy: Default::default(),
        slo_defaults: Default::default(),
        imports: Vec::new(),
        import_warnings: Vec::new(),
        literal_credentials: Vec::new(),
        alertmanagers: Vec::new(),
        alerts: Default::default(),
        read_only: false,
        theme: None,
        colors: None,
        oncall: None,
        handoff: Default::default(),
        keys: Default::default(),
        mouse: false,
    }
}

/// The keys of `source` that say how it is reached (timeout, path prefix, auth, headers, CA,
/// TLS verification), as YAML lines indented for a source entry: what `config init` writes
/// after the URL. Secrets are references (`{file: …}`, `{env: …}`), never values. Header
/// values are written only when `header_values` (they came from `--header`): a config file's
/// were expanded from `${VAR}` when it was read, and may hold a secret under any name; then,
/// and for a credential header always, the header is left out and named in the notes.
pub fn source_access_yaml(source: &SourceConfig, header_values: bool) -> (String, Vec<String>) {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let secret = |s: &SecretSource| match s {
        SecretSource::Env(name) => format!("{{env: {}}}", quote(name)),
        SecretSource::File(path) => format!("{{file: {}}}", quote(&path.display().to_string())),
    };
    let mut out = format!(
        "    # How long a request may take before the source is shown as down.\n    timeout: {}\n",
        source.timeout
    );
    let mut notes = Vec::new();
    if let Some(prefix) = &source.path_prefix {
        out.push_str(&format!("    path_prefix: {}\n", quote(prefix)));
    }
    match &source.auth {
        Some(AuthConfig::BearerToken(token)) => {
            out.push_str(&format!(
                "    auth:\n      bearer_token: {}\n",
                secret(token)
            ));
        }
        Some(AuthConfig::Basic { username, password }) => out.push_str(&format!(
            "    auth:\n      basic: {{username: {}, password: {}}}\n",
            quote(username),
            secret(password)
        )),
        None => {}
    }
    let mut headers = String::new();
    for (name, value) in &source.headers {
        if super::is_credential_header(name) || !header_values {
            notes.push(format!(
                "header {name} is not written (its value may be a credential): add it under \
                 sources[0].headers, as `{name}: ${{VAR}}` if it is one"
            ));
        } else {
            // `$` would start a ${VAR} expansion when the file is read.
            headers.push_str(&format!(
                "      {}: {}\n",
                quote(name),
                quote(&value.replace('$', "$$"))
            ));
        }
    }
    if !headers.is_empty() {
        out.push_str("    headers:\n");
        out.push_str(&headers);
    }
    if let Some(ca) = &source.ca_file {
        out.push_str(&format!(
            "    ca_file: {}\n",
            quote(&ca.display().to_string())
        ));
    }
    if source.insecure_skip_verify {
        out.push_str("    # Certificates are not checked: remove this once ca_file is set.\n");
        out.push_str("    insecure_skip_verify: true\n");
    }
    (out, notes)
}
