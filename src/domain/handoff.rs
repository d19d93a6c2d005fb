//! Shift handoff notes: the model and the on-disk format. Pure logic, no I/O (the files live in
//! [`crate::store::handoff`]).
//!
//! A note is a Markdown file with a YAML front matter, meant to be read and edited by hand:
//!
//! ```text
//! ---
//! id: 2026-11-22T0900Z-alice
//! author: alice
//! shift_start: 2026-11-22T09:00:00Z
//! shift_end: 2026-11-22T17:00:00Z
//! created: 2026-11-22T16:55:00Z
//! acked_by: bob
//! acked_at: 2026-11-22T17:05:00Z
//! revision: 3
//! team: payments          # any key sretop does not know is kept as it is
//! ---
//!
//! Free text before the first section is kept too.
//!
//! ## Open incidents
//!
//! - [SEV1] INC-123 (investigating): checkout latency
//!
//! ## Ongoing issues
//!
//! - [ ] disk on db-3 at 85%
//! - [x] flaky canary
//!
//! ## Upcoming maintenance
//!
//! - 2026-11-23 02:00 UTC: kafka broker upgrade
//!
//! ## Tips
//!
//! - the runbook for INC-123 is outdated
//!
//! ## Any other section
//! is kept word for word, in order.
//! ```
//!
//! Reading is lenient: section titles are matched without regard to case (and `Incidents`,
//! `Ongoing`, `Maintenance` are accepted), `*` and `+` bullets work, an indented line continues
//! the bullet above it, and a bullet or a line of text that does not fit a section's syntax is
//! kept as text (an incident's summary, an item's text). Writing is canonical. What sretop does
//! not understand (unknown front-matter keys, free text, unknown sections) is carried through a
//! save; what is not kept is formatting: YAML comments in the front matter, the position of an
//! unknown section among the known ones, and blank-line and bullet-character choices.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_yaml::{Mapping, Value};

/// One shift handoff note. See the [module documentation](self) for the file format.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// Identifier, also the file stem, e.g. `2026-11-22T0900Z-alice`.
    pub id: String,
    /// Who wrote the note (the outgoing on-call engineer).
    pub author: String,
    /// Start of the shift being handed off, if known.
    pub shift_start: Option<DateTime<Utc>>,
    /// End of the shift being handed off, if known.
    pub shift_end: Option<DateTime<Utc>>,
    /// When the note was created.
    pub created: DateTime<Utc>,
    /// Who acknowledged the note (the incoming engineer), if anyone has.
    pub acked_by: Option<String>,
    /// When the note was acknowledged.
    pub acked_at: Option<DateTime<Utc>>,
    /// Bumped on every save; used to detect two engineers saving the same note.
    pub revision: u64,
    /// The `## Open incidents` section.
    pub incidents: Vec<Incident>,
    /// The `## Ongoing issues` section.
    pub ongoing: Vec<Item>,
    /// The `## Upcoming maintenance` section.
    pub maintenance: Vec<Maintenance>,
    /// The `## Tips` section.
    pub tips: Vec<Item>,
    /// Front-matter keys sretop does not know, kept in their order. A key that sretop does know
    /// (`author`, `revision`, …) is ignored here: the field wins.
    pub extra_front_matter: Mapping,
    /// Free text between the front matter and the first `##` section, without surrounding
    /// blank lines.
    pub preamble: String,
    /// `##` sections sretop does not know: title (as written, without `## `) and body (the
    /// lines under the title, without trailing blank lines), in file order.
    pub extra_sections: Vec<(String, String)>,
}

/// One bullet of `## Open incidents`: `- [SEV1] INC-123 (investigating): summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Incident {
    /// Incident identifier, e.g. `INC-123`; a single word. Empty if not given.
    pub id: String,
    /// Severity as written between brackets, e.g. `SEV1`. Empty if not given.
    pub severity: String,
    /// Status as written between parentheses, e.g. `investigating`. Empty if not given.
    pub status: String,
    /// Free text; a bullet that does not fit the syntax ends up here whole.
    pub summary: String,
}

/// One bullet of `## Ongoing issues` or `## Tips`: `- [ ] text`, `- [x] text` or `- text`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    /// The text; lines after the first are written indented under the bullet.
    pub text: String,
    /// Whether the box is ticked (`- [x]`).
    pub done: bool,
}

/// One bullet of `## Upcoming maintenance`: `- 2026-11-23 02:00 UTC: what`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maintenance {
    /// When, as the author wrote it (free text, not parsed as a time).
    pub when: String,
    /// What is going to happen.
    pub what: String,
}

/// Why a note file could not be read: a 1-based line number in the file and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based line in the file (the front matter's opening `---` is line 1).
    pub line: usize,
    /// What is wrong, as a sentence for the user.
    pub message: String,
}

