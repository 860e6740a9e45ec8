"""The roles × actions matrix in docs/permissions.md is what the code does.

The matrix is parsed from the document and compared with `permissions.ROLES` both ways; then every public
service method of every Service subclass is called with an actor holding one role and dummy arguments:
PermissionDenied must come exactly where the matrix says "—" (the permission check runs before anything
else, so any other outcome, including an error about the dummy arguments, means the call was let in).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import zhurnal.core.services as services_package
from zhurnal.core.errors import PermissionDenied
from zhurnal.core.permissions import ACTIONS, ASSIGNABLE, ROLES, Actor
from zhurnal.core.services.base import Service

DOC = Path(__file__).resolve().parents[1] / "docs" / "permissions.md"
YES, NO = "✓", "—"

# Public methods that are not permission-checked, on purpose (see "Notes" in docs/permissions.md): they run
# before any account exists, take a secret instead of an actor, or only chain checked methods.
UNGUARDED = {
    "SchoolService.initialise",  # `zhurnal init`: creates the first administrator
    "CodeService.redeem",  # the login code is the credential
    "CodeService.check",  # the same: tests the code before the new password is asked
    "CodeService.issue_letters",  # calls the checked `issue` and `letters` after checking export itself
}


def _cells(line: str) -> list[str]:
    return [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]


def _table_after(heading: str, first_cell: str) -> list[list[str]]:
    """The Markdown table that follows `heading` and whose header starts with `first_cell`."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading)
    rows: list[list[str]] = []
    for line in lines[start + 1:]:
        if line.startswith("## ") and rows:
            break
        if line.startswith("|"):
            rows.append(_cells(line))
        elif rows:
            break
    assert rows and rows[0][0] == first_cell, f"{DOC.name}: no table under «{heading}»"
    assert all(set(cell) <= set("-: ") for cell in rows[1]), "the second line of a table separates the header"
    return [rows[0], *rows[2:]]


def doc_matrix() -> dict[str, dict[str, bool]]:
    """role -> action -> allowed, as docs/permissions.md says."""
    header, *body = _table_after("## Matrix", "action")
    roles = header[1:]
    matrix: dict[str, dict[str, bool]] = {role: {} for role in roles}
    for row in body:
        action, marks = row[0], row[1:]
        assert len(marks) == len(roles), f"matrix row {action}: {len(marks)} cells for {len(roles)} roles"
        for role, mark in zip(roles, marks, strict=True):
            assert mark in (YES, NO), f"matrix {action} × {role}: «{mark}» is neither {YES} nor {NO}"
            assert action not in matrix[role], f"matrix: {action} twice"
            matrix[role][action] = mark == YES
    return matrix


MATRIX = doc_matrix()


def test_the_document_and_the_code_hold_the_same_matrix():
    assert list(MATRIX) == list(ROLES), "roles (and their order) differ between docs/permissions.md and ROLES"
    for role, allowed in MATRIX.items():
        assert set(allowed) == set(ACTIONS), f"{role}: the matrix rows differ from permissions.ACTIONS"
        documented = {action for action, yes in allowed.items() if yes}
        assert documented == set(ROLES[role][1]), f"{role}: docs/permissions.md and ROLES disagree"


def test_the_document_lists_every_action_with_its_scope_and_who_assigns_what():
    header, *body = _table_after("## Actions", "action")
    assert header == ["action", "what it allows", "scope"]
    assert {row[0]: (row[1], row[2]) for row in body} == ACTIONS
    _, *assign = _table_after("### Who may grant which role", "role")
    documented = {row[0]: frozenset(r.strip() for r in row[2].split(",") if r.strip() not in ("", NO))
                  for row in assign}
    assert documented == ASSIGNABLE


def _service_classes() -> list[type[Service]]:
    for module in pkgutil.iter_modules(services_package.__path__):
        importlib.import_module(f"{services_package.__name__}.{module.name}")
    found: list[type[Service]] = []
    todo = list(Service.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__name__)


def _public_methods() -> Iterator[tuple[type[Service], str, Callable[..., Any]]]:
    for cls in _service_classes():
        for name, member in vars(cls).items():
            if not name.startswith("_") and callable(member):
                yield cls, name, member


def test_every_public_service_method_names_a_known_action():
    unguarded, unknown = [], []
    for cls, name, method in _public_methods():
        actions = getattr(method, "__zhurnal_actions__", None)
        if actions is None:
            unguarded.append(f"{cls.__name__}.{name}")
        elif not set(actions) <= set(ACTIONS):
            unknown.append(f"{cls.__name__}.{name}: {actions}")
    assert not unknown
    assert set(unguarded) <= UNGUARDED, (f"public service methods without @service(...): "
                                         f"{sorted(set(unguarded) - UNGUARDED)}")


@pytest.mark.parametrize("role", list(ROLES))
def test_every_service_refuses_exactly_what_the_matrix_refuses(store, school, role):
    actor = Actor(user_id=None, login=f"matrix:{role}", school_id=school.school_id, roles=frozenset({role}))
    wrong: list[str] = []
    checked = 0
    for cls, name, method in _public_methods():
        actions = getattr(method, "__zhurnal_actions__", None)
        if actions is None:
            continue
        checked += 1
        instance = cls(store)
        try:
            getattr(instance, name)(actor)
        except PermissionDenied as exc:
            refused, refused_for = True, exc.action
        except Exception:  # the dummy arguments were let through to the body: allowed
            refused, refused_for = False, None
        else:
            refused, refused_for = False, None
        # Any one of the method's actions lets the call in; a refusal names the first.
        expected_refusal = not any(MATRIX[role][action] for action in actions)
        if refused != expected_refusal or (refused and refused_for != actions[0]):
            wrong.append(f"{cls.__name__}.{name} ({'|'.join(actions)}): {'refused' if refused else 'allowed'}")
    assert checked > 40 and not wrong, f"{role}: outcome differs from docs/permissions.md: {wrong}"
