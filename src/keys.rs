//! The key table: the one list the dispatcher reads and the help overlay prints, so help can
//! never drift from behaviour.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every view.
    Global,
    /// Lists (the overview).
    List,
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
    }
}

use KeyCode::{BackTab, Char, Down, End, Enter, Esc, Home, Tab, Up};

/// Every key sretop understands, in the order help shows them.
pub const BINDINGS: &[Binding] = &[
    key(
        &[Char('j'), Down],
        "j ↓",
        Action::Down,
        "next service",
        Scope::Global,
    ),
    key(
        &[Char('k'), Up],
        "k ↑",
        Action::Up,
        "previous service",
        Scope::Global,
    ),
    key(
        &[Char('g'), Home],
        "g Home",
        Action::Top,
        "first service",
        Scope::List,
    ),
    key(
        &[Char('G'), End],
        "G End",
        Action::Bottom,
        "last service",
        Scope::List,
    ),
    key(
        &[Enter],
        "Enter",
        Action::Open,
        "open the selected service",
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
    },
];

/// The action bound to a key press, if any. Shift is ignored for characters (terminals
/// disagree on whether `?` comes with SHIFT).
pub fn lookup(event: &KeyEvent, in_list: bool) -> Option<Action> {
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    BINDINGS.iter().find_map(|b| {
        if b.ctrl != ctrl || (b.scope == Scope::List && !in_list) {
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

    #[test]
    fn dispatches_from_the_table() {
        assert_eq!(lookup(&press(Char('j')), true), Some(Action::Down));
        assert_eq!(lookup(&press(Down), true), Some(Action::Down));
        assert_eq!(lookup(&press(Char('q')), true), Some(Action::Quit));
        assert_eq!(
            lookup(&KeyEvent::new(Char('c'), KeyModifiers::CONTROL), true),
            Some(Action::Quit)
        );
        assert_eq!(lookup(&press(Char('c')), true), Some(Action::NextContext));
        assert_eq!(lookup(&press(Char('3')), true), Some(Action::PickRange(2)));
        assert_eq!(
            lookup(&KeyEvent::new(Char('?'), KeyModifiers::SHIFT), true),
            Some(Action::Help)
        );
        assert_eq!(lookup(&press(Char('g')), false), None, "list-only key");
        assert_eq!(lookup(&press(Char('z')), true), None);
    }

    #[test]
    fn every_binding_has_help_and_a_key() {
        for b in BINDINGS {
            assert!(!b.keys.is_empty() && !b.help.is_empty() && !b.label.is_empty());
        }
    }
}
