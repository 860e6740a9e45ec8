"""Where zhurnal keeps its files: one place decides every folder.

`ZHURNAL_DATA_DIR` moves the data folder (database, backups); `ZHURNAL_CONFIG_DIR` the config folder.
Both default to the platform's user folders (platformdirs).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "zhurnal"


def data_dir() -> Path:
    """The folder holding the default SQLite database, backups and archives."""
    override = os.environ.get("ZHURNAL_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def archive_dir() -> Path:
    """The folder holding the archives of closed academic years (copies; the database keeps the record)."""
    return data_dir() / "archive"


def config_dir() -> Path:
    """The folder holding config.toml."""
    override = os.environ.get("ZHURNAL_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    if os.environ.get("ZHURNAL_DATA_DIR"):
        # A moved data folder keeps its config beside it, so test and demo setups stay self-contained.
        return data_dir()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    return config_dir() / "config.toml"


def default_database_path() -> Path:
    return data_dir() / "zhurnal.sqlite3"


def default_database_url() -> str:
    """`ZHURNAL_DB` when set, else the SQLite file in the data folder."""
    url = os.environ.get("ZHURNAL_DB")
    if url:
        return url
    return f"sqlite:///{default_database_path()}"


def imports_dir() -> Path:
    """The folder the import wizard lists first: files put here by the operator (not created by zhurnal)."""
    return data_dir() / "imports"


def exports_dir() -> Path:
    """Where the app saves the files it exports (lists, reports, letters, protocols): `exports` in the data
    folder, created on the first export readable by the owner only."""
    return data_dir() / "exports"
