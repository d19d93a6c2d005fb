//! The key table: the one list the dispatcher reads and the help overlay prints, so help can
//! never drift from behaviour. [`BINDINGS`] are the defaults; [`KeyMap`] (in `map.rs`) is the
//! table in use, with the config's `keys:` remaps applied.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub mod map;
pub use map::{action_by_name, action_name, parse_key, KeyBinding, KeyMap, KeyMapError, KeyPress};

/// What a key asks for. `App::update` turns actions into state changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Up,
    Down,
    Top,
    Bottom,
    Open,
    Back,
    NextView,
    PrevView,
    RangeLonger,
    RangeShorter,
    PickRange(usize),
    PanBack,
    PanForward,
    Live,
    Refresh,
    NextContext,
    Help,
    /// Jump to the alerts list.
    Alerts,
    /// Edit the alert filter line.
    Filter,
    /// Next sort order of the alert list.
    Sort,
    /// Silence the selected alert (opens the form).
    Silence,
    /// Expire the selected silence (asks first).
    Expire,
    /// Copy the runbook link (OSC 52).
    CopyRunbook,
    /// Copy the generator (expression) link (OSC 52).
    CopyGenerator,
    /// Open the service the alert relates to.
    RelatedService,
    /// Open the SLO the alert relates to.
    RelatedSlo,
    /// Jump to the handoff view.
    Handoff,
    /// Acknowledge the handoff note on screen as the local user.
    AckHandoff,
    /// Write a new handoff note.
    ComposeHandoff,
    /// Open the `:` command line.
    Command,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every view.
    Global,
    /// Lists (overview, SLOs, alerts, silences).
    List,
    /// The alert list.
    Alerts,
    /// One alert.
    Alert,
    /// The silence list.
    Silences,
    /// The handoff view.
    Handoff,
}

/// One row of the key table.
#[derive(Debug)]
pub struct Binding {
    pub keys: &'static [KeyCode],
    pub ctrl: bool,
    /// How the keys are shown in help, e.g. `j ↓`.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    pub scope: Scope,
    /// Writes to a server: unbound and hidden in read-only mode.
    pub write: bool,
}

const fn key(
    keys: &'static [KeyCode],
    label: &'static str,
    action: Action,
    help: &'static str,
    scope: Scope,
) -> Binding {
    Binding {
        keys,
        ctrl: false,
        label,
        action,
        help,
        scope,
        write: false,
    }
}

const fn write_key(
    keys: &'static [KeyCode],
    label: &'static str,
    action: Action,
    help: &'static str,
    scope: Scope,
) -> Binding {
    Binding {
        keys,
        ctrl: false,
        label,
        action,
        help,
        scope,
        write: true,
    }
}

use KeyCode::{BackTab, Char, Down, End, Enter, Esc, Home, Tab, Up};

