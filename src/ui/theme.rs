//! Colours and glyphs in one place.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::health::Status;

pub struct Theme {
    pub header: Style,
    pub title: Style,
    pub dim: Style,
    pub ok: Style,
    pub warn: Style,
    pub crit: Style,
    pub no_data: Style,
    pub selected: Style,
    pub live: Style,
    pub history: Style,
    pub key: Style,
    pub border: Style,
}

pub const THEME: Theme = Theme {
    header: Style::new().fg(Color::White).bg(Color::Blue),
    title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    dim: Style::new().fg(Color::DarkGray),
    ok: Style::new().fg(Color::Green),
    warn: Style::new().fg(Color::Yellow),
    crit: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    no_data: Style::new().fg(Color::DarkGray),
    selected: Style::new()
        .bg(Color::Rgb(40, 44, 60))
        .add_modifier(Modifier::BOLD),
    live: Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
    history: Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD),
    key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    border: Style::new().fg(Color::DarkGray),
};

impl Theme {
    /// The style of a judged value.
    pub fn status(&self, status: Status) -> Style {
        match status {
            Status::NoData => self.no_data,
            Status::Ok => self.ok,
            Status::Warn => self.warn,
            Status::Crit => self.crit,
        }
    }
}
