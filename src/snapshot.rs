//! One rendered frame without a TTY: plain text for scripts and chat, SVG with colours kept.

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;

use crate::app::App;
use crate::ui;
use crate::ui::palette::ThemeName;

/// Renders the app into an off-screen buffer of the given size.
pub fn render_buffer(app: &App, width: u16, height: u16) -> Buffer {
    let backend = TestBackend::new(width.max(1), height.max(1));
    match Terminal::new(backend) {
        Ok(mut terminal) => {
            // TestBackend's draw cannot fail.
            let _ = terminal.draw(|frame| ui::render(app, frame));
            terminal.backend().buffer().clone()
        }
        Err(_) => Buffer::empty(ratatui::layout::Rect::new(0, 0, width, height)),
    }
}

/// The buffer as lines of text, trailing blanks trimmed.
pub fn to_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

const CELL_W: f64 = 8.4;
const CELL_H: f64 = 17.0;
const FONT_SIZE: f64 = 14.0;
const BACKGROUND: &str = "#1b1d23";
const FOREGROUND: &str = "#d8dee9";
const LIGHT_BACKGROUND: &str = "#ffffff";
const LIGHT_FOREGROUND: &str = "#24292f";

/// The buffer as a standalone SVG: a monospace grid, colours and bold kept, on a dark
/// background.
pub fn to_svg(buffer: &Buffer) -> String {
    to_svg_themed(buffer, ThemeName::Dark)
}

/// [`to_svg`] for a frame drawn in `theme`: the light theme's frame on a white background
/// with dark default text, and the 16 named colours in xterm's shades (the dark SVG's softer
/// ones are too pale on white).
pub fn to_svg_themed(buffer: &Buffer, theme: ThemeName) -> String {
    let (background, foreground) = match theme {
        ThemeName::Dark => (BACKGROUND, FOREGROUND),
        ThemeName::Light => (LIGHT_BACKGROUND, LIGHT_FOREGROUND),
    };
    let css = |c: Color, fg: bool| match (theme, c) {
        (ThemeName::Light, Color::Reset) => None,
        (ThemeName::Light, c) => {
            crate::ui::palette::rgb(c).map(|(r, g, b)| format!("#{r:02x}{g:02x}{b:02x}"))
        }
        (ThemeName::Dark, c) => color(c, fg),
    };
    let area = buffer.area;
    let width = f64::from(area.width) * CELL_W;
    let height = f64::from(area.height) * CELL_H;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.1} {height:.1}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" \
         font-size=\"{FONT_SIZE}\">\n<rect width=\"100%\" height=\"100%\" fill=\"{background}\"/>\n"
    );
    for y in 0..area.height {
        let top = f64::from(y) * CELL_H;
        // Backgrounds first, merged into runs.
        let mut x = 0;
        while x < area.width {
            let bg = buffer[(x, y)].bg;
            let start = x;
            while x < area.width && buffer[(x, y)].bg == bg {
                x += 1;
            }
            if let Some(fill) = css(bg, false) {
                out.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{CELL_H}\" fill=\"{fill}\"/>\n",
                    f64::from(start) * CELL_W,
                    f64::from(x - start) * CELL_W
                ));
            }
        }
        // Text in runs of the same style, split at blanks: each run is stretched to exactly
        // its cells so columns line up whatever the font, and no renderer can collapse or
        // stretch the blanks between words or sparkline bars.
        let mut x = 0;
        while x < area.width {
            let cell = &buffer[(x, y)];
            if cell.symbol().trim().is_empty() {
                x += 1;
                continue;
            }
            // Block elements (sparklines, gauges) are drawn as rectangles: exact whatever
            // font the viewer has.
            if let Some((height, opacity)) = block_element(cell.symbol()) {
                let fill = css(cell.fg, true).unwrap_or_else(|| foreground.to_string());
                out.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{CELL_W}\" height=\"{:.1}\" fill=\"{fill}\" fill-opacity=\"{opacity}\"/>\n",
                    f64::from(x) * CELL_W,
                    top + CELL_H * (1.0 - height),
                    CELL_H * height
                ));
                x += 1;
                continue;
            }
            let (fg, bold) = (cell.fg, cell.modifier.contains(Modifier::BOLD));
            let start = x;
            let mut text = String::new();
            while x < area.width {
                let c = &buffer[(x, y)];
                if c.fg != fg
                    || c.modifier.contains(Modifier::BOLD) != bold
                    || c.symbol().trim().is_empty()
                    || block_element(c.symbol()).is_some()
                {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let fill = css(fg, true).unwrap_or_else(|| foreground.to_string());
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" textLength=\"{:.1}\" lengthAdjust=\"spacingAndGlyphs\" fill=\"{fill}\"{}>{}</text>\n",
                f64::from(start) * CELL_W,
                top + CELL_H * 0.78,
                f64::from(x - start) * CELL_W,
                if bold { " font-weight=\"bold\"" } else { "" },
                escape(&text)
            ));
        }
    }
    out.push_str("</svg>\n");
    out
}

