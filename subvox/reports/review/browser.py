"""A headless Chromium driven over the DevTools protocol, to check report pages in a real browser.

Used by the tests and ``bench/review_page.py``; nothing in a run needs it. Chromium is started
with a fresh profile and no network-facing services, its DevTools port is read from the
profile's ``DevToolsActivePort`` file (port 0: the OS picks a free one), and it is stopped
again by its own process id.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
    "--remote-debugging-port=0",
)


class BrowserError(RuntimeError):
    """The browser did not start, or a page raised or timed out."""


class Chromium:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, width: int = 1200, height: int = 900, binary: str | None = None, timeout: float = 30.0):
        self.binary = binary or shutil.which("chromium") or "/usr/bin/chromium"
        self.size = (width, height)
        self.timeout = timeout
        self._ids = itertools.count(1)
        self.errors: list[str] = []  # uncaught exceptions and console errors seen so far

    def __enter__(self) -> Chromium:
        from websockets.sync.client import connect

        self._profile = tempfile.mkdtemp(prefix="subvox-chromium-")
        self._stack = contextlib.ExitStack()
        args = [self.binary, *FLAGS, f"--user-data-dir={self._profile}", f"--window-size={self.size[0]},{self.size[1]}"]
        self._proc = subprocess.Popen([*args, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = self._port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            pages = [t for t in json.load(resp) if t["type"] == "page"]
        self._ws = self._stack.enter_context(connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10))
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        width, height = self.size  # the viewport itself (the window size includes the browser's frame)
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._stack.close()
        finally:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
            shutil.rmtree(self._profile, ignore_errors=True)

    def _port(self) -> int:
        marker = os.path.join(self._profile, "DevToolsActivePort")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrowserError(f"{self.binary} exited with status {self._proc.returncode}")
            if os.path.exists(marker):
                with open(marker, encoding="ascii") as fh:
                    first = fh.read().split("\n")[0]
                if first.strip():
                    return int(first)
            time.sleep(0.05)
        raise BrowserError(f"{self.binary} did not open its DevTools port within {self.timeout:g} s")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a DevTools method and return its result (events on the way are recorded)."""
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            msg = json.loads(self._ws.recv(timeout=self.timeout))
            if msg.get("id") == ident:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error'].get('message')}")
                return msg.get("result", {})
            self._record(msg)

    def _record(self, msg: dict[str, Any]) -> None:
        if msg.get("method") == "Runtime.exceptionThrown":
            details = msg["params"]["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
        elif msg.get("method") == "Log.entryAdded" and msg["params"]["entry"]["level"] == "error":
            self.errors.append(msg["params"]["entry"]["text"])
        elif msg.get("method") == "Runtime.consoleAPICalled" and msg["params"]["type"] == "error":
            self.errors.append(" ".join(str(a.get("value", a.get("description"))) for a in msg["params"]["args"]))

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float | None = None) -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise BrowserError(f"timed out waiting for {expression!r}")

    def goto(self, url: str) -> None:
        """Open ``url`` and wait until its load event has fired."""
        result = self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise BrowserError(f"{url}: {result['errorText']}")
        self.wait_for("document.readyState === 'complete'")

    def click(self, selector: str) -> None:
        """A real left click (mouse pressed and released) on the centre of the first match."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def screenshot(self, path: str) -> bytes:
        """A PNG of the viewport, also written to ``path``."""
        png = base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])
        with open(path, "wb") as fh:
            fh.write(png)
        return png
