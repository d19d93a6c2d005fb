//! [`ConfigError`]: every message names where the problem is (file, line, column, field) and,
//! where it can, what to do about it. Secrets never appear in a message: only the name of the
//! variable or file they come from.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::position::{self, FieldPath};

/// Why the configuration cannot be used. `Display` is the complete message for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file is not valid YAML, or does not fit the schema (unknown key, wrong type, bad
    /// duration, missing field).
    #[error("{}", located(file, *line, *column, field, message))]
    Parse {
        file: PathBuf,
        line: usize,
        column: usize,
        /// The field path, e.g. `services[1].thresholds.errors.warn`; empty for the whole file.
        field: String,
        message: String,
    },
    /// The file parses but a value is wrong (or names an unset environment variable).
    #[error("{}", located(file, *line, *column, field, message))]
    Invalid {
        file: PathBuf,
        line: usize,
        column: usize,
        field: String,
        message: String,
    },
    /// A file could not be found or read (the config file itself, or a CA file).
    #[error("{}: {reason}", path.display())]
    Io { path: PathBuf, reason: String },
    /// A source's secret could not be read. Names the variable or file, never the value.
    #[error("source `{source_name}`: {field}: {message}")]
    Secret {
        source_name: String,
        /// e.g. `auth.bearer_token.env`.
        field: String,
        message: String,
    },
    /// A source cannot be turned into client options (e.g. a bad `--prometheus` URL).
    #[error("source `{source_name}`: {field}: {message}")]
    Source {
        source_name: String,
        field: String,
        message: String,
    },
}

fn located(file: &Path, line: usize, column: usize, field: &str, message: &str) -> String {
    let mut out = format!("{}:{line}:{column}: ", file.display());
    if !field.is_empty() && field != "." {
        let _ = write!(out, "{field}: ");
    }
    out.push_str(message);
    out
}

impl ConfigError {
    /// A validation error at `field`, located in `text`.
    pub(crate) fn invalid(
        file: &Path,
        text: &str,
        field: &FieldPath,
        message: impl Into<String>,
    ) -> Self {
        let at = position::locate(text, field);
        ConfigError::Invalid {
            file: file.to_owned(),
            line: at.line,
            column: at.column,
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// Turns a serde error into a located message with a did-you-mean for unknown keys.
    pub(crate) fn from_serde(
        file: &Path,
        text: &str,
        error: serde_path_to_error::Error<serde_yaml::Error>,
    ) -> Self {
        let path = error.path().clone();
        let field = path.to_string();
        let inner = error.into_inner();
        // serde_yaml points at the value for most errors, but errors raised by a type's own
        // `Deserialize` (a bad duration) at the start of the enclosing mapping. The field's
        // position in the text is never earlier than a precise location, so take the later.
        let found = position::locate(text, &field_path(&path));
        let found = (found.line, found.column);
        let (message, (line, column)) = match inner.location() {
            Some(at) => {
                let serde_at = (at.line(), at.column());
                let message = bare_message(&inner.to_string(), &path, serde_at.0, serde_at.1);
                // An unknown key is located exactly, at the key (the text would give its value).
                let exact =
                    message.starts_with("unknown field") || message.starts_with("unknown variant");
                (message, if exact { serde_at } else { serde_at.max(found) })
            }
            None => (bare_message(&inner.to_string(), &path, 0, 0), found),
        };
        // A missing field is reported just past the end of the document: point at the last
        // line the file has (YAML counts a lone CR as a line break too).
        let last = text
            .replace("\r\n", "\n")
            .split(['\n', '\r'])
            .count()
            .max(1);
        let (line, column) = if line > last {
            (last, 1)
        } else {
            (line, column)
        };
        let mut message = improve(&message, &field);
        if message.contains("cannot start any token") && char_at(text, line, column) == Some('\t') {
            message.push_str(" (a tab: YAML indents with spaces only)");
        }
        ConfigError::Parse {
            file: file.to_owned(),
            line,
            column,
            field: if field == "." { String::new() } else { field },
            message,
        }
    }
}

fn char_at(text: &str, line: usize, column: usize) -> Option<char> {
    text.lines()
        .nth(line.checked_sub(1)?)?
        .chars()
        .nth(column.checked_sub(1)?)
}

fn field_path(path: &serde_path_to_error::Path) -> FieldPath {
    use serde_path_to_error::Segment;
    let mut out = FieldPath::root();
    for segment in path.iter() {
        out = match segment {
            Segment::Seq { index } => out.index(*index),
            Segment::Map { key } | Segment::Enum { variant: key } => out.key(key),
            Segment::Unknown => break,
        };
    }
    out
}

/// serde_yaml's message is `path: message at line L column C`; keep only the message.
fn bare_message(
    full: &str,
    path: &serde_path_to_error::Path,
    line: usize,
    column: usize,
) -> String {
    let mut message = full.replacen(&format!(" at line {line} column {column}"), "", 1);
    // serde_yaml prefixes its own path, which is the one serde_path_to_error tracked or an
    // ancestor of it (for an unknown key it stops at the mapping). Strip the longest match.
    let mut prefixes = Vec::new();
    let mut current = String::new();
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => {
                let _ = write!(current, "[{index}]");
            }
            other => {
                if !current.is_empty() {
                    current.push('.');
                }
                let _ = write!(current, "{other}");
            }
        }
        prefixes.push(format!("{current}: "));
    }
    if let Some(prefix) = prefixes
        .iter()
        .rev()
        .find(|p| message.starts_with(p.as_str()))
    {
        message = message[prefix.len()..].to_owned();
    }
    message
}

