"""The progress callback a thread worker hands to a long core operation (a backup, an import).

The core calls `progress(done, total)` at a bounded rate; this one posts a message for the screen's progress
bar when the bar moves by a tenth of a per cent, and raises core.errors.Cancelled once the screen's cancel
event is set (Escape) or the worker was cancelled (the screen was left): the core then rolls back.
"""

from __future__ import annotations

import threading

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import get_current_worker

from zhurnal.core.errors import Cancelled, Progress


class ProgressMade(Message):
    """How far the running operation is: (done, total) as the core reports it."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


def cancellable(target: MessagePump, cancel: threading.Event) -> Progress:
    """For the running worker: `progress(done, total)` posting ProgressMade(done, total) to `target`."""
    worker = get_current_worker()
    shown = -1

    def report(done: int, total: int) -> None:
        nonlocal shown
        if cancel.is_set() or worker.is_cancelled:
            raise Cancelled()
        permille = done * 1000 // max(total, 1)
        if permille != shown:
            shown = permille
            target.post_message(ProgressMade(done, total))
    return report
