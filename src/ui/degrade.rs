//! Rendering for terminals that cannot show everything: `NO_COLOR` (no colours, modifiers
//! kept, so selection and emphasis stay visible) and a pure-ASCII mode for fonts and
//! terminals without braille, block or box-drawing glyphs. Both are applied to the finished
//! frame, so no view needs to know about them. The theme and the terminal's colour depth are
//! applied the same way, by [`palette`](super::palette), from here.

use ratatui::buffer::Buffer;
use ratatui::style::Color;

use super::palette::{self, ColorDepth, ThemeName};

/// How the frame is degraded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Degrade {
    /// No foreground or background colours (<https://no-color.org>).
    pub no_color: bool,
    /// Only ASCII characters.
    pub ascii: bool,
    /// The colour scheme (the views draw the dark one; a light one is a remap).
    pub theme: ThemeName,
    /// How many colours the terminal shows; colours beyond are replaced by the nearest.
    pub colors: ColorDepth,
}

impl Degrade {
    /// From the environment: `NO_COLOR` set and not empty turns colours off; a locale that is
    /// set and not UTF-8 (`LC_ALL`, else `LC_CTYPE`, else `LANG`, e.g. `C` or
    /// `en_US.ISO-8859-1`) turns ASCII on. No locale at all is taken as UTF-8, which is what
    /// terminals speak today. `get` reads a variable (the process environment in the binary,
    /// a map in tests). The colour depth comes from `COLORTERM` and `TERM`
    /// ([`ColorDepth::detect`]).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Self {
        let no_color = get("NO_COLOR").is_some_and(|v| !v.is_empty());
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .find_map(|v| get(v).filter(|s| !s.is_empty()));
        let ascii = match locale {
            Some(l) => {
                let l = l.to_ascii_lowercase();
                !(l.contains("utf-8") || l.contains("utf8"))
            }
            None => false,
        };
        let colors = ColorDepth::detect(&get);
        Degrade {
            no_color,
            ascii,
            theme: ThemeName::Dark,
            colors,
        }
    }
}

/// An ASCII stand-in for one cell's symbol (the symbol itself when it is ASCII already).
pub fn ascii_symbol(symbol: &str) -> &str {
    if symbol.is_ascii() {
        return symbol;
    }
    let Some(c) = symbol.chars().next() else {
        return symbol;
    };
    match c {
        // Sparklines and gauges: height as density.
        '▁' | '▂' => ".",
        '▃' | '▄' => ":",
        '▅' | '▆' => "+",
        '▇' | '█' | '▓' => "#",
        '░' | '▒' => "-",
        // Box drawing.
        '─' | '━' | '╌' | '┄' | '═' => "-",
        '│' | '┃' | '╎' | '┆' | '║' => "|",
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' | '╭' | '╮' | '╰' | '╯' => {
            "+"
        }
        // Braille chart dots: a blank pattern is a blank.
        '\u{2800}' => " ",
        '\u{2801}'..='\u{28FF}' => "*",
        // Marks.
        '●' | '•' | '◉' => "*",
        '◐' => "o",
        '◌' | '○' => ".",
        '▲' => "^",
        '▼' | '▾' => "v",
        '▶' | '▸' => ">",
        '◀' => "<",
        '✖' | '✗' => "x",
        '✓' | '✔' => "+",
        '⚠' => "!",
        '…' => "~",
        '→' => ">",
        '·' => ".",
        '–' | '—' => "-",
        '☎' => "@",
        '✎' => "*",
        '⇄' => "=",
        '↓' => "v",
        '↑' => "^",
        '×' => "x",
        _ => "?",
    }
}

/// Applies `d` to a finished frame.
pub fn apply(buf: &mut Buffer, d: Degrade) {
    if !d.no_color {
        palette::apply(buf, d.theme, d.colors);
    }
    if !d.no_color && !d.ascii {
        return;
    }
    for cell in buf.content.iter_mut() {
        if d.no_color {
            cell.fg = Color::Reset;
            cell.bg = Color::Reset;
        }
        if d.ascii {
            let replacement = ascii_symbol(cell.symbol());
            if replacement != cell.symbol() {
                let owned = replacement.to_string();
                cell.set_symbol(&owned);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Modifier, Style};

    #[test]
    fn environment_decides() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let d = Degrade::from_env(env(&[("NO_COLOR", "1"), ("LANG", "en_US.UTF-8")]));
        assert!(d.no_color && !d.ascii);
        let d = Degrade::from_env(env(&[("NO_COLOR", ""), ("LANG", "C")]));
        assert!(!d.no_color && d.ascii);
        // LC_ALL wins over LANG; utf8 spelled without a dash counts.
        let d = Degrade::from_env(env(&[("LC_ALL", "de_DE.utf8"), ("LANG", "C")]));
        assert!(!d.ascii);
        assert!(
            !Degrade::from_env(env(&[])).ascii,
            "no locale: assume UTF-8"
        );
    }

    #[test]
    fn frames_lose_colour_keep_emphasis_and_become_ascii() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 12, 1));
        let style = Style::new()
            .fg(Color::Red)
            .bg(Color::Blue)
            .add_modifier(Modifier::BOLD);
        buf.set_string(0, 0, "● ▁▄█ ─│⠉⠀é", style);
        apply(
            &mut buf,
            Degrade {
                no_color: true,
                ascii: true,
                ..Degrade::default()
            },
        );
        let text: String = buf.content.iter().map(|c| c.symbol()).collect();
        assert_eq!(text, "* .:# -|* ? ");
        assert!(text.is_ascii());
        let cell = &buf.content[0];
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
        assert!(cell.modifier.contains(Modifier::BOLD), "emphasis stays");
    }
}
