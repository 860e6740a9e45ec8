"""A small headless-Chromium driver over the DevTools protocol, for the tests of `zhurnal serve`.

No Playwright or Selenium (they download browser builds of their own): the Debian `chromium` package and
`websocket-client`. The served page draws the app with xterm.js on a canvas, so there is no text in the
DOM; a script added before the page's own catches the xterm.js Terminal object when textual.js stores it
(`this.terminal = new Terminal(...)`), and `screen_text` reads its buffer, the characters the user sees.
Keys go in as real input events (Input.dispatchKeyEvent, Input.insertText), like a person typing.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket

# Runs before textual.js: a setter for "terminal" on every object keeps the first xterm.js Terminal assigned.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.buffer.active && !window.__zhurnalTerminal) {
      window.__zhurnalTerminal = value;
    }
  },
});
"""

SCREEN_TEXT = """
(() => {
  const term = window.__zhurnalTerminal;
  if (!term || !document.body.classList.contains("-first-byte")) return null;
  const buffer = term.buffer.active, lines = [];
  for (let row = 0; row < term.rows; row++) {
    const line = buffer.getLine(buffer.viewportY + row);
    lines.push(line ? line.translateToString(true, 0, term.cols) : "");  // a shrunk line keeps old cells
  }
  return lines.join("\\n");
})()
"""

# key name -> (DOM key, DOM code, Windows virtual key code)
KEYS = {
    "enter": ("Enter", "Enter", 13), "tab": ("Tab", "Tab", 9), "escape": ("Escape", "Escape", 27),
    "backspace": ("Backspace", "Backspace", 8), "delete": ("Delete", "Delete", 46),
    "left": ("ArrowLeft", "ArrowLeft", 37), "up": ("ArrowUp", "ArrowUp", 38),
    "right": ("ArrowRight", "ArrowRight", 39), "down": ("ArrowDown", "ArrowDown", 40),
    "home": ("Home", "Home", 36), "end": ("End", "End", 35),
    **{f"f{n}": (f"F{n}", f"F{n}", 111 + n) for n in range(1, 13)},
}


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(Exception):
    pass


class Browser:
    """One headless Chromium with one page. Use as a context manager; `close` ends the browser."""

    def __init__(self, binary: str, folder: Path, *, width: int = 1280, height: int = 800) -> None:
        self.folder = folder
        self.profile = folder / "profile"
        self.profile.mkdir(parents=True)
        self.log = open(folder / "chromium.log", "wb")  # noqa: SIM115 - closed in close()
        args = [binary, "--headless=new", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-dev-shm-usage",
                "--enable-unsafe-swiftshader", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                        start_new_session=True)
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        try:
            self.socket = websocket.create_connection(self._page_websocket(), timeout=30, suppress_origin=True)
        except BaseException:
            self.close()
            raise

    def _page_websocket(self, timeout: float = 30) -> str:
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError(f"Chromium exited with {self.process.returncode}; see {self.folder}/chromium.log")
            if port_file.exists() and port_file.read_text().strip():
                port = port_file.read_text().split()[0]
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
                    pages = [t for t in json.load(answer) if t.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.05)
        raise BrowserError("Chromium did not open its DevTools port")

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        socket = getattr(self, "socket", None)
        if socket is not None:
            with contextlib.suppress(Exception):  # already gone: nothing to close
                self.call("Browser.close")
            socket.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    # ------------------------------------------------------------------------------------------- protocol

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer; events arriving meanwhile are kept in `events`."""
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == number:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:60]}…: {result['exceptionDetails']}")
        return result["result"].get("value")

    # ------------------------------------------------------------------------------------------ the page

    def open(self, url: str) -> None:
        self.call("Runtime.enable")
        self.call("Page.enable")
        self.call("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
        self.call("Page.navigate", url=url)

    def screen_text(self) -> str | None:
        """The terminal's visible lines, or None before the app has drawn anything."""
        text = self.evaluate(SCREEN_TEXT)
        return None if text is None else str(text)

    def wait_for(self, *needles: str, pattern: str | None = None, timeout: float = 30) -> str:
        """Poll the screen until every needle is on it (and the regular expression `pattern` matches it);
        returns the screen. Fails with the last screen seen and a screenshot."""
        deadline = time.monotonic() + timeout
        text: str | None = None
        while time.monotonic() < deadline:
            text = self.screen_text()
            if (text is not None and all(n in text for n in needles)
                    and (pattern is None or re.search(pattern, text, re.MULTILINE))):
                return text
            time.sleep(0.1)
        self.screenshot(self.folder / "timeout.png")
        raise AssertionError(f"not on the screen after {timeout} s: {needles} {pattern or ''}\n--- screen ---\n"
                             f"{text}\n--- screenshot: {self.folder / 'timeout.png'}")

    def wait_until(self, expression: str, timeout: float = 30) -> None:
        """Poll a JavaScript expression in the page until it is true."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                self.screenshot(self.folder / "timeout.png")
                raise AssertionError(f"still false after {timeout} s: {expression}; screenshot: "
                                     f"{self.folder / 'timeout.png'}")
            time.sleep(0.1)

    def focus(self) -> None:
        self.evaluate("window.__zhurnalTerminal.focus()")

    def type(self, text: str) -> None:
        """Text as the keyboard would give it (one input event)."""
        self.call("Input.insertText", text=text)

    def press(self, name: str) -> None:
        key, code, number = KEYS[name]
        self.call("Input.dispatchKeyEvent", type="rawKeyDown", key=key, code=code, windowsVirtualKeyCode=number)
        self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code, windowsVirtualKeyCode=number)

    def resize(self, width: int, height: int) -> None:
        """Make the page's viewport this size (the page gets a resize event, as when a window is resized)."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

    def terminal_size(self) -> tuple[int, int]:
        """(columns, rows) of the terminal in the page."""
        cols, rows = self.evaluate("[window.__zhurnalTerminal.cols, window.__zhurnalTerminal.rows]")
        return int(cols), int(rows)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path
