//! Command-line interface.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

/// A terminal dashboard for on-call engineers: the four golden signals of every service,
/// live from Prometheus.
#[derive(Debug, Parser)]
#[command(name = "sretop", version, about, long_about = None)]
pub struct Cli {
    /// Config file [default: $SRETOP_CONFIG, then $XDG_CONFIG_HOME/sretop/config.yaml].
    #[arg(long, short = 'c', global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Source (context) to use for services that do not name one.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// Override the selected source's URL. Without a config file, the services are discovered
    /// from its metrics (request counters, duration histograms, saturation gauges).
    #[arg(long, global = true, value_name = "URL")]
    pub prometheus: Option<String>,

    /// When discovering services (no config file, or `config init`): the label that tells
    /// them apart [default: `service` where the request metrics carry it, else `job`].
    #[arg(long, global = true, value_name = "LABEL", value_parser = parse_label_name)]
    pub service_label: Option<String>,

    /// Bearer token for the selected source (the one --prometheus sets), read from this file:
    /// a secret is never given on the command line.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        conflicts_with = "basic_auth_user"
    )]
    pub bearer_token_file: Option<PathBuf>,

    /// HTTP basic auth user for the selected source; the password is read from
    /// --password-file.
    #[arg(long, global = true, value_name = "NAME", requires = "password_file")]
    pub basic_auth_user: Option<String>,

    /// The file holding the --basic-auth-user's password.
    #[arg(long, global = true, value_name = "PATH", requires = "basic_auth_user")]
    pub password_file: Option<PathBuf>,

    /// PEM file with the CA certificate(s) that sign the selected source's certificate.
    #[arg(long, global = true, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,

    /// A header sent to the selected source, e.g. `X-Scope-OrgID: tenant-1` for Mimir or
    /// Cortex (repeatable). Credentials are refused here: use --bearer-token-file.
    // Checked by `apply_overrides`, not clap: clap's errors echo the value, a credential here.
    #[arg(long = "header", global = true, value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Use this Alertmanager (API v2) instead of the configured ones.
    #[arg(long, global = true, value_name = "URL")]
    pub alertmanager: Option<String>,

    /// No colours (also when $NO_COLOR is set).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Only ASCII characters: no braille, block or box-drawing glyphs (also when the locale
    /// is set and not UTF-8).
    #[arg(long, global = true)]
    pub ascii: bool,

    /// Colour scheme: dark (for a dark terminal background) or light [default: the config's
    /// `theme:`, else dark].
    #[arg(long, global = true, value_enum, value_name = "THEME")]
    pub theme: Option<crate::ui::palette::ThemeName>,

    /// Colours the terminal shows: 16, 256 or truecolor [default: the config's `colors:`, else
    /// from $COLORTERM and $TERM].
    #[arg(long, global = true, value_enum, value_name = "N")]
    pub colors: Option<crate::ui::palette::ColorDepth>,

    /// Refuse every write (creating or expiring silences); the keys are hidden.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Capture the mouse: the wheel scrolls lists, a click selects a row, a second click opens
    /// it (like `mouse: true` in the config). The terminal cannot select text meanwhile.
    #[arg(long, global = true)]
    pub mouse: bool,

    /// Log file [default: $XDG_STATE_HOME/sretop/sretop.log].
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Log level filter (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,

    /// Debug logging: the same as `--log-level debug` (secrets are never logged).
    #[arg(long, global = true, conflicts_with = "log_level")]
    pub debug: bool,

    /// Panic right after the terminal is set up (tests the restore path).
    #[arg(long, hide = true)]
    pub debug_panic: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll once and print one rendered frame (no terminal needed).
    Snapshot(SnapshotArgs),
    /// Check the config file and print what would be queried.
    Check,
    /// Print the error-budget report and gate deploys: exit 0 when the policy allows
    /// deploys, 1 when it does not (red or exhausted), 2 when it cannot tell (no data,
    /// Prometheus unreachable, bad config).
    Budget(BudgetArgs),
    /// Shift handoff notes: write one (prefilled from live data), read, list, acknowledge.
    Handoff(HandoffArgs),
    /// Write a config file: `sretop config init` discovers the services of --prometheus (or of
    /// the configured source) and prints a commented config for them.
    Config(ConfigArgs),
    /// Print a shell completion script (e.g. `sretop completions bash > /etc/bash_completion.d/sretop`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `sretop man | gzip > /usr/local/share/man/man1/sretop.1.gz`.
    Man,
}

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Discover the services of the --prometheus server (or the configured source) from
    /// conventional metric names and write them out as a commented config file to edit.
    Init {
        /// Write to this file instead of standard output (atomically; an existing file is
        /// kept unless --force).
        #[arg(long, short = 'o', value_name = "PATH")]
        output: Option<PathBuf>,
        /// Replace the --output file if it exists.
        #[arg(long, requires = "output")]
        force: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct HandoffArgs {
    #[command(subcommand)]
    pub command: HandoffCommand,
}

#[derive(Debug, Subcommand)]
pub enum HandoffCommand {
    /// Write a new handoff: prefilled from the alerts, SLOs and silences of this moment and
    /// the previous note, edited in $VISUAL / $EDITOR (default vi), then saved. An unsaved
    /// draft from an earlier run (a dropped link, a crash) is continued.
    New {
        /// Start from live data even if an unsaved draft exists (the draft is replaced).
        #[arg(long)]
        fresh: bool,
        /// Save the prefilled note without opening an editor.
        #[arg(long)]
        no_edit: bool,
        /// Author [default: $USER].
        #[arg(long)]
        author: Option<String>,
    },
    /// Print a note [default: the latest].
    Show {
        id: Option<String>,
        /// text: the note file as stored; markdown: ready to paste into a chat or a ticket.
        #[arg(long, value_enum, default_value_t = NoteFormat::Text)]
        format: NoteFormat,
    },
    /// List the notes, newest first.
    List,
    /// Acknowledge a note [default: the latest] as the incoming engineer.
    Ack {
        id: Option<String>,
        /// Who acknowledges [default: $USER].
        #[arg(long = "as")]
        who: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NoteFormat {
    Text,
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct BudgetArgs {
    /// Only this service's SLOs.
    #[arg(long)]
    pub service: Option<String>,
    /// Only SLOs with this name.
    #[arg(long)]
    pub slo: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// View to render: overview, service, slos, slo, alerts, alert or silences.
    #[arg(long, default_value = "overview")]
    pub view: String,
    /// Service to show in the service view [default: the first].
    #[arg(long)]
    pub service: Option<String>,
    /// SLO to show in the slo view, as SERVICE/NAME [default: the first].
    #[arg(long)]
    pub slo: Option<String>,
    /// Width in columns (20 to 1000).
    #[arg(long, default_value_t = 160, value_parser = clap::value_parser!(u16).range(20..=1000))]
    pub width: u16,
    /// Height in rows (5 to 1000).
    #[arg(long, default_value_t = 48, value_parser = clap::value_parser!(u16).range(5..=1000))]
    pub height: u16,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Alerts view: a filter line, e.g. `@firing severity=critical`.
    #[arg(long)]
    pub filter: Option<String>,
    /// Alert view: the alert to open, by alertname [default: the first listed].
    #[arg(long)]
    pub alert: Option<String>,
    /// Time range (e.g. 15m, 6h) [default: the config's range].
    #[arg(long)]
    pub range: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Svg,
}

/// What the command line overrides in the config.
#[derive(Debug, Default, Clone, Copy)]
pub struct Overrides<'a> {
    pub context: Option<&'a str>,
    pub prometheus: Option<&'a str>,
    pub alertmanager: Option<&'a str>,
    pub read_only: bool,
    /// How the selected source is reached: credentials from files, CA, headers.
    pub access: SourceAccess<'a>,
}

/// `--bearer-token-file`, `--basic-auth-user` with `--password-file`, `--ca-file` and
/// `--header`: set on the selected source, over what the config says.
#[derive(Debug, Default, Clone, Copy)]
pub struct SourceAccess<'a> {
    pub bearer_token_file: Option<&'a Path>,
    pub basic_auth: Option<(&'a str, &'a Path)>,
    pub ca_file: Option<&'a Path>,
    /// `NAME: VALUE` as given, checked by [`parse_header`] when applied.
    pub headers: &'a [String],
}

impl SourceAccess<'_> {
    fn is_empty(&self) -> bool {
        self.bearer_token_file.is_none()
            && self.basic_auth.is_none()
            && self.ca_file.is_none()
            && self.headers.is_empty()
    }

    fn apply(&self, source: &mut crate::config::SourceConfig) -> Result<(), String> {
        use crate::config::{AuthConfig, SecretSource};
        // Absolute, so that `config init` writes paths that still hold from the file's folder.
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        if let Some(path) = self.bearer_token_file {
            source.auth = Some(AuthConfig::BearerToken(SecretSource::File(absolute(path))));
        }
        if let Some((user, path)) = self.basic_auth {
            source.auth = Some(AuthConfig::Basic {
                username: user.to_owned(),
                password: SecretSource::File(absolute(path)),
            });
        }
        if let Some(path) = self.ca_file {
            source.ca_file = Some(absolute(path));
        }
        for header in self.headers {
            let (name, value) = parse_header(header).map_err(|e| format!("--header: {e}"))?;
            source.headers.insert(name, value);
        }
        Ok(())
    }
}

impl Cli {
    /// Colours, theme and glyphs: the flags, then the config's `theme:` and `colors:`, then
    /// `NO_COLOR`, the locale and the terminal's colour depth from the environment.
    pub fn degrade(&self, config: &crate::config::Config) -> crate::ui::degrade::Degrade {
        self.degrade_with(config, |k| std::env::var(k).ok())
    }

    /// [`degrade`](Self::degrade) with the environment read by `get`.
    pub fn degrade_with(
        &self,
        config: &crate::config::Config,
        get: impl Fn(&str) -> Option<String>,
    ) -> crate::ui::degrade::Degrade {
        let mut env = crate::ui::degrade::Degrade::from_env(get);
        if matches!(self.command, Some(Command::Snapshot(_))) {
            // A snapshot is text or SVG, not this terminal: every colour can be kept.
            env.colors = crate::ui::palette::ColorDepth::TrueColor;
        }
        crate::ui::degrade::Degrade {
            no_color: self.no_color || env.no_color,
            ascii: self.ascii || env.ascii,
            theme: self.theme.or(config.theme).unwrap_or_default(),
            colors: self.colors.or(config.colors).unwrap_or(env.colors),
        }
    }

    /// The overrides given on this command line.
    pub fn overrides(&self) -> Overrides<'_> {
        Overrides {
            context: self.context.as_deref(),
            prometheus: self.prometheus.as_deref(),
            alertmanager: self.alertmanager.as_deref(),
            read_only: self.read_only,
            access: SourceAccess {
                bearer_token_file: self.bearer_token_file.as_deref(),
                basic_auth: self
                    .basic_auth_user
                    .as_deref()
                    .zip(self.password_file.as_deref()),
                ca_file: self.ca_file.as_deref(),
                headers: &self.headers,
            },
        }
    }
}

