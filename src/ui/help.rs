//! The `?` overlay, printed from the same key table the dispatcher reads.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::theme::THEME;
use crate::keys::BINDINGS;

pub fn render(frame: &mut Frame, area: Rect) {
    let label_w = BINDINGS
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(6);
    let lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:>label_w$} ", b.label), THEME.key),
                Span::raw(b.help),
            ])
        })
        .collect();
    let text_w = lines.iter().map(Line::width).max().unwrap_or(30) as u16 + 3;
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = text_w.min(area.width);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(THEME.title)
                .title(Span::styled(" keys (Esc closes) ", THEME.title)),
        ),
        popup,
    );
}
