//! The `:` command line, like k9s: `:alerts severity=page`, `:slo checkout`, `:service api`,
//! `:range 6h`, `:context prod-eu`. Enter runs, Esc cancels, Tab completes (command names,
//! then service, SLO, context and range names), Up/Down walk this session's history.
//!
//! Parsing and name matching are pure functions; [`App::run_command`] carries a command out
//! through the same paths the keys use.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::input::{Edit, TextInput};
use super::{App, View};
use crate::config::{did_you_mean, Duration};
use crate::keys::Action;

/// Lines kept in the history.
const HISTORY: usize = 100;

/// The command line's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// The line is open and takes the keys.
    pub active: bool,
    pub input: TextInput,
    /// Lines run this session, oldest first.
    pub history: Vec<String>,
    /// The history entry shown while walking it with Up/Down.
    browsing: Option<usize>,
    /// What was typed before walking the history.
    draft: String,
}

impl CommandLine {
    /// Opens an empty line.
    pub fn open(&mut self) {
        self.active = true;
        self.input = TextInput::default();
        self.browsing = None;
        self.draft.clear();
    }

    fn close(&mut self) {
        self.active = false;
        self.browsing = None;
    }

    /// Up (`back`) or Down through the history; past the newest entry is the draft again.
    fn walk(&mut self, back: bool) {
        if self.history.is_empty() {
            return;
        }
        let last = self.history.len() - 1;
        let next = match (self.browsing, back) {
            (None, true) => {
                self.draft = self.input.text.clone();
                Some(last)
            }
            (None, false) => return,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i < last => Some(i + 1),
            (Some(_), false) => None,
        };
        self.browsing = next;
        let text = next.map_or_else(|| self.draft.clone(), |i| self.history[i].clone());
        self.input = TextInput::new(text);
    }

    fn remember(&mut self, line: &str) {
        let line = line.trim();
        if !line.is_empty() && self.history.last().is_none_or(|l| l != line) {
            self.history.push(line.to_string());
            if self.history.len() > HISTORY {
                self.history.remove(0);
            }
        }
    }
}

/// A command as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Overview,
    /// The alert list, with a new filter if one is given.
    Alerts(Option<String>),
    Silences,
    Handoff,
    Slos,
    /// One SLO's detail (the selected one without a name).
    Slo(Option<String>),
    /// One service's detail (the selected one without a name).
    Service(Option<String>),
    Range(Duration),
    Context(Option<String>),
    Live,
    Refresh,
    Help,
    Quit,
}

/// Every command: name, argument, what it does (the help overlay lists them).
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("overview", "", "every service"),
    ("alerts", "[FILTER]", "the alert list, filtered"),
    ("silences", "", "active and pending silences"),
    ("handoff", "", "shift handoff and on-call"),
    ("slos", "", "every SLO"),
    ("slo", "NAME", "one SLO (a unique part of its name)"),
    ("service", "NAME", "one service"),
    ("range", "DURATION", "time range, e.g. 6h or 2d"),
    ("context", "NAME", "switch source context"),
    ("live", "", "back to live"),
    ("refresh", "", "refresh now"),
    ("help", "", "the key help"),
    ("quit", "", "quit (also :q)"),
];

/// Short names that are not prefixes of their command.
const ALIASES: &[(&str, &str)] = &[("q", "quit"), ("svc", "service"), ("ctx", "context")];

/// The command a (possibly abbreviated) name stands for: exact, an alias, or a unique prefix.
fn command_name(word: &str) -> Result<&'static str, String> {
    let word = word.to_ascii_lowercase();
    if let Some((name, ..)) = COMMANDS.iter().find(|(n, ..)| *n == word) {
        return Ok(name);
    }
    if let Some((_, name)) = ALIASES.iter().find(|(a, _)| *a == word) {
        return Ok(name);
    }
    let names: Vec<&'static str> = COMMANDS.iter().map(|(n, ..)| *n).collect();
    pick(&word, &names, "command").map(|i| names[i])
}

