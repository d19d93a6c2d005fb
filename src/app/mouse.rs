//! The mouse (only with `mouse: true` or `--mouse`): the wheel moves through a list like
//! `j`/`k`; a left click on a tab shows that view; a left click selects a row of the overview,
//! SLO, alert or silence list, and a second click on the same row opens it (a silence has
//! nothing to open). Tabs and rows are found with [`crate::ui::tab_at`] and
//! [`crate::ui::row_at`], the renderer's own geometry.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::App;
use crate::keys::Action;

impl App {
    pub(super) fn on_mouse(&mut self, event: &MouseEvent, area: Rect) {
        // A form, a confirmation or the command line has the keyboard: the mouse waits.
        let busy = self.alerts.confirm.is_some()
            || self.alerts.form.is_some()
            || self.alerts.editing_filter
            || self.command.active;
        if busy {
            return;
        }
        match event.kind {
            MouseEventKind::ScrollDown => self.act(Action::Down),
            MouseEventKind::ScrollUp => self.act(Action::Up),
            MouseEventKind::Down(MouseButton::Left) => {
                if self.help {
                    self.help = false;
                    self.dirty = true;
                    return;
                }
                if let Some(view) = crate::ui::tab_at(area, event.column, event.row) {
                    self.last_click = None;
                    self.show_view(view);
                    return;
                }
                let Some(i) = crate::ui::row_at(self, area, event.column, event.row) else {
                    self.last_click = None;
                    return;
                };
                let cursor = match self.view {
                    super::View::Slos => &mut self.slo_selected,
                    super::View::Alerts => &mut self.alerts.selected,
                    super::View::Silences => &mut self.alerts.silence_selected,
                    _ => &mut self.selected,
                };
                let again = self.last_click == Some((self.view, i)) && *cursor == i;
                *cursor = i;
                self.dirty = true;
                if again {
                    self.last_click = None;
                    self.act(Action::Open);
                } else {
                    self.last_click = Some((self.view, i));
                }
            }
            _ => {}
        }
    }
}
