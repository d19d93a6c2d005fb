//! Themes and colour depth, applied to the finished frame like [`degrade`](super::degrade):
//! every view draws with the one dark palette of [`THEME`](super::theme::THEME), and this pass
//! rewrites the colours of the buffer afterwards, so no view needs to know which theme or how
//! many colours the terminal has.
//!
//! **Why a remap and not a selectable `Theme`.** The views use `THEME` in well over a hundred
//! places (and a few colours of their own: the chart palette, the alert chart line). Passing a
//! theme down to every one of them would touch every view and would still leave the next view
//! written free to forget it. A remap of the finished frame is one table in one place and
//! covers every view, overlay and popup as soon as it is drawn. The catch is that one dark
//! colour cannot always have one light counterpart: white is the header's text on its blue
//! badge (stays white) but would be invisible as text on a white page (becomes black). So the
//! remap looks at the whole cell:
//!
//! - a background maps through the background table ([`light_bg`]): the dark selection grey
//!   `Rgb(40, 44, 60)` becomes a light grey, the header's blue a calmer blue;
//! - a foreground on the page (default background) or on the selection maps through the
//!   foreground table ([`light_fg`]): darker shades, since the page is light; yellow becomes a
//!   dark amber, cyan a teal, dim grey a mid grey, white and light grey black;
//! - a foreground on a coloured badge (white on the header's blue, black on the history
//!   yellow) is kept: the badge's own background still carries it.
//!
//! The light table has a column for 16-colour terminals too, chosen by hand, because the
//! nearest of the 16 ANSI colours to a dark amber is red (which is crit) and the ANSI yellow
//! is unreadable on white: on a light 16-colour terminal warnings are magenta.
//!
//! **Colour depth.** ratatui and crossterm send `Color::Rgb` as a 24-bit escape, which a
//! 256-colour terminal (a tmux or GNU screen without RGB support, many SSH jump hosts) shows
//! wrongly, and `Color::Indexed(16..)` means nothing to a 16-colour one (the Linux console,
//! `TERM=xterm`, `screen`, `vt100`). [`ColorDepth`] is detected from `COLORTERM` and `TERM`
//! (or forced with `--colors` / `colors:`), and the pass replaces each colour the terminal
//! cannot show with the nearest one it can (squared distance in RGB against xterm's palette;
//! the 16 ANSI colours are never produced from an RGB value in 256-colour mode, because their
//! actual shades are whatever the user's terminal theme says).
//!
//! Last, a foreground that ended up equal to its background (e.g. dim grey text in a selected
//! row on a 16-colour terminal, where the selection is dark grey too) is given a contrasting
//! one, so no text vanishes.

use ratatui::buffer::Buffer;
use ratatui::style::Color;

use super::theme::THEME;

/// The colour scheme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    /// Light text on a dark terminal background (the default).
    #[default]
    Dark,
    /// Dark text on a light (white) terminal background.
    Light,
}

/// How many colours the terminal can show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Deserialize, clap::ValueEnum)]
#[serde(try_from = "RawDepth")]
pub enum ColorDepth {
    /// The 16 ANSI colours (Linux console, `TERM=xterm`, `screen`, `vt100`).
    #[value(name = "16")]
    Ansi16,
    /// xterm's 256-colour palette (`TERM=*-256color`, tmux, GNU screen).
    #[value(name = "256")]
    Ansi256,
    /// 24-bit colour (`COLORTERM=truecolor`).
    #[default]
    #[value(name = "truecolor")]
    TrueColor,
}

/// `colors:` in YAML is `16`, `256` (numbers) or `truecolor`.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum RawDepth {
    Number(u64),
    Text(String),
}

impl TryFrom<RawDepth> for ColorDepth {
    type Error = String;

    fn try_from(raw: RawDepth) -> Result<Self, String> {
        let text = match raw {
            RawDepth::Number(n) => n.to_string(),
            RawDepth::Text(s) => s,
        };
        ColorDepth::parse(&text)
            .ok_or_else(|| format!("unknown colour depth `{text}`: expected 16, 256 or truecolor"))
    }
}

