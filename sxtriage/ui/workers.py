"""The one handler for failed workers: the log file (with the traceback) and a toast.

Mixed into the app and its screens.  Their workers never close the app when they fail
(`exit_on_error=False` by default); Textual posts the failure to the node that started
the worker, and `on_worker_state_changed` reports it.  Name a worker (`name=`) by what it
does: the toast says "<name> failed: <why>".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    _Base = DOMNode
else:
    _Base = object  # a plain mixin: Textual follows the first DOMNode base for CSS

log = logging.getLogger(__name__)


def report_failure(node: DOMNode, worker: Worker[Any]) -> None:
    error = worker.error
    if error is None:
        return
    what = worker.name or "A background task"
    log.error("%s failed", what, exc_info=error)
    node.app.notify(f"{what} failed: {error}", severity="error", markup=False)


class LoudWorkers(_Base):
    """Mixed into the app and the screens, before their Textual base class."""

    def run_worker(self, work: Any, *args: Any, **kwargs: Any) -> Worker[Any]:
        kwargs.setdefault("exit_on_error", False)
        return super().run_worker(work, *args, **kwargs)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            report_failure(self, event.worker)
