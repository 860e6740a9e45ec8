"""The archive of a closed year: the summary of final marks and the movement book as XLSX and PDF and a SHA-256
manifest.

The documents are stored as rows of `year_archive_files` (base64 text: the backup format dumps tables and has
no binary columns), so every backup carries them and undoing the closing removes them exactly. A copy is
written to archive/<school code>/<year>/ in the data folder for people to open; the rows stay the record.
The summary of final marks (сводная ведомость) is read from the term marks' snapshots (core/services/finalsummary.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from zhurnal.core import permissions
from zhurnal.core.errors import NotFound
from zhurnal.core.locations import archive_dir
from zhurnal.core.models import AcademicYear, School, YearArchiveFile
from zhurnal.core.services import yearlog
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.finalsummary import summary, summary_pdf, summary_xlsx
from zhurnal.core.services.movements import book_pdf, book_xlsx, movement_book
from zhurnal.core.services.years import get_year
from zhurnal.core.uow import UnitOfWork

MANIFEST = "manifest.json"
DOCUMENTS = ("final-marks.xlsx", "final-marks.pdf", "movement-book.xlsx", "movement-book.pdf")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ArchiveFile:
    name: str
    media_type: str
    size: int
    sha256: str
    content: bytes


def build_documents(uow: UnitOfWork, year: AcademicYear) -> list[ArchiveFile]:
    """The year's documents and, last, the manifest listing each with its size and SHA-256."""
    school = uow.session.get(School, uow.school_id)
    school_name = school.name if school else ""
    book = movement_book(uow, year.start_date, year.end_date)
    marks = summary(uow, year)
    documents = [("final-marks.xlsx", XLSX_TYPE, summary_xlsx(marks, year.name, school_name)),
                 ("final-marks.pdf", "application/pdf", summary_pdf(marks, year.name, school_name)),
                 ("movement-book.xlsx", XLSX_TYPE, book_xlsx(book, school_name)),
                 ("movement-book.pdf", "application/pdf", book_pdf(book, school_name))]
    files = [ArchiveFile(name, media, len(data), hashlib.sha256(data).hexdigest(), data)
             for name, media, data in documents]
    manifest = {"school": school.code if school else None, "year": year.name,
                "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in files]}
    blob = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"
    files.append(ArchiveFile(MANIFEST, "application/json", len(blob), hashlib.sha256(blob).hexdigest(), blob))
    return files


def store_archive(uow: UnitOfWork, year: AcademicYear, recorder: yearlog.Recorder) -> list[ArchiveFile]:
    """Build the documents and store them as rows of the year (replacing none: a closed year is built once)."""
    files = build_documents(uow, year)
    rows = [YearArchiveFile(school_id=uow.school_id, year_id=year.id, name=f.name, media_type=f.media_type,
                            size=f.size, sha256=f.sha256, content=base64.b64encode(f.content).decode("ascii"))
            for f in files]
    uow.session.add_all(rows)
    uow.session.flush()
    for row in rows:
        recorder.created(row)
    return files


def year_folder(uow: UnitOfWork, year: AcademicYear, root: Path | None = None) -> Path:
    school = uow.session.get(School, uow.school_id)
    return Path(root or archive_dir()) / (school.code if school else str(uow.school_id)) / year.name.replace("/", "-")


def write_copies(uow: UnitOfWork, year: AcademicYear, files: list[ArchiveFile], root: Path | None) -> Path:
    """Write the documents as files (the manifest last) into the year's archive folder; returns it."""
    folder = year_folder(uow, year, root)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for f in files:
        partial = folder / f".{f.name}.partial"
        partial.write_bytes(f.content)
        partial.replace(folder / f.name)
    return folder


def remove_copies(uow: UnitOfWork, year: AcademicYear, root: Path | None = None) -> None:
    """Remove the archive files written at closing (after undoing it), leaving other files alone."""
    folder = year_folder(uow, year, root)
    for name in (*DOCUMENTS, MANIFEST):
        (folder / name).unlink(missing_ok=True)


def load(uow: UnitOfWork, year: AcademicYear) -> list[ArchiveFile]:
    """The stored documents of the year, each checked against its SHA-256."""
    rows = uow.session.scalars(select(YearArchiveFile).where(YearArchiveFile.year_id == year.id)
                               .order_by(YearArchiveFile.id)).all()
    files = []
    for row in rows:
        data = base64.b64decode(row.content)
        if hashlib.sha256(data).hexdigest() != row.sha256:
            raise NotFound(f"Архив {year.name}: файл {row.name} повреждён (контрольная сумма не совпадает)")
        files.append(ArchiveFile(row.name, row.media_type, row.size, row.sha256, data))
    return files


class YearArchiveService(Service):
    """The stored archive of closed years."""

    area = "archive"

    # journal.read (the administration, the auditor), not people.read alone: the summary holds every student's
    # year marks, and a class teacher reads the journals of their own class only.
    @service("journal.read")
    def files(self, uow: UnitOfWork, year_id: int) -> list[ArchiveFile]:
        """The archive documents of a closed year (empty until it is closed), checked against SHA-256."""
        permissions.check(uow.actor, "people.read")  # names and birth dates too (audited like any refusal)
        year = get_year(uow, year_id)
        uow.audit("archive.read", object_type="academic_year", object_id=year.id)
        return load(uow, year)

    @service("export.personal_data")
    def export(self, uow: UnitOfWork, year_id: int, folder: Path | None = None) -> Path:
        """Write the year's archive documents into `folder` (default: the archive folder of the data folder)."""
        year = get_year(uow, year_id)
        files = load(uow, year)
        if not files:
            raise NotFound(f"Архив {year.name} пуст: год ещё не закрыт")
        uow.audit("archive.export", object_type="academic_year", object_id=year.id)
        return write_copies(uow, year, files, folder)
