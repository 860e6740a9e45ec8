"""OneRoster CSV bundles on both engines: the reference samples import, re-import changes nothing, every kind
of non-conformance gets a precise report and writes nothing, and a 1.2.1 bulk export is valid and round-trips.

Fixtures: tests/data/oneroster/ holds copies of ../shared/reference/oneroster (headers.json and the two
sample bundles) and v1p2-base-bulk/ — the delta sample's objects as a 1.2 bulk bundle (with the 1.2 users.csv
layout, resourceSourcedIds) that the delta is applied after.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.test_import_support import DATA, TODAY, counts, make_classes, run, runs
from zhurnal.core.models import Enrolment, Guardianship, Person, StaffPosition
from zhurnal.core.store import Store
from zhurnal.plugins.builtin.oneroster import (
    HEADERS_1_1,
    HEADERS_1_2_1,
    USERS_1_2,
    OneRosterImporter,
    check_bundle,
    zip_folder,
)
from zhurnal.plugins.engine.export import export, export_bundle
from zhurnal.plugins.engine.formats import FormatError, ReadOptions
from zhurnal.plugins.engine.run import ImportFailed, ImportOptions, execute_all, prepare_all
from zhurnal.plugins.manager import Hub

HERE = Path(__file__).resolve().parent / "data" / "oneroster"
REFERENCE = json.loads((HERE / "headers.json").read_text(encoding="utf-8"))
ORDER = "12-у от 30.08.2026"
HIRE = "15-к от 25.08.2026"


@pytest.fixture
def hub() -> Hub:
    return Hub(entry_points=False)


@pytest.fixture
def classes(store, school) -> dict[str, int]:
    return make_classes(store, school.school_id)


def files_of(name: str) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8-sig") for p in sorted((HERE / name).iterdir())}


def bundle(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


def edit(text: str, row: int, column: str, value: str) -> str:
    """`text` (a CSV file) with the cell of line `row` (header = 1) and `column` replaced."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows[row - 1][rows[0].index(column)] = value
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def drop_column(text: str, column: str) -> str:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    index = rows[0].index(column)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([r[:index] + r[index + 1:] for r in rows])
    return out.getvalue()


def import_bundle(hub, store, actor, data: bytes, *, dry_run: bool = False, **options):
    options.setdefault("today", TODAY)
    options.setdefault("order", ORDER)
    options.setdefault("format", "oneroster")
    prepared = prepare_all(hub, store, actor, data, "bundle.zip", ImportOptions(**options))
    return execute_all(hub, store, actor, prepared, dry_run=dry_run)


def people(store) -> dict[str, int]:
    with store.session() as s:
        def n(q) -> int:
            return int(s.scalar(q) or 0)
        return {"persons": n(select(func.count()).select_from(Person)),
                "students": n(select(func.count(func.distinct(Enrolment.person_id)))),
                "enrolments": n(select(func.count()).select_from(Enrolment)),
                "staff": n(select(func.count(func.distinct(StaffPosition.person_id)))),
                "parents": n(select(func.count(func.distinct(Guardianship.parent_id)))),
                "guardianships": n(select(func.count()).select_from(Guardianship))}


# ---- the header lists ----------------------------------------------------------------------------------

def test_headers_are_exactly_the_reference():
    assert {k: list(v) for k, v in HEADERS_1_2_1.items()} == REFERENCE["oneroster_1.2.1_csv"]
    assert {k: list(v) for k, v in HEADERS_1_1.items()} == REFERENCE["oneroster_1.1_csv_derived"]
    assert [h for h in USERS_1_2 if h not in HEADERS_1_2_1["users"]] == ["resourceSourcedIds"]
    assert USERS_1_2.index("resourceSourcedIds") == USERS_1_2.index("userMasterIdentifier") + 1


