//! Just enough PromQL reading to explain an alert: the threshold of a rule's expression, the
//! expression behind an alert's generator URL, which result series belongs to an alert, and
//! when an alert fired (from the `ALERTS` series).
//!
//! Pure logic: no I/O, no async, no UI types. This is not a PromQL parser: it scans the text
//! for brackets, strings and comments and gives up (`None`) on anything it cannot read for
//! sure.

use std::collections::BTreeMap;

/// A rule expression of the form `lhs <op> number`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression compared, trimmed (comments removed).
    pub lhs: String,
    /// `>`, `<`, `>=`, `<=`, `==` or `!=`, as if the number were on the right (a `bool`
    /// modifier is dropped).
    pub op: String,
    /// The threshold.
    pub value: f64,
}

/// `expr` with `#` comments (outside strings) replaced by spaces, byte for byte.
fn strip_comments(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut comment = false;
    for c in expr.chars() {
        if comment {
            if c == '\n' {
                comment = false;
                out.push(c);
            } else {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
            continue;
        }
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '#' => {
                comment = true;
                out.push(' ');
                continue;
            }
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None => {}
        }
        out.push(c);
    }
    out
}

/// What the top level of an expression holds.
struct TopLevel {
    /// Comparison operators: byte offset and text.
    comparisons: Vec<(usize, &'static str)>,
    /// An `and`, `or` or `unless` at the top level.
    set_operator: bool,
}

/// Scans a comment-free expression; `None` when brackets or quotes do not balance.
fn top_level(expr: &str) -> Option<TopLevel> {
    let b = expr.as_bytes();
    let mut depth: Vec<u8> = Vec::new();
    let mut out = TopLevel {
        comparisons: Vec::new(),
        set_operator: false,
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' | b'`' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None => return None,
                        Some(&x) if x == c => break,
                        Some(b'\\') if c != b'`' => i += 2,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
                continue;
            }
            b'(' | b'[' | b'{' => depth.push(c),
            b')' | b']' | b'}' => {
                let open = depth.pop()?;
                let want = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                if open != want {
                    return None;
                }
            }
            _ if !depth.is_empty() => {}
            b'>' | b'<' | b'=' | b'!' => {
                let next = b.get(i + 1).copied();
                let op = match (c, next) {
                    (b'>', Some(b'=')) => Some(">="),
                    (b'<', Some(b'=')) => Some("<="),
                    (b'=', Some(b'=')) => Some("=="),
                    (b'!', Some(b'=')) => Some("!="),
                    (b'>', _) => Some(">"),
                    (b'<', _) => Some("<"),
                    _ => None,
                };
                if let Some(op) = op {
                    out.comparisons.push((i, op));
                    i += op.len();
                    continue;
                }
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b':' || c == b'.' => {
                let start = i;
                while b
                    .get(i)
                    .is_some_and(|&x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b':' | b'.'))
                {
                    i += 1;
                }
                let word = &expr[start..i];
                if ["and", "or", "unless"]
                    .iter()
                    .any(|w| word.eq_ignore_ascii_case(w))
                {
                    out.set_operator = true;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    depth.is_empty().then_some(out)
}

/// `s` without one pair of parentheses around the whole of it, if it has one.
fn unwrap_parens(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('(')?.strip_suffix(')')?;
    // `(a) + (b)` starts and ends with parentheses that do not belong together.
    let mut depth = 0i32;
    for c in inner.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            _ => {}
        }
    }
    (depth == 0).then_some(inner.trim())
}

/// A plain number literal, possibly inside parentheses: `0.05`, `1e3`, `-1`, `(90)`.
fn number(s: &str) -> Option<f64> {
    let mut s = s.trim();
    while let Some(inner) = unwrap_parens(s) {
        s = inner;
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let plain = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !plain {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `s` without a leading `bool` modifier.
fn strip_bool(s: &str) -> &str {
    let t = s.trim_start();
    match t.strip_prefix("bool") {
        Some(rest) if !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') => rest,
        _ => s,
    }
}

fn mirror(op: &str) -> &'static str {
    match op {
        ">" => "<",
        "<" => ">",
        ">=" => "<=",
        "<=" => ">=",
        "==" => "==",
        _ => "!=",
    }
}

/// Splits a rule expression `lhs <op> number` (or `number <op> rhs`) into its parts.
///
/// Reads only the top level (outside `()`, `[]`, `{}` and strings; `#` comments are
/// skipped), which must hold exactly one comparison (`>`, `<`, `>=`, `<=`, `==`, `!=`,
/// optionally with `bool`) and no `and` / `or` / `unless`; the other side must be a plain
/// number, maybe in parentheses. A mirrored `0.05 < expr` comes back as `expr > 0.05`.
/// An expression wholly inside parentheses is looked into. Anything else is `None`.
pub fn split_threshold(expr: &str) -> Option<Threshold> {
    let clean = strip_comments(expr);
    let mut s = clean.trim();
    loop {
        let top = top_level(s)?;
        if top.set_operator {
            return None;
        }
        match top.comparisons.as_slice() {
            [] => s = unwrap_parens(s)?,
            [(at, op)] => {
                let left = s[..*at].trim();
                let right = strip_bool(&s[*at + op.len()..]).trim();
                if left.is_empty() || right.is_empty() {
                    return None;
                }
                let (lhs, op, value) = match (number(left), number(right)) {
                    (_, Some(v)) => (left, *op, v),
                    (Some(v), None) => (right, mirror(op), v),
                    (None, None) => return None,
                };
                return Some(Threshold {
                    lhs: lhs.to_owned(),
                    op: op.to_owned(),
                    value,
                });
            }
            _ => return None,
        }
    }
}

/// The expression in a Prometheus generator URL (its `g0.expr` query parameter,
/// percent-decoded, `+` read as a space). Relative URLs (`/graph?g0.expr=…`) are accepted.
pub fn generator_expr(url: &str) -> Option<String> {
    let parsed = match url::Url::parse(url) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            url::Url::parse("http://localhost/").ok()?.join(url).ok()?
        }
        Err(_) => return None,
    };
    parsed
        .query_pairs()
        .find(|(k, _)| k == "g0.expr")
        .map(|(_, v)| v.into_owned())
}

/// Whether a result series of the alert's expression is the one that produced `alert`: every
/// label of the series except `__name__` has the same value in the alert's labels (the alert
/// adds `alertname` and the rule's labels on top).
pub fn labels_fit(series: &BTreeMap<String, String>, alert: &BTreeMap<String, String>) -> bool {
    series
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .all(|(k, v)| alert.get(k) == Some(v))
}

/// Firing intervals from the samples `(t, value)` of an `ALERTS{alertstate="firing"}` series
/// (t in unix seconds): samples no more than `step` seconds apart are one interval
/// `(first sample, last sample)`. Samples with a value of 0 or NaN are ignored; the order of
/// the input does not matter.
pub fn firing_intervals(samples: &[(f64, f64)], step: i64) -> Vec<(i64, i64)> {
    let mut times: Vec<i64> = samples
        .iter()
        .filter(|(t, v)| t.is_finite() && *v != 0.0 && !v.is_nan())
        .map(|(t, _)| t.round() as i64)
        .collect();
    times.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for t in times {
        match out.last_mut() {
            Some((_, end)) if t.saturating_sub(*end) <= step => *end = t,
            _ => out.push((t, t)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firing_intervals_survive_absurd_timestamps() {
        let got = firing_intervals(&[(-1e300, 1.0), (1e300, 1.0)], 60);
        assert_eq!(got.len(), 2, "{got:?}");
    }

    fn split(expr: &str) -> Option<(String, String, f64)> {
        split_threshold(expr).map(|t| (t.lhs, t.op, t.value))
    }

    fn th(lhs: &str, op: &str, value: f64) -> Option<(String, String, f64)> {
        Some((lhs.to_owned(), op.to_owned(), value))
    }

    #[test]
    fn splits_simple_thresholds() {
        assert_eq!(
            split("sum(rate(errors[5m])) / sum(rate(requests[5m])) > 0.05"),
            th("sum(rate(errors[5m])) / sum(rate(requests[5m]))", ">", 0.05)
        );
        assert_eq!(split("up == 0"), th("up", "==", 0.0));
        assert_eq!(split("x >= 1e3"), th("x", ">=", 1000.0));
        assert_eq!(split("x <= -1"), th("x", "<=", -1.0));
        assert_eq!(split("x != 2"), th("x", "!=", 2.0));
        assert_eq!(split("x < (90)"), th("x", "<", 90.0));
        assert_eq!(split("x > ((.5))"), th("x", ">", 0.5));
        assert_eq!(split("  x>1  "), th("x", ">", 1.0));
        assert_eq!(split("x > bool 1"), th("x", ">", 1.0));
        assert_eq!(split("x >bool(1)"), th("x", ">", 1.0));
        assert_eq!(split("(x > 1)"), th("x", ">", 1.0), "wholly parenthesised");
    }

    #[test]
    fn mirrored_thresholds() {
        assert_eq!(split("0.05 < rate(x[5m])"), th("rate(x[5m])", ">", 0.05));
        assert_eq!(split("10 >= bool y"), th("y", "<=", 10.0));
        assert_eq!(split("3 == y"), th("y", "==", 3.0));
        assert_eq!(
            split("1 > 0"),
            th("1", ">", 0.0),
            "number on the right wins"
        );
    }

    #[test]
    fn ignores_operators_inside_brackets_strings_and_comments() {
        assert_eq!(
            split(r#"rate(http_requests_total{code!="200",path=~"/a>b",x!~"c<d"}[5m]) > 3"#),
            th(
                r#"rate(http_requests_total{code!="200",path=~"/a>b",x!~"c<d"}[5m])"#,
                ">",
                3.0
            )
        );
        assert_eq!(
            split("max(x > 1) by (job) < 5"),
            th("max(x > 1) by (job)", "<", 5.0)
        );
        assert_eq!(
            split("# errors > 1\nfoo{a='x > 1 # y'} # note: and or > 2\n  > 0.1 # done"),
            th("foo{a='x > 1 # y'}", ">", 0.1)
        );
        assert_eq!(
            split("label_replace(x, \"a\", \"\\\">\", \"b\", \"c\") > 1"),
            th("label_replace(x, \"a\", \"\\\">\", \"b\", \"c\")", ">", 1.0)
        );
        assert_eq!(split("x{a=`>\\`} > 1"), th("x{a=`>\\`}", ">", 1.0));
        assert_eq!(
            split("error_or_timeout > 1"),
            th("error_or_timeout", ">", 1.0)
        );
    }

    #[test]
    fn gives_up_on_anything_else() {
        for expr in [
            "x > 1 and y < 2",
            "x > 1 or y",
            "x > 0.1 unless on(job) maintenance",
            "x > 1 AND y",
            "1 < x < 3",
            "x > y",
            "x > on(job) other",
            "x > on(job) 5",
            "x > 2 * 3",
            "x > 1d",
            "x > Inf",
            "up",
            "rate(x[5m])",
            "x{a!=\"b\"}",
            "x{a=~\"b\"}",
            "> 1",
            "x >",
            "x > (1",
            "(x > 1",
            "x > 1)",
            "x{a=\"b} > 1",
            "(a > 1) + (b)",
            "",
        ] {
            assert_eq!(split_threshold(expr), None, "{expr:?}");
        }
    }

    #[test]
    fn generator_url_expression() {
        let url = "http://prometheus.example.com:9090/graph?g0.expr=sum%28rate%28errors%5B5m%5D%29%29+%3E+0.05&g0.tab=1";
        assert_eq!(
            generator_expr(url).as_deref(),
            Some("sum(rate(errors[5m])) > 0.05")
        );
        assert_eq!(
            generator_expr("/graph?g0.tab=1&g0.expr=up%7Bjob%3D%22a%2Bb%22%7D+%3D%3D+0").as_deref(),
            Some("up{job=\"a+b\"} == 0")
        );
        assert_eq!(generator_expr("http://p/graph?g0.tab=1"), None);
        assert_eq!(generator_expr("http://p/graph?g1.expr=up"), None);
        assert_eq!(generator_expr(""), None);
        assert_eq!(generator_expr("http://[::1"), None);
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn series_fits_alert_labels() {
        let alert = labels(&[
            ("alertname", "HighErrorRate"),
            ("service", "api"),
            ("severity", "critical"),
        ]);
        assert!(labels_fit(&labels(&[("service", "api")]), &alert));
        assert!(labels_fit(
            &labels(&[("__name__", "errors"), ("service", "api")]),
            &alert
        ));
        assert!(labels_fit(&labels(&[]), &alert));
        assert!(!labels_fit(&labels(&[("service", "web")]), &alert));
        assert!(!labels_fit(
            &labels(&[("service", "api"), ("instance", "a")]),
            &alert
        ));
    }

    #[test]
    fn merges_firing_samples_into_intervals() {
        let s = |ts: &[i64]| ts.iter().map(|&t| (t as f64, 1.0)).collect::<Vec<_>>();
        assert_eq!(
            firing_intervals(&s(&[0, 60, 120, 300, 360, 1000]), 60),
            vec![(0, 120), (300, 360), (1000, 1000)]
        );
        assert_eq!(
            firing_intervals(&s(&[120, 0, 60]), 60),
            vec![(0, 120)],
            "unordered input"
        );
        assert_eq!(
            firing_intervals(&s(&[0, 90]), 60),
            vec![(0, 0), (90, 90)],
            "gap just over a step"
        );
        assert_eq!(firing_intervals(&s(&[0, 60]), 60), vec![(0, 60)]);
        assert_eq!(
            firing_intervals(
                &[(0.0, 1.0), (60.0, 0.0), (120.0, f64::NAN), (180.0, 1.0)],
                60
            ),
            vec![(0, 0), (180, 180)]
        );
        assert!(firing_intervals(&[], 60).is_empty());
    }
}