/// Parses a command line (the leading `:` is optional). An empty line is `None`.
pub fn parse(line: &str) -> Result<Option<Command>, String> {
    let line = line.trim();
    let line = line.strip_prefix(':').unwrap_or(line).trim_start();
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    if word.is_empty() {
        return Ok(None);
    }
    let name = command_name(word)?;
    let arg = (!rest.is_empty()).then(|| rest.to_string());
    let takes_arg = COMMANDS.iter().any(|(n, a, _)| *n == name && !a.is_empty());
    if arg.is_some() && !takes_arg {
        return Err(format!(":{name} takes no argument"));
    }
    Ok(Some(match name {
        "overview" => Command::Overview,
        "alerts" => Command::Alerts(arg),
        "silences" => Command::Silences,
        "handoff" => Command::Handoff,
        "slos" => Command::Slos,
        "slo" => Command::Slo(arg),
        "service" => Command::Service(arg),
        "range" => {
            let Some(arg) = arg else {
                return Err(":range needs a duration, e.g. :range 6h".into());
            };
            let d = Duration::parse(&arg).map_err(|e| format!(":range {arg}: {e}"))?;
            if d.as_secs() == 0 {
                return Err(format!(":range {arg}: a range must be longer than 0s"));
            }
            Command::Range(d)
        }
        "context" => Command::Context(arg),
        "live" => Command::Live,
        "refresh" => Command::Refresh,
        "help" => Command::Help,
        _ => Command::Quit,
    }))
}

/// The one name `wanted` stands for among `names` (a `what`, for messages): the same name
/// (any case), else the only one starting with it, else the only one containing it. Otherwise
/// a message naming the close matches.
pub fn pick(wanted: &str, names: &[&str], what: &str) -> Result<usize, String> {
    let lower = wanted.to_lowercase();
    let lowered: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    if let Some(i) = lowered.iter().position(|n| *n == lower) {
        return Ok(i);
    }
    for matches in [
        |n: &str, w: &str| n.starts_with(w),
        |n: &str, w: &str| n.contains(w),
    ] {
        let found: Vec<usize> = (0..names.len())
            .filter(|i| matches(&lowered[*i], &lower))
            .collect();
        match found.as_slice() {
            [one] => return Ok(*one),
            [] => {}
            many => {
                return Err(format!(
                    "{what} `{wanted}` is ambiguous: {}",
                    list(many.iter().map(|i| names[*i]))
                ))
            }
        }
    }
    if names.is_empty() {
        return Err(format!("no {what} `{wanted}` (none configured)"));
    }
    Err(match did_you_mean(wanted, names.iter().copied()) {
        Some(best) => format!("no {what} `{wanted}`, did you mean `{best}`?"),
        None => format!(
            "no {what} `{wanted}` (one of {})",
            list(names.iter().copied())
        ),
    })
}

/// Up to eight names, then how many more.
fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    let mut out = names.iter().take(8).copied().collect::<Vec<_>>().join(", ");
    if names.len() > 8 {
        out.push_str(&format!(" … ({} more)", names.len() - 8));
    }
    out
}

/// Tab on `line`: the completed line and the candidates for the word being typed. The first
/// word completes to a command, the second to one of `args(command)`; a unique candidate is
/// completed whole, several to their longest common prefix.
pub fn complete(line: &str, args: &dyn Fn(&str) -> Vec<String>) -> (String, Vec<String>) {
    let (cands, head, word) = candidates(line, args);
    let matching: Vec<String> = cands
        .iter()
        .filter(|c| c.to_lowercase().starts_with(&word.to_lowercase()))
        .cloned()
        .collect();
    let completed = match matching.as_slice() {
        [] => return (line.to_string(), cands_containing(&cands, &word)),
        [one] if head.is_empty() => {
            let takes_arg = COMMANDS.iter().any(|(n, a, _)| n == one && !a.is_empty());
            format!("{one}{}", if takes_arg { " " } else { "" })
        }
        [one] => format!("{head}{one}"),
        many => format!("{head}{}", common_prefix(many)),
    };
    // Never shorten what was typed (a prefix match ignores case).
    let completed = if completed.chars().count() < line.chars().count() {
        line.to_string()
    } else {
        completed
    };
    (completed, matching)
}