def test_samples_read_with_warnings_for_unclean_values():
    parsed = OneRosterImporter().read(zip_folder(HERE / "v1p1-bulk-minimal"), ReadOptions(1000))
    assert parsed.details["oneroster"] == "1.1" and parsed.details["mode"] == "bulk"
    assert any("users.csv, строка 2, столбец «enabledUser»: «TRUE» принято как «true»" in n for n in parsed.notes)
    assert any("classes.csv, строка 2, столбец «classType»: «Scheduled»" in n for n in parsed.notes)
    delta = OneRosterImporter().read(zip_folder(HERE / "v1p2-delta-sample"), ReadOptions(1000))
    # a 1.2 manifest whose users.csv has no resourceSourcedIds is the 1.2.1 layout
    assert delta.details["oneroster"] == "1.2.1" and delta.details["mode"] == "delta"
    base = OneRosterImporter().read(zip_folder(HERE / "v1p2-base-bulk"), ReadOptions(1000))
    assert base.details["oneroster"] == "1.2"


# ---- importing the samples -----------------------------------------------------------------------------

def test_v1p1_minimal_bulk_into_empty_school_and_reimport(hub, store, admin, classes):
    data = zip_folder(HERE / "v1p1-bulk-minimal")
    extra = {"class.cls-222-123478": "5А", "hire_order": HIRE}
    dry = import_bundle(hub, store, admin, data, dry_run=True, extra=extra)
    assert [r.prepared.entity for r in dry] == ["staff", "students"] and all(r.clean for r in dry)
    assert counts(store)["persons"] == 0
    result = import_bundle(hub, store, admin, data, extra=extra)
    assert all(r.applied for r in result), [str(m) for r in result for m in r.messages]
    assert [r.report.counts["new"] for r in result] == [2, 1]
    notes = result[0].prepared.notes
    assert any(n.startswith("academicSessions.csv, строка 5, столбец «startDate»: «Session Title» (02.10.2022–"
                            "24.12.2022, schoolYear 2023): такого учебного года в журнале нет") for n in notes)
    with store.session() as s:
        assert set(s.scalars(select(Person.external_id))) == {"usr-222-123456", "usr-222-987654",
                                                              "usr-222-1234561232"}
    assert people(store)["enrolments"] == 1 and people(store)["staff"] == 2
    before = counts(store)
    again = import_bundle(hub, store, admin, data, extra=extra)
    assert all(r.applied for r in again)
    assert all(r.report.counts["new"] == r.report.counts["changed"] == 0 for r in again)
    assert counts(store) == before


def test_v1p2_delta_after_a_base(hub, store, admin, classes):
    extra = {"class.CLASS_001": "10А"}
    base = import_bundle(hub, store, admin, zip_folder(HERE / "v1p2-base-bulk"), extra=extra)
    assert [r.report.counts["new"] for r in base] == [1] and base[0].applied
    delta = import_bundle(hub, store, admin, zip_folder(HERE / "v1p2-delta-sample"), extra=extra)
    assert delta[0].applied, [str(m) for m in delta[0].messages]
    assert delta[0].report.counts["changed"] == 1
    assert "birth_date" in delta[0].report.changes[0].fields
    with store.session() as s:
        bruce = s.scalars(select(Person).where(Person.external_id == "USER_0")).one()
        assert bruce.birth_date.isoformat() == "2010-04-17" and bruce.email == "bruce@example.com"
    before = counts(store)
    again = import_bundle(hub, store, admin, zip_folder(HERE / "v1p2-delta-sample"), extra=extra)
    assert again[0].report.counts["unchanged"] == 1 and counts(store) == before


DEPARTURE = "31-у от 20.11.2026"
DISMISSAL = "40-к от 20.11.2026"


def _ends(store) -> dict[str, list[tuple[object, ...]]]:
    with store.session() as s:
        return {"enrolments": [tuple(r) for r in s.execute(
                    select(Person.external_id, Enrolment.end_date, Enrolment.end_reason, Enrolment.end_order_id)
                    .join(Person, Person.id == Enrolment.person_id).order_by(Enrolment.id))],
                "positions": [tuple(r) for r in s.execute(
                    select(Person.external_id, StaffPosition.end_date, StaffPosition.end_reason,
                           StaffPosition.end_order_id)
                    .join(Person, Person.id == StaffPosition.person_id).order_by(StaffPosition.id))]}


