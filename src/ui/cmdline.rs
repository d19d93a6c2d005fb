//! The `:` command line, drawn over the status line while it is open: the text with its
//! cursor, and on the right what Tab would complete the word being typed to.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::THEME;
use super::widgets::fit;
use crate::app::App;

/// Draws the open command line into `area` (one row).
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let total = usize::from(area.width);
    let hints = app.command_hints();
    let hint = if hints.is_empty() {
        String::new()
    } else {
        format!("  Tab: {}", hints.join(" "))
    };
    // The text gets at least half the row; the hint what is left.
    let typed = app.command.input.text.chars().count() + 2;
    let text_w = typed.max(total / 2).min(total.saturating_sub(1));
    let (shown, cursor) = app.command.input.window(text_w.saturating_sub(2).max(1));
    let chars: Vec<char> = shown.chars().collect();
    let before: String = chars.iter().take(cursor).collect();
    let at: String = chars.get(cursor).map_or(" ".into(), |c| c.to_string());
    let after: String = chars.iter().skip(cursor + 1).collect();
    let used = 1 + chars.len().max(cursor + 1);
    let room = total.saturating_sub(used);
    let spans = vec![
        Span::styled(":", THEME.key),
        Span::raw(before),
        Span::styled(at, Style::default().add_modifier(Modifier::REVERSED)),
        Span::raw(after),
        Span::styled(fit(&hint, room), THEME.dim),
    ];
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