/// Every key sretop understands, in the order help shows them. A view's own keys come first
/// and win over global ones.
pub const BINDINGS: &[Binding] = &[
    key(
        &[Char('/')],
        "/",
        Action::Filter,
        "filter: label=value !=, =~, !~, text, @firing…",
        Scope::Alerts,
    ),
    key(
        &[Char('o')],
        "o",
        Action::Sort,
        "sort by severity / age / name",
        Scope::Alerts,
    ),
    write_key(
        &[Char('s')],
        "s",
        Action::Silence,
        "silence the selected alert",
        Scope::Alerts,
    ),
    write_key(
        &[Char('s')],
        "s",
        Action::Silence,
        "silence this alert",
        Scope::Alert,
    ),
    key(
        &[Char('y')],
        "y",
        Action::CopyRunbook,
        "copy the runbook link",
        Scope::Alert,
    ),
    key(
        &[Char('Y')],
        "Y",
        Action::CopyGenerator,
        "copy the expression's link",
        Scope::Alert,
    ),
    key(
        &[Char('v')],
        "v",
        Action::RelatedService,
        "open the related service",
        Scope::Alert,
    ),
    key(
        &[Char('b')],
        "b",
        Action::RelatedSlo,
        "open the related SLO",
        Scope::Alert,
    ),
    write_key(
        &[Char('x')],
        "x",
        Action::Expire,
        "expire the selected silence",
        Scope::Silences,
    ),
    write_key(
        &[Char('A')],
        "A",
        Action::AckHandoff,
        "acknowledge the handoff note shown",
        Scope::Handoff,
    ),
    write_key(
        &[Char('n')],
        "n",
        Action::ComposeHandoff,
        "write a new handoff note",
        Scope::Handoff,
    ),
    key(
        &[Char('j'), Down],
        "j ↓",
        Action::Down,
        "next row",
        Scope::Global,
    ),
    key(
        &[Char('k'), Up],
        "k ↑",
        Action::Up,
        "previous row",
        Scope::Global,
    ),
    key(
        &[Char('g'), Home],
        "g Home",
        Action::Top,
        "first row",
        Scope::List,
    ),
    key(
        &[Char('G'), End],
        "G End",
        Action::Bottom,
        "last row",
        Scope::List,
    ),
    key(
        &[Enter],
        "Enter",
        Action::Open,
        "open the selected row",
        Scope::Global,
    ),
    key(&[Char('a')], "a", Action::Alerts, "alerts", Scope::Global),
    key(
        &[Char('h')],
        "h",
        Action::Handoff,
        "shift handoff and on-call",
        Scope::Global,
    ),
    key(
        &[Esc],
        "Esc",
        Action::Back,
        "back / close help",
        Scope::Global,
    ),
    key(&[Tab], "Tab", Action::NextView, "next view", Scope::Global),
    key(
        &[BackTab],
        "S-Tab",
        Action::PrevView,
        "previous view",
        Scope::Global,
    ),
    key(
        &[Char('+'), Char('=')],
        "+",
        Action::RangeLonger,
        "longer time range",
        Scope::Global,
    ),
    key(
        &[Char('-')],
        "-",
        Action::RangeShorter,
        "shorter time range",
        Scope::Global,
    ),
    key(
        &[
            Char('1'),
            Char('2'),
            Char('3'),
            Char('4'),
            Char('5'),
            Char('6'),
            Char('7'),
            Char('8'),
            Char('9'),
        ],
        "1…9",
        Action::PickRange(0),
        "pick a time range (1 = shortest)",
        Scope::Global,
    ),
    key(
        &[Char('[')],
        "[",
        Action::PanBack,
        "pan back in time (half a range)",
        Scope::Global,
    ),
    key(
        &[Char(']')],
        "]",
        Action::PanForward,
        "pan forward in time",
        Scope::Global,
    ),
    key(
        &[Char('L')],
        "L",
        Action::Live,
        "back to live",
        Scope::Global,
    ),
    key(
        &[Char('r')],
        "r",
        Action::Refresh,
        "refresh now (retry a down source)",
        Scope::Global,
    ),
    key(
        &[Char('c')],
        "c",
        Action::NextContext,
        "switch source context",
        Scope::Global,
    ),
    key(
        &[Char(':')],
        ":",
        Action::Command,
        "command line (commands below)",
        Scope::Global,
    ),
    key(
        &[Char('?')],
        "?",
        Action::Help,
        "toggle this help",
        Scope::Global,
    ),
    key(&[Char('q')], "q", Action::Quit, "quit", Scope::Global),
    Binding {
        keys: &[Char('c')],
        ctrl: true,
        label: "Ctrl-C",
        action: Action::Quit,
        help: "quit",
        scope: Scope::Global,
        write: false,
    },
];

/// Which bindings are live: the current view's scopes and whether writes are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyContext {
    /// The view's own scope (`Global` for none).
    pub view: Scope,
    /// The view is a list (`g`/`G` apply).
    pub list: bool,
    pub read_only: bool,
}

impl KeyContext {
    /// Whether a binding applies here.
    pub fn has(&self, b: &Binding) -> bool {
        self.has_scope(b.scope, b.write)
    }

    /// Whether a binding of `scope` (a write or not) applies here.
    pub fn has_scope(&self, scope: Scope, write: bool) -> bool {
        let scoped = match scope {
            Scope::Global => true,
            Scope::List => self.list,
            other => other == self.view,
        };
        scoped && !(write && self.read_only)
    }
}

