//! The key table as the running program uses it: [`BINDINGS`](super::BINDINGS) with the
//! config's `keys:` remaps applied. Also the key syntax of the config (`"ctrl+f"`,
//! `"alt+enter"`, `"G"`, `"pgdown"`) and how keys are written in help (`Ctrl-F`).
//!
//! Ctrl-C always quits: it cannot be remapped, unbound or given to another action.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Action, Binding, KeyContext, Scope, BINDINGS};

/// One key with its modifiers, as bound. Characters carry their case (`G`, not Shift+g), so
/// `shift` is only kept for non-character keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPress {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl KeyPress {
    pub const fn plain(code: KeyCode) -> Self {
        KeyPress {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    /// Ctrl-C, the key that always quits.
    pub const CTRL_C: KeyPress = KeyPress {
        code: KeyCode::Char('c'),
        ctrl: true,
        alt: false,
        shift: false,
    };

    /// The bound key a terminal event stands for. Shift is dropped for characters and
    /// Shift-Tab (terminals disagree on whether `?` or BackTab comes with SHIFT); a Ctrl
    /// letter is lower case (terminals send Ctrl-F as `f` + CONTROL).
    pub fn from_event(event: &KeyEvent) -> Self {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let code = match event.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        let shift = event.modifiers.contains(KeyModifiers::SHIFT)
            && !matches!(code, KeyCode::Char(_) | KeyCode::BackTab);
        KeyPress {
            code,
            ctrl,
            alt: event.modifiers.contains(KeyModifiers::ALT),
            shift,
        }
    }
}

/// Named keys: what the config accepts (first name is the canonical one) and how help shows
/// them.
const NAMED: &[(&[&str], KeyCode, &str)] = &[
    (&["enter", "return"], KeyCode::Enter, "Enter"),
    (&["esc", "escape"], KeyCode::Esc, "Esc"),
    (&["tab"], KeyCode::Tab, "Tab"),
    (&["backtab", "s-tab"], KeyCode::BackTab, "S-Tab"),
    (&["up", "↑"], KeyCode::Up, "↑"),
    (&["down", "↓"], KeyCode::Down, "↓"),
    (&["left", "←"], KeyCode::Left, "←"),
    (&["right", "→"], KeyCode::Right, "→"),
    (&["home"], KeyCode::Home, "Home"),
    (&["end"], KeyCode::End, "End"),
    (&["pgup", "pageup"], KeyCode::PageUp, "PgUp"),
    (&["pgdown", "pgdn", "pagedown"], KeyCode::PageDown, "PgDn"),
    (&["space"], KeyCode::Char(' '), "Space"),
    (&["backspace", "bksp"], KeyCode::Backspace, "Bksp"),
    (&["delete", "del"], KeyCode::Delete, "Del"),
    (&["insert", "ins"], KeyCode::Insert, "Ins"),
];

/// Parses a key as written in the config: one character (`j`, `G`, `?`, `+`), a named key
/// (`enter esc tab backtab up down left right home end pgup pgdown f1…f12 space backspace
/// delete`), with any of the modifiers `ctrl+`, `alt+`, `shift+` in front (case-insensitive;
/// `-` works as well as `+`, so help's own `Ctrl-F` parses too).
pub fn parse_key(text: &str) -> Result<KeyPress, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an empty key (write e.g. \"j\", \"ctrl+f\" or \"enter\")".into());
    }
    let (mut ctrl, mut alt, mut shift) = (false, false, false);
    let mut rest = text;
    loop {
        // A lone `+` or `-` is the key itself, not a separator.
        if rest.chars().count() == 1 {
            break;
        }
        let lower = rest.to_ascii_lowercase();
        let prefix = ["ctrl", "control", "c", "alt", "meta", "m", "shift", "s"]
            .iter()
            .find_map(|name| {
                let after = lower.strip_prefix(name)?;
                let sep = after.chars().next().filter(|c| *c == '+' || *c == '-')?;
                // `s-tab` is a name of its own; `c-` / `m-` / `s-` need a key after them.
                (after.len() > sep.len_utf8()).then_some((*name, name.len() + 1))
            });
        let Some((name, len)) = prefix else { break };
        if name == "s" && lower == "s-tab" {
            break;
        }
        match name {
            "ctrl" | "control" | "c" => ctrl = true,
            "alt" | "meta" | "m" => alt = true,
            _ => shift = true,
        }
        rest = &rest[len..];
    }
    let lower = rest.to_ascii_lowercase();
    let mut chars = rest.chars();
    let code = if let Some((_, code, _)) = NAMED.iter().find(|(names, ..)| names.contains(&&*lower))
    {
        *code
    } else if let (Some(c), None) = (chars.next(), chars.next()) {
        KeyCode::Char(c)
    } else if let Some(n) = lower
        .strip_prefix('f')
        .and_then(|n| n.parse::<u8>().ok())
        .filter(|n| (1..=12).contains(n))
    {
        KeyCode::F(n)
    } else {
        return Err(format!(
            "`{text}` is not a key (write one character like \"j\" or \"?\", a named \
             key: {}, f1…f12, with ctrl+, alt+ or shift+ in front)",
            NAMED
                .iter()
                .map(|(names, ..)| names[0])
                .collect::<Vec<_>>()
                .join(" ")
        ));
    };
    let code = match code {
        // Shift+letter is the capital; Ctrl letters arrive lower case.
        KeyCode::Char(c) if shift && !ctrl && c.is_ascii_lowercase() => {
            shift = false;
            KeyCode::Char(c.to_ascii_uppercase())
        }
        KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
        KeyCode::Tab if shift => {
            shift = false;
            KeyCode::BackTab
        }
        other => other,
    };
    if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
        // Terminals do not report Shift with characters reliably: `shift+?` is just `?`.
        shift = false;
    }
    if let KeyCode::Char(c) = code {
        if c.is_control() {
            return Err(format!("`{text}` is a control character, not a key"));
        }
    }
    Ok(KeyPress {
        code,
        ctrl,
        alt,
        shift,
    })
}

