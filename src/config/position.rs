//! Field paths (`services[1].thresholds.errors`) and a best-effort locator that finds where a
//! path is written in the YAML text, for errors found after parsing (validation), where serde
//! has no position to give.
//!
//! The locator is not a YAML parser. It reads block-style YAML line by line (keys, `- ` list
//! items, indentation, comments, block scalars) and single-line flow collections
//! (`{warn: 1, crit: 2}`, `[15m, 1h]`). When it cannot find a segment it answers with the
//! position of the deepest ancestor it did find, and `1:1` if it found nothing.

use std::fmt;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path to a field, printed the way `serde_path_to_error` prints it: `sources[0].url`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }
    /// This path followed by a key.
    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        FieldPath(segments)
    }
    /// This path followed by a list index.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        FieldPath(segments)
    }
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    const START: Position = Position { line: 1, column: 1 };
}

/// Where `path` is written in `text`: the value when it starts on the key's line (or after the
/// `- ` of a list item), else the key (or the `-`). Falls back to the nearest ancestor found.
pub fn locate(text: &str, path: &FieldPath) -> Position {
    let entries = scan(text);
    let mut best = Position::START;
    let mut lo = 0;
    let mut hi = entries.len();
    let segments = path.segments();
    for (depth, segment) in segments.iter().enumerate() {
        let Some(first) = entries.get(lo).filter(|_| lo < hi) else {
            return best;
        };
        match (&first.kind, segment) {
            (Kind::Key { .. }, Segment::Key(wanted)) => {
                let column = first.column;
                let found = (lo..hi).find(|&i| {
                    entries[i].column == column
                        && matches!(&entries[i].kind, Kind::Key { name, .. } if name == wanted)
                });
                let Some(i) = found else { return best };
                let Kind::Key { value, .. } = &entries[i].kind else {
                    return best;
                };
                match value {
                    Some(inline) => {
                        best = Position {
                            line: entries[i].line,
                            column: inline.column,
                        };
                        if inline.text.starts_with(['{', '[']) {
                            return locate_in_flow(inline, &segments[depth + 1..]).unwrap_or(best);
                        }
                    }
                    None => {
                        best = Position {
                            line: entries[i].line,
                            column: entries[i].column,
                        };
                    }
                }
                lo = i + 1;
                hi = (lo..hi)
                    .find(|&j| {
                        entries[j].column < column
                            || (entries[j].column == column
                                && !matches!(entries[j].kind, Kind::Dash))
                    })
                    .unwrap_or(hi);
            }
            (Kind::Dash, Segment::Index(wanted)) => {
                let column = first.column;
                let dashes: Vec<usize> = (lo..hi)
                    .filter(|&i| {
                        entries[i].column == column && matches!(entries[i].kind, Kind::Dash)
                    })
                    .collect();
                let Some(&i) = dashes.get(*wanted) else {
                    return best;
                };
                let end = dashes.get(wanted + 1).copied().unwrap_or(hi);
                let end = (i + 1..end)
                    .find(|&j| entries[j].column < column)
                    .unwrap_or(end);
                best = match entries.get(i + 1) {
                    Some(next) if i + 1 < end && next.line == entries[i].line => Position {
                        line: next.line,
                        column: next.column,
                    },
                    _ => Position {
                        line: entries[i].line,
                        column: entries[i].column,
                    },
                };
                lo = i + 1;
                hi = end;
            }
            (Kind::Flow(inline), _) => {
                return locate_in_flow(inline, &segments[depth..]).unwrap_or(best);
            }
            _ => return best,
        }
    }
    best
}

/// A value written on the same line as its key, or a flow collection starting a list item.
#[derive(Debug)]
struct Inline {
    line: usize,
    column: usize,
    text: String,
}

#[derive(Debug)]
enum Kind {
    /// `name:` with the value on the same line, if any.
    Key { name: String, value: Option<Inline> },
    /// The `-` of a block list item.
    Dash,
    /// A flow collection (`{…}` or `[…]`) where a node starts.
    Flow(Inline),
    /// Any other scalar where a node starts.
    Scalar,
}

#[derive(Debug)]
struct Entry {
    line: usize,
    column: usize,
    kind: Kind,
}

