//! A one-line text field: the filter line and the fields of the silence form.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Text with a cursor (a char index). Editing keys follow readline: Left/Right, Home/End
/// (Ctrl-A/Ctrl-E), Backspace/Delete, Ctrl-U (clear before the cursor), Ctrl-W (delete a
/// word), Ctrl-K (delete to the end).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    pub text: String,
    /// Cursor position in chars, `0..=len`.
    pub cursor: usize,
}

/// What a key did to a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed.
    Changed,
    /// Only the cursor moved.
    Moved,
    /// Not an editing key; the caller decides.
    Ignored,
}

/// Longest text a field takes (a filter or a silence comment is never longer).
pub const MAX_LEN: usize = 2_000;

impl TextInput {
    /// A field holding `text`, cursor at the end.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let cursor = text.chars().count();
        Self { text, cursor }
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    fn byte(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(b, _)| b)
    }

    /// Applies an editing key.
    pub fn key(&mut self, key: &KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.len();
        match key.code {
            KeyCode::Char('a') if ctrl => self.move_to(0),
            KeyCode::Char('e') if ctrl => self.move_to(len),
            KeyCode::Char('u') if ctrl => {
                let at = self.byte(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
                Edit::Changed
            }
            KeyCode::Char('k') if ctrl => {
                let at = self.byte(self.cursor);
                self.text.truncate(at);
                Edit::Changed
            }
            KeyCode::Char('w') if ctrl => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && chars[start - 1] != ' ' {
                    start -= 1;
                }
                let (a, b) = (self.byte(start), self.byte(self.cursor));
                self.text.replace_range(a..b, "");
                self.cursor = start;
                Edit::Changed
            }
            KeyCode::Char(c) if !ctrl => {
                if len >= MAX_LEN || c.is_control() {
                    return Edit::Ignored;
                }
                let at = self.byte(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                Edit::Changed
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let (a, b) = (self.byte(self.cursor - 1), self.byte(self.cursor));
                self.text.replace_range(a..b, "");
                self.cursor -= 1;
                Edit::Changed
            }
            KeyCode::Backspace => Edit::Moved,
            KeyCode::Delete if self.cursor < len => {
                let (a, b) = (self.byte(self.cursor), self.byte(self.cursor + 1));
                self.text.replace_range(a..b, "");
                Edit::Changed
            }
            KeyCode::Delete => Edit::Moved,
            KeyCode::Left => self.move_to(self.cursor.saturating_sub(1)),
            KeyCode::Right => self.move_to((self.cursor + 1).min(len)),
            KeyCode::Home => self.move_to(0),
            KeyCode::End => self.move_to(len),
            _ => Edit::Ignored,
        }
    }

    /// Inserts `text` at the cursor (up to [`MAX_LEN`] characters in all); control
    /// characters are dropped.
    pub fn insert_str(&mut self, text: &str) {
        let room = MAX_LEN.saturating_sub(self.len());
        let add: String = text
            .chars()
            .filter(|c| !c.is_control())
            .take(room)
            .collect();
        let at = self.byte(self.cursor);
        self.text.insert_str(at, &add);
        self.cursor += add.chars().count();
    }

    fn move_to(&mut self, at: usize) -> Edit {
        self.cursor = at;
        Edit::Moved
    }

    /// The part of the text to show in `width` columns so the cursor stays visible, and the
    /// cursor's column within it.
    pub fn window(&self, width: usize) -> (String, usize) {
        let width = width.max(1);
        let chars: Vec<char> = self.text.chars().collect();
        let start = (self.cursor + 1).saturating_sub(width);
        let shown: String = chars.iter().skip(start).take(width).collect();
        (shown, self.cursor - start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }
    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn edits_at_the_cursor() {
        let mut t = TextInput::new("sevrity");
        assert_eq!(t.cursor, 7);
        for _ in 0..4 {
            t.key(&k(KeyCode::Left));
        }
        assert_eq!(t.key(&k(KeyCode::Char('e'))), Edit::Changed);
        assert_eq!(t.text, "severity");
        t.key(&k(KeyCode::End));
        t.key(&k(KeyCode::Char('=')));
        t.key(&k(KeyCode::Char('é')));
        assert_eq!(t.text, "severity=é");
        t.key(&k(KeyCode::Backspace));
        assert_eq!(t.text, "severity=");
        t.key(&k(KeyCode::Home));
        t.key(&k(KeyCode::Delete));
        assert_eq!(t.text, "everity=");
        assert_eq!(t.key(&k(KeyCode::Enter)), Edit::Ignored);
    }

    #[test]
    fn readline_keys() {
        let mut t = TextInput::new("service=api @firing");
        t.key(&ctrl('w'));
        assert_eq!(t.text, "service=api ");
        t.key(&ctrl('a'));
        t.key(&ctrl('k'));
        assert_eq!(t.text, "");
        let mut t = TextInput::new("abc def");
        t.key(&k(KeyCode::Left));
        t.key(&ctrl('u'));
        assert_eq!((t.text.as_str(), t.cursor), ("f", 0));
    }

    #[test]
    fn paste_inserts_at_the_cursor_without_control_characters() {
        let mut t = TextInput::new("ab");
        t.key(&k(KeyCode::Left));
        t.insert_str("x\ny\u{1b}z");
        assert_eq!((t.text.as_str(), t.cursor), ("axyzb", 4));
        t.insert_str(&"q".repeat(MAX_LEN * 2));
        assert_eq!(t.text.chars().count(), MAX_LEN);
    }

    #[test]
    fn window_keeps_the_cursor_visible() {
        let t = TextInput::new("0123456789");
        let (shown, col) = t.window(4);
        assert_eq!((shown.as_str(), col), ("789", 3));
        let mut t = t;
        t.key(&k(KeyCode::Home));
        assert_eq!(t.window(4), ("0123".to_string(), 0));
    }
}