def test_delta_tobedeleted_soft_ends_by_orders(hub, store, admin, classes):
    """A real 1.1 delta (tests/data/oneroster/v1p1-delta-leavers) after the minimal bulk: the tobedeleted
    student leaves (end date, departure order), the tobedeleted teacher is dismissed (dismissal order); the
    dry run shows it and writes nothing; nobody and nothing is deleted; a second import changes nothing."""
    from zhurnal.core.models import Order

    base_extra = {"class.cls-222-123478": "5А", "hire_order": HIRE}
    import_bundle(hub, store, admin, zip_folder(HERE / "v1p1-bulk-minimal"), extra=base_extra)
    before, ends_before = counts(store), _ends(store)
    assert all(e[1] is None for rows in ends_before.values() for e in rows)
    leavers = zip_folder(HERE / "v1p1-delta-leavers")
    extra = {"departure_order": DEPARTURE, "dismissal_order": DISMISSAL}
    dry = import_bundle(hub, store, admin, leavers, dry_run=True, extra=extra)
    assert [r.prepared.entity for r in dry] == ["staff", "students"] and all(r.clean for r in dry)
    assert [r.report.counts["changed"] for r in dry] == [1, 1]
    student = dry[1].report.changes[0]
    assert student.fields == ("end_date",) and "выбытие: 5А, последний день 20.11.2026" in student.detail
    assert "увольнение: «учитель», последний день 20.11.2026" in dry[0].report.changes[0].detail
    assert any("users.csv, строка 4, столбец «status»: tobedeleted: связь представителя" in n
               for n in dry[0].prepared.notes)
    assert _ends(store) == ends_before and counts(store) == before  # the dry run wrote nothing
    result = import_bundle(hub, store, admin, leavers, extra=extra)
    assert all(r.applied for r in result), [str(m) for r in result for m in r.messages]
    ends = _ends(store)
    with store.session() as s:
        orders = {o.kind: o for o in s.scalars(select(Order))}
    assert orders["departure"].number == "31-у" and orders["dismissal"].number == "40-к"
    assert ("usr-222-1234561232", TODAY.replace(day=20), "other", orders["departure"].id) in ends["enrolments"]
    assert ("usr-222-123456", TODAY.replace(day=20), "other", orders["dismissal"].id) in ends["positions"]
    assert ("usr-222-987654", None, None, None) in ends["positions"]  # the other teacher stays
    after = counts(store)
    assert after["persons"] == before["persons"]  # ended, never deleted
    with store.session() as s:
        from zhurnal.core.models import AuditRecord

        actions = list(s.scalars(select(AuditRecord.action).where(AuditRecord.action.in_(
            ["enrolment.end", "staff.dismiss"]))))
    assert sorted(actions) == ["enrolment.end", "staff.dismiss"]
    again = import_bundle(hub, store, admin, leavers, extra=extra)
    assert all(r.applied and r.report.counts["changed"] == 0 for r in again)
    assert _ends(store) == ends


def test_delta_tobedeleted_needs_the_order_and_refuses_all(hub, store, admin, classes):
    import_bundle(hub, store, admin, zip_folder(HERE / "v1p1-bulk-minimal"),
                  extra={"class.cls-222-123478": "5А", "hire_order": HIRE})
    before = _ends(store)
    result = import_bundle(hub, store, admin, zip_folder(HERE / "v1p1-delta-leavers"),
                           extra={"dismissal_order": DISMISSAL})
    assert not any(r.applied for r in result)  # one transaction: the staff batch is refused with the students
    text = [str(m) for r in result for m in r.messages]
    assert any(t.startswith("Строка 2, столбец «Номер приказа»: не указан — выбытие оформляется приказом")
               and "departure_order" in t for t in text), text
    assert _ends(store) == before