/// Lower block elements `▁`…`█` as (height fraction, opacity), and the shade `░`.
fn block_element(symbol: &str) -> Option<(f64, f64)> {
    let c = symbol.chars().next()?;
    match c {
        '\u{2581}'..='\u{2588}' => Some((f64::from(c as u32 - 0x2580) / 8.0, 1.0)),
        '░' => Some((1.0, 0.25)),
        _ => None,
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A terminal colour as CSS; `None` for the default (foreground or background).
fn color(c: Color, _fg: bool) -> Option<String> {
    let hex = match c {
        Color::Reset => return None,
        Color::Black => "#2e3440",
        Color::Red => "#e06c75",
        Color::Green => "#98c379",
        Color::Yellow => "#e5c07b",
        Color::Blue => "#3b6bb5",
        Color::Magenta => "#c678dd",
        Color::Cyan => "#56b6c2",
        Color::Gray => "#abb2bf",
        Color::DarkGray => "#6b717d",
        Color::LightRed => "#f28b94",
        Color::LightGreen => "#b5e890",
        Color::LightYellow => "#f0d58c",
        Color::LightBlue => "#82aaff",
        Color::LightMagenta => "#d9a2eb",
        Color::LightCyan => "#8be0ea",
        Color::White => "#eceff4",
        Color::Rgb(r, g, b) => return Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(i) => return Some(indexed(i)),
    };
    Some(hex.to_string())
}

/// xterm's 256-colour palette.
fn indexed(i: u8) -> String {
    match i {
        0..=15 => {
            const BASE: [&str; 16] = [
                "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd",
                "#e5e5e5", "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff",
                "#00ffff", "#ffffff",
            ];
            BASE[usize::from(i)].to_string()
        }
        16..=231 => {
            let n = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            format!(
                "#{:02x}{:02x}{:02x}",
                level(n / 36),
                level((n / 6) % 6),
                level(n % 6)
            )
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            format!("#{v:02x}{v:02x}{v:02x}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn text_and_svg_keep_content_and_colour() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 2));
        buf.set_string(0, 0, "a<b & c", Style::new().fg(Color::Red));
        buf.set_string(0, 1, "ok", Style::new().bg(Color::Blue));
        assert_eq!(to_text(&buf), "a<b & c\nok\n");
        let svg = to_svg(&buf);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(">a&lt;b</text>"));
        assert!(svg.contains(">&amp;</text>"));
        assert!(
            svg.contains("x=\"50.4\""),
            "runs start at their cell: {svg}"
        );
        assert!(svg.contains("fill=\"#e06c75\""));
        assert!(svg.contains("fill=\"#3b6bb5\""));
    }

    #[test]
    fn light_svg_has_a_light_background_and_dark_text() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 2));
        buf.set_string(0, 0, "plain", Style::new());
        buf.set_string(0, 1, "warn", Style::new().fg(Color::Indexed(130)));
        let svg = to_svg_themed(&buf, ThemeName::Light);
        assert!(svg.contains("fill=\"#ffffff\"/>"), "{svg}");
        assert!(
            svg.contains(&format!("fill=\"{LIGHT_FOREGROUND}\">plain<")),
            "{svg}"
        );
        assert!(svg.contains("fill=\"#af5f00\">warn<"), "{svg}");
        assert!(!svg.contains(BACKGROUND));
        assert!(to_svg(&buf).contains(BACKGROUND));
    }

    #[test]
    fn indexed_palette() {
        assert_eq!(indexed(196), "#ff0000");
        assert_eq!(indexed(232), "#080808");
        assert_eq!(indexed(1), "#cd0000");
    }
}
