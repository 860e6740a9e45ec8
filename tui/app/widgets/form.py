"""Form fields with their validation messages: a label, an editor, and under them the core's messages for
that field (errors in red, warnings in yellow), mapped by `Problem.field`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import Label, Static

from zhurnal.core.validation import Problem


class Field(Vertical):
    """One labelled editor; `names` are the core's field names whose problems it shows."""

    def __init__(self, label: str, editor: Widget, *names: str) -> None:
        super().__init__(classes="field")
        self.label = label
        self.editor = editor
        self.names = frozenset(names)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-line"):
            yield Label(self.label, classes="field-label")
            yield self.editor
        yield Static("", classes="field-message")

    def say(self, problems: Sequence[Problem]) -> None:
        """Show these problems under the editor (nothing when empty)."""
        message = self.query_one(".field-message", Static)
        message.update("\n".join(p.message for p in problems))
        message.display = bool(problems)
        is_error = any(p.severity == "error" for p in problems)
        message.set_class(is_error, "-error")
        message.set_class(bool(problems) and not is_error, "-warning")

    @property
    def text(self) -> str:
        return str(self.query_one(".field-message", Static).content)


def show_problems(root: DOMNode, problems: Iterable[Problem]) -> list[Problem]:
    """Put each problem under the field that names it; return the problems no field of `root` claims."""
    fields = list(root.query(Field))
    by_field: dict[Field, list[Problem]] = {f: [] for f in fields}
    unclaimed = []
    for problem in problems:
        owner = next((f for f in fields if problem.field in f.names), None)
        if owner is None:
            unclaimed.append(problem)
        else:
            by_field[owner].append(problem)
    for field, found in by_field.items():
        field.say(found)
    return unclaimed


def say_problems(root: DOMNode, message: Static, problems: Iterable[Problem], text: str = "",
                 error: bool = True) -> None:
    """The core's problems under their fields; `text` and the problems no field claims in `message` (the
    line under the form), red when `error` and anything is said."""
    lines = ([text] if text else []) + [p.message for p in show_problems(root, problems)]
    message.update("\n".join(lines))
    message.set_class(error and bool(lines), "-error")


def field_of(root: DOMNode, name: str) -> Field:
    """The field of `root` showing the core's field `name`."""
    return next(f for f in root.query(Field) if name in f.names)