impl fmt::Display for KeyPress {
    /// The way help writes a key: `j`, `G`, `Ctrl-F`, `Alt-Enter`, `Shift-↑`, `F5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        if self.shift {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(c) if self.ctrl && c != ' ' => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::F(n) => write!(f, "F{n}"),
            code => match NAMED.iter().find(|(_, c, _)| *c == code) {
                Some((_, _, label)) => f.write_str(label),
                None => match code {
                    KeyCode::Char(c) => write!(f, "{c}"),
                    other => write!(f, "{other:?}"),
                },
            },
        }
    }
}

/// Every action's name in the config's `keys:` section.
pub const ACTION_NAMES: &[(&str, Action)] = &[
    ("quit", Action::Quit),
    ("up", Action::Up),
    ("down", Action::Down),
    ("top", Action::Top),
    ("bottom", Action::Bottom),
    ("open", Action::Open),
    ("back", Action::Back),
    ("next_view", Action::NextView),
    ("prev_view", Action::PrevView),
    ("range_longer", Action::RangeLonger),
    ("range_shorter", Action::RangeShorter),
    ("pick_range", Action::PickRange(0)),
    ("pan_back", Action::PanBack),
    ("pan_forward", Action::PanForward),
    ("live", Action::Live),
    ("refresh", Action::Refresh),
    ("next_context", Action::NextContext),
    ("help", Action::Help),
    ("alerts", Action::Alerts),
    ("filter", Action::Filter),
    ("sort", Action::Sort),
    ("silence", Action::Silence),
    ("expire", Action::Expire),
    ("copy_runbook", Action::CopyRunbook),
    ("copy_generator", Action::CopyGenerator),
    ("related_service", Action::RelatedService),
    ("related_slo", Action::RelatedSlo),
    ("handoff", Action::Handoff),
    ("ack_handoff", Action::AckHandoff),
    ("compose_handoff", Action::ComposeHandoff),
    ("command", Action::Command),
];

/// The action a config name stands for.
pub fn action_by_name(name: &str) -> Option<Action> {
    ACTION_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| *a)
}

/// The config name of an action.
pub fn action_name(action: Action) -> &'static str {
    let action = match action {
        Action::PickRange(_) => Action::PickRange(0),
        other => other,
    };
    ACTION_NAMES
        .iter()
        .find(|(_, a)| *a == action)
        .map_or("?", |(n, _)| *n)
}