impl ColorDepth {
    /// `16`, `256`, `truecolor` (or `24bit`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "16" => Some(ColorDepth::Ansi16),
            "256" => Some(ColorDepth::Ansi256),
            "truecolor" | "24bit" => Some(ColorDepth::TrueColor),
            _ => None,
        }
    }

    /// What the terminal can show, from the environment (`get` reads a variable):
    ///
    /// - `COLORTERM=truecolor` or `24bit` → 24-bit, except inside GNU screen (`STY` set),
    ///   which passes no 24-bit colour whatever the outer terminal says;
    /// - `TERM` containing `256color` (`xterm-256color`, `screen-256color`, `tmux-256color`)
    ///   → 256; containing `direct` → 24-bit;
    /// - `TERM` of a 16-colour terminal (`linux`, `xterm`, `xterm-color`, `xterm-16color`,
    ///   `screen`, `tmux`, `vt100`, `vt220`, `ansi`, `cygwin`, `rxvt`, `putty`, `dumb`, and
    ///   `screen.*` / `tmux.*` variants without 256) → 16;
    /// - anything else (an unknown or missing `TERM`) → 256, which every current terminal
    ///   speaks.
    pub fn detect(get: impl Fn(&str) -> Option<String>) -> Self {
        let term = get("TERM").unwrap_or_default().to_ascii_lowercase();
        let colorterm = get("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        let in_screen = get("STY").is_some_and(|s| !s.is_empty());
        if matches!(colorterm.as_str(), "truecolor" | "24bit") && !in_screen {
            return ColorDepth::TrueColor;
        }
        if term.contains("256color") {
            return ColorDepth::Ansi256;
        }
        if term.contains("direct") && !in_screen {
            return ColorDepth::TrueColor;
        }
        // `screen.xterm-new` is screen with an xterm outside: still screen's 16 colours.
        let base = term.split('.').next().unwrap_or("");
        let sixteen = [
            "linux",
            "xterm",
            "screen",
            "tmux",
            "vt100",
            "vt102",
            "vt220",
            "ansi",
            "cygwin",
            "rxvt",
            "rxvt-unicode",
            "putty",
            "dumb",
            "cons25",
            "eterm",
            "konsole",
            "gnome",
        ];
        if sixteen.contains(&base)
            || term.ends_with("-color")
            || term.ends_with("-16color")
            || term.ends_with("-8color")
        {
            return ColorDepth::Ansi16;
        }
        ColorDepth::Ansi256
    }
}

/// The dark theme's selection background (the one RGB colour of the palette).
fn selection_bg() -> Color {
    THEME.selected.bg.unwrap_or(Color::Reset)
}

/// The light theme's counterpart of a dark-theme foreground that sits on the page (or the
/// selection): `(256 or truecolor, 16 colours)`.
pub fn light_fg(c: Color) -> (Color, Color) {
    match c {
        Color::Reset => (Color::Reset, Color::Reset),
        Color::Black | Color::White | Color::Gray => (Color::Black, Color::Black),
        // Dim text, borders, no data: mid grey (#767676: 4.5:1 on white, 3.2:1 on the selection).
        Color::DarkGray => (Color::Indexed(243), Color::DarkGray),
        // Titles and keys: teal; the ANSI cyan is too pale on white, blue is not.
        Color::Cyan => (Color::Indexed(30), Color::Blue),
        Color::LightCyan => (Color::Indexed(31), Color::Blue),
        Color::Green => (Color::Indexed(28), Color::Green),
        Color::LightGreen => (Color::Indexed(34), Color::Green),
        // Warnings: dark amber; magenta on 16 colours (ANSI yellow is unreadable on white,
        // and the nearest ANSI colour to amber is red, which is crit).
        Color::Yellow => (Color::Indexed(130), Color::Magenta),
        Color::LightYellow => (Color::Indexed(136), Color::Magenta),
        Color::Red => (Color::Indexed(160), Color::Red),
        Color::LightRed => (Color::Indexed(124), Color::Red),
        Color::Blue => (Color::Indexed(25), Color::Blue),
        Color::LightBlue => (Color::Indexed(26), Color::Blue),
        Color::Magenta => (Color::Indexed(127), Color::Magenta),
        Color::LightMagenta => (Color::Indexed(90), Color::Magenta),
        // Anything else (a view's own RGB or indexed colour): kept when dark enough to read
        // on white, else black.
        other => match rgb(other) {
            Some(v) if luminance(v) > 0.35 => (Color::Black, Color::Black),
            _ => (other, other),
        },
    }
}