impl ParseError {
    fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

impl Note {
    /// A new, empty note by `author`, created at `created`, with an id made from the creation
    /// minute and the author (`2026-11-22T0900Z-alice`); characters other than ASCII letters,
    /// digits, `-`, `_` and `.` in the author become `-` in the id.
    pub fn new(author: &str, created: DateTime<Utc>) -> Self {
        let who: String = author
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let who = if who.is_empty() {
            "anon".to_string()
        } else {
            who
        };
        Self {
            id: format!("{}-{who}", created.format("%Y-%m-%dT%H%MZ")),
            author: author.to_string(),
            shift_start: None,
            shift_end: None,
            created,
            acked_by: None,
            acked_at: None,
            revision: 0,
            incidents: Vec::new(),
            ongoing: Vec::new(),
            maintenance: Vec::new(),
            tips: Vec::new(),
            extra_front_matter: Mapping::new(),
            preamble: String::new(),
            extra_sections: Vec::new(),
        }
    }
}

const KNOWN_KEYS: [&str; 8] = [
    "id",
    "author",
    "shift_start",
    "shift_end",
    "created",
    "acked_by",
    "acked_at",
    "revision",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    Incidents,
    Ongoing,
    Maintenance,
    Tips,
}

fn known_section(title: &str) -> Option<Known> {
    match title.trim().to_lowercase().as_str() {
        "open incidents" | "incidents" => Some(Known::Incidents),
        "ongoing issues" | "ongoing" => Some(Known::Ongoing),
        "upcoming maintenance" | "maintenance" => Some(Known::Maintenance),
        "tips" => Some(Known::Tips),
        _ => None,
    }
}

/// Parses a note file. Errors are about the front matter (missing, not closed, invalid YAML,
/// a known key with a value of the wrong kind, `author` or `created` missing); the Markdown
/// body always parses, since anything that does not fit is kept as text.
pub fn parse(text: &str) -> Result<Note, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = normalize_line_ends(text);
    let lines: Vec<&str> = text.split('\n').collect();
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        return Err(ParseError::new(
            1,
            "a handoff note must start with a `---` line opening its front matter",
        ));
    }
    let close = lines
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, l)| matches!(l.trim_end(), "---" | "..."))
        .map(|(i, _)| i)
        .ok_or_else(|| {
            ParseError::new(
                1,
                "the front matter opened on line 1 is not closed by a `---` line",
            )
        })?;
    let mut note = parse_front_matter(&lines[1..close])?;
    parse_body(&lines[close + 1..], &mut note);
    Ok(note)
}

/// Drops every CR that ends a line or the file (`\r\n`, `\r\r\n`, a CR at the very end):
/// a save writes `\n` line ends, and a CR left at a line's end would read back differently
/// (`x\r` saved as `x\r\n` reads as `x`), so a note would change each time it is saved
/// (found by fuzzing). A CR inside a line is kept.
fn normalize_line_ends(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut crs = 0usize;
    for c in text.chars() {
        if c == '\r' {
            crs += 1;
            continue;
        }
        if c != '\n' {
            out.extend(std::iter::repeat_n('\r', crs));
        }
        crs = 0;
        out.push(c);
    }
    out
}

/// The file line (1-based, counting `\n` only, as editors and `sed -n Np` do) of line
/// `yaml_line` of the front matter `yaml` as the YAML parser counts it: YAML also breaks lines
/// at a lone CR, NEL, LS and PS, so `a\rb: [` has its error on YAML line 2 but file line 2 is
/// the next one. The front matter starts on file line 2; a line past its end gives the line
/// after it (the closing `---`), never one past the end of the file.
fn file_line(yaml: &str, yaml_line: usize) -> usize {
    let mut chars = yaml.chars().peekable();
    let (mut at_yaml, mut at_file) = (1, 1);
    while at_yaml < yaml_line {
        let Some(c) = chars.next() else {
            break;
        };
        match c {
            '\n' => {
                at_yaml += 1;
                at_file += 1;
            }
            '\r' if chars.peek() != Some(&'\n') => at_yaml += 1,
            '\u{85}' | '\u{2028}' | '\u{2029}' => at_yaml += 1,
            _ => {}
        }
    }
    at_file + 1
}

