"""One browser session of `zhurnal serve`: the full-screen app, run by textual-serve with its web driver.

`python -m zhurnal.tui.served [--db-file FILE] [--school CODE] [--lang ru|en]`. The database is the one the
`zhurnal serve` process uses: its URL is read from FILE (written by that process, readable by its user only),
else found as `zhurnal` finds it (ZHURNAL_DB, the data folder). Every session starts at the login screen:
no account is passed in and there is no peer login here, since the person at the browser is not the
operating-system user running the server.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from zhurnal.core.locations import default_database_url
from zhurnal.core.store import Store


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zhurnal.tui.served")
    parser.add_argument("--db-file", type=Path)
    parser.add_argument("--school")
    parser.add_argument("--lang", choices=("ru", "en"))
    args = parser.parse_args(argv)
    url = args.db_file.read_text("utf-8").strip() if args.db_file else default_database_url()
    store = Store(url)
    try:
        from zhurnal.tui.app import run

        return run(store, lang=args.lang, school_code=args.school)
    finally:
        store.dispose()


if __name__ == "__main__":
    sys.exit(main())