def test_delta_tobedeleted_enrollment_ends_the_class(hub, store, admin, classes):
    """An enrollments.csv row tobedeleted of a student who stays in users.csv: the enrolment ends on the
    row's endDate (rows of that table are numbered as in enrollments.csv)."""
    import_bundle(hub, store, admin, zip_folder(HERE / "v1p1-bulk-minimal"),
                  extra={"class.cls-222-123478": "5А", "hire_order": HIRE})
    files = files_of("v1p1-delta-leavers")
    del files["users.csv"]
    files["manifest.csv"] = files["manifest.csv"].replace("file.users,delta", "file.users,absent")
    files["enrollments.csv"] = edit(files["enrollments.csv"], 2, "endDate", "2026-11-27")
    result = import_bundle(hub, store, admin, bundle(files), extra={"departure_order": DEPARTURE})
    assert [r.prepared.table_name for r in result] == ["enrollments.csv"] and result[0].applied
    assert result[0].report.changes[0].row == 2
    assert ("usr-222-1234561232", TODAY.replace(day=27), "other") in [e[:3] for e in _ends(store)["enrolments"]]


# ---- non-conformant bundles ----------------------------------------------------------------------------

def _v11(**changes: str) -> dict[str, str]:
    files = files_of("v1p1-bulk-minimal")
    files.update(changes)
    return files


def _cases() -> list[tuple[str, dict[str, str], str]]:
    v11 = files_of("v1p1-bulk-minimal")
    delta = files_of("v1p2-delta-sample")
    no_manifest = dict(v11)
    del no_manifest["manifest.csv"]
    return [
        ("missing manifest", no_manifest, "manifest.csv: нет в пакете"),
        ("wrong version", _v11(**{"manifest.csv": edit(v11["manifest.csv"], 3, "value", "1.3")}),
         "manifest.csv, строка 3, столбец «value»: oneroster.version «1.3» — поддерживается 1.1 и 1.2"),
        ("missing required column", _v11(**{"users.csv": drop_column(v11["users.csv"], "role")}),
         "users.csv, строка 1, столбец «role»: нет обязательного столбца «role» (OneRoster 1.1"),
        ("1.2.1 header in a 1.1 bundle", _v11(**{"users.csv": delta["users.csv"]}),
         "users.csv, строка 1, столбец «orgSourcedIds»: нет обязательного столбца"),
        ("bad enum", _v11(**{"users.csv": edit(v11["users.csv"], 2, "role", "teachr")}),
         "users.csv, строка 2, столбец «role»: «teachr» — допустимо: administrator"),
        ("status in a bulk file", _v11(**{"orgs.csv": edit(v11["orgs.csv"], 2, "status", "active")}),
         "orgs.csv, строка 2, столбец «status»: «active» — в файле bulk столбец status должен быть пуст"),
        ("delta without status", {**delta, "users.csv": edit(delta["users.csv"], 2, "status", "")},
         "users.csv, строка 2, столбец «status»: пусто — в файле delta обязателен"),
        ("unknown sourcedId", _v11(**{"enrollments.csv": edit(v11["enrollments.csv"], 2, "userSourcedId",
                                                              "usr-nope")}),
         "enrollments.csv, строка 2, столбец «userSourcedId»: «usr-nope» — нет такого sourcedId в users.csv"),
        ("duplicate sourcedId", _v11(**{"users.csv": edit(v11["users.csv"], 3, "sourcedId", "usr-222-123456")}),
         "users.csv, строка 3, столбец «sourcedId»: «usr-222-123456» повторяет строку 2"),
        ("bad date", _v11(**{"academicSessions.csv": edit(v11["academicSessions.csv"], 2, "startDate",
                                                          "02.10.2022")}),
         "academicSessions.csv, строка 2, столбец «startDate»: «02.10.2022» — ожидается дата ГГГГ-ММ-ДД"),
        ("file absent in manifest", _v11(**{"manifest.csv": edit(v11["manifest.csv"], 11, "value", "absent")}),
         "manifest.csv, строка 11, столбец «value»: файл enrollments.csv есть в пакете, а в манифесте он отмечен"),
        ("columns out of order", _v11(**{"orgs.csv": "sourcedId,status,dateLastModified,type,name,identifier,"
                                                     "parentSourcedId\r\norg-sch-222-456,,,school,X,,\r\n"}),
         "orgs.csv, строка 1, столбец «type»: столбец 4 — «type», а по OneRoster 1.1 на этом месте «name»"),
        ("wrong case header", _v11(**{"orgs.csv": "sourcedid,status,dateLastModified,name,type,identifier,"
                                                  "parentSourcedId\r\norg-sch-222-456,,,X,school,,\r\n"}),
         "orgs.csv, строка 1, столбец «sourcedid»: неизвестный столбец для OneRoster 1.1 (заголовки "
         "чувствительны к регистру: «sourcedId»)"),
    ]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0])
