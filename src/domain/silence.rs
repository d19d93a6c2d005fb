//! Silences as the on-call engineer edits and reads them: matchers typed in amtool syntax,
//! matched against alert labels with Alertmanager's semantics, pre-filled from an alert, and
//! the silences that cover an alert or are about to end.
//!
//! Pure logic: no I/O, no async, no UI types.
//!
//! Regex matchers are checked with [`LabelRegex`], the same fully anchored subset the filter
//! line uses, so a matcher that parses here also matches here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::alerts::LabelRegex;
use crate::prom::alertmanager::{Matcher, Silence, SilenceState};

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// Parses one matcher in Prometheus / amtool syntax: `name="value"`, `name!="value"`,
/// `name=~"regex"`, `name!~"regex"`, or the same with an unquoted value (`name=value`,
/// taken up to the end of the input).
///
/// Whitespace around the name, the operator and the value is ignored. Inside double quotes,
/// `\"`, `\\` and `\n` are a quote, a backslash and a newline; any other escape is kept as
/// written (so `"a\.b"` is the regex `a\.b`). The label name must match
/// `[a-zA-Z_][a-zA-Z0-9_]*`; a regex must compile with [`LabelRegex`].
///
/// Errors are short sentences, e.g. `expected =, !=, =~ or !~ after "service"`.
pub fn parse_matcher(s: &str) -> Result<Matcher, String> {
    let s = s.trim();
    let name_len = s.find(|c: char| !is_name_char(c)).unwrap_or(s.len());
    let name = &s[..name_len];
    if name.is_empty() {
        return Err(match s.chars().next() {
            None => "empty matcher".to_owned(),
            Some('=' | '!') => "missing label name before the operator".to_owned(),
            Some(c) => format!("label name cannot start with {c:?}"),
        });
    }
    if !name.starts_with(is_name_start) {
        return Err(format!("label name {name:?} must not start with a digit"));
    }
    let after_name = &s[name_len..];
    let rest = after_name.trim_start();
    let (is_equal, is_regex, op_len) = if rest.starts_with("=~") {
        (true, true, 2)
    } else if rest.starts_with("!=") {
        (false, false, 2)
    } else if rest.starts_with("!~") {
        (false, true, 2)
    } else if rest.starts_with('=') {
        (true, false, 1)
    } else {
        return Err(match after_name.chars().next() {
            Some(c) if !c.is_whitespace() && c != '!' => {
                format!("invalid character {c:?} in label name {name:?}")
            }
            _ => format!("expected =, !=, =~ or !~ after {name:?}"),
        });
    };
    let raw = rest[op_len..].trim_start();
    let value = if let Some(quoted) = raw.strip_prefix('"') {
        let (value, after) = unquote(quoted)?;
        if !after.trim().is_empty() {
            return Err(format!(
                "unexpected {:?} after the closing quote",
                after.trim()
            ));
        }
        value
    } else {
        if raw.contains('"') {
            return Err("a quote inside an unquoted value (quote the whole value)".to_owned());
        }
        raw.to_owned()
    };
    if is_regex {
        LabelRegex::new(&value).map_err(|e| format!("bad regex: {e}"))?;
    }
    Ok(Matcher {
        name: name.to_owned(),
        value,
        is_regex,
        is_equal,
    })
}

/// The value inside double quotes (`s` starts just after the opening quote) and what follows
/// the closing quote.
fn unquote(s: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    Err("unclosed quote".to_owned())
}