/// serde_yaml's message with the lines it names counted in the file rather than in the front
/// matter, and without the error's own position (reported as [`ParseError::line`]).
fn yaml_message(e: &serde_yaml::Error, yaml: &str) -> String {
    let mut msg = e.to_string();
    if let Some(loc) = e.location() {
        let suffix = format!(" at line {} column {}", loc.line(), loc.column());
        if msg.ends_with(&suffix) {
            msg.truncate(msg.len() - suffix.len());
        }
    }
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg.as_str();
    while let Some(i) = rest.find("at line ") {
        let (before, after) = rest.split_at(i + "at line ".len());
        out.push_str(before);
        let digits = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        match after[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&file_line(yaml, n).to_string()),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// Parses the front matter, whose first line is line 2 of the file.
fn parse_front_matter(lines: &[&str]) -> Result<Note, ParseError> {
    // Each line with its newline: a block scalar that keeps its trailing newlines (`|+`, as
    // the writer emits for a value ending in blank lines) needs the last one (found by
    // fuzzing: such a value lost a newline per save).
    let yaml: String = lines.iter().flat_map(|l| [*l, "\n"]).collect();
    let value: Value = if yaml.trim().is_empty() {
        Value::Mapping(Mapping::new())
    } else {
        serde_yaml::from_str(&yaml).map_err(|e| {
            ParseError::new(
                e.location().map_or(2, |l| file_line(&yaml, l.line())),
                format!(
                    "invalid YAML in the front matter: {}",
                    yaml_message(&e, &yaml)
                ),
            )
        })?
    };
    let map = match value {
        Value::Mapping(m) => m,
        Value::Null => Mapping::new(),
        _ => {
            return Err(ParseError::new(
                2,
                "the front matter must be `key: value` lines",
            ))
        }
    };
    // 1-based file line of a top-level key, for errors about its value.
    let key_line = |key: &str| {
        lines
            .iter()
            .position(|l| {
                l.strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
            })
            .map_or(1, |i| i + 2)
    };
    let wrong = |key: &str, what: &str| ParseError::new(key_line(key), format!("`{key}`: {what}"));

    let mut id = String::new();
    let mut author = None;
    let mut created = None;
    let mut note = Note::new("", DateTime::<Utc>::UNIX_EPOCH);
    for (k, v) in map {
        let Some(key) = k.as_str().filter(|k| KNOWN_KEYS.contains(k)) else {
            note.extra_front_matter.insert(k, v);
            continue;
        };
        let text = || match &v {
            Value::Null => Ok(None),
            other => scalar_text(other)
                .map(Some)
                .ok_or_else(|| wrong(key, "expected a single value, not a list or a map")),
        };
        let time = || match &v {
            Value::Null => Ok(None),
            other => scalar_text(other)
                .and_then(|s| parse_time(&s))
                .map(Some)
                .ok_or_else(|| {
                    wrong(
                        key,
                        "expected a time such as 2026-11-22T09:00:00Z or 2026-11-22 09:00 UTC",
                    )
                }),
        };
        match key {
            "id" => id = text()?.unwrap_or_default(),
            "author" => author = text()?,
            "shift_start" => note.shift_start = time()?,
            "shift_end" => note.shift_end = time()?,
            "created" => created = time()?,
            "acked_by" => note.acked_by = text()?.filter(|s| !s.is_empty()),
            "acked_at" => note.acked_at = time()?,
            _ => {
                note.revision = match &v {
                    Value::Null => 0,
                    other => scalar_text(other)
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .ok_or_else(|| wrong(key, "expected a whole number"))?,
                }
            }
        }
    }
    let close_line = lines.len() + 2;
    note.id = id;
    note.author =
        author.ok_or_else(|| ParseError::new(close_line, "the front matter has no `author`"))?;
    note.created = created
        .ok_or_else(|| ParseError::new(close_line, "the front matter has no `created` time"))?;
    Ok(note)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` (a `T` also works) with an optional `Z` or ` UTC`,
/// read as UTC.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = s
        .strip_suffix("UTC")
        .or_else(|| s.strip_suffix('Z'))
        .unwrap_or(s)
        .trim_end();
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(naive, f).ok())
    .map(|t| t.and_utc())
}

enum Target {
    Preamble,
    Known(Known),
    Extra(usize),
}

/// Bullet entries of one known section, as text: a bullet's text plus the lines that continue
/// it, joined with `\n`.
#[derive(Default)]
struct Entries {
    entries: Vec<String>,
    pending_blanks: usize,
}

impl Entries {
    fn push_line(&mut self, line: &str) {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !self.entries.is_empty() {
                self.pending_blanks += 1;
            }
            return;
        }
        let indented = line.starts_with("  ") || line.starts_with('\t');
        match (bullet_text(line), self.entries.last_mut()) {
            (Some(text), _) => self.entries.push(text.trim().to_string()),
            (None, Some(last)) if indented => {
                let cont = line
                    .strip_prefix("  ")
                    .or_else(|| line.strip_prefix('\t'))
                    .unwrap_or(line);
                for _ in 0..self.pending_blanks {
                    last.push('\n');
                }
                last.push('\n');
                last.push_str(cont);
            }
            (None, _) => self.entries.push(line.trim().to_string()),
        }
        self.pending_blanks = 0;
    }
}

/// The text of a top-level bullet (`- `, `* ` or `+ `, at most one space of indentation).
fn bullet_text(line: &str) -> Option<&str> {
    let l = line.strip_prefix(' ').unwrap_or(line);
    let rest = l
        .strip_prefix('-')
        .or_else(|| l.strip_prefix('*'))
        .or_else(|| l.strip_prefix('+'))?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix(' ').or_else(|| rest.strip_prefix('\t'))
    }
}

fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

fn parse_body(lines: &[&str], note: &mut Note) {
    let mut preamble: Vec<&str> = Vec::new();
    let mut extras: Vec<(String, Vec<&str>)> = Vec::new();
    let mut known: [Entries; 4] = Default::default();
    let slot = |k: Known| match k {
        Known::Incidents => 0,
        Known::Ongoing => 1,
        Known::Maintenance => 2,
        Known::Tips => 3,
    };
    let mut target = Target::Preamble;
    let mut in_fence = false;
    // A code fence hides `##` headings only in free text (the preamble, unknown sections) and
    // only when a fence line follows to close it. Otherwise an unclosed fence, or one in a
    // bullet (whose lines are rewritten on save), would hide headings that a save writes after
    // it, and the saved note would read back differently.
    let last_fence = lines.iter().rposition(|l| is_fence(l));
    for (i, &line) in lines.iter().enumerate() {
        if !in_fence {
            let heading = line.strip_prefix("## ").or(if line.trim_end() == "##" {
                Some("")
            } else {
                None
            });
            if let Some(title) = heading {
                target = match known_section(title) {
                    Some(k) => {
                        known[slot(k)].pending_blanks = 0;
                        Target::Known(k)
                    }
                    None => {
                        extras.push((title.trim().to_string(), Vec::new()));
                        Target::Extra(extras.len() - 1)
                    }
                };
                continue;
            }
        }
        if is_fence(line) && !matches!(target, Target::Known(_)) {
            in_fence = !in_fence && last_fence.is_some_and(|last| last > i);
        }
        match target {
            Target::Preamble => preamble.push(line),
            Target::Known(k) => known[slot(k)].push_line(line),
            Target::Extra(i) => {
                if let Some((_, body)) = extras.get_mut(i) {
                    body.push(line);
                }
            }
        }
    }
    note.preamble = trim_blank_lines(&preamble, true);
    note.extra_sections = extras
        .into_iter()
        .map(|(title, body)| (title, trim_blank_lines(&body, false)))
        .collect();
    let [incidents, ongoing, maintenance, tips] = known;
    note.incidents = incidents
        .entries
        .iter()
        .map(|e| parse_incident(e))
        .collect();
    note.ongoing = ongoing.entries.iter().map(|e| parse_item(e)).collect();
    note.maintenance = maintenance
        .entries
        .iter()
        .map(|e| parse_maintenance(e))
        .collect();
    note.tips = tips.entries.iter().map(|e| parse_item(e)).collect();
}

fn trim_blank_lines(lines: &[&str], leading: bool) -> String {
    let blank = |l: &&str| l.trim().is_empty();
    let start = if leading {
        lines.iter().position(|l| !blank(l)).unwrap_or(lines.len())
    } else {
        0
    };
    let end = lines
        .iter()
        .rposition(|l| !blank(l))
        .map_or(start, |i| i + 1);
    lines.get(start..end.max(start)).unwrap_or(&[]).join("\n")
}

fn parse_item(entry: &str) -> Item {
    for (mark, done) in [("[ ]", false), ("[x]", true), ("[X]", true)] {
        if let Some(rest) = entry.strip_prefix(mark) {
            if rest.is_empty() || rest.starts_with([' ', '\n']) {
                // All leading whitespace, as a bullet's text is trimmed: `[ ] \rx` kept the CR,
                // which the save wrote as `- \rx`, read back as `x` (found by fuzzing).
                return Item {
                    text: rest.trim_start().to_string(),
                    done,
                };
            }
        }
    }
    Item {
        text: entry.to_string(),
        done: false,
    }
}

/// Byte index of the first `:` outside parentheses, on the first line, that ends a word (is
/// followed by a space or the end of the line).
fn head_colon(s: &str, parens: bool) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = s.as_bytes();
    for (i, c) in s.char_indices() {
        match c {
            '\n' => return None,
            '(' if parens => depth += 1,
            ')' if parens => depth = depth.saturating_sub(1),
            ':' if depth == 0 => {
                if matches!(bytes.get(i + 1), None | Some(b' ' | b'\n')) {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits `ID (status)` (either part may be missing); `None` if it does not look like that.
fn parse_head(head: &str) -> Option<(String, String)> {
    let h = head.trim();
    let (id, status) = match h.strip_suffix(')') {
        Some(inner) => {
            let mut depth = 0usize;
            let mut open = None;
            for (i, c) in inner.char_indices().rev() {
                match c {
                    ')' => depth += 1,
                    '(' if depth == 0 => {
                        open = Some(i);
                        break;
                    }
                    '(' => depth -= 1,
                    _ => {}
                }
            }
            let open = open?;
            (inner[..open].trim(), inner[open + 1..].trim())
        }
        None => (h, ""),
    };
    // An id ending in `:` cannot be written back before ` (status)`: `x: (s): y` reads as id
    // `x` (found by fuzzing: `created:(s): y` changed on save).
    if id.ends_with(':') || id.contains(|c: char| c.is_whitespace() || c == '(' || c == ')') {
        return None;
    }
    Some((id.to_string(), status.to_string()))
}

fn parse_incident(entry: &str) -> Incident {
    let mut inc = Incident::default();
    let mut rest = entry;
    if let Some(after) = rest.strip_prefix('[') {
        if let Some(end) = after.find(']') {
            let sev = after[..end].trim();
            if !sev.is_empty() && !sev.contains('\n') {
                inc.severity = sev.to_string();
                rest = after[end + 1..].trim_start_matches(' ');
            }
        }
    }
    if let Some(colon) = head_colon(rest, true) {
        if let Some((id, status)) = parse_head(&rest[..colon]) {
            inc.id = id;
            inc.status = status;
            inc.summary = rest[colon + 1..].trim_start().to_string();
            return inc;
        }
    }
    inc.summary = rest.to_string();
    inc
}

fn parse_maintenance(entry: &str) -> Maintenance {
    match head_colon(entry, false) {
        Some(colon) => Maintenance {
            when: entry[..colon].trim().to_string(),
            what: entry[colon + 1..].trim_start().to_string(),
        },
        None => Maintenance {
            when: String::new(),
            what: entry.to_string(),
        },
    }
}

fn render_incident(inc: &Incident) -> String {
    let sev = if inc.severity.is_empty() {
        String::new()
    } else {
        format!("[{}] ", inc.severity)
    };
    let plain = if inc.id.is_empty() && inc.status.is_empty() {
        format!("{sev}{}", inc.summary)
    } else {
        let status = match (inc.id.is_empty(), inc.status.is_empty()) {
            (_, true) => String::new(),
            (true, false) => format!("({})", inc.status),
            (false, false) => format!(" ({})", inc.status),
        };
        format!("{sev}{}{status}: {}", inc.id, inc.summary)
    };
    if parse_incident(plain.trim_end_matches(' ')) == *inc {
        plain
    } else {
        // The summary alone would be read as an id or a severity: an empty head says it is not.
        format!("{sev}: {}", inc.summary)
    }
}

fn render_maintenance(m: &Maintenance) -> String {
    let plain = if m.when.is_empty() {
        m.what.clone()
    } else {
        format!("{}: {}", m.when, m.what)
    };
    if parse_maintenance(plain.trim_end_matches(' ')) == *m {
        plain
    } else {
        format!(": {}", m.what)
    }
}

fn render_item(item: &Item, always_box: bool) -> String {
    let looks_boxed = parse_item(&item.text)
        != Item {
            text: item.text.clone(),
            done: false,
        };
    match (item.done, always_box || looks_boxed) {
        (true, _) => format!("[x] {}", item.text),
        (false, true) => format!("[ ] {}", item.text),
        (false, false) => item.text.clone(),
    }
}

/// A bullet with its text; lines after the first are indented two spaces so they stay in it.
fn push_bullet(out: &mut String, text: &str) {
    for (i, line) in text.split('\n').enumerate() {
        let line = line.trim_end();
        match (i, line.is_empty()) {
            (0, _) => out.push_str(format!("- {line}").trim_end()),
            (_, true) => {}
            (_, false) => {
                out.push_str("  ");
                out.push_str(line);
            }
        }
        out.push('\n');
    }
}

fn time_value(t: &DateTime<Utc>) -> Value {
    Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

fn front_matter(note: &Note) -> Mapping {
    let mut m = Mapping::new();
    let mut put = |k: &str, v: Value| {
        m.insert(Value::String(k.to_string()), v);
    };
    put("id", Value::String(note.id.clone()));
    put("author", Value::String(note.author.clone()));
    if let Some(t) = &note.shift_start {
        put("shift_start", time_value(t));
    }
    if let Some(t) = &note.shift_end {
        put("shift_end", time_value(t));
    }
    put("created", time_value(&note.created));
    if let Some(who) = &note.acked_by {
        put("acked_by", Value::String(who.clone()));
    }
    if let Some(t) = &note.acked_at {
        put("acked_at", time_value(t));
    }
    put("revision", Value::Number(note.revision.into()));
    for (k, v) in &note.extra_front_matter {
        if !k.as_str().is_some_and(|k| KNOWN_KEYS.contains(&k)) {
            m.insert(k.clone(), v.clone());
        }
    }
    m
}

/// The four known sections, titles and rendered bullets, in file order.
fn known_sections(note: &Note) -> [(&'static str, Vec<String>); 4] {
    [
        (
            "Open incidents",
            note.incidents.iter().map(render_incident).collect(),
        ),
        (
            "Ongoing issues",
            note.ongoing.iter().map(|i| render_item(i, true)).collect(),
        ),
        (
            "Upcoming maintenance",
            note.maintenance.iter().map(render_maintenance).collect(),
        ),
        (
            "Tips",
            note.tips.iter().map(|i| render_item(i, false)).collect(),
        ),
    ]
}

/// Writes a note in the file format; `parse(&render(n)) == n` for any note whose texts have no
/// leading or trailing whitespace and whose extra sections came from [`parse`].
pub fn render(note: &Note) -> String {
    // Serialising a YAML value cannot fail (the writer is a String, every key is a value).
    let yaml = serde_yaml::to_string(&front_matter(note)).unwrap_or_default();
    let mut out = format!("---\n{yaml}---\n");
    if !note.preamble.trim().is_empty() {
        out.push('\n');
        out.push_str(&note.preamble);
        out.push('\n');
    }
    let mut section = |title: &str, entries: Vec<String>| {
        out.push_str(&format!("\n## {title}\n"));
        if !entries.is_empty() {
            out.push('\n');
        }
        for e in entries {
            push_bullet(&mut out, &e);
        }
    };
    for (title, entries) in known_sections(note) {
        section(title, entries);
    }
    for (title, body) in &note.extra_sections {
        out.push_str(&format!("\n## {title}\n"));
        if !body.is_empty() {
            out.push_str(body);
            out.push('\n');
        }
    }
    out
}

fn chat_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// The note as Markdown to paste into a chat: a bold title with author and shift, the
/// acknowledgement, then the sections (an empty known section says `none`). No front matter.
pub fn render_markdown_for_chat(note: &Note) -> String {
    let shift = match (&note.shift_start, &note.shift_end) {
        (Some(s), Some(e)) if s.date_naive() == e.date_naive() => {
            format!(" ({} – {} UTC)", chat_time(s), e.format("%H:%M"))
        }
        (Some(s), Some(e)) => format!(" ({} – {} UTC)", chat_time(s), chat_time(e)),
        (Some(s), None) => format!(" (from {} UTC)", chat_time(s)),
        (None, Some(e)) => format!(" (until {} UTC)", chat_time(e)),
        (None, None) => String::new(),
    };
    let mut out = format!("**Shift handoff from {}**{shift}\n", note.author);
    match (&note.acked_by, &note.acked_at) {
        (Some(who), Some(at)) => out.push_str(&format!(
            "_Acknowledged by {who} at {} UTC._\n",
            chat_time(at)
        )),
        (Some(who), None) => out.push_str(&format!("_Acknowledged by {who}._\n")),
        (None, _) => out.push_str("_Not acknowledged yet._\n"),
    }
    if !note.preamble.trim().is_empty() {
        out.push('\n');
        out.push_str(&note.preamble);
        out.push('\n');
    }
    let mut section = |title: &str, entries: Vec<String>| {
        out.push_str(&format!("\n**{title}**\n"));
        if entries.is_empty() {
            out.push_str("- none\n");
        }
        for e in entries {
            push_bullet(&mut out, &e);
        }
    };
    for (title, entries) in known_sections(note) {
        section(title, entries);
    }
    for (title, body) in &note.extra_sections {
        out.push_str(&format!("\n**{title}**\n"));
        if !body.trim().is_empty() {
            out.push_str(body);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, h, m, 0).unwrap()
    }

    fn full_note() -> Note {
        let mut n = Note::new("alice", t(16, 55));
        n.shift_start = Some(t(9, 0));
        n.shift_end = Some(t(17, 0));
        n.acked_by = Some("bob".into());
        n.acked_at = Some(t(17, 5) + chrono::Duration::milliseconds(250));
        n.revision = 3;
        n.incidents = vec![
            Incident {
                id: "INC-123".into(),
                severity: "SEV1".into(),
                status: "investigating".into(),
                summary: "checkout latency p99 > 2s\nsee https://grafana/d/abc".into(),
            },
            Incident {
                id: "INC-7".into(),
                severity: String::new(),
                status: "waiting (vendor)".into(),
                summary: String::new(),
            },
            Incident {
                summary: "no id: just words".into(),
                ..Default::default()
            },
            Incident {
                severity: "SEV3".into(),
                summary: "[bracketed] text".into(),
                ..Default::default()
            },
        ];
        n.ongoing = vec![
            Item {
                text: "disk on db-3 at 85%".into(),
                done: false,
            },
            Item {
                text: "flaky canary\n\n  - retried twice".into(),
                done: true,
            },
        ];
        n.maintenance = vec![
            Maintenance {
                when: "2026-11-23 02:00 UTC".into(),
                what: "kafka upgrade: brokers 1-3".into(),
            },
            Maintenance {
                when: String::new(),
                what: "someday: maybe".into(),
            },
        ];
        n.tips = vec![
            Item {
                text: "runbook is outdated".into(),
                done: false,
            },
            Item {
                text: "[ ] looks like a box".into(),
                done: false,
            },
        ];
        n.extra_front_matter
            .insert("team".into(), Value::String("payments".into()));
        n.preamble = "Quiet shift overall.\n\nOne page at night.".into();
        n.extra_sections = vec![("Links".into(), "- [dash](https://x)\n\nend".into())];
        n
    }

    #[test]
    fn an_unclosed_code_fence_does_not_hide_the_sections_written_after_it() {
        // Found by tests/fuzz.rs: an unclosed fence in the preamble hid the section headings
        // that render writes after it, so a saved note read back with its sections in the
        // preamble.
        let text = "---\nauthor: alice\ncreated: 2026-11-22T09:00:00Z\n---\n```\n";
        let n = parse(text).unwrap();
        assert_eq!(n.preamble, "```");
        assert_eq!(parse(&render(&n)).unwrap(), n);
        let mut with_tip = n.clone();
        with_tip.tips.push(Item {
            text: "ask Bob".into(),
            done: false,
        });
        assert_eq!(parse(&render(&with_tip)).unwrap(), with_tip);
        // A fence in a bullet (whose lines a save rewrites) hides no heading either.
        let text = "---\nauthor: a\ncreated: 2026-11-22T09:00:00Z\n---\n## Tips\n- a\n  ```\n\
                    ## Notes\n```\n";
        let n = parse(text).unwrap();
        assert_eq!(n.tips.len(), 1);
        assert_eq!(
            n.extra_sections,
            vec![("Notes".to_string(), "```".to_string())]
        );
        assert_eq!(parse(&render(&n)).unwrap(), n);
    }

    #[test]
    fn a_lone_cr_at_the_end_of_the_file_is_dropped() {
        // Found by fuzzing: the preamble kept the CR, and the save's newline made it a CRLF.
        let n = parse("---\nauthor: a\ncreated: 2026-11-22T09:00:00Z\n---\ntext \r").unwrap();
        assert_eq!(n.preamble, "text ");
        assert_eq!(parse(&render(&n)).unwrap(), n);
    }

    #[test]
    fn a_checkbox_item_loses_all_leading_whitespace() {
        let text =
            "---\nauthor: a\ncreated: 2026-11-22T09:00:00Z\n---\n## Tips\n- [ ] \rx\n- [x] \ty\n";
        let n = parse(text).unwrap();
        assert_eq!(n.tips[0].text, "x");
        assert_eq!(n.tips[1].text, "y");
        assert_eq!(parse(&render(&n)).unwrap(), n);
    }

    #[test]
    fn an_incident_id_ending_in_a_colon_is_not_an_id() {
        let text = "---\nauthor: a\ncreated: 2026-11-22T09:00:00Z\n---\n## Open incidents\n- created:(s): y\n";
        let n = parse(text).unwrap();
        assert_eq!(n.incidents[0].id, "");
        assert_eq!(n.incidents[0].summary, "created:(s): y");
        assert_eq!(parse(&render(&n)).unwrap(), n);
    }

    #[test]
    fn an_extra_front_matter_value_keeps_its_trailing_newlines() {
        let mut n = parse("---\nauthor: a\ncreated: 2026-11-22T09:00:00Z\n---\n").unwrap();
        n.extra_front_matter.insert(
            Value::String("runbook".into()),
            Value::String("line one\nline two\n\n\n".into()),
        );
        let text = render(&n);
        assert_eq!(parse(&text).unwrap(), n, "{text}");
    }

    #[test]
    fn crs_at_line_ends_are_dropped_so_saves_do_not_change_a_note() {
        // Found by libFuzzer: `x\r\r\r` at the end lost one CR per save, and `x\r\r\n` read
        // back as `x\r`, saved as `x\r\n`, then read as `x`.
        for text in [
            "---\nauthor: a\ncreated: 2026-11-22T09:00:00Z\n---\n## Tip\nx\r\r\r",
            "---\nauthor: a\ncreated: 2026-11-22T09:00:00Z\n---\n## Tip\nx\r\r\n## Other\ny\n",
            "---\r\r\nauthor: a\ncreated: 2026-11-22T09:00:00Z\n---\npre\rface\r\n",
        ] {
            let n = parse(text).unwrap();
            assert!(
                n.extra_sections.iter().all(|(_, b)| !b.ends_with('\r')),
                "{n:?}"
            );
            assert_eq!(parse(&render(&n)).unwrap(), n, "{text:?}");
        }
        // A CR inside a line stays.
        let n = parse("---\nauthor: a\ncreated: 2026-11-22T09:00:00Z\n---\npre\rface\n").unwrap();
        assert_eq!(n.preamble, "pre\rface");
    }

    #[test]
    fn front_matter_errors_name_file_lines_even_with_lone_crs() {
        // Found by libFuzzer: YAML breaks lines at a lone CR, so its line numbers ran past the
        // end of the file (line 5 of 3 here, line 24 of 19 in the original input).
        let e = parse("---\nt\r\r\rT: \n...").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        // Unicode line and paragraph separators break YAML lines too.
        let e = parse("---\nauthor: a\u{2028}\u{2028}\u{2029}c: d\nid: : x\n---\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        // YAML line 4 (`id: : x`) is file line 3.
        let e = parse("---\nauthor: a\r\rc: d\nid: : x\n---\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        // Without CRs, the lines are as before.
        let e = parse("---\nauthor: a\nc: d\nid: : x\n---\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
    }

    #[test]
    fn a_note_round_trips_through_the_format() {
        let n = full_note();
        let text = render(&n);
        assert_eq!(parse(&text).unwrap(), n, "{text}");
        // And rendering is stable.
        assert_eq!(render(&parse(&text).unwrap()), text);
    }

    #[test]
    fn rendering_is_readable_markdown() {
        let mut n = Note::new("alice", t(9, 0));
        n.incidents.push(Incident {
            id: "INC-123".into(),
            severity: "SEV1".into(),
            status: "investigating".into(),
            summary: "checkout latency".into(),
        });
        n.ongoing.push(Item {
            text: "flaky canary".into(),
            done: true,
        });
        n.maintenance.push(Maintenance {
            when: "2026-11-23 02:00 UTC".into(),
            what: "kafka upgrade".into(),
        });
        n.tips.push(Item {
            text: "ask Bob".into(),
            done: false,
        });
        let text = render(&n);
        let body = text.split("\n---\n").nth(1).unwrap();
        assert_eq!(
            body,
            "\n## Open incidents\n\n- [SEV1] INC-123 (investigating): checkout latency\n\
             \n## Ongoing issues\n\n- [x] flaky canary\n\
             \n## Upcoming maintenance\n\n- 2026-11-23 02:00 UTC: kafka upgrade\n\
             \n## Tips\n\n- ask Bob\n"
        );
        assert!(text.starts_with("---\nid: 2026-11-22T0900Z-alice\nauthor: alice\n"));
        assert!(text.contains("\ncreated: 2026-11-22T09:00:00Z\n"), "{text}");
        assert!(text.contains("\nrevision: 0\n"), "{text}");
        assert!(
            !text.contains("acked_by"),
            "None fields are left out: {text}"
        );
    }

    const HAND_EDITED: &str = "\u{feff}---\r\n\
        author: carol\r\n\
        created: 2026-11-22 08:00 UTC\r\n\
        team: payments\r\n\
        escalation:\r\n  - dave\r\n  - erin\r\n\
        revision: '4'\r\n\
        ---\r\n\
        Hi Dan,\r\n\
        \r\n\
        a calm night.\r\n\
        \r\n\
        ## open INCIDENTS\r\n\
        * [SEV2] INC-9 (mitigated): queue backlog\r\n\
        \x20 still draining\r\n\
        - Database slow: since 9am\r\n\
        The payment provider is flaky.\r\n\
        \r\n\
        ## Contacts\r\n\
        \r\n\
        Vendor: +1 555 0100\r\n\
        ```\r\n\
        ## not a heading (in a code block)\r\n\
        ```\r\n\
        \r\n\
        ## Ongoing\r\n\
        - cert renewal\r\n\
        - [X] clean up dashboards\r\n\
        ## Upcoming Maintenance\r\n\
        - Sat 02:00: failover test\r\n\
        - ask around\r\n\
        ## tips\r\n\
        + restart the exporter if it hangs\r\n";

    #[test]
    fn a_hand_edited_file_is_read_leniently_and_keeps_what_sretop_does_not_know() {
        let n = parse(HAND_EDITED).unwrap();
        assert_eq!(n.author, "carol");
        assert_eq!(
            n.id, "",
            "no id in the file: the store takes it from the name"
        );
        assert_eq!(n.created, t(8, 0));
        assert_eq!(n.revision, 4);
        assert_eq!(
            n.extra_front_matter.get("team"),
            Some(&Value::String("payments".into()))
        );
        assert!(n
            .extra_front_matter
            .get("escalation")
            .unwrap()
            .is_sequence());
        assert_eq!(n.extra_front_matter.len(), 2);
        assert_eq!(n.preamble, "Hi Dan,\n\na calm night.");
        assert_eq!(
            n.incidents,
            vec![
                Incident {
                    id: "INC-9".into(),
                    severity: "SEV2".into(),
                    status: "mitigated".into(),
                    summary: "queue backlog\nstill draining".into(),
                },
                Incident {
                    summary: "Database slow: since 9am".into(),
                    ..Default::default()
                },
                Incident {
                    summary: "The payment provider is flaky.".into(),
                    ..Default::default()
                },
            ]
        );
        assert_eq!(
            n.extra_sections,
            vec![(
                "Contacts".to_string(),
                "\nVendor: +1 555 0100\n```\n## not a heading (in a code block)\n```".to_string()
            )]
        );
        assert_eq!(
            n.ongoing,
            vec![
                Item {
                    text: "cert renewal".into(),
                    done: false
                },
                Item {
                    text: "clean up dashboards".into(),
                    done: true
                },
            ]
        );
        assert_eq!(
            n.maintenance,
            vec![
                Maintenance {
                    when: "Sat 02:00".into(),
                    what: "failover test".into()
                },
                Maintenance {
                    when: String::new(),
                    what: "ask around".into()
                },
            ]
        );
        assert_eq!(n.tips[0].text, "restart the exporter if it hangs");

        let text = render(&n);
        assert_eq!(parse(&text).unwrap(), n, "{text}");
        for kept in [
            "team: payments",
            "- dave",
            "Hi Dan,",
            "## Contacts",
            "Vendor: +1 555 0100",
            "## not a heading (in a code block)",
            "- Database slow: since 9am",
            "- The payment provider is flaky.",
        ] {
            assert!(text.contains(kept), "{kept:?} lost:\n{text}");
        }
    }

    #[test]
    fn incident_bullets_are_parsed_leniently() {
        let cases = [
            ("[SEV1] INC-1 (open): a", "SEV1", "INC-1", "open", "a"),
            ("INC-1: a", "", "INC-1", "", "a"),
            ("INC-1 (open):", "", "INC-1", "open", ""),
            ("(open): a: b", "", "", "open", "a: b"),
            ("[P2] just words", "P2", "", "", "just words"),
            ("[SEV1] two words: x", "SEV1", "", "", "two words: x"),
            ("see https://x/y", "", "", "", "see https://x/y"),
            ("INC-1 (a (b)): c", "", "INC-1", "a (b)", "c"),
        ];
        for (text, sev, id, status, summary) in cases {
            let got = parse_incident(text);
            let want = Incident {
                id: id.into(),
                severity: sev.into(),
                status: status.into(),
                summary: summary.into(),
            };
            assert_eq!(got, want, "{text}");
            assert_eq!(parse_incident(&render_incident(&want)), want, "{text}");
        }
    }

    #[test]
    fn invalid_yaml_reports_the_line_in_the_file() {
        let text = "---\nauthor: a\ncreated: 2026-11-22T09:00:00Z\nteam: [unclosed\n---\n";
        let err = parse(text).unwrap_err();
        assert!((4..=5).contains(&err.line), "{err:?}");
        assert!(err.message.contains("invalid YAML"), "{err:?}");
        // The flow sequence opens on line 4 of the file (line 3 of the front matter).
        assert!(err.message.contains("at line 4 column 7"), "{err:?}");

        let text = "---\nauthor: a\n  bad: indent\ncreated: x\n---\n";
        assert_eq!(parse(text).unwrap_err().line, 3);
    }

    #[test]
    fn wrong_values_point_at_their_key() {
        let text = "---\nauthor: a\nrevision: 1\ncreated: yesterday\n---\n";
        let err = parse(text).unwrap_err();
        assert_eq!(err.line, 4);
        assert!(err.message.contains("`created`"), "{err:?}");

        let text = "---\nauthor: a\ncreated: 2026-11-22T09:00:00Z\nrevision: -1\n---\n";
        assert_eq!(parse(text).unwrap_err().line, 4);

        let text = "---\nauthor: [a, b]\ncreated: 2026-11-22T09:00:00Z\n---\n";
        assert_eq!(parse(text).unwrap_err().line, 2);
    }

    #[test]
    fn missing_or_unclosed_front_matter_and_required_keys_are_errors() {
        let err = parse("# just markdown\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("---"));
        let err = parse("---\nauthor: a\n").unwrap_err();
        assert!(err.message.contains("not closed"), "{err:?}");
        let err = parse("---\nauthor: a\n---\n").unwrap_err();
        assert!(err.message.contains("created"), "{err:?}");
        assert_eq!(err.line, 3);
        let err = parse("---\ncreated: 2026-11-22T09:00:00Z\n---\n").unwrap_err();
        assert!(err.message.contains("author"), "{err:?}");
        let err = parse("---\n- a\n---\n").unwrap_err();
        assert!(err.message.contains("key: value"), "{err:?}");
    }

    #[test]
    fn times_are_read_leniently_as_utc() {
        assert_eq!(parse_time("2026-11-22T09:00:00Z"), Some(t(9, 0)));
        assert_eq!(parse_time("2026-11-22T10:00:00+01:00"), Some(t(9, 0)));
        assert_eq!(parse_time("2026-11-22 09:00 UTC"), Some(t(9, 0)));
        assert_eq!(parse_time("2026-11-22T09:00"), Some(t(9, 0)));
        assert_eq!(parse_time("2026-11-22 09:00:00"), Some(t(9, 0)));
        assert_eq!(parse_time("tomorrow"), None);
    }

    #[test]
    fn known_keys_in_extra_front_matter_do_not_shadow_the_fields() {
        let mut n = Note::new("alice", t(9, 0));
        n.revision = 2;
        n.extra_front_matter
            .insert("revision".into(), Value::Number(99.into()));
        let text = render(&n);
        assert_eq!(text.matches("revision:").count(), 1, "{text}");
        assert_eq!(parse(&text).unwrap().revision, 2);
    }

    #[test]
    fn new_notes_get_an_id_from_time_and_author() {
        assert_eq!(Note::new("alice", t(9, 0)).id, "2026-11-22T0900Z-alice");
        assert_eq!(
            Note::new("Jo Smith/ops", t(9, 5)).id,
            "2026-11-22T0905Z-Jo-Smith-ops"
        );
    }

    #[test]
    fn chat_markdown_has_a_title_and_no_front_matter() {
        let n = full_note();
        let chat = render_markdown_for_chat(&n);
        assert!(
            chat.starts_with("**Shift handoff from alice** (2026-11-22 09:00 – 17:00 UTC)\n"),
            "{chat}"
        );
        assert!(chat.contains("_Acknowledged by bob at 2026-11-22 17:05 UTC._"));
        assert!(chat.contains("- [SEV1] INC-123 (investigating): checkout latency"));
        assert!(chat.contains("**Links**"));
        assert!(
            !chat.contains("---") && !chat.contains("revision"),
            "{chat}"
        );

        let empty = render_markdown_for_chat(&Note::new("bob", t(9, 0)));
        assert!(empty.contains("_Not acknowledged yet._"), "{empty}");
        assert!(empty.contains("**Tips**\n- none\n"), "{empty}");
    }
}
