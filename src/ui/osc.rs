//! Terminal escape sequences ratatui does not write: OSC 52 (copy to the system clipboard,
//! also over SSH) and OSC 8 (clickable hyperlinks), the latter as an overlay written after a
//! frame is drawn.
//!
//! Pure functions returning the bytes to write; the runtime writes them.

use ratatui::buffer::Buffer;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 of `bytes` (RFC 4648 standard alphabet, with `=` padding).
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 0x3f) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

/// Longest text [`osc52_copy`] sends: its base64 (99,992 bytes) and the 8 bytes around it
/// make exactly 100,000 bytes, the most that xterm-compatible terminals accept.
pub const OSC52_MAX_BYTES: usize = 74_994;

/// `ESC ] 52 ; c ; <base64> BEL`: asks the terminal to put `text` on the clipboard. Empty
/// (nothing to write) when `text` is longer than [`OSC52_MAX_BYTES`] bytes.
pub fn osc52_copy(text: &str) -> String {
    if text.len() > OSC52_MAX_BYTES {
        return String::new();
    }
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

/// Shortest URL prefix recognised before a `…` that the UI put where it cut a URL.
const MIN_PREFIX_CHARS: usize = 12;

/// One link found on screen: where, how many cells, which URL.
struct Hit<'a> {
    row: u16,
    col: u16,
    cells: usize,
    url: &'a str,
}

/// Byte offsets of the cells of one row of text: `starts[i]` is where cell `i` begins.
struct Row {
    text: String,
    starts: Vec<usize>,
}

impl Row {
    fn of(buf: &Buffer, y: u16) -> Self {
        let area = buf.area;
        let mut text = String::new();
        let mut starts = Vec::with_capacity(usize::from(area.width));
        for x in area.left()..area.right() {
            starts.push(text.len());
            text.push_str(buf.cell((x, y)).map_or(" ", |c| c.symbol()));
        }
        Self { text, starts }
    }

    /// The cell index of byte offset `at`, when a cell starts there.
    fn cell_at(&self, at: usize) -> Option<usize> {
        self.starts.binary_search(&at).ok()
    }

    /// Cells from byte `from` up to byte `to` (both cell starts, or `to` the end).
    fn span(&self, from: usize, to: usize) -> Option<(usize, usize)> {
        let first = self.cell_at(from)?;
        let end = if to == self.text.len() {
            self.starts.len()
        } else {
            self.cell_at(to)?
        };
        Some((first, end - first))
    }
}

/// `s` without control characters (C0, DEL, C1), so that it cannot end or start a sequence.
fn sanitize(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

fn find_hits<'a>(row: &Row, y: u16, x0: u16, url: &'a str, hits: &mut Vec<Hit<'a>>) {
    let mut push = |from: usize, to: usize| {
        if let Some((col, cells)) = row.span(from, to) {
            hits.push(Hit {
                row: y,
                col: x0.saturating_add(u16::try_from(col).unwrap_or(u16::MAX)),
                cells,
                url,
            });
        }
    };
    if url.is_empty() {
        return;
    }
    for (at, _) in row.text.match_indices(url) {
        push(at, at + url.len());
    }
    // A prefix of at least MIN_PREFIX_CHARS characters right before a `…`: the longest wins.
    let prefix_ends: Vec<usize> = url
        .char_indices()
        .map(|(i, _)| i)
        .skip(MIN_PREFIX_CHARS)
        .collect();
    for (dots, ell) in row.text.match_indices('…') {
        let before = &row.text[..dots];
        if let Some(&end) = prefix_ends
            .iter()
            .rev()
            .find(|&&end| before.ends_with(&url[..end]))
        {
            push(dots - end, dots + ell.len());
        }
    }
}