def test_non_conformant_bundle_is_refused_precisely_and_writes_nothing(hub, store, admin, classes, case):
    _, files, expected = case
    before, logged = counts(store), len(runs(store))
    with pytest.raises(ImportFailed) as caught:
        import_bundle(hub, store, admin, bundle(files), extra={"hire_order": HIRE})
    assert expected in str(caught.value)
    assert "Ничего не записано" in str(caught.value)
    assert counts(store) == before and len(runs(store)) == logged


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x03\x04broken", bundle({"readme.txt": "x"})])
def test_not_a_bundle_is_a_format_error(data):
    with pytest.raises(FormatError):
        OneRosterImporter().read(data, ReadOptions(1000))


def test_student_in_two_zhurnal_classes_is_an_error(hub, store, admin, classes):
    extra = {"class.cls-222-123478": "5А", "class.cls-222-123456": "5Б", "hire_order": HIRE}
    with pytest.raises(ImportFailed, match=r"enrollments.csv, столбец «classSourcedId»: строки 4, 7: обучающийся "
                                           r"usr-222-1234561232 зачислен в разные классы журнала"):
        import_bundle(hub, store, admin, zip_folder(HERE / "v1p1-bulk-minimal"), extra=extra)


# ---- export ------------------------------------------------------------------------------------------

def _demo(hub, store, admin) -> None:
    for name in ("staff_utf8_comma.csv", "students_cp1251_semicolon.csv"):
        assert run(hub, store, admin, DATA / name).applied


def _read_zip(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n.removesuffix(".csv"): list(csv.reader(io.StringIO(archive.read(n).decode("utf-8"), newline="")))
                for n in archive.namelist()}


@pytest.fixture
def second_store(engine_name, request, tmp_path):
    """Another copy of the seeded template: the empty school a bundle is carried to."""
    if engine_name == "sqlite":
        template, _ = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, tmp_path / "other.sqlite3")
        other = Store(f"sqlite:///{tmp_path / 'other.sqlite3'}")
        yield other
        other.dispose()
        return
    server = request.getfixturevalue("pg_server")
    template, _ = request.getfixturevalue("pg_template")
    name = server.create(template=template)
    other = Store(server.url_for(name))
    yield other
    other.dispose()
    server.drop(name)


def test_export_is_a_valid_121_bundle_and_round_trips(hub, store, admin, school, classes, second_store):
    _demo(hub, store, admin)
    out = io.BytesIO()
    result = export_bundle(hub, store, admin, "oneroster", out, on=TODAY)
    data = out.getvalue()
    files = _read_zip(data)
    manifest = dict(map(tuple, files.pop("manifest")[1:]))
    assert manifest["manifest.version"] == "1.0" and manifest["oneroster.version"] == "1.2"
    for name, rows in files.items():
        assert rows[0] == REFERENCE["oneroster_1.2.1_csv"][name], name
        assert manifest[f"file.{name}"] == "bulk"
        assert all(len(r) == len(rows[0]) and r[1] == r[2] == "" for r in rows[1:]), name
    assert {k.removeprefix("file.") for k, v in manifest.items() if v == "bulk"} == set(files)
    assert set(REFERENCE["oneroster_1.2.1_csv"]) == {k.removeprefix("file.") for k in manifest
                                                     if k.startswith("file.")}
    # every reference resolves (the importer's strict bulk checks) and the ids are stable
    checked = check_bundle(data, 10_000)
    assert checked.version == "1.2.1" and checked.problems.warnings == []
    ids = {name: {r[0] for r in rows[1:]} for name, rows in files.items()}
    targets = {"classSourcedId": "classes", "userSourcedId": "users", "schoolSourcedId": "orgs",
               "orgSourcedId": "orgs", "courseSourcedId": "courses", "primaryOrgSourcedId": "orgs",
               "agentSourcedIds": "users", "termSourcedIds": "academicSessions",
               "schoolYearSourcedId": "academicSessions", "parentSourcedId": None}
    for name, rows in files.items():
        for row in rows[1:]:
            for column, value in zip(rows[0], row, strict=True):
                target = targets.get(column) or (name if column == "parentSourcedId" else None)
                for ref in filter(None, value.split(",")) if target else ():
                    assert ref in ids[target], (name, column, ref)
    assert {r[0] for r in files["demographics"][1:]} <= ids["users"]
    again = io.BytesIO()
    export_bundle(hub, store, admin, "oneroster", again, on=TODAY)
    assert again.getvalue() == data
    assert result.rows > 0
    # the round trip: into another (empty) school with the same classes
    make_classes(second_store, school.school_id)
    carried = import_bundle(hub, second_store, admin, data, extra={"hire_order": HIRE})
    assert all(r.applied for r in carried), [str(m) for r in carried for m in r.messages]
    notes = carried[0].prepared.notes
    assert any("— учебный год 2026/2027" in n for n in notes)
    assert not any("не совпадает" in n or "такого учебного года" in n for n in notes), notes
    expected = people(store)
    got = people(second_store)
    assert {k: got[k] for k in ("persons", "students", "enrolments", "staff", "parents", "guardianships")} == \
        {k: expected[k] for k in ("persons", "students", "enrolments", "staff", "parents", "guardianships")}