/// Adds a did-you-mean to unknown keys and variants, hints to common mistakes, and keeps
/// literal secrets out of the message.
fn improve(message: &str, field: &str) -> String {
    let echoes_value = ["unknown variant", "invalid type", "invalid value"]
        .iter()
        .any(|start| message.starts_with(start));
    if echoes_value && (field.ends_with("bearer_token") || field.ends_with("password")) {
        // The value there may be a secret written inline: never echo it.
        return "a secret is never written in the file: write `env: VARIABLE_NAME` or \
                `file: /path/to/secret`"
            .into();
    }
    for kind in ["field", "variant"] {
        let Some(rest) = message.strip_prefix(&format!("unknown {kind} `")) else {
            continue;
        };
        let Some(end) = rest.find('`') else { continue };
        let unknown = &rest[..end];
        let candidates: Vec<&str> = rest[end + 1..].split('`').skip(1).step_by(2).collect();
        if let Some(best) = did_you_mean(unknown, candidates.iter().copied()) {
            return format!("unknown {kind} `{unknown}`, did you mean `{best}`?");
        }
        if kind == "field" && !field.contains(['.', '[']) {
            if let Some(section) = section_of(unknown) {
                return format!("unknown field `{unknown}` (it belongs {section})");
            }
        }
        return message.to_owned();
    }
    if message == "missing field `sources`" {
        return format!(
            "{message} (add at least one Prometheus source, e.g. \
             sources: [{{name: local, url: \"http://127.0.0.1:9090\"}}])"
        );
    }
    message.to_owned()
}

/// Where a key that is not a top-level key belongs.
fn section_of(key: &str) -> Option<&'static str> {
    const SECTIONS: [(&str, &[&str]); 7] = [
        (
            "under `signals:`",
            &[
                "rate_window",
                "requests_metric",
                "error_selector",
                "latency_histogram",
                "quantiles",
                "saturation",
                "selector",
            ],
        ),
        (
            "in an entry of `sources:`",
            &[
                "url",
                "path_prefix",
                "timeout",
                "auth",
                "headers",
                "ca_file",
                "insecure_skip_verify",
                "service_label",
            ],
        ),
        ("under `thresholds:`", &["errors", "latency", "traffic"]),
        (
            "in an entry of `services:`",
            &["label_value", "queries", "slos"],
        ),
        ("in an entry of a service's `slos:`", &["objective", "sli"]),
        ("under `policy:`", &["green_above", "red_below", "actions"]),
        (
            "under `slo_defaults:`",
            &["budgeting", "min_events", "long_refresh"],
        ),
    ];
    SECTIONS
        .iter()
        .find(|(_, keys)| keys.contains(&key))
        .map(|(section, _)| *section)
}

/// The candidate closest to `unknown` (case-insensitive edit distance ≤ 2), if any.
pub fn did_you_mean<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted = unknown.to_lowercase();
    let limit = 2.min(wanted.chars().count().saturating_sub(1));
    candidates
        .into_iter()
        .map(|candidate| (levenshtein(&wanted, &candidate.to_lowercase()), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// The number of single-character insertions, deletions and substitutions between two strings.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("refesh", "refresh"), 1);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("url", ""), 3);
        assert_eq!(levenshtein("ulr", "url"), 2);
    }

    #[test]
    fn suggests_only_close_names() {
        let keys = ["refresh", "range", "ranges", "sources"];
        assert_eq!(did_you_mean("refesh", keys), Some("refresh"));
        assert_eq!(did_you_mean("rangs", keys), Some("range"));
        assert_eq!(did_you_mean("Sources", keys), Some("sources"));
        assert_eq!(did_you_mean("colour", keys), None);
        assert_eq!(did_you_mean("a", ["ab", "max"]), None);
    }

    #[test]
    fn improves_unknown_key_messages() {
        assert_eq!(
            improve(
                "unknown field `tmeout`, expected one of `name`, `timeout`",
                "sources[0].tmeout"
            ),
            "unknown field `tmeout`, did you mean `timeout`?"
        );
        assert_eq!(
            improve("unknown field `zzz`, expected `a` or `b`", "zzz"),
            "unknown field `zzz`, expected `a` or `b`"
        );
        let secret = improve(
            "unknown variant `hunter2`, expected `env` or `file`",
            "sources[0].auth.bearer_token",
        );
        assert!(!secret.contains("hunter2"), "{secret}");
    }

    #[test]
    fn displays_file_line_column_field() {
        let e = ConfigError::Invalid {
            file: "c.yaml".into(),
            line: 3,
            column: 7,
            field: "refresh".into(),
            message: "too short".into(),
        };
        assert_eq!(e.to_string(), "c.yaml:3:7: refresh: too short");
        let e = ConfigError::Parse {
            file: "c.yaml".into(),
            line: 1,
            column: 1,
            field: String::new(),
            message: "missing field `sources`".into(),
        };
        assert_eq!(e.to_string(), "c.yaml:1:1: missing field `sources`");
    }
}