/// The candidates for the word under the cursor (at the end), for the hint beside the line.
pub fn hints(line: &str, args: &dyn Fn(&str) -> Vec<String>) -> Vec<String> {
    let (cands, _, word) = candidates(line, args);
    let lower = word.to_lowercase();
    let prefix: Vec<String> = cands
        .iter()
        .filter(|c| c.to_lowercase().starts_with(&lower))
        .cloned()
        .collect();
    if prefix.is_empty() {
        cands_containing(&cands, &word)
    } else {
        prefix
    }
}

fn cands_containing(cands: &[String], word: &str) -> Vec<String> {
    let lower = word.to_lowercase();
    cands
        .iter()
        .filter(|c| c.to_lowercase().contains(&lower))
        .cloned()
        .collect()
}

/// All candidates for the word being typed, the text before that word, and the word.
fn candidates(line: &str, args: &dyn Fn(&str) -> Vec<String>) -> (Vec<String>, String, String) {
    let trimmed = line.trim_start();
    match trimmed.split_once(char::is_whitespace) {
        // The first word: leading blanks are dropped on completion.
        None => (
            COMMANDS.iter().map(|(n, ..)| n.to_string()).collect(),
            String::new(),
            trimmed.to_string(),
        ),
        Some((cmd, rest)) => {
            let cands = command_name(cmd).map(args).unwrap_or_default();
            let word = rest.trim_start();
            let head = &line[..line.len() - word.len()];
            (cands, head.to_string(), word.to_string())
        }
    }
}