/// The light theme's counterpart of a dark-theme background: `(256 or truecolor, 16)`.
pub fn light_bg(c: Color) -> (Color, Color) {
    if c == selection_bg() {
        // Light grey (#dadada): visible on white, every light-theme foreground readable on it.
        return (Color::Indexed(253), Color::Gray);
    }
    match c {
        // The header badge: a calmer blue, white text stays.
        Color::Blue => (Color::Indexed(25), Color::Blue),
        other => (other, other),
    }
}

/// xterm's default RGB for a colour (`None` for `Reset`).
pub fn rgb(c: Color) -> Option<(u8, u8, u8)> {
    let index = match c {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => return Some((r, g, b)),
        Color::Indexed(i) => i,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
    };
    Some(xterm(index))
}

/// xterm's palette: the 16 ANSI colours, the 6×6×6 cube, the 24 greys.
pub fn xterm(i: u8) -> (u8, u8, u8) {
    const BASE: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    match i {
        0..=15 => BASE[usize::from(i)],
        16..=231 => {
            let n = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(n / 36), level((n / 6) % 6), level(n % 6))
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            (v, v, v)
        }
    }
}

/// Relative luminance (WCAG), 0 for black to 1 for white.
pub fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs();
    d(a.0, b.0).pow(2) + d(a.1, b.1).pow(2) + d(a.2, b.2).pow(2)
}

const ANSI: [Color; 16] = [
    Color::Black,
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Gray,
    Color::DarkGray,
    Color::LightRed,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::White,
];

/// The nearest of the 16 ANSI colours.
pub fn nearest_ansi16(c: Color) -> Color {
    let Some(target) = rgb(c) else {
        return c;
    };
    match c {
        Color::Indexed(i) if i < 16 => return ANSI[usize::from(i)],
        Color::Rgb(..) | Color::Indexed(_) => {}
        named => return named,
    }
    ANSI.iter()
        .enumerate()
        .min_by_key(|(i, _)| distance(xterm(*i as u8), target))
        .map_or(c, |(_, c)| *c)
}

/// The nearest colour of xterm's cube and grey ramp (indices 16 to 255) to an RGB colour;
/// every other colour is returned as it is.
pub fn nearest_256(c: Color) -> Color {
    let Color::Rgb(r, g, b) = c else {
        return c;
    };
    let target = (r, g, b);
    (16..=255u8)
        .min_by_key(|i| distance(xterm(*i), target))
        .map_or(c, Color::Indexed)
}

/// A colour that the terminal at `depth` can show.
pub fn reduce(c: Color, depth: ColorDepth) -> Color {
    match depth {
        ColorDepth::TrueColor => c,
        ColorDepth::Ansi256 => nearest_256(c),
        ColorDepth::Ansi16 => nearest_ansi16(c),
    }
}

/// The dark theme's colours on a 16-colour terminal, where the nearest colour is not the
/// best: the selection's dark blue-grey is nearest to black, which is invisible on most dark
/// terminals, so it becomes dark grey.
fn dark_bg16(c: Color) -> Color {
    if c == selection_bg() {
        Color::DarkGray
    } else {
        nearest_ansi16(c)
    }
}

