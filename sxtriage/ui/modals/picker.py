"""The shape shared by the filter-as-you-type pickers (assign, release): an Input over an
OptionList of `shown` choices; enter or a click returns the highlighted one, up/down move
the highlight without leaving the Input, escape returns None.  Subclasses fill `shown`
and the list, and bind up/down to `move(±1)` and escape to `cancel` with their own ids."""

from __future__ import annotations

from typing import Generic, TypeVar

from textual.screen import ModalScreen
from textual.widgets import Input, OptionList

T = TypeVar("T")


class FilterPicker(ModalScreen[T | None], Generic[T]):
    shown: list[T]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = self.query_one(OptionList).highlighted
        if index is not None and 0 <= index < len(self.shown):
            self.dismiss(self.shown[index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.shown):
            self.dismiss(self.shown[event.option_index])

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self.shown:
            current = options.highlighted or 0
            options.highlighted = max(0, min(len(self.shown) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