fn common_prefix(names: &[String]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut len = first.chars().count();
    for n in &names[1..] {
        len = len.min(
            first
                .chars()
                .zip(n.chars())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    first.chars().take(len).collect()
}

impl App {
    /// Keys taken by the open command line; returns whether the key was used. Ctrl-C always
    /// reaches the key table (quit).
    pub(super) fn command_key(&mut self, key: &KeyEvent) -> bool {
        if !self.command.active {
            return false;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return false;
        }
        match key.code {
            KeyCode::Esc => self.command.close(),
            KeyCode::Backspace if self.command.input.text.is_empty() => self.command.close(),
            KeyCode::Enter => {
                let line = self.command.input.text.clone();
                self.command.remember(&line);
                self.command.close();
                self.run_command(&line);
            }
            KeyCode::Tab => {
                let (line, _) = complete(&self.command.input.text, &|c| self.command_args(c));
                self.command.input = TextInput::new(line);
            }
            KeyCode::Up => self.command.walk(true),
            KeyCode::Down => self.command.walk(false),
            _ => {
                if self.command.input.key(key) == Edit::Changed {
                    self.command.browsing = None;
                }
            }
        }
        true
    }

    /// Pasted text goes into the open command line (one line); returns whether it did.
    pub(super) fn command_paste(&mut self, text: &str) -> bool {
        if !self.command.active {
            return false;
        }
        let clean: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        self.command.input.insert_str(&clean);
        self.dirty = true;
        true
    }

    /// What the second word of `command` completes to.
    pub fn command_args(&self, command: &str) -> Vec<String> {
        match command {
            "service" => self.services.iter().map(|s| s.name.clone()).collect(),
            "slo" => self.slo_names(),
            "context" => self.config.sources.iter().map(|s| s.name.clone()).collect(),
            "range" => self.ranges.iter().map(ToString::to_string).collect(),
            _ => Vec::new(),
        }
    }

    /// The candidates for the word being typed on the open command line.
    pub fn command_hints(&self) -> Vec<String> {
        hints(&self.command.input.text, &|c| self.command_args(c))
    }

    /// SLOs as `service/name`, as the SLO list shows them.
    fn slo_names(&self) -> Vec<String> {
        self.slos
            .iter()
            .map(|s| {
                let service = self
                    .config
                    .services
                    .get(s.spec.service)
                    .map_or("?", |svc| svc.name.as_str());
                format!("{service}/{}", s.spec.name)
            })
            .collect()
    }

    /// Runs one command line. A mistake (unknown command, no such name) changes nothing and
    /// says why on the status line.
    pub fn run_command(&mut self, line: &str) {
        self.dirty = true;
        let command = match parse(line) {
            Ok(Some(c)) => c,
            Ok(None) => return,
            Err(e) => return self.notice(e, true),
        };
        match command {
            Command::Overview => self.view = View::Overview,
            Command::Alerts(filter) => {
                if let Some(filter) = filter {
                    self.alerts.filter_input = TextInput::new(filter);
                    self.alerts.set_filter(&self.config.alerts.group_by);
                }
                self.view = View::Alerts;
            }
            Command::Silences => self.view = View::Silences,
            Command::Handoff => self.view = View::Handoff,
            Command::Slos => self.view = View::Slos,
            Command::Slo(name) => {
                let names = self.slo_names();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                match name {
                    Some(name) => match pick(&name, &names, "SLO") {
                        Ok(i) => {
                            self.slo_selected = i;
                            self.view = View::Slo;
                        }
                        Err(e) => self.notice(e, true),
                    },
                    None if names.is_empty() => self.notice("no SLO configured", true),
                    None => self.view = View::Slo,
                }
            }
            Command::Service(name) => {
                let names: Vec<&str> = self.services.iter().map(|s| s.name.as_str()).collect();
                match name {
                    Some(name) => match pick(&name, &names, "service") {
                        Ok(i) => {
                            self.selected = i;
                            self.view = View::Service;
                        }
                        Err(e) => self.notice(e, true),
                    },
                    None if names.is_empty() => self.notice("no service configured", true),
                    None => self.view = View::Service,
                }
            }
            Command::Range(range) => {
                if !self.ranges.contains(&range) {
                    self.ranges.push(range);
                    self.ranges.sort();
                }
                let i = self.ranges.iter().position(|r| *r == range).unwrap_or(0);
                // The path of the 1…9 keys, for any position in the list.
                self.act(Action::PickRange(i));
            }
            Command::Context(name) => {
                let names: Vec<&str> = self
                    .config
                    .sources
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                let Some(name) = name else {
                    let text = format!(
                        ":context needs a name (now `{}`; one of {})",
                        self.context,
                        list(names.into_iter())
                    );
                    return self.notice(text, true);
                };
                match pick(&name, &names, "context") {
                    Ok(i) => {
                        let name = names[i].to_string();
                        if name != self.context {
                            // What the `c` key does, to a chosen context.
                            self.context = name;
                            self.rebuild();
                        }
                    }
                    Err(e) => self.notice(e, true),
                }
            }
            Command::Live => self.act(Action::Live),
            Command::Refresh => self.act(Action::Refresh),
            Command::Help => self.help = true,
            Command::Quit => self.quit = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_abbreviations() {
        let p = |s| parse(s).expect(s);
        assert_eq!(p(""), None);
        assert_eq!(p("  :  "), None);
        assert_eq!(p("alerts"), Some(Command::Alerts(None)));
        assert_eq!(
            p(":alerts severity=page  @firing"),
            Some(Command::Alerts(Some("severity=page  @firing".into())))
        );
        assert_eq!(p("al"), Some(Command::Alerts(None)), "unique prefix");
        assert_eq!(
            p("slo"),
            Some(Command::Slo(None)),
            "exact beats prefix of slos"
        );
        assert_eq!(
            p("slo checkout"),
            Some(Command::Slo(Some("checkout".into())))
        );
        assert_eq!(p("SERVICE api"), Some(Command::Service(Some("api".into()))));
        assert_eq!(p("svc api"), Some(Command::Service(Some("api".into()))));
        assert_eq!(
            p("range 6h"),
            Some(Command::Range(Duration::from_secs(6 * 3600)))
        );
        assert_eq!(
            p("range 1h30m"),
            Some(Command::Range(Duration::from_secs(5400)))
        );
        assert_eq!(
            p("ctx prod-eu"),
            Some(Command::Context(Some("prod-eu".into())))
        );
        assert_eq!(p("q"), Some(Command::Quit));
        assert_eq!(p("quit"), Some(Command::Quit));
        assert_eq!(p("live"), Some(Command::Live));
        assert_eq!(p("refresh"), Some(Command::Refresh));
        assert_eq!(p("help"), Some(Command::Help));
        assert_eq!(p("handoff"), Some(Command::Handoff));
        assert_eq!(p("silences"), Some(Command::Silences));
        assert_eq!(p("overview"), Some(Command::Overview));
    }

    #[test]
    fn mistakes_say_what_was_meant() {
        let e = |s| parse(s).expect_err(s);
        assert_eq!(e("alrets"), "no command `alrets`, did you mean `alerts`?");
        assert!(
            e("s").contains("ambiguous: silences, slos, slo, service"),
            "{}",
            e("s")
        );
        assert!(e("zzz").contains("one of overview, alerts"), "{}", e("zzz"));
        assert_eq!(e("range"), ":range needs a duration, e.g. :range 6h");
        assert!(
            e("range six").starts_with(":range six: "),
            "{}",
            e("range six")
        );
        assert!(e("range 0s").contains("longer than 0s"));
        assert_eq!(e("live now"), ":live takes no argument");
    }

    #[test]
    fn names_match_exactly_then_by_prefix_then_by_part() {
        let names = ["api", "checkout", "checkout-eu", "search"];
        assert_eq!(pick("api", &names, "service"), Ok(0));
        assert_eq!(pick("API", &names, "service"), Ok(0));
        assert_eq!(pick("checkout", &names, "service"), Ok(1), "exact wins");
        assert_eq!(pick("sea", &names, "service"), Ok(3));
        assert_eq!(pick("eu", &names, "service"), Ok(2), "a unique part");
        assert_eq!(
            pick("che", &names, "service"),
            Err("service `che` is ambiguous: checkout, checkout-eu".into())
        );
        assert_eq!(
            pick("serch", &names, "service"),
            Err("no service `serch`, did you mean `search`?".into())
        );
        assert_eq!(
            pick("zzz", &names, "service"),
            Err("no service `zzz` (one of api, checkout, checkout-eu, search)".into())
        );
        assert!(pick("x", &[], "SLO").is_err());
    }

    #[test]
    fn tab_completes_commands_then_names() {
        let args = |c: &str| match c {
            "service" => vec!["api".to_string(), "checkout".into(), "checkout-eu".into()],
            _ => Vec::new(),
        };
        let (line, cands) = complete("al", &args);
        assert_eq!(
            (line.as_str(), cands),
            ("alerts ", vec!["alerts".to_string()])
        );
        let (line, cands) = complete("s", &args);
        assert_eq!(line, "s", "no common prefix beyond what is typed");
        assert_eq!(cands, ["silences", "slos", "slo", "service"]);
        assert_eq!(complete("sl", &args).0, "slo");
        assert_eq!(complete("li", &args).0, "live", "no argument: no space");
        assert_eq!(complete("service a", &args).0, "service api");
        assert_eq!(complete("svc ch", &args).0, "svc checkout");
        assert_eq!(complete("service CH", &args).0, "service checkout");
        assert_eq!(complete("service zz", &args).0, "service zz");
        assert_eq!(hints("service eu", &args), ["checkout-eu"], "by part");
        assert_eq!(hints("", &args).len(), COMMANDS.len());
    }

    #[test]
    fn history_walks_back_and_forth_to_the_draft() {
        let mut c = CommandLine::default();
        c.remember("alerts");
        c.remember("range 6h");
        c.remember("range 6h");
        assert_eq!(c.history, ["alerts", "range 6h"], "no repeats");
        c.open();
        c.input = TextInput::new("sl");
        c.walk(true);
        assert_eq!(c.input.text, "range 6h");
        c.walk(true);
        c.walk(true);
        assert_eq!(c.input.text, "alerts", "stops at the oldest");
        c.walk(false);
        c.walk(false);
        assert_eq!(c.input.text, "sl", "back to what was typed");
    }
}
