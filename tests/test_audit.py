"""The audit trail: append-only in the database itself, and `zhurnal audit verify` finds any tampering."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from zhurnal.core.audit import verify_chain
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.tui.cli import main


def make_people(store, admin, count=4):
    service = PersonService(store)
    for i in range(count):
        service.create(admin, PersonInput("Смирнова", f"Анна{'а' * i}", None, date(2012, 5, i + 1), "F"))


def drop_guards(store):
    """What an intruder with database access would do first."""
    with store.engine.begin() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_records_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_records_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_records_no_change ON audit_records")


def verify(store):
    err = io.StringIO()
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        code = main(["--db", store.url, "audit", "verify"], stdout=out)
    return code, out.getvalue() + err.getvalue()


def test_update_and_delete_are_refused_by_the_database(store, admin):
    make_people(store, admin, 1)
    for statement in ("UPDATE audit_records SET action = 'x'", "DELETE FROM audit_records"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(statement))
    assert verify_chain(store.session()).ok


def test_verify_counts_an_intact_chain(store, admin):
    make_people(store, admin, 3)
    code, output = verify(store)
    count = verify_chain(store.session()).count
    assert code == 0 and f"{count} записей" in output and count >= 3 + 4


def test_edited_record_is_named(store, admin):
    make_people(store, admin)
    drop_guards(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET outcome = 'denied' WHERE seq = 6"))
    code, output = verify(store)
    assert code == 1 and "запись 6 изменена" in output


def test_removed_record_is_named(store, admin):
    make_people(store, admin)
    drop_guards(store)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE seq = 5"))
    code, output = verify(store)
    assert code == 1 and "запись 5" in output


def test_reordered_records_are_found(store, admin):
    make_people(store, admin)
    drop_guards(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET seq = -1 WHERE seq = 6"))
        conn.execute(text("UPDATE audit_records SET seq = 6 WHERE seq = 7"))
        conn.execute(text("UPDATE audit_records SET seq = 7 WHERE seq = -1"))
    code, output = verify(store)
    assert code == 1 and "запись 6" in output