/// `--header "NAME: VALUE"`: an HTTP header name and a value; credential headers are refused
/// (the command line is visible to every user of the host in `ps`). Errors never hold the
/// value.
fn parse_header(s: &str) -> Result<(String, String), String> {
    let Some((name, value)) = s.split_once(':') else {
        return Err("expected NAME: VALUE, e.g. \"X-Scope-OrgID: tenant-1\"".into());
    };
    let name = name.trim();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        // The name is not echoed: a mistyped `Authorization=Bearer …:` would be a secret.
        return Err("the part before `:` is not an HTTP header name (letters, digits, -)".into());
    }
    if crate::config::is_credential_header(name) {
        return Err(format!(
            "{name} holds a credential, and the command line is visible to other users: use \
             --bearer-token-file, --password-file, or the config's `auth:` or `headers:` with \
             ${{VAR}}"
        ));
    }
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err("the value has a control character".into());
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// `--service-label`: a Prometheus label name.
fn parse_label_name(s: &str) -> Result<String, String> {
    let mut chars = s.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with("__");
    if ok {
        Ok(s.to_string())
    } else {
        Err("not a label name (letters, digits and _, not starting with a digit or __)".into())
    }
}

/// Checks a URL given on the command line: http(s), no credentials.
fn check_flag_url(flag: &str, url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{flag} {url:?}: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "{flag} {url:?}: the URL must start with http:// or https://"
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!("{flag}: credentials in the URL are refused; use the config's `auth:` with an environment variable or file"));
    }
    Ok(())
}