def test_single_entity_export_points_to_the_bundle(hub, store, admin, classes):
    from zhurnal.plugins.engine.export import ExportFailed

    with pytest.raises(ExportFailed, match="--entity all"):
        export(hub, store, admin, "students", "oneroster", io.BytesIO(), on=TODAY)
    out = io.BytesIO()
    assert export(hub, store, admin, "all", "oneroster", out, on=TODAY).entity == "all"
    assert zipfile.ZipFile(out).namelist()[0] == "manifest.csv"


def test_a_folder_imports_like_its_zip(hub, store, admin, classes):
    from zhurnal.plugins.engine.run import import_bundle as import_path

    options = ImportOptions(format="oneroster", order=ORDER, today=TODAY,
                            extra={"class.cls-222-123478": "5А", "hire_order": HIRE})
    results = import_path(hub, store, admin, HERE / "v1p1-bulk-minimal", options, dry_run=False)
    assert [r.report.counts["new"] for r in results] == [2, 1] and all(r.applied for r in results)
    assert results[0].prepared.file_name == "v1p1-bulk-minimal.zip"


def test_mutated_bundles_never_crash():
    """Random damage to the samples (cells, rows, cut files, missing files): FormatError or a result, never
    another exception."""
    import random

    rng = random.Random(5)
    samples = [files_of(n) for n in ("v1p1-bulk-minimal", "v1p2-delta-sample", "v1p2-base-bulk")]
    values = ["", "x", "TRUE", "active", "tobedeleted", "2023-10-02T00:00:00.000Z", "student", "parent",
              "teacher", "USER_0", "ORG_1", "usr-222-123456", "usr-222-1234561", "CLASS_001", "5А", ",", '"',
              "2010-01-01", "male", "a,b"]
    extra = {"class.CLASS_001": "5А", "class.cls-222-123478": "5А", "class.cls-222-123456": "5Б"}
    for _ in range(400):
        files = dict(rng.choice(samples))
        name = rng.choice(sorted(files))
        rows = list(csv.reader(io.StringIO(files[name], newline="")))
        if rng.random() < 0.8 and len(rows) > 1:
            r = rng.randrange(len(rows))
            rows[r][rng.randrange(len(rows[r]))] = rng.choice(values)
        else:
            rows = rows[:rng.randrange(len(rows) + 1)]
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        files[name] = out.getvalue()
        with contextlib.suppress(FormatError):
            OneRosterImporter().read(bundle(files), ReadOptions(1000, extra=rng.choice([{}, extra])))


def test_a_bundle_is_detected_without_naming_the_format(hub):
    data = zip_folder(HERE / "v1p2-delta-sample")
    assert hub.detect_importer(data, "export.zip").name == "oneroster"
    assert hub.detect_importer(data, "noname").name == "oneroster"