/// Reads the block structure of the text into a flat list of keys, dashes and scalars.
fn scan(text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    // While inside a block scalar (`key: |`): lines indented more than this are its content.
    let mut block_scalar_indent: Option<usize> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let chars: Vec<char> = strip_comment(raw).chars().collect();
        let indent = chars.iter().take_while(|c| **c == ' ').count();
        if let Some(parent) = block_scalar_indent {
            if indent >= chars.len() || indent > parent {
                continue;
            }
            block_scalar_indent = None;
        }
        if indent >= chars.len() {
            continue;
        }
        let rest: String = chars[indent..].iter().collect();
        if rest.starts_with("---") || rest.starts_with("...") || rest.starts_with('%') {
            continue;
        }
        let mut at = indent;
        loop {
            let rest = &chars[at..];
            if rest.first() == Some(&'-') && (rest.len() == 1 || rest[1] == ' ') {
                entries.push(Entry {
                    line,
                    column: at + 1,
                    kind: Kind::Dash,
                });
                at += 1;
                while chars.get(at) == Some(&' ') {
                    at += 1;
                }
                if at >= chars.len() {
                    break;
                }
                continue;
            }
            if rest.first().is_some_and(|c| *c == '{' || *c == '[') {
                entries.push(Entry {
                    line,
                    column: at + 1,
                    kind: Kind::Flow(Inline {
                        line,
                        column: at + 1,
                        text: rest.iter().collect::<String>().trim_end().to_owned(),
                    }),
                });
                break;
            }
            match split_key(rest) {
                Some((name, value_offset)) => {
                    let value = value_offset.map(|offset| Inline {
                        line,
                        column: at + offset + 1,
                        text: rest[offset..]
                            .iter()
                            .collect::<String>()
                            .trim_end()
                            .to_owned(),
                    });
                    if value
                        .as_ref()
                        .is_some_and(|v| v.text.starts_with(['|', '>']))
                    {
                        // Content lines are indented more than the mapping holding this key.
                        block_scalar_indent = Some(at);
                    }
                    entries.push(Entry {
                        line,
                        column: at + 1,
                        kind: Kind::Key { name, value },
                    });
                }
                None => entries.push(Entry {
                    line,
                    column: at + 1,
                    kind: Kind::Scalar,
                }),
            }
            break;
        }
    }
    entries
}

/// `key: value` → the unquoted key and the offset of the value, if there is one on this line.
fn split_key(rest: &[char]) -> Option<(String, Option<usize>)> {
    let (name, after) = match rest.first() {
        Some(quote @ ('"' | '\'')) => {
            let close = rest[1..].iter().position(|c| c == quote)? + 1;
            let name: String = rest[1..close].iter().collect();
            if rest.get(close + 1) != Some(&':') {
                return None;
            }
            (name, close + 2)
        }
        _ => {
            let colon = (0..rest.len())
                .find(|&i| rest[i] == ':' && (i + 1 == rest.len() || rest[i + 1] == ' '))?;
            let name: String = rest[..colon].iter().collect();
            (name.trim_end().to_owned(), colon + 1)
        }
    };
    if after < rest.len() && rest[after] != ' ' {
        return None;
    }
    let value = (after..rest.len()).find(|&i| rest[i] != ' ');
    Some((name, value))
}

/// The line without its `# comment` (a `#` at the start or after a space, outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '#' && (previous == ' ' || previous == '\t') => return &line[..i],
            None if (c == '"' || c == '\'') && (previous == ' ' || previous == '-' || i == 0) => {
                quote = Some(c);
            }
            None => {}
        }
        previous = c;
    }
    line
}

/// A node of a single-line flow collection, with the char offset where it starts.
#[derive(Debug)]
enum Flow {
    Map(Vec<(String, Flow)>, usize),
    Seq(Vec<Flow>, usize),
    Scalar(usize),
}

impl Flow {
    fn start(&self) -> usize {
        match self {
            Flow::Map(_, s) | Flow::Seq(_, s) | Flow::Scalar(s) => *s,
        }
    }
}

fn locate_in_flow(inline: &Inline, segments: &[Segment]) -> Option<Position> {
    let chars: Vec<char> = inline.text.chars().collect();
    let mut at = 0;
    let mut node = &parse_flow(&chars, &mut at, 0)?;
    let mut best = node.start();
    for segment in segments {
        let child = match (node, segment) {
            (Flow::Map(pairs, _), Segment::Key(wanted)) => {
                pairs.iter().find(|(key, _)| key == wanted).map(|(_, v)| v)
            }
            (Flow::Seq(items, _), Segment::Index(wanted)) => items.get(*wanted),
            _ => None,
        };
        let Some(child) = child else { break };
        node = child;
        best = node.start();
    }
    Some(Position {
        line: inline.line,
        column: inline.column + best,
    })
}

fn skip_spaces(chars: &[char], at: &mut usize) {
    while chars.get(*at).is_some_and(|c| c.is_whitespace()) {
        *at += 1;
    }
}

/// Flow collections nested deeper than this are not looked into (serde_yaml stops at 128).
const MAX_FLOW_DEPTH: usize = 32;