/// Applies `--context`, `--prometheus`, `--alertmanager` and `--read-only` to a loaded config.
pub fn apply_overrides(
    config: &mut crate::config::Config,
    overrides: Overrides<'_>,
) -> Result<(), String> {
    let Overrides {
        context,
        prometheus,
        alertmanager,
        read_only,
        access,
    } = overrides;
    config.read_only |= read_only;
    if let Some(url) = alertmanager {
        check_flag_url("--alertmanager", url)?;
        // The first configured Alertmanager keeps its auth and TLS options; the others go.
        let mut am = config.alertmanagers.first().cloned().unwrap_or_else(|| {
            let mut am = crate::config::minimal(url).sources.remove(0);
            am.name = "alertmanager".into();
            am
        });
        am.url = url.to_string();
        config.alertmanagers = vec![am];
    }
    if let Some(name) = context {
        if config.source(name).is_none() {
            let known: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
            return Err(format!(
                "--context {name:?}: no such source (configured: {})",
                known.join(", ")
            ));
        }
        config.context = Some(name.to_string());
    }
    if let Some(url) = prometheus {
        check_flag_url("--prometheus", url)?;
        let current = config.current_context().to_string();
        match config.sources.iter_mut().find(|s| s.name == current) {
            Some(source) => source.url = url.to_string(),
            None => {
                return Err(format!(
                    "no source named {current:?} to apply --prometheus to"
                ))
            }
        }
    }
    if !access.is_empty() {
        let current = config.current_context().to_string();
        match config.sources.iter_mut().find(|s| s.name == current) {
            Some(source) => access.apply(source)?,
            None => {
                return Err(format!(
                    "no source named {current:?} to apply the access options to"
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_on_subcommands() {
        let cli = Cli::try_parse_from([
            "sretop",
            "snapshot",
            "--prometheus",
            "http://x:9090",
            "--context",
            "prod",
            "--format",
            "svg",
        ])
        .expect("parses");
        assert_eq!(cli.prometheus.as_deref(), Some("http://x:9090"));
        assert!(!cli.read_only);
        assert_eq!(cli.context.as_deref(), Some("prod"));
        assert!(matches!(
            cli.command,
            Some(Command::Snapshot(SnapshotArgs {
                format: Format::Svg,
                ..
            }))
        ));
    }

    #[test]
    fn config_init_and_service_label_parse() {
        let cli = Cli::try_parse_from([
            "sretop",
            "config",
            "init",
            "--service-label",
            "app",
            "-o",
            "x.yaml",
            "--force",
        ])
        .expect("parses");
        assert_eq!(cli.service_label.as_deref(), Some("app"));
        assert!(matches!(
            cli.command,
            Some(Command::Config(ConfigArgs {
                command: ConfigCommand::Init { force: true, .. }
            }))
        ));
        assert!(Cli::try_parse_from(["sretop", "--service-label", "9x"]).is_err());
        assert!(Cli::try_parse_from(["sretop", "--service-label", "__name__"]).is_err());
        assert!(Cli::try_parse_from(["sretop", "config", "init", "--force"]).is_err());
    }

    #[test]
    fn alertmanager_override_replaces_the_configured_ones() {
        let mut config = crate::config::minimal("http://p:9090");
        let cli = Cli::try_parse_from([
            "sretop",
            "snapshot",
            "--alertmanager",
            "http://am:9093",
            "--read-only",
        ])
        .expect("parses");
        apply_overrides(&mut config, cli.overrides()).expect("applies");
        assert_eq!(config.alertmanagers.len(), 1);
        assert_eq!(config.alertmanagers[0].url, "http://am:9093");
        assert_eq!(config.alertmanagers[0].name, "alertmanager");
        assert!(config.read_only);
        let bad = Overrides {
            alertmanager: Some("http://user:pw@am:9093"),
            ..Overrides::default()
        };
        let err = apply_overrides(&mut config, bad).expect_err("credentials refused");
        assert!(err.starts_with("--alertmanager:"), "{err}");
        assert!(!err.contains("pw"), "{err}");
    }

    #[test]
    fn theme_and_colours_flag_then_config_then_environment() {
        use crate::ui::palette::{ColorDepth, ThemeName};
        let env = |k: &str| (k == "TERM").then(|| "screen-256color".to_string());
        let mut config = crate::config::minimal("http://p:9090");
        let plain = Cli::try_parse_from(["sretop"]).expect("parses");
        let d = plain.degrade_with(&config, env);
        assert_eq!((d.theme, d.colors), (ThemeName::Dark, ColorDepth::Ansi256));
        config.theme = Some(ThemeName::Light);
        config.colors = Some(ColorDepth::TrueColor);
        let d = plain.degrade_with(&config, env);
        assert_eq!(
            (d.theme, d.colors),
            (ThemeName::Light, ColorDepth::TrueColor)
        );
        let flags =
            Cli::try_parse_from(["sretop", "snapshot", "--theme", "dark", "--colors", "16"])
                .expect("parses");
        let d = flags.degrade_with(&config, env);
        assert_eq!((d.theme, d.colors), (ThemeName::Dark, ColorDepth::Ansi16));
        // A snapshot is not drawn for this terminal: every colour is kept.
        config.colors = None;
        let snapshot = Cli::try_parse_from(["sretop", "snapshot"]).expect("parses");
        assert_eq!(
            snapshot.degrade_with(&config, env).colors,
            ColorDepth::TrueColor
        );
        assert!(Cli::try_parse_from(["sretop", "--colors", "88"]).is_err());
        assert!(Cli::try_parse_from(["sretop", "--theme", "solarized"]).is_err());
    }

    #[test]
    fn access_flags_set_the_selected_source() {
        use crate::config::{AuthConfig, SecretSource};
        let cli = Cli::try_parse_from([
            "sretop",
            "snapshot",
            "--prometheus",
            "https://prom:9090",
            "--bearer-token-file",
            "/run/token",
            "--ca-file",
            "ca.pem",
            "--header",
            "X-Scope-OrgID:  tenant-1 ",
        ])
        .expect("parses");
        let mut config = crate::config::minimal("http://x:9090");
        apply_overrides(&mut config, cli.overrides()).expect("applies");
        let source = &config.sources[0];
        assert_eq!(source.url, "https://prom:9090");
        assert_eq!(
            source.auth,
            Some(AuthConfig::BearerToken(SecretSource::File(
                "/run/token".into()
            )))
        );
        // Relative paths are made absolute (config init writes them into another folder).
        let ca = source.ca_file.as_deref().expect("ca_file");
        assert!(ca.is_absolute() && ca.ends_with("ca.pem"), "{ca:?}");
        assert_eq!(
            source.headers.get("X-Scope-OrgID").map(String::as_str),
            Some("tenant-1")
        );

        let cli = Cli::try_parse_from([
            "sretop",
            "--basic-auth-user",
            "oncall",
            "--password-file",
            "/run/pw",
        ])
        .expect("parses");
        let mut config = crate::config::minimal("http://x:9090");
        apply_overrides(&mut config, cli.overrides()).expect("applies");
        assert_eq!(
            config.sources[0].auth,
            Some(AuthConfig::Basic {
                username: "oncall".into(),
                password: SecretSource::File("/run/pw".into())
            })
        );
    }

    #[test]
    fn access_flags_refuse_secrets_and_half_given_auth() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from([&["sretop"][..], args].concat())
                .map_err(|e| e.to_string())
                .map(|_| ())
        };
        let header = |value: &str| {
            let cli = Cli::try_parse_from(["sretop", "--header", value]).expect("parses");
            let mut config = crate::config::minimal("http://x:9090");
            apply_overrides(&mut config, cli.overrides()).expect_err(value)
        };
        // A credential in a header would be visible in `ps`.
        for value in ["Authorization: Bearer abc", "X-Api-Key: abc", "cookie: a=b"] {
            let err = header(value);
            assert!(err.contains("holds a credential"), "{err}");
            assert!(
                !err.contains("abc") && !err.contains("a=b"),
                "the value is not echoed: {err}"
            );
        }
        let err = header("no colon");
        assert!(err.contains("NAME: VALUE"), "{err}");
        let err = header("bad name: v");
        assert!(err.contains("not an HTTP header name"), "{err}");
        let err = header("Authorization=Bearer abc:x");
        assert!(!err.contains("abc"), "the value is not echoed: {err}");
        // A user without a password file, and two kinds of auth at once.
        assert!(parse(&["--basic-auth-user", "u"]).is_err());
        assert!(parse(&["--password-file", "/p"]).is_err());
        assert!(parse(&[
            "--bearer-token-file",
            "/t",
            "--basic-auth-user",
            "u",
            "--password-file",
            "/p"
        ])
        .is_err());
    }
}
