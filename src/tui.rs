//! Terminal setup and restore. Every way out (normal quit, error, panic, signal) goes through
//! [`restore`], which is idempotent, so the shell is never left in raw mode or the alternate
//! screen.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Mouse capture was asked for (`mouse: true`, `--mouse`): [`resume`] turns it on again.
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Enters raw mode and the alternate screen; installs the panic hook first so even a panic
/// during setup restores the terminal.
pub fn init() -> io::Result<Tui> {
    install_panic_hook();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let setup = || -> io::Result<Tui> {
        let mut stdout = io::stdout();
        // Clear with an escape sequence: `Terminal::clear` may ask the terminal for the cursor
        // position and wait for an answer that a dumb or detached terminal never sends.
        execute!(stdout, EnterAlternateScreen, Hide, Clear(ClearType::All))?;
        // A paste arrives as one event, not as keys: a pasted line break cannot submit a form,
        // nor pasted letters act as commands.
        execute!(stdout, EnableBracketedPaste)?;
        Terminal::new(CrosstermBackend::new(stdout))
    };
    setup().inspect_err(|_| restore())
}

/// Captures the mouse (wheel, clicks) until [`restore`]. Opt-in only: while a program
/// captures the mouse the terminal cannot select text (most terminals still do with Shift).
pub fn enable_mouse() -> io::Result<()> {
    MOUSE.store(true, Ordering::SeqCst);
    execute!(io::stdout(), EnableMouseCapture)
}

/// Leaves the alternate screen and raw mode. Safe to call more than once, and when the
/// terminal is already gone (errors are ignored: there is nobody to tell).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut stdout = io::stdout();
        if MOUSE.load(Ordering::SeqCst) {
            let _ = execute!(stdout, DisableMouseCapture);
        }
        let _ = execute!(stdout, DisableBracketedPaste, LeaveAlternateScreen, Show);
        let _ = disable_raw_mode();
        let _ = stdout.flush();
    }
}

/// Hands the terminal to another program (the editor): like [`restore`], but [`resume`]
/// takes it back.
pub fn suspend() {
    restore();
}

/// Takes the terminal back after [`suspend`]: raw mode, alternate screen, bracketed paste.
/// Errors are ignored: a terminal that is gone is noticed by the next draw.
pub fn resume() {
    if enable_raw_mode().is_ok() {
        ACTIVE.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        let _ = execute!(
            stdout,
            EnterAlternateScreen,
            Hide,
            Clear(ClearType::All),
            EnableBracketedPaste
        );
        if MOUSE.load(Ordering::SeqCst) {
            let _ = execute!(stdout, EnableMouseCapture);
        }
    }
}

/// Restores the terminal when dropped, so an early `?` return cannot leave it raw.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Restore first, so the report lands on a sane terminal.
        restore();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        // Captured whatever RUST_BACKTRACE says: the log is where a crash is read afterwards.
        let backtrace = std::backtrace::Backtrace::force_capture();
        tracing::error!(%location, %payload, "panic\n{backtrace}");
        previous(info);
        // Not `eprintln!`: with the terminal gone (a hang-up), it would panic inside the
        // panic hook, and the process would abort.
        let _ = writeln!(
            io::stderr(),
            "sretop crashed; the terminal was restored. Details are in the log file."
        );
    }));
}