fn parse_flow(chars: &[char], at: &mut usize, depth: usize) -> Option<Flow> {
    if depth > MAX_FLOW_DEPTH {
        return None;
    }
    skip_spaces(chars, at);
    let start = *at;
    match chars.get(*at)? {
        '[' => {
            *at += 1;
            let mut items = Vec::new();
            loop {
                skip_spaces(chars, at);
                if chars.get(*at) == Some(&']') {
                    *at += 1;
                    return Some(Flow::Seq(items, start));
                }
                items.push(parse_flow(chars, at, depth + 1)?);
                skip_spaces(chars, at);
                match chars.get(*at)? {
                    ',' => *at += 1,
                    ']' => {}
                    _ => return None,
                }
            }
        }
        '{' => {
            *at += 1;
            let mut pairs = Vec::new();
            loop {
                skip_spaces(chars, at);
                if chars.get(*at) == Some(&'}') {
                    *at += 1;
                    return Some(Flow::Map(pairs, start));
                }
                let key_start = *at;
                let key = scalar_end(chars, at, true);
                let key: String = chars[key_start..key].iter().collect();
                let key = key.trim().trim_matches(['"', '\'']).to_owned();
                skip_spaces(chars, at);
                let value = if chars.get(*at) == Some(&':') {
                    *at += 1;
                    parse_flow(chars, at, depth + 1)?
                } else {
                    Flow::Scalar(key_start)
                };
                pairs.push((key, value));
                skip_spaces(chars, at);
                match chars.get(*at)? {
                    ',' => *at += 1,
                    '}' => {}
                    _ => return None,
                }
            }
        }
        _ => {
            scalar_end(chars, at, false);
            Some(Flow::Scalar(start))
        }
    }
}

/// Moves past a flow scalar (quoted or plain) and returns where it ends.
fn scalar_end(chars: &[char], at: &mut usize, is_key: bool) -> usize {
    if let Some(quote @ ('"' | '\'')) = chars.get(*at).copied() {
        *at += 1;
        while let Some(c) = chars.get(*at) {
            *at += 1;
            if *c == '\\' && quote == '"' {
                *at += 1;
            } else if *c == quote {
                break;
            }
        }
        return *at;
    }
    while let Some(c) = chars.get(*at) {
        let ends_key = is_key
            && *c == ':'
            && chars
                .get(*at + 1)
                .is_none_or(|n| n.is_whitespace() || matches!(n, ',' | '}' | ']'));
        if matches!(c, ',' | ']' | '}') || ends_key {
            break;
        }
        *at += 1;
    }
    *at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> FieldPath {
        let mut path = FieldPath::root();
        for part in text.split('.') {
            let (key, indexes) = part.split_once('[').unwrap_or((part, ""));
            if !key.is_empty() {
                path = path.key(key);
            }
            for index in indexes.split('[').filter(|s| !s.is_empty()) {
                path = path.index(index.trim_end_matches(']').parse().expect("index"));
            }
        }
        path
    }

    fn at(text: &str, field: &str) -> (usize, usize) {
        let p = locate(text, &path(field));
        (p.line, p.column)
    }

    const YAML: &str = "\
# comment: not a key
refresh: 15s   # trailing: comment
sources:
  - name: demo
    url: http://127.0.0.1:9090
    headers:
      X-Scope-OrgID: tenant
  - name: prod
    url: \"https://prom:9090\"
signals:
  quantiles: [0.5, 0.9, 1.5]
  saturation:
    - name: cpu
      query: |
        max by ({{by}}) (
          name: not_a_key
        )
    - {name: pool, used: a}
thresholds:
  errors: {warn: 0.1, crit: 0.05}
services:
- name: api
  source: demo
-   name: checkout
    thresholds:
      latency:
        warn: 2
";

    #[test]
    fn prints_paths_like_serde_path_to_error() {
        let p = FieldPath::root().key("services").index(1).key("thresholds");
        assert_eq!(p.to_string(), "services[1].thresholds");
        assert_eq!(FieldPath::root().to_string(), "");
    }

    #[test]
    fn finds_block_keys_and_list_items() {
        assert_eq!(at(YAML, "refresh"), (2, 10));
        assert_eq!(at(YAML, "sources"), (3, 1));
        assert_eq!(at(YAML, "sources[0]"), (4, 5));
        assert_eq!(at(YAML, "sources[1].name"), (8, 11));
        assert_eq!(at(YAML, "sources[1].url"), (9, 10));
        assert_eq!(at(YAML, "sources[0].headers.X-Scope-OrgID"), (7, 22));
        assert_eq!(at(YAML, "signals.saturation[1]"), (18, 7));
        assert_eq!(at(YAML, "services[0].source"), (23, 11));
        assert_eq!(at(YAML, "services[1]"), (24, 5));
        assert_eq!(at(YAML, "services[1].thresholds.latency.warn"), (27, 15));
    }

    #[test]
    fn finds_items_of_flow_collections() {
        assert_eq!(at(YAML, "signals.quantiles[2]"), (11, 25));
        assert_eq!(at(YAML, "thresholds.errors.crit"), (20, 29));
        assert_eq!(at(YAML, "signals.saturation[1].used"), (18, 26));
    }

    #[test]
    fn skips_block_scalars_and_falls_back_to_the_parent() {
        assert_eq!(at(YAML, "signals.saturation[0].name"), (13, 13));
        assert_eq!(at(YAML, "signals.saturation[0].max"), (13, 7));
        assert_eq!(at(YAML, "sources[5].url"), (3, 1));
        assert_eq!(at(YAML, "nothing.here"), (1, 1));
        assert_eq!(at("", "sources"), (1, 1));
        let deep = format!("ranges: {}", "[".repeat(100_000));
        assert_eq!(at(&deep, "ranges[0]"), (1, 9));
    }
}
