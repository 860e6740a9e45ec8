"""Opening the next year from the demo school: the proposal, editing it, applying (twice), refusals, undo."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import func, select

from tests import year_support
from tests.year_support import NEXT, next_terms, snapshot
from zhurnal.core.errors import NotFound, ValidationFailed
from zhurnal.core.models import CurriculumItem, SchoolClass, TeachingAssignment
from zhurnal.core.services.rollover import RolloverService
from zhurnal.core.services.years import YearService


@pytest.fixture
def demo(engine_name, request, tmp_path_factory, tmp_path):
    yield from year_support.demo_store(engine_name, request, tmp_path_factory, tmp_path)


@pytest.fixture
def actor(demo):
    return year_support.admin_actor(demo)


def propose(store, actor, **changes):
    name, start, end = NEXT
    args = {"name": name, "start": start, "end": end, "terms": next_terms(), **changes}
    return RolloverService(store).propose_open(actor, **args)


def count(store, model, **where) -> int:
    with store.session(write=False) as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(session.scalar(query) or 0)


def test_the_proposal_carries_classes_up_one_parallel_and_forms_first_and_tenth(demo, actor):
    proposal = propose(demo, actor)
    by_name = {c.name: c for c in proposal.classes}
    assert sorted(by_name) == sorted(f"{p}{letter}" for p in range(1, 12) for letter in "АБ")
    assert by_name["6А"].source == "carried" and by_name["6А"].previous_name == "5А"
    assert by_name["11Б"].previous_name == "10Б"
    # 9th classes are not carried: the 10th are formed anew from those who continue; 11th graduate
    assert by_name["10А"].source == "formed" and by_name["10А"].previous_class_id is None
    assert by_name["1А"].source == "first" and by_name["1А"].previous_class_id is None
    assert all(c.previous_name not in ("9А", "9Б", "11А", "11Б") for c in proposal.classes)
    # class teachers stay with carried classes; assignments and curriculum come with their twins
    assert by_name["6А"].class_teacher_id is not None
    assert proposal.curriculum and all(c.previous_id for c in proposal.curriculum)
    assert proposal.assignments and all(a.previous_id for a in proposal.assignments)
    assert {a.class_name for a in proposal.assignments} <= set(by_name)
    assert proposal.existing_year_id is None


def test_applying_creates_everything_once_and_a_second_run_only_matches(demo, actor):
    service = RolloverService(demo)
    proposal = propose(demo, actor)
    first = service.apply_open(actor, proposal, today=date(2026, 11, 28))
    assert first.year is not None and first.year.name == "2027/2028" and first.year.status == "planned"
    assert first.counts["class"] == {"created": 22}
    assert first.counts["term"] == {"created": 4}
    assert first.counts["curriculum"]["created"] == len(proposal.curriculum)
    assert first.run_id is not None
    year_id = first.year.id
    classes = count(demo, SchoolClass, year_id=year_id)
    assignments = count(demo, TeachingAssignment, year_id=year_id)
    six_a = next(c for c in YearService(demo).list(actor) if c.id == year_id)
    assert six_a.previous_year_id == proposal.from_year_id

    again = service.apply_open(actor, propose(demo, actor))
    assert again.run_id is None  # nothing created, nothing to undo
    assert set(again.counts["class"]) == {"matched"} and set(again.counts["assignment"]) == {"matched"}
    assert count(demo, SchoolClass, year_id=year_id) == classes == 22
    assert count(demo, TeachingAssignment, year_id=year_id) == assignments
    assert count(demo, CurriculumItem, year_id=year_id) == len(proposal.curriculum)
    with demo.session(write=False) as session:
        six = session.scalar(select(SchoolClass).where(SchoolClass.year_id == year_id, SchoolClass.name == "6А"))
        five = session.get(SchoolClass, six.previous_class_id)
        assert five.name == "5А" and five.year_id == proposal.from_year_id


def test_the_caller_edits_the_proposal_before_applying(demo, actor):
    proposal = propose(demo, actor)
    classes = tuple(dataclasses.replace(c, include=False) if c.name == "1Б" else
                    dataclasses.replace(c, class_teacher_id=None, class_teacher_name=None) if c.name == "6А" else c
                    for c in proposal.classes)
    curriculum = tuple(dataclasses.replace(c, include=False) if c.grade == 11 else c for c in proposal.curriculum)
    edited = dataclasses.replace(proposal, classes=classes, curriculum=curriculum)
    report = RolloverService(demo).apply_open(actor, edited)
    assert report.counts["class"] == {"created": 21, "skipped": 1}
    with demo.session(write=False) as session:
        names = set(session.scalars(select(SchoolClass.name).where(SchoolClass.year_id == report.year.id)))
        six = session.scalar(select(SchoolClass).where(SchoolClass.year_id == report.year.id,
                                                       SchoolClass.name == "6А"))
    assert "1Б" not in names and six.class_teacher_id is None
    skipped = [i for i in report.items if i.kind == "assignment" and i.label.startswith("1Б:")]
    assert skipped and all(i.status == "skipped" and "1Б" in (i.note or "") for i in skipped)
    assert not any(i.status == "created" and i.label.startswith("11 класс") for i in report.items)


def test_dry_run_reports_and_writes_nothing(demo, actor):
    before = snapshot(demo)
    report = RolloverService(demo).apply_open(actor, propose(demo, actor), dry_run=True)
    assert report.dry_run and report.year is None and report.counts["class"] == {"created": 22}
    assert snapshot(demo) == before


@pytest.mark.parametrize(("changes", "message"), [
    ({"start": date(2027, 8, 31)}, "не позже конца предыдущего года"),
    ({"name": "2027-2028"}, "ожидается вида 2027/2028"),
    ({"terms": next_terms()[:3]}, "пронумерованы 1–4"),
    ({"terms": []}, "не заданы четверти"),
])
def test_dates_and_terms_are_checked_and_never_invented(demo, actor, changes, message):
    with pytest.raises(ValidationFailed) as caught:
        propose(demo, actor, **changes)
    assert message in str(caught.value)


def test_undo_of_an_opening_restores_the_tables_exactly(demo, actor):
    before = snapshot(demo)
    service = RolloverService(demo)
    service.apply_open(actor, propose(demo, actor))
    assert snapshot(demo) != before
    assert service.last_run(actor).kind == "open"
    preview = service.undo_last(actor, dry_run=True)
    assert preview.deleted["classes"] == 22 and snapshot(demo) != before
    report = service.undo_last(actor)
    assert report.deleted["academic_years"] == 1
    assert snapshot(demo) == before
    assert service.last_run(actor) is None
    with pytest.raises(NotFound):
        service.undo_last(actor)