/// OSC 8 hyperlinks for the URLs visible in a drawn frame, to write right after it.
///
/// For each row, finds where one of `urls` is shown: the whole URL, or a prefix of at least
/// 12 characters immediately followed by `…` (where the UI truncated it; the `…` is part of
/// the link). For each place it writes: a cursor move `ESC[{row+1};{col+1}H`, the link
/// start `ESC]8;;{url}ESC\`, underline `ESC[4m`, the visible text as it is in the buffer,
/// `ESC[24m`, and the link end `ESC]8;;ESC\`. Control characters are removed from the URL
/// (and the text) so a server cannot smuggle escape sequences in. Overlapping places keep the
/// leftmost, then longest. Empty when nothing is found.
pub fn osc8_overlay(buf: &Buffer, urls: &[String]) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let row = Row::of(buf, y);
        let mut hits = Vec::new();
        for url in urls {
            find_hits(&row, y, area.left(), url, &mut hits);
        }
        hits.sort_by(|a, b| a.col.cmp(&b.col).then(b.cells.cmp(&a.cells)));
        let mut free_from = 0usize;
        for hit in hits {
            let col = usize::from(hit.col);
            if col < free_from {
                continue;
            }
            free_from = col + hit.cells;
            let text: String = (0..hit.cells)
                .filter_map(|i| {
                    let x = hit.col.checked_add(u16::try_from(i).ok()?)?;
                    buf.cell((x, hit.row)).map(|c| c.symbol())
                })
                .collect();
            out.push_str(&format!(
                "\x1b[{};{}H\x1b]8;;{}\x1b\\\x1b[4m{}\x1b[24m\x1b]8;;\x1b\\",
                u32::from(hit.row) + 1,
                u32::from(hit.col) + 1,
                sanitize(hit.url),
                sanitize(&text),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn base64_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, want) in cases {
            assert_eq!(base64(input.as_bytes()), want, "{input:?}");
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
        assert_eq!(base64(&[0, 0, 0, 0xff]), "AAAA/w==");
    }

    #[test]
    fn osc52_sequence_and_limit() {
        assert_eq!(osc52_copy("foobar"), "\x1b]52;c;Zm9vYmFy\x07");
        assert_eq!(osc52_copy(""), "\x1b]52;c;\x07");
        let max = "a".repeat(OSC52_MAX_BYTES);
        let seq = osc52_copy(&max);
        assert_eq!(seq.len(), 100_000);
        assert!(seq.starts_with("\x1b]52;c;YWFh") && seq.ends_with("YWFh\x07"));
        assert_eq!(osc52_copy(&format!("{max}a")), "");
        // The limit is in bytes, not characters.
        assert_eq!(osc52_copy(&"é".repeat(OSC52_MAX_BYTES / 2 + 1)), "");
    }

    fn buffer(rows: &[(u16, u16, &str)]) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 3));
        for &(x, y, s) in rows {
            buf.set_string(x, y, s, Style::default());
        }
        buf
    }

    fn link(row: u16, col: u16, url: &str, text: &str) -> String {
        format!("\x1b[{row};{col}H\x1b]8;;{url}\x1b\\\x1b[4m{text}\x1b[24m\x1b]8;;\x1b\\")
    }

    #[test]
    fn links_whole_urls() {
        let url = "https://runbooks.example.com/DiskFull".to_owned();
        let buf = buffer(&[(2, 1, &url)]);
        assert_eq!(
            osc8_overlay(&buf, std::slice::from_ref(&url)),
            link(2, 3, &url, &url)
        );
        // The same URL twice on one row, and on another row.
        let short = "http://a.io/x".to_owned();
        let buf = buffer(&[
            (0, 0, "http://a.io/x http://a.io/x"),
            (5, 2, "http://a.io/x"),
        ]);
        assert_eq!(
            osc8_overlay(&buf, std::slice::from_ref(&short)),
            [
                link(1, 1, &short, &short),
                link(1, 15, &short, &short),
                link(3, 6, &short, &short)
            ]
            .concat()
        );
    }

    #[test]
    fn links_truncated_urls_with_ellipsis() {
        let url = "https://runbooks.example.com/HighErrorRate".to_owned();
        let buf = buffer(&[(0, 0, "runbook: https://runbooks.ex… more")]);
        assert_eq!(
            osc8_overlay(&buf, std::slice::from_ref(&url)),
            link(1, 10, &url, "https://runbooks.ex…")
        );
        // Fewer than 12 characters before the ellipsis is not enough.
        let buf = buffer(&[(0, 0, "https://run…")]);
        assert_eq!(osc8_overlay(&buf, std::slice::from_ref(&url)), "");
        // Exactly 12 is.
        let buf = buffer(&[(0, 0, "https://runb…")]);
        assert_eq!(
            osc8_overlay(&buf, std::slice::from_ref(&url)),
            link(1, 1, &url, "https://runb…")
        );
        // A prefix not right before the ellipsis is not a truncated URL.
        let buf = buffer(&[(0, 0, "https://runbooks.ex …")]);
        assert_eq!(osc8_overlay(&buf, std::slice::from_ref(&url)), "");
    }

    #[test]
    fn nothing_found_is_empty() {
        let buf = buffer(&[(0, 0, "no links here")]);
        assert_eq!(osc8_overlay(&buf, &["https://example.com/a".into()]), "");
        assert_eq!(osc8_overlay(&buf, &[]), "");
        assert_eq!(osc8_overlay(&buf, &[String::new()]), "");
    }

    #[test]
    fn longer_url_wins_over_its_prefix() {
        let a = "https://example.com/a".to_owned();
        let ab = "https://example.com/ab".to_owned();
        let buf = buffer(&[(0, 0, &ab)]);
        assert_eq!(
            osc8_overlay(&buf, &[a, ab.clone()]),
            link(1, 1, &ab, &ab),
            "one link, not two overlapping"
        );
    }

    #[test]
    fn control_characters_are_stripped_from_the_url() {
        // What the UI shows (ratatui drops control characters when drawing)...
        let shown = "https://evil.example.com/x".to_owned();
        let buf = buffer(&[(0, 0, &format!("{shown}…"))]);
        // ...is a truncation of a URL carrying an escape sequence.
        let evil = "https://evil.example.com/x\x1b]8;;\x07\x1b[2J\u{9c}\x7f".to_owned();
        let out = osc8_overlay(&buf, &[evil]);
        let clean = "https://evil.example.com/x]8;;[2J";
        assert_eq!(out, link(1, 1, clean, &format!("{shown}…")));
        assert!(!out.contains('\x07') && !out.contains('\u{9c}') && !out.contains('\x7f'));
    }

    #[test]
    fn positions_are_absolute_for_an_offset_area() {
        let url = "http://a.io/x".to_owned();
        let mut buf = Buffer::empty(Rect::new(10, 5, 20, 2));
        buf.set_string(12, 6, &url, Style::default());
        assert_eq!(
            osc8_overlay(&buf, std::slice::from_ref(&url)),
            link(7, 13, &url, &url)
        );
    }
}