/// One cell's `(fg, bg)` in `theme` at `depth`.
pub fn map_cell(fg: Color, bg: Color, theme: ThemeName, depth: ColorDepth) -> (Color, Color) {
    let sixteen = depth == ColorDepth::Ansi16;
    let pick = |(full, ansi): (Color, Color)| if sixteen { ansi } else { full };
    let (fg, bg) = match theme {
        ThemeName::Dark => {
            let bg = if sixteen { dark_bg16(bg) } else { bg };
            (fg, bg)
        }
        ThemeName::Light => {
            let on_page = bg == Color::Reset || bg == selection_bg();
            let fg = if on_page { pick(light_fg(fg)) } else { fg };
            (fg, pick(light_bg(bg)))
        }
    };
    let (fg, bg) = (reduce(fg, depth), reduce(bg, depth));
    if fg == bg && fg != Color::Reset {
        return (legible_on(bg), bg);
    }
    (fg, bg)
}

/// Black or white, whichever reads better on `bg`.
fn legible_on(bg: Color) -> Color {
    match rgb(bg) {
        Some(v) if luminance(v) > 0.3 => Color::Black,
        _ => Color::White,
    }
}

/// Applies the theme and the colour depth to a finished frame (nothing to do for the dark
/// theme in 24-bit colour).
pub fn apply(buf: &mut Buffer, theme: ThemeName, depth: ColorDepth) {
    if theme == ThemeName::Dark && depth == ColorDepth::TrueColor {
        return;
    }
    for cell in buf.content.iter_mut() {
        let (fg, bg) = map_cell(cell.fg, cell.bg, theme, depth);
        cell.fg = fg;
        cell.bg = bg;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Style;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn depth_from_the_environment() {
        use ColorDepth::*;
        let cases: &[(&[(&str, &str)], ColorDepth)] = &[
            (
                &[("COLORTERM", "truecolor"), ("TERM", "xterm-256color")],
                TrueColor,
            ),
            (&[("COLORTERM", "24bit"), ("TERM", "xterm")], TrueColor),
            (&[("TERM", "xterm-256color")], Ansi256),
            (&[("TERM", "screen-256color")], Ansi256),
            (&[("TERM", "tmux-256color")], Ansi256),
            (&[("TERM", "xterm-direct")], TrueColor),
            (&[("TERM", "linux")], Ansi16),
            (&[("TERM", "xterm")], Ansi16),
            (&[("TERM", "xterm-color")], Ansi16),
            (&[("TERM", "screen")], Ansi16),
            (&[("TERM", "screen.xterm-new")], Ansi16),
            (&[("TERM", "screen.xterm-256color")], Ansi256),
            (&[("TERM", "vt100")], Ansi16),
            (&[("TERM", "ansi")], Ansi16),
            (&[("TERM", "xterm-kitty")], Ansi256),
            (&[], Ansi256),
            // GNU screen passes no 24-bit colour, whatever the outer terminal announced.
            (
                &[
                    ("COLORTERM", "truecolor"),
                    ("TERM", "screen-256color"),
                    ("STY", "1.pts-0"),
                ],
                Ansi256,
            ),
        ];
        for (vars, want) in cases {
            let vars: &'static [(&'static str, &'static str)] =
                Box::leak(vars.to_vec().into_boxed_slice());
            assert_eq!(ColorDepth::detect(env(vars)), *want, "{vars:?}");
        }
    }

    #[test]
    fn depth_parses_numbers_and_words() {
        assert_eq!(ColorDepth::parse("16"), Some(ColorDepth::Ansi16));
        assert_eq!(ColorDepth::parse(" 256"), Some(ColorDepth::Ansi256));
        assert_eq!(ColorDepth::parse("TrueColor"), Some(ColorDepth::TrueColor));
        assert_eq!(ColorDepth::parse("88"), None);
        let d: ColorDepth = serde_yaml::from_str("16").expect("number");
        assert_eq!(d, ColorDepth::Ansi16);
        let d: ColorDepth = serde_yaml::from_str("truecolor").expect("word");
        assert_eq!(d, ColorDepth::TrueColor);
        let err = serde_yaml::from_str::<ColorDepth>("88").expect_err("88 colours");
        assert!(
            err.to_string().contains("expected 16, 256 or truecolor"),
            "{err}"
        );
        let t: ThemeName = serde_yaml::from_str("light").expect("theme");
        assert_eq!(t, ThemeName::Light);
    }

    #[test]
    fn config_keys() {
        let path = std::path::Path::new("config.yaml");
        let base = "sources: [{name: p, url: 'http://p:9090'}]\n";
        let config = crate::config::parse(&format!("{base}theme: light\ncolors: 16\n"), path)
            .expect("parses");
        assert_eq!(config.theme, Some(ThemeName::Light));
        assert_eq!(config.colors, Some(ColorDepth::Ansi16));
        let config = crate::config::parse(base, path).expect("parses");
        assert_eq!((config.theme, config.colors), (None, None));
        let err = crate::config::parse(&format!("{base}colors: 88\n"), path)
            .expect_err("88 colours")
            .to_string();
        assert!(
            err.contains("colors") && err.contains("16, 256 or truecolor"),
            "{err}"
        );
        let err = crate::config::parse(&format!("{base}theme: solarized\n"), path)
            .expect_err("no such theme")
            .to_string();
        assert!(err.contains("theme"), "{err}");
    }

    #[test]
    fn nearest_colours() {
        // 16 colours.
        assert_eq!(nearest_ansi16(Color::Rgb(250, 10, 10)), Color::LightRed);
        assert_eq!(nearest_ansi16(Color::Rgb(200, 0, 0)), Color::Red);
        assert_eq!(nearest_ansi16(Color::Rgb(40, 44, 60)), Color::Black);
        assert_eq!(nearest_ansi16(Color::Indexed(244)), Color::DarkGray);
        assert_eq!(nearest_ansi16(Color::Indexed(28)), Color::Green);
        assert_eq!(nearest_ansi16(Color::Indexed(9)), Color::LightRed);
        assert_eq!(nearest_ansi16(Color::Indexed(255)), Color::Gray);
        assert_eq!(nearest_ansi16(Color::Rgb(250, 250, 250)), Color::White);
        assert_eq!(nearest_ansi16(Color::Cyan), Color::Cyan);
        // 256 colours: the cube and the greys, never the 16 terminal-defined ones.
        assert_eq!(nearest_256(Color::Rgb(255, 0, 0)), Color::Indexed(196));
        assert_eq!(nearest_256(Color::Rgb(0, 0, 0)), Color::Indexed(16));
        assert_eq!(nearest_256(Color::Rgb(40, 44, 60)), Color::Indexed(236));
        assert_eq!(
            nearest_256(Color::Rgb(0x80, 0x80, 0x80)),
            Color::Indexed(244)
        );
        assert_eq!(
            nearest_256(Color::Rgb(0xaf, 0x5f, 0x00)),
            Color::Indexed(130)
        );
        assert_eq!(nearest_256(Color::Indexed(30)), Color::Indexed(30));
        assert_eq!(nearest_256(Color::Green), Color::Green);
        // Every index maps to itself in 256 colours and to an ANSI colour in 16.
        for i in 16..=255u8 {
            let rgb = xterm(i);
            let back = nearest_256(Color::Rgb(rgb.0, rgb.1, rgb.2));
            assert_eq!(back.to_string(), Color::Indexed(i).to_string(), "index {i}");
            assert!(ANSI.contains(&nearest_ansi16(Color::Indexed(i))));
        }
    }

    /// Every style of the theme, as the views use it.
    fn theme_styles() -> Vec<(&'static str, Style)> {
        let t = &THEME;
        vec![
            ("header", t.header),
            ("title", t.title),
            ("dim", t.dim),
            ("ok", t.ok),
            ("warn", t.warn),
            ("crit", t.crit),
            ("no_data", t.no_data),
            ("selected", t.selected),
            ("title+selected", t.title.patch(t.selected)),
            ("dim+selected", t.dim.patch(t.selected)),
            ("crit+selected", t.crit.patch(t.selected)),
            ("warn+selected", t.warn.patch(t.selected)),
            ("ok+selected", t.ok.patch(t.selected)),
            ("live", t.live),
            ("history", t.history),
            ("key", t.key),
            ("border", t.border),
        ]
    }

    fn cell(style: Style) -> (Color, Color) {
        (
            style.fg.unwrap_or(Color::Reset),
            style.bg.unwrap_or(Color::Reset),
        )
    }

    /// Text and background as the eye sees them: `Reset` is the terminal's own colour.
    fn seen(c: Color, default: (u8, u8, u8)) -> (u8, u8, u8) {
        rgb(c).unwrap_or(default)
    }

    #[test]
    fn light_theme_is_readable_on_white() {
        const WHITE: (u8, u8, u8) = (255, 255, 255);
        const BLACK: (u8, u8, u8) = (0, 0, 0);
        for depth in [ColorDepth::TrueColor, ColorDepth::Ansi256] {
            for (name, style) in theme_styles() {
                let (fg, bg) = cell(style);
                let (fg, bg) = map_cell(fg, bg, ThemeName::Light, depth);
                assert_ne!(fg, bg, "{name}");
                assert!(!matches!(fg, Color::Rgb(..)) || depth == ColorDepth::TrueColor);
                let ratio = contrast(seen(fg, BLACK), seen(bg, WHITE));
                assert!(
                    ratio >= 3.0,
                    "{name} at {depth:?}: {fg:?} on {bg:?}: {ratio:.2}"
                );
            }
        }
        // On 16 colours the shades are the terminal's; none of the pale ones is text.
        let pale = [
            Color::White,
            Color::Gray,
            Color::Yellow,
            Color::LightYellow,
            Color::Cyan,
            Color::LightCyan,
            Color::LightGreen,
        ];
        for (name, style) in theme_styles() {
            let (fg, bg) = cell(style);
            let (fg, bg) = map_cell(fg, bg, ThemeName::Light, ColorDepth::Ansi16);
            assert_ne!(fg, bg, "{name}");
            if bg == Color::Reset || bg == Color::Gray {
                assert!(!pale.contains(&fg), "{name}: {fg:?} on a light page");
            }
        }
        // The header stays strong: white on blue.
        let (fg, bg) = cell(THEME.header);
        assert_eq!(
            map_cell(fg, bg, ThemeName::Light, ColorDepth::TrueColor),
            (Color::White, Color::Indexed(25))
        );
        // The selection is light grey, not the dark blue-grey.
        let (fg, bg) = cell(THEME.selected);
        assert_eq!(
            map_cell(fg, bg, ThemeName::Light, ColorDepth::Ansi256).1,
            Color::Indexed(253)
        );
        // Warnings are not yellow, and not crit's red.
        let (fg, _) = cell(THEME.warn);
        let (warn, _) = map_cell(fg, Color::Reset, ThemeName::Light, ColorDepth::Ansi16);
        let (fg, _) = cell(THEME.crit);
        let (crit, _) = map_cell(fg, Color::Reset, ThemeName::Light, ColorDepth::Ansi16);
        assert_ne!(warn, crit);
    }

    #[test]
    fn dark_theme_on_16_colours_keeps_text_visible() {
        for (name, style) in theme_styles() {
            let (fg, bg) = cell(style);
            let (fg, bg) = map_cell(fg, bg, ThemeName::Dark, ColorDepth::Ansi16);
            assert_ne!(fg, bg, "{name}");
            for c in [fg, bg] {
                assert!(c == Color::Reset || ANSI.contains(&c), "{name}: {c:?}");
            }
        }
        // The selection is dark grey, and dim text on it is lifted.
        let (fg, bg) = cell(THEME.dim.patch(THEME.selected));
        assert_eq!(
            map_cell(fg, bg, ThemeName::Dark, ColorDepth::Ansi16),
            (Color::White, Color::DarkGray)
        );
        // The dark theme in 24-bit colour is what the views drew.
        let (fg, bg) = cell(THEME.selected);
        assert_eq!(
            map_cell(fg, bg, ThemeName::Dark, ColorDepth::TrueColor),
            (fg, bg)
        );
        assert_eq!(
            map_cell(fg, bg, ThemeName::Dark, ColorDepth::Ansi256),
            (fg, Color::Indexed(236))
        );
    }
}
