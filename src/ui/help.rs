//! The `?` overlay, printed from the same key table the dispatcher reads (the defaults with
//! the config's `keys:` remaps), then the `:` commands.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::theme::THEME;
use crate::app::command::COMMANDS;
use crate::app::App;
use crate::keys::{self, Action};

/// Widest line of the command list, so it fits one column of a two-column 80x24 help.
const COMMANDS_W: usize = 36;

/// The keys of the current view, then the global ones; write keys are left out in read-only
/// mode. Remapped keys are marked.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let active: Vec<&keys::KeyBinding> = app.keymap.active(app.key_context()).collect();
    let label_w = active
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(6);
    let mut lines: Vec<Line> = active
        .iter()
        .map(|b| {
            let mut spans = vec![
                Span::styled(format!(" {:>label_w$} ", b.label), THEME.key),
                Span::raw(b.help),
            ];
            if b.remapped {
                spans.push(Span::styled(" (remapped)", THEME.dim));
            }
            Line::from(spans)
        })
        .collect();
    if let Some(key) = app.keymap.label(Action::Command) {
        lines.push(Line::styled(
            format!(" {key} commands (Tab completes):"),
            THEME.title,
        ));
        lines.extend(command_lines().into_iter().map(Line::raw));
    }
    if app.config.read_only {
        lines.push(Line::styled(" read-only: silences are disabled", THEME.dim));
    }
    let text_w = lines.iter().map(Line::width).max().unwrap_or(30) as u16 + 3;
    // Two columns when one does not fit the height (80x24 with a view's own keys).
    let columns = if lines.len() as u16 + 2 > area.height {
        2
    } else {
        1
    };
    let lines = if columns == 2 {
        let col_w = usize::from(area.width.saturating_sub(3) / 2);
        let per = lines.len().div_ceil(2);
        let (left, right) = lines.split_at(per);
        (0..per)
            .map(|i| {
                let mut spans = pad(left.get(i), col_w);
                spans.push(Span::raw(" "));
                spans.extend(pad(right.get(i), col_w));
                Line::from(spans)
            })
            .collect()
    } else {
        lines
    };
    let text_w = if columns == 2 { area.width } else { text_w };
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

/// `:alerts [FILTER]  :slo NAME …` wrapped to [`COMMANDS_W`] columns.
fn command_lines() -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::from("  ");
    for (name, arg, _) in COMMANDS {
        let word = if arg.is_empty() {
            format!(":{name}")
        } else {
            format!(":{name} {arg}")
        };
        if line.chars().count() + word.chars().count() + 1 > COMMANDS_W && line.trim() != "" {
            lines.push(std::mem::replace(&mut line, String::from("  ")));
        }
        line.push(' ');
        line.push_str(&word);
    }
    lines.push(line);
    lines
}

/// A help line cut or padded to exactly `width` columns.
fn pad(line: Option<&Line<'static>>, width: usize) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut used = 0;
    for span in line.map(|l| l.spans.as_slice()).unwrap_or_default() {
        let room = width.saturating_sub(used);
        let text = super::widgets::fit(&span.content, room);
        used += text.chars().count();
        out.push(Span::styled(text, span.style));
    }
    out.push(Span::raw(" ".repeat(width.saturating_sub(used))));
    out
}
