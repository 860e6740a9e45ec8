"""The installed version of zhurnal."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zhurnal")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
