"""Headless Chromium driven over the DevTools protocol through a pipe (``--remote-debugging-pipe``).

No driver library: the browser reads JSON commands on fd 3 and writes replies and events on fd 4,
each message ending in a NUL byte. ``open_page`` loads a file with the network switched off (offline
emulation, a dead proxy and a resolver that resolves nothing) and records every request the page
made and everything it logged, then returns what a test asks of the DOM and a screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

#: Set to 1 to skip the browser tests on a machine without Chromium. Without it they fail there.
SKIP_ENV = "PROMOREADY_SKIP_BROWSER"
#: A Chromium to use instead of the one on the PATH.
BROWSER_ENV = "PROMOREADY_CHROMIUM"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         # The network, off three ways: a proxy nobody listens on, names that resolve to nothing, and
         # (once the page exists) DevTools' offline emulation.
         "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         "--host-resolver-rules=MAP * ~NOTFOUND"]


def chromium() -> str:
    """The browser's path; fails the test when there is none, unless PROMOREADY_SKIP_BROWSER=1."""
    named = os.environ.get(BROWSER_ENV)
    if named and not (os.path.isfile(named) and os.access(named, os.X_OK)):
        pytest.fail(f"{BROWSER_ENV}={named} is not an executable file")
    path = named or next(
        (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if path:
        return path
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"no Chromium, and {SKIP_ENV}=1")
    pytest.fail(f"no Chromium on this machine (apt-get install chromium; .ci/run does); set {SKIP_ENV}=1 to skip")


@dataclass
class Page:
    """What a loaded page did and shows."""

    requests: list[str] = field(default_factory=list)  # URLs requested, the page's own file excluded
    log: list[dict] = field(default_factory=list)  # console messages and browser log entries
    result: Any = None  # the value of the expression evaluated in the page
    screenshot: Optional[bytes] = None
    pdf: Optional[bytes] = None  # the page printed (A4, print styles), when asked for


class _Browser:
    def __init__(self, path: str, profile: str) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # The browser expects its pipe ends on fds 3 and 4.
        self.proc = subprocess.Popen(
            [path, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            pass_fds=(3, 4), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: (os.dup2(to_browser_r, 3), os.dup2(from_browser_w, 4)))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict] = []

    def send(self, method: str, params: Optional[dict] = None, session: Optional[str] = None,
             timeout: float = 60) -> dict:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def _read(self, deadline: float) -> dict:
        import select

        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("the browser did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("the browser closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


def open_page(file: Path, expression: str, *, width: int = 1280, height: int = 800,
              full_page: bool = True, pdf: bool = False) -> Page:
    """Load ``file`` offline, evaluate ``expression`` (its value must be JSON), take a screenshot and,
    with ``pdf``, print it as the browser prints to PDF."""
    with tempfile.TemporaryDirectory(prefix="promoready-chromium-") as profile:
        browser = _Browser(chromium(), profile)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Network", "Page", "Runtime", "Log"):
                browser.send(f"{domain}.enable", session=session)
            browser.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                              "uploadThroughput": -1}, session=session)
            browser.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                                "deviceScaleFactor": 1, "mobile": False}, session=session)
            url = file.resolve().as_uri()
            browser.send("Page.navigate", {"url": url}, session=session)
            browser.wait_for("Page.loadEventFired")
            value = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                                 session=session)
            if "exceptionDetails" in value:
                raise RuntimeError(f"the expression failed: {value['exceptionDetails']}")
            shot: dict[str, Any] = {"format": "png"}
            if full_page:
                size = browser.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
                shot.update(captureBeyondViewport=True,
                            clip={"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1})
            image = base64.b64decode(browser.send("Page.captureScreenshot", shot, session=session)["data"])
            printed = None
            if pdf:
                printed = base64.b64decode(browser.send("Page.printToPDF", {
                    "paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True, "printBackground": True},
                    session=session)["data"])
            events = browser.events
            page = Page(result=value["result"].get("value"), screenshot=image, pdf=printed)
            page.requests = [e["params"]["request"]["url"] for e in events
                             if e.get("method") == "Network.requestWillBeSent" and e["params"]["request"]["url"] != url]
            page.log = [e["params"] for e in events if e.get("method") in ("Log.entryAdded", "Runtime.consoleAPICalled")]
            return page
        finally:
            browser.close()