/// One row of the running key table.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyBinding {
    pub keys: Vec<KeyPress>,
    /// How the keys are shown in help (`j ↓`, or the remapped keys).
    pub label: String,
    pub action: Action,
    pub help: &'static str,
    pub scope: Scope,
    pub write: bool,
    /// The config changed this row's keys.
    pub remapped: bool,
}

impl KeyBinding {
    fn from_default(b: &Binding) -> Self {
        KeyBinding {
            keys: b
                .keys
                .iter()
                .map(|code| KeyPress {
                    ctrl: b.ctrl,
                    ..KeyPress::plain(*code)
                })
                .collect(),
            label: b.label.to_string(),
            action: b.action,
            help: b.help,
            scope: b.scope,
            write: b.write,
            remapped: false,
        }
    }

    /// The fixed Ctrl-C row.
    fn is_ctrl_c(&self) -> bool {
        self.action == Action::Quit && self.keys == [KeyPress::CTRL_C]
    }
}

/// Why a `keys:` remap is refused: the action (its config name), the index of the key in its
/// list when the problem is one key, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMapError {
    pub action: String,
    pub index: Option<usize>,
    pub message: String,
}

/// The key table in use: the defaults with the config's remaps applied.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyMap {
    pub bindings: Vec<KeyBinding>,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap {
            bindings: BINDINGS.iter().map(KeyBinding::from_default).collect(),
        }
    }
}

/// Whether two scopes can be live at once.
fn overlap(a: Scope, b: Scope) -> bool {
    let list = |s: Scope| matches!(s, Scope::Alerts | Scope::Silences | Scope::Handoff);
    match (a, b) {
        (Scope::Global, _) | (_, Scope::Global) => true,
        (Scope::List, Scope::List) => true,
        (Scope::List, other) | (other, Scope::List) => list(other),
        (a, b) => a == b,
    }
}