/// Formats `m` as `name="value"` (or `!=`, `=~`, `!~`), escaping `\`, `"` and newlines, so
/// that [`parse_matcher`] gives `m` back.
pub fn format_matcher(m: &Matcher) -> String {
    let op = match (m.is_equal, m.is_regex) {
        (true, false) => "=",
        (false, false) => "!=",
        (true, true) => "=~",
        (false, true) => "!~",
    };
    let mut out = String::with_capacity(m.name.len() + m.value.len() + 4);
    out.push_str(&m.name);
    out.push_str(op);
    out.push('"');
    for c in m.value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `m` matches a label set, as Alertmanager decides: an absent label is `""`, a regex
/// must match the whole value, and a regex that does not compile matches nothing (neither
/// with `=~` nor with `!~`).
pub fn matcher_matches(m: &Matcher, labels: &BTreeMap<String, String>) -> bool {
    let v = labels.get(&m.name).map_or("", String::as_str);
    if m.is_regex {
        match LabelRegex::new(&m.value) {
            Ok(re) => re.is_match(v) == m.is_equal,
            Err(_) => false,
        }
    } else {
        (v == m.value) == m.is_equal
    }
}

/// Whether every matcher matches `labels`. An empty list matches nothing (Alertmanager
/// refuses silences without matchers).
pub fn silence_matches(matchers: &[Matcher], labels: &BTreeMap<String, String>) -> bool {
    !matchers.is_empty() && matchers.iter().all(|m| matcher_matches(m, labels))
}

/// Matchers for a new silence of an alert: one `name="value"` per label except the
/// `external` labels, `alertname` first and the others sorted by name.
pub fn prefill_matchers(labels: &BTreeMap<String, String>, external: &[&str]) -> Vec<Matcher> {
    let keep = |name: &str| !external.contains(&name);
    let first = labels
        .get_key_value("alertname")
        .filter(|(k, _)| keep(k.as_str()));
    let rest = labels
        .iter()
        .filter(|(k, _)| k.as_str() != "alertname" && keep(k.as_str()));
    first
        .into_iter()
        .chain(rest)
        .map(|(k, v)| Matcher::equal(k.clone(), v.clone()))
        .collect()
}

/// Whether `s` is active or pending and ends between `now` and `now + within` (both
/// included): a silence about to lapse. A silence whose end has already passed is not
/// "ending soon" (its status is merely stale).
pub fn ends_within(s: &Silence, now: DateTime<Utc>, within: chrono::Duration) -> bool {
    let live = matches!(s.status, SilenceState::Active | SilenceState::Pending);
    live && s
        .ends_at
        .is_some_and(|end| end >= now && end - now <= within)
}

/// The silences that are not expired and whose matchers all match `labels`, in input order.
/// Pending silences are included: they will silence the alert when they start.
pub fn matching_silences<'a>(
    silences: &'a [Silence],
    labels: &BTreeMap<String, String>,
) -> Vec<&'a Silence> {
    silences
        .iter()
        .filter(|s| s.status != SilenceState::Expired && silence_matches(&s.matchers, labels))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn m(name: &str, value: &str, is_regex: bool, is_equal: bool) -> Matcher {
        Matcher {
            name: name.into(),
            value: value.into(),
            is_regex,
            is_equal,
        }
    }

    #[test]
    fn parses_the_four_operators_quoted_and_unquoted() {
        let cases = [
            (r#"service="api""#, m("service", "api", false, true)),
            (r#"service!="api""#, m("service", "api", false, false)),
            (r#"service=~"api|web""#, m("service", "api|web", true, true)),
            (r#"service!~"api.*""#, m("service", "api.*", true, false)),
            ("service=api", m("service", "api", false, true)),
            ("service!=api", m("service", "api", false, false)),
            ("service=~api|web", m("service", "api|web", true, true)),
            ("service!~api.*", m("service", "api.*", true, false)),
            (r#"  _job2  =~  "a b"  "#, m("_job2", "a b", true, true)),
            ("env =  prod ", m("env", "prod", false, true)),
            ("env=", m("env", "", false, true)),
            (r#"env!="""#, m("env", "", false, false)),
        ];
        for (input, want) in cases {
            assert_eq!(parse_matcher(input), Ok(want), "{input:?}");
        }
    }

    #[test]
    fn quoted_values_unescape() {
        assert_eq!(
            parse_matcher(r#"summary="say \"hi\" \\ now""#),
            Ok(m("summary", r#"say "hi" \ now"#, false, true))
        );
        assert_eq!(
            parse_matcher(r#"instance=~"db1\.example\.com""#),
            Ok(m("instance", r"db1\.example\.com", true, true)),
            "other escapes are kept for the regex"
        );
        assert_eq!(
            parse_matcher(r#"x="a=b!=c""#),
            Ok(m("x", "a=b!=c", false, true))
        );
        assert_eq!(
            parse_matcher(r#"x="line\nbreak""#),
            Ok(m("x", "line\nbreak", false, true))
        );
    }

    #[test]
    fn parse_errors_are_short_and_human() {
        let cases = [
            ("", "empty matcher"),
            ("   ", "empty matcher"),
            ("service", "expected =, !=, =~ or !~ after \"service\""),
            ("service ~ x", "expected =, !=, =~ or !~ after \"service\""),
            ("service !x", "expected =, !=, =~ or !~ after \"service\""),
            ("=x", "missing label name before the operator"),
            ("1abc=x", "label name \"1abc\" must not start with a digit"),
            ("a-b=c", "invalid character '-' in label name \"a\""),
            ("\"a\"=b", "label name cannot start with '\"'"),
            ("a=\"b", "unclosed quote"),
            ("a=\"b\\\"", "unclosed quote"),
            ("a=\"b\" c", "unexpected \"c\" after the closing quote"),
            (
                "a=b\"c\"",
                "a quote inside an unquoted value (quote the whole value)",
            ),
            ("job=~\"(api\"", "bad regex: unclosed group in regex at 0"),
            (
                "job!~a{2}",
                "bad regex: unsupported regex syntax {n,m} at 1",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parse_matcher(input), Err(want.to_owned()), "{input:?}");
        }
    }

    #[test]
    fn format_round_trips() {
        let cases = [
            m("alertname", "HighErrorRate", false, true),
            m("service", "", false, false),
            m("instance", r"db[0-9]\.example\.com", true, true),
            m("x", r#"quote " and backslash \ and "" \\"#, false, true),
            m("x", "multi\nline", false, false),
            m("path", r"a\\b|\.c", true, false),
            m("u", "ünïcödé = != =~", false, true),
        ];
        for want in cases {
            let text = format_matcher(&want);
            assert_eq!(parse_matcher(&text), Ok(want.clone()), "{text}");
        }
        assert_eq!(format_matcher(&m("a", "x\"y", true, false)), r#"a!~"x\"y""#);
        assert_eq!(format_matcher(&Matcher::equal("a", "b")), r#"a="b""#);
    }

    #[test]
    fn matcher_semantics() {
        let l = labels(&[("service", "api"), ("env", "prod")]);
        assert!(matcher_matches(&m("service", "api", false, true), &l));
        assert!(!matcher_matches(&m("service", "ap", false, true), &l));
        assert!(matcher_matches(&m("service", "web", false, false), &l));
        assert!(!matcher_matches(&m("service", "api", false, false), &l));
        // Absent label is "".
        assert!(matcher_matches(&m("team", "", false, true), &l));
        assert!(!matcher_matches(&m("team", "", false, false), &l));
        assert!(matcher_matches(&m("team", "db", false, false), &l));
        assert!(matcher_matches(&m("team", ".*", true, true), &l));
        assert!(!matcher_matches(&m("team", ".+", true, true), &l));
        // Regex is fully anchored.
        assert!(matcher_matches(&m("service", "a.i|web", true, true), &l));
        assert!(!matcher_matches(&m("service", "ap", true, true), &l));
        assert!(matcher_matches(&m("service", "ap", true, false), &l));
        assert!(!matcher_matches(&m("service", "a.*", true, false), &l));
        // A regex that does not compile matches nothing, either way round.
        assert!(!matcher_matches(&m("service", "(api", true, true), &l));
        assert!(!matcher_matches(&m("service", "(api", true, false), &l));
    }

    #[test]
    fn silence_needs_every_matcher_and_at_least_one() {
        let l = labels(&[("service", "api"), ("env", "prod")]);
        let a = m("service", "api", false, true);
        let b = m("env", "prod|staging", true, true);
        let c = m("env", "prod", false, false);
        assert!(silence_matches(&[a.clone(), b.clone()], &l));
        assert!(!silence_matches(&[a, b, c], &l));
        assert!(!silence_matches(&[], &l));
    }

    #[test]
    fn prefill_skips_external_labels_and_puts_alertname_first() {
        let l = labels(&[
            ("severity", "critical"),
            ("alertname", "HighErrorRate"),
            ("prometheus", "mon/k8s"),
            ("instance", "api-1"),
            ("Zone", "b"),
        ]);
        let got: Vec<String> = prefill_matchers(&l, &["prometheus", "replica"])
            .iter()
            .map(format_matcher)
            .collect();
        assert_eq!(
            got,
            vec![
                r#"alertname="HighErrorRate""#,
                r#"Zone="b""#,
                r#"instance="api-1""#,
                r#"severity="critical""#,
            ]
        );
        let no_name = labels(&[("b", "1"), ("a", "2")]);
        let got: Vec<_> = prefill_matchers(&no_name, &[])
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(got, vec!["a", "b"]);
        assert!(prefill_matchers(&labels(&[("alertname", "X")]), &["alertname"]).is_empty());
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn silence(status: SilenceState, ends_in_min: Option<i64>, matchers: Vec<Matcher>) -> Silence {
        Silence {
            id: format!("{status:?}-{ends_in_min:?}"),
            status,
            ends_at: ends_in_min.map(|m| now() + chrono::Duration::minutes(m)),
            matchers,
            ..Silence::default()
        }
    }

    #[test]
    fn ending_soon() {
        let hour = chrono::Duration::hours(1);
        let s = |st, min| silence(st, min, Vec::new());
        assert!(ends_within(&s(SilenceState::Active, Some(30)), now(), hour));
        assert!(ends_within(&s(SilenceState::Active, Some(60)), now(), hour));
        assert!(ends_within(&s(SilenceState::Active, Some(0)), now(), hour));
        assert!(!ends_within(
            &s(SilenceState::Active, Some(61)),
            now(),
            hour
        ));
        assert!(!ends_within(
            &s(SilenceState::Active, Some(-5)),
            now(),
            hour
        ));
        assert!(!ends_within(&s(SilenceState::Active, None), now(), hour));
        assert!(ends_within(
            &s(SilenceState::Pending, Some(10)),
            now(),
            hour
        ));
        assert!(!ends_within(
            &s(SilenceState::Expired, Some(10)),
            now(),
            hour
        ));
        assert!(!ends_within(
            &s(SilenceState::Other("x".into()), Some(10)),
            now(),
            hour
        ));
    }

    #[test]
    fn matching_silences_skip_expired_and_non_matching() {
        let api = vec![m("service", "api", false, true)];
        let web = vec![m("service", "web", false, true)];
        let silences = vec![
            silence(SilenceState::Active, Some(60), api.clone()),
            silence(SilenceState::Expired, Some(-60), api.clone()),
            silence(SilenceState::Pending, Some(120), api),
            silence(SilenceState::Active, Some(60), web),
            silence(SilenceState::Active, Some(60), Vec::new()),
        ];
        let l = labels(&[("service", "api"), ("alertname", "X")]);
        let got: Vec<&str> = matching_silences(&silences, &l)
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(got, vec!["Active-Some(60)", "Pending-Some(120)"]);
        assert!(matching_silences(&silences, &labels(&[("service", "db")])).is_empty());
    }
}
