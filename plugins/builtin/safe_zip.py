"""Checks a ZIP container (XLSX, OneRoster bundle) before anything parses it: zip bombs are refused.

`check_zip` reads only the central directory (names, declared sizes) — it never decompresses — and refuses
an archive that is not a readable ZIP, is encrypted, has too many entries, declares more than `max_expanded`
bytes in total or expands more than `max_ratio` times its own size (per entry and overall). Declared sizes
can lie, so a reader that decompresses must still cap what it reads: `read_member` does that.
"""

from __future__ import annotations

import io
import zipfile

from zhurnal.plugins.engine.formats import FormatError

MAX_RATIO = 100
MAX_EXPANDED = 100 * 1024 * 1024
MAX_ENTRIES = 1000
# Small members (a 1 KB XML that compresses to 100 bytes) may legitimately exceed the ratio; the ratio
# is only enforced on members that expand beyond this many bytes.
_RATIO_FLOOR = 1024 * 1024


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} МиБ"


def check_zip(data: bytes, *, max_ratio: float = MAX_RATIO, max_expanded: int = MAX_EXPANDED,
              max_entries: int = MAX_ENTRIES) -> None:
    """Raise FormatError unless `data` is a ZIP archive that is safe to decompress within the limits."""
    if not data.startswith(b"PK\x03\x04"):
        if data.startswith(b"%PDF"):
            raise FormatError("это PDF-документ, а не ZIP-архив (XLSX)")
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise FormatError("это файл старого Excel (XLS) или зашифрованный XLSX; "
                              "сохраните его как XLSX без пароля")
        raise FormatError("файл не является ZIP-архивом (XLSX): неизвестное содержимое")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise FormatError("ZIP-архив повреждён или обрезан (файл скопирован не полностью?)") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > max_entries:
            raise FormatError(f"в архиве {len(infos)} файлов, допускается не больше {max_entries} "
                              "(возможна «zip-бомба»)")
        if not infos:
            raise FormatError("ZIP-архив пуст")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise FormatError(f"файл «{info.filename}» в архиве зашифрован; снимите пароль с файла")
            if info.file_size < 0 or info.compress_size < 0:
                raise FormatError("ZIP-архив повреждён: неверные размеры файлов")
            total += info.file_size
            if total > max_expanded:
                raise FormatError(f"архив распаковывается больше чем в {_mib(max_expanded)} — это предел "
                                  "(возможна «zip-бомба»)")
            if info.file_size > _RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
                raise FormatError(f"файл «{info.filename}» в архиве сжат более чем в {max_ratio:g} раз "
                                  "(возможна «zip-бомба»)")
        if total > _RATIO_FLOOR and total > max_ratio * max(len(data), 1):
            raise FormatError(f"архив распаковывается более чем в {max_ratio:g} раз больше своего размера "
                              "(возможна «zip-бомба»)")


def read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """The member's bytes, refusing more than `limit` bytes whatever its header declares."""
    try:
        with archive.open(name) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        raise FormatError(f"файл «{name}» в архиве повреждён") from None
    if len(data) > limit:
        raise FormatError(f"файл «{name}» в архиве больше заявленного размера (возможна «zip-бомба»)")
    return data