impl KeyMap {
    /// The defaults with `remaps` (action name → keys, as in the config) applied. A remap
    /// replaces every default key of that action (an empty list unbinds it).
    pub fn new(remaps: &BTreeMap<String, Vec<String>>) -> Result<Self, KeyMapError> {
        let mut map = KeyMap::default();
        for (name, keys) in remaps {
            let fail = |index, message: String| KeyMapError {
                action: name.clone(),
                index,
                message,
            };
            let Some(action) = action_by_name(name) else {
                let names = ACTION_NAMES.iter().map(|(n, _)| *n);
                let hint = match crate::config::did_you_mean(name, names) {
                    Some(best) => format!(", did you mean `{best}`?"),
                    None => format!(
                        " (actions: {})",
                        ACTION_NAMES
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                return Err(fail(None, format!("unknown action `{name}`{hint}")));
            };
            let mut parsed = Vec::new();
            for (i, text) in keys.iter().enumerate() {
                let key = parse_key(text).map_err(|m| fail(Some(i), m))?;
                if key == KeyPress::CTRL_C {
                    return Err(fail(
                        Some(i),
                        "Ctrl-C always quits and cannot be bound to anything else".into(),
                    ));
                }
                if parsed.contains(&key) {
                    return Err(fail(Some(i), format!("{key} is listed twice")));
                }
                parsed.push(key);
            }
            if action == Action::PickRange(0) && parsed.len() > 9 {
                return Err(fail(None, "at most 9 keys (one per range)".into()));
            }
            let label = parsed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ");
            for b in map
                .bindings
                .iter_mut()
                .filter(|b| b.action == action && !b.is_ctrl_c())
            {
                if b.keys != parsed {
                    b.keys = parsed.clone();
                    b.label = label.clone();
                    b.remapped = true;
                }
            }
        }
        map.check_conflicts()?;
        Ok(map)
    }

    /// The key table for a config's `keys:` section.
    pub fn from_config(
        keys: &BTreeMap<String, crate::config::KeyList>,
    ) -> Result<Self, KeyMapError> {
        KeyMap::new(&keys.iter().map(|(a, k)| (a.clone(), k.0.clone())).collect())
    }

    /// [`KeyMap::from_config`], or the defaults and why when the remaps are refused (a loaded
    /// config was validated already; one built in code may not have been).
    pub fn or_default(keys: &BTreeMap<String, crate::config::KeyList>) -> (Self, Option<String>) {
        match KeyMap::from_config(keys) {
            Ok(map) => (map, None),
            Err(e) => (
                KeyMap::default(),
                Some(format!(
                    "keys.{}: {} (default keys used)",
                    e.action, e.message
                )),
            ),
        }
    }

    /// Two actions on one key where both can be live is an error naming a remapped side.
    fn check_conflicts(&self) -> Result<(), KeyMapError> {
        for (i, a) in self.bindings.iter().enumerate() {
            for b in &self.bindings[i + 1..] {
                if a.action == b.action || !overlap(a.scope, b.scope) {
                    continue;
                }
                let Some(key) = b.keys.iter().find(|k| a.keys.contains(k)) else {
                    continue;
                };
                // Blame the side the config changed (the defaults never conflict).
                let (blamed, other) = if b.remapped { (b, a) } else { (a, b) };
                let index = blamed.keys.iter().position(|k| k == key);
                return Err(KeyMapError {
                    action: action_name(blamed.action).to_string(),
                    index,
                    message: format!(
                        "{key} is already bound to `{}` ({}); remap that action too, or pick \
                         another key",
                        action_name(other.action),
                        other.help
                    ),
                });
            }
        }
        Ok(())
    }

    /// The bindings that apply in `ctx`, in help order (unbound actions left out).
    pub fn active(&self, ctx: KeyContext) -> impl Iterator<Item = &KeyBinding> {
        self.bindings
            .iter()
            .filter(move |b| !b.keys.is_empty() && ctx.has_scope(b.scope, b.write))
    }

    /// The action bound to a key press in `ctx`, if any. An Alt key bound to nothing acts as
    /// the key without Alt: terminals send Esc then `q` typed quickly as Alt-q.
    pub fn lookup(&self, event: &KeyEvent, ctx: KeyContext) -> Option<Action> {
        let press = KeyPress::from_event(event);
        self.lookup_press(press, ctx).or_else(|| {
            press
                .alt
                .then(|| {
                    self.lookup_press(
                        KeyPress {
                            alt: false,
                            ..press
                        },
                        ctx,
                    )
                })
                .flatten()
        })
    }

    fn lookup_press(&self, press: KeyPress, ctx: KeyContext) -> Option<Action> {
        self.bindings.iter().find_map(|b| {
            if !ctx.has_scope(b.scope, b.write) {
                return None;
            }
            let pos = b.keys.iter().position(|k| *k == press)?;
            Some(match b.action {
                Action::PickRange(_) => Action::PickRange(pos),
                other => other,
            })
        })
    }

    /// How the first binding of `action` is labelled (`?`, or the remapped key), for hints.
    pub fn label(&self, action: Action) -> Option<&str> {
        self.bindings
            .iter()
            .find(|b| b.action == action && !b.keys.is_empty() && !b.is_ctrl_c())
            .map(|b| b.label.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use KeyCode::*;

    fn remap(pairs: &[(&str, &[&str])]) -> Result<KeyMap, KeyMapError> {
        KeyMap::new(
            &pairs
                .iter()
                .map(|(a, keys)| (a.to_string(), keys.iter().map(|k| k.to_string()).collect()))
                .collect(),
        )
    }

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    const CTX: KeyContext = KeyContext {
        view: Scope::Global,
        list: true,
        read_only: false,
    };

    #[test]
    fn parses_the_config_syntax() {
        let p = |s| parse_key(s).expect(s);
        assert_eq!(p("j"), KeyPress::plain(Char('j')));
        assert_eq!(p("G"), KeyPress::plain(Char('G')));
        assert_eq!(p("?"), KeyPress::plain(Char('?')));
        assert_eq!(p("+"), KeyPress::plain(Char('+')));
        assert_eq!(p("-"), KeyPress::plain(Char('-')));
        assert_eq!(
            p("ctrl+f"),
            KeyPress {
                ctrl: true,
                ..KeyPress::plain(Char('f'))
            }
        );
        assert_eq!(
            p("CTRL+F"),
            p("ctrl+f"),
            "case-insensitive, Ctrl letters lower"
        );
        assert_eq!(
            p("alt+enter"),
            KeyPress {
                alt: true,
                ..KeyPress::plain(Enter)
            }
        );
        assert_eq!(p("shift+g"), KeyPress::plain(Char('G')));
        assert_eq!(p("shift+tab"), KeyPress::plain(BackTab));
        assert_eq!(p("backtab"), KeyPress::plain(BackTab));
        assert_eq!(p("S-Tab"), KeyPress::plain(BackTab));
        assert_eq!(
            p("shift+up"),
            KeyPress {
                shift: true,
                ..KeyPress::plain(Up)
            }
        );
        assert_eq!(p("pgdown"), KeyPress::plain(PageDown));
        assert_eq!(p("F5"), KeyPress::plain(F(5)));
        assert_eq!(p("space"), KeyPress::plain(Char(' ')));
        assert_eq!(
            p("ctrl+-"),
            KeyPress {
                ctrl: true,
                ..KeyPress::plain(Char('-'))
            }
        );
        assert_eq!(
            p("ctrl+alt+x"),
            KeyPress {
                ctrl: true,
                alt: true,
                ..KeyPress::plain(Char('x'))
            }
        );
        for bad in ["", "ctrl+", "enterr", "f13", "f0", "ctrl+foo", "jj"] {
            assert!(parse_key(bad).is_err(), "{bad:?} parsed");
        }
        let err = parse_key("enterr").unwrap_err();
        assert!(err.contains("`enterr` is not a key"), "{err}");
    }

    #[test]
    fn help_labels_round_trip() {
        for (text, label) in [
            ("ctrl+f", "Ctrl-F"),
            ("alt+enter", "Alt-Enter"),
            ("j", "j"),
            ("G", "G"),
            ("down", "↓"),
            ("shift+tab", "S-Tab"),
            ("pgdown", "PgDn"),
            ("f12", "F12"),
            ("space", "Space"),
            ("shift+left", "Shift-←"),
            ("ctrl+alt+x", "Ctrl-Alt-X"),
            ("+", "+"),
        ] {
            let key = parse_key(text).expect(text);
            assert_eq!(key.to_string(), label);
            assert_eq!(parse_key(label), Ok(key), "{label} parses back");
        }
    }

    #[test]
    fn events_match_bound_keys() {
        let ctrl_f = parse_key("ctrl+f").expect("key");
        assert_eq!(
            KeyPress::from_event(&ev(Char('f'), KeyModifiers::CONTROL)),
            ctrl_f
        );
        assert_eq!(
            KeyPress::from_event(&ev(Char('F'), KeyModifiers::CONTROL | KeyModifiers::SHIFT)),
            ctrl_f
        );
        assert_eq!(
            KeyPress::from_event(&ev(Char('?'), KeyModifiers::SHIFT)),
            KeyPress::plain(Char('?'))
        );
        assert_eq!(
            KeyPress::from_event(&ev(BackTab, KeyModifiers::SHIFT)),
            KeyPress::plain(BackTab)
        );
    }

    #[test]
    fn the_default_map_is_the_table() {
        let map = KeyMap::default();
        assert_eq!(map.bindings.len(), BINDINGS.len());
        assert!(map.check_conflicts().is_ok(), "defaults never conflict");
        assert_eq!(
            map.lookup(&ev(Char('3'), KeyModifiers::NONE), CTX),
            Some(Action::PickRange(2))
        );
        assert_eq!(
            map.lookup(&ev(Char(':'), KeyModifiers::NONE), CTX),
            Some(Action::Command)
        );
        // Same answers as the static table for every default key.
        for b in BINDINGS {
            for code in b.keys {
                let mods = if b.ctrl {
                    KeyModifiers::CONTROL
                } else {
                    KeyModifiers::NONE
                };
                let ctx = KeyContext {
                    view: b.scope,
                    list: true,
                    read_only: false,
                };
                let e = ev(*code, mods);
                assert_eq!(
                    map.lookup(&e, ctx),
                    super::super::lookup(&e, ctx),
                    "{code:?}"
                );
            }
        }
        for name in ACTION_NAMES.iter().map(|(n, _)| *n) {
            let action = action_by_name(name).expect("named");
            assert_eq!(action_name(action), name);
            assert!(
                map.bindings.iter().any(|b| b.action == action),
                "`{name}` has a default binding"
            );
        }
    }

    #[test]
    fn a_remap_replaces_the_default_keys() {
        let map = remap(&[("quit", &["Q", "ctrl+q"]), ("filter", &["ctrl+f"])]).expect("ok");
        let alerts = KeyContext {
            view: Scope::Alerts,
            ..CTX
        };
        let none = KeyModifiers::NONE;
        assert_eq!(map.lookup(&ev(Char('q'), none), CTX), None, "q unbound");
        assert_eq!(map.lookup(&ev(Char('Q'), none), CTX), Some(Action::Quit));
        assert_eq!(
            map.lookup(&ev(Char('q'), KeyModifiers::CONTROL), CTX),
            Some(Action::Quit)
        );
        assert_eq!(
            map.lookup(&ev(Char('c'), KeyModifiers::CONTROL), CTX),
            Some(Action::Quit),
            "Ctrl-C still quits"
        );
        assert_eq!(
            map.lookup(&ev(Char('f'), KeyModifiers::CONTROL), alerts),
            Some(Action::Filter)
        );
        assert_eq!(map.lookup(&ev(Char('/'), none), alerts), None);
        // Alt-Q (Esc then Q, typed fast) is Q when Alt-Q is bound to nothing; a bound Alt key
        // wins.
        assert_eq!(
            map.lookup(&ev(Char('Q'), KeyModifiers::ALT), CTX),
            Some(Action::Quit)
        );
        let alt = remap(&[("live", &["alt+l"])]).expect("ok");
        assert_eq!(
            alt.lookup(&ev(Char('l'), KeyModifiers::ALT), CTX),
            Some(Action::Live)
        );
        assert_eq!(alt.lookup(&ev(Char('l'), none), CTX), None);
        let filter = map
            .active(alerts)
            .find(|b| b.action == Action::Filter)
            .expect("shown");
        assert_eq!((filter.label.as_str(), filter.remapped), ("Ctrl-F", true));
        assert_eq!(map.label(Action::Quit), Some("Q Ctrl-Q"));
        // Writing the default keys again is no remap.
        let map = remap(&[("help", &["?"])]).expect("ok");
        assert_eq!(map, KeyMap::default());
        // An empty list unbinds; the action leaves help.
        let map = remap(&[("sort", &[])]).expect("ok");
        assert!(map.active(alerts).all(|b| b.action != Action::Sort));
        // Swapping two keys works when both sides are remapped.
        let map = remap(&[("down", &["k"]), ("up", &["j"])]).expect("swap");
        assert_eq!(map.lookup(&ev(Char('k'), none), CTX), Some(Action::Down));
    }

    #[test]
    fn bad_remaps_are_refused_with_the_place() {
        let e = remap(&[("qiut", &["x"])]).unwrap_err();
        assert_eq!(e.action, "qiut");
        assert!(e.message.contains("did you mean `quit`?"), "{}", e.message);
        let e = remap(&[("refresh", &["R", "ctrl+"])]).unwrap_err();
        assert_eq!((e.action.as_str(), e.index), ("refresh", Some(1)));
        let e = remap(&[("refresh", &["ctrl+c"])]).unwrap_err();
        assert!(e.message.contains("Ctrl-C always quits"), "{}", e.message);
        // `j` is `down` everywhere: a filter on `j` would never be reached.
        let e = remap(&[("filter", &["/", "j"])]).unwrap_err();
        assert_eq!((e.action.as_str(), e.index), ("filter", Some(1)));
        assert!(
            e.message.contains("already bound to `down`"),
            "{}",
            e.message
        );
        // Keys of views that are never on screen together do not conflict.
        assert!(
            remap(&[("expire", &["y"])]).is_ok(),
            "silences vs alert view"
        );
        let e = remap(&[("sort", &["s"]), ("silence", &["S"])]).map(|_| ());
        assert!(e.is_ok(), "s freed by silence, taken by sort: {e:?}");
        let e = remap(&[("sort", &["s"])]).unwrap_err();
        assert_eq!(e.action, "sort");
        assert!(e.message.contains("`silence`"), "{}", e.message);
        let e = remap(&[(
            "pick_range",
            &["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"],
        )]);
        assert!(e.is_err(), "ten range keys");
    }
}