/// The default bindings that apply in `ctx`, in help order (the running table, with the
/// config's remaps, is [`KeyMap`]).
pub fn active(ctx: KeyContext) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| ctx.has(b))
}

/// The action bound to a key press, if any. Shift is ignored for characters (terminals
/// disagree on whether `?` comes with SHIFT).
pub fn lookup(event: &KeyEvent, ctx: KeyContext) -> Option<Action> {
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    BINDINGS.iter().find_map(|b| {
        if b.ctrl != ctrl || !ctx.has(b) {
            return None;
        }
        let pos = b.keys.iter().position(|k| *k == event.code)?;
        Some(match b.action {
            Action::PickRange(_) => Action::PickRange(pos),
            other => other,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctx(list: bool) -> KeyContext {
        KeyContext {
            view: Scope::Global,
            list,
            read_only: false,
        }
    }

    #[test]
    fn view_keys_and_read_only() {
        let alerts = KeyContext {
            view: Scope::Alerts,
            list: true,
            read_only: false,
        };
        assert_eq!(lookup(&press(Char('s')), alerts), Some(Action::Silence));
        assert_eq!(lookup(&press(Char('/')), alerts), Some(Action::Filter));
        assert_eq!(
            lookup(&press(Char('/')), ctx(true)),
            None,
            "alerts-only key"
        );
        let ro = KeyContext {
            read_only: true,
            ..alerts
        };
        assert_eq!(lookup(&press(Char('s')), ro), None, "write key unbound");
        assert!(active(ro).all(|b| !b.write), "write keys hidden from help");
        assert!(active(alerts).any(|b| b.write));
        let silences = KeyContext {
            view: Scope::Silences,
            list: true,
            read_only: false,
        };
        assert_eq!(lookup(&press(Char('x')), silences), Some(Action::Expire));
        assert_eq!(lookup(&press(Char('x')), alerts), None);
        let handoff = KeyContext {
            view: Scope::Handoff,
            list: true,
            read_only: false,
        };
        assert_eq!(lookup(&press(Char('A')), handoff), Some(Action::AckHandoff));
        assert_eq!(
            lookup(&press(Char('n')), handoff),
            Some(Action::ComposeHandoff)
        );
        assert_eq!(lookup(&press(Char('A')), alerts), None, "handoff-only key");
        assert_eq!(lookup(&press(Char('h')), alerts), Some(Action::Handoff));
        let handoff_ro = KeyContext {
            read_only: true,
            ..handoff
        };
        assert_eq!(lookup(&press(Char('A')), handoff_ro), None);
        assert_eq!(lookup(&press(Char('n')), handoff_ro), None);
    }

    #[test]
    fn dispatches_from_the_table() {
        assert_eq!(lookup(&press(Char('j')), ctx(true)), Some(Action::Down));
        assert_eq!(lookup(&press(Down), ctx(true)), Some(Action::Down));
        assert_eq!(lookup(&press(Char('q')), ctx(true)), Some(Action::Quit));
        assert_eq!(
            lookup(&KeyEvent::new(Char('c'), KeyModifiers::CONTROL), ctx(true)),
            Some(Action::Quit)
        );
        assert_eq!(
            lookup(&press(Char('c')), ctx(true)),
            Some(Action::NextContext)
        );
        assert_eq!(
            lookup(&press(Char('3')), ctx(true)),
            Some(Action::PickRange(2))
        );
        assert_eq!(
            lookup(&KeyEvent::new(Char('?'), KeyModifiers::SHIFT), ctx(true)),
            Some(Action::Help)
        );
        assert_eq!(lookup(&press(Char('g')), ctx(false)), None, "list-only key");
        assert_eq!(lookup(&press(Char('z')), ctx(true)), None);
    }

    #[test]
    fn every_binding_has_help_and_a_key() {
        for b in BINDINGS {
            assert!(!b.keys.is_empty() && !b.help.is_empty() && !b.label.is_empty());
        }
    }
}
