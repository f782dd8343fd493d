#!/usr/bin/env python3
"""Open a page from disk in headless Chromium with the network off, and say what it did:
every image decoded or not, every audio element's metadata, any resource that is not a data:
URI, console messages and errors, the load time; optionally a screenshot.

Used by tests/unit/test_html_browser.py, benchmarks/html_report.py and the README's report
screenshot. Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
no port, no extra package): the network is switched off (Network.emulateNetworkConditions
offline, and every host name unresolvable), the page loaded, and a script awaited in it that
decodes every image and waits for every audio element's metadata.

    python tools/headless_page.py report.html [--screenshot out.png]
"""
from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--mute-audio", "--hide-scrollbars",
         "--no-first-run", "--disable-extensions", "--disable-background-networking",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
         "--remote-debugging-pipe"]

# Awaited in the page once it has loaded: what decoded, what loaded, what was fetched.
CHECK = """(async () => {
  const images = [...document.images];
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  const audios = [...document.querySelectorAll("audio")];
  await Promise.all(audios.map(a => new Promise(done => {
    if (a.readyState >= 1 || a.error) return done();
    a.addEventListener("loadedmetadata", done, {once: true});
    a.addEventListener("error", done, {once: true});
    if (a.preload === "none") a.load();
    setTimeout(done, 10000);
  })));
  const nav = performance.getEntriesByType("navigation")[0];
  return JSON.stringify({
    load_ms: nav ? nav.loadEventEnd - nav.startTime : null,
    images: images.map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth,
                              height: i.naturalHeight})),
    audio: audios.map(a => ({ready: a.readyState, duration: a.duration,
                             error: a.error ? a.error.code : null})),
    resources: performance.getEntriesByType("resource").map(r => r.name)
                 .filter(n => !n.startsWith("data:")),
    title: document.title,
    html: document.documentElement.outerHTML,
  });
})()"""


@dataclass
class PageResult:
    load_ms: float                  # navigation start to the end of the load event
    images: list[dict]
    audio: list[dict]
    resources: list[str]            # anything fetched that is not a data: URI
    console: list[str]              # console messages, uncaught exceptions, failed loads
    title: str
    wall_s: float                   # the browser run, start to exit
    dom: str = field(repr=False, default="")

    @property
    def broken_images(self) -> list[dict]:
        return [i for i in self.images if not i["complete"] or i["width"] == 0]

    @property
    def broken_audio(self) -> list[dict]:
        return [a for a in self.audio if a["error"] is not None or a["ready"] < 1]


def find_browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def browser_version(browser: str | None = None) -> str:
    browser = browser or find_browser()
    out = subprocess.run([browser, "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


class Browser:
    """One headless Chromium and one page, spoken to over the DevTools pipe (fds 3 and 4)."""

    def __init__(self, width: int = 1200, height: int = 900, timeout: float = 120.0):
        browser = find_browser()
        if browser is None:
            raise RuntimeError("no Chromium found (apt-get install chromium)")
        self.timeout = timeout
        self.events: list[dict] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="fwgen-browser-")
        to_child, self._send = os.pipe()
        self._recv, from_child = os.pipe()

        def wire() -> None:        # in the child: its fd 3 reads commands, fd 4 writes replies
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child, from_child)]
            for target, fd in zip((3, 4), high):
                os.dup2(fd, target)
                os.set_inheritable(target, True)

        self.proc = subprocess.Popen(
            [browser, *FLAGS, f"--user-data-dir={self._tmp.name}/profile",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=wire)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self.session = None
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target,
                                     flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.call(f"{domain}.enable")
            self.call("Network.emulateNetworkConditions", offline=True, latency=0,
                      downloadThroughput=-1, uploadThroughput=-1)
            self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                      deviceScaleFactor=1, mobile=False)
        except BaseException:          # no browser left behind when it cannot be set up
            self.close()
            raise

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._recv], [], [], left)[0]:
                raise RuntimeError("Chromium did not answer in time")
            chunk = os.read(self._recv, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if self.session is not None and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._send, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            found = next((e for e in self.events if e["method"] == method), None)
            if found is not None:
                self.events.remove(found)
                return found
            self.events.append(self._read(deadline))

    def open(self, page: Path) -> None:
        self.call("Page.navigate", url=page.resolve().as_uri())
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"the check failed in the page: {result['exceptionDetails']}")
        return result["result"]["value"]

    def console(self) -> list[str]:
        """Console messages, uncaught exceptions and log entries (failed loads) so far."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
                out.append(f"console.{p['type']}: {text}")
            elif e["method"] == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('text', '')} "
                           f"{p['exceptionDetails'].get('exception', {}).get('description', '')}")
            elif e["method"] == "Log.entryAdded":
                out.append(f"{p['entry']['level']}: {p['entry']['text']}")
        return out

    def screenshot(self, out: Path) -> Path:
        """A PNG of the viewport (the window size given)."""
        data = self.call("Page.captureScreenshot", format="png")["data"]
        out.write_bytes(base64.b64decode(data))
        return out

    def close(self) -> None:
        try:
            self.session = None
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._send)
        os.close(self._recv)
        self._tmp.cleanup()

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def load_page(page: Path, *, screenshot: Path | None = None, width: int = 1200,
              height: int = 900, timeout: float = 120.0) -> PageResult:
    """Load `page` with the network off; what it did, and a screenshot of its top if asked."""
    start = time.monotonic()
    with Browser(width, height, timeout) as browser:
        browser.open(page)
        found = json.loads(browser.evaluate(CHECK))
        if screenshot is not None:
            browser.screenshot(screenshot)
        console = browser.console()
    return PageResult(load_ms=found["load_ms"], images=found["images"], audio=found["audio"],
                      resources=found["resources"], console=console, title=found["title"],
                      wall_s=time.monotonic() - start, dom=found["html"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=1600)
    args = parser.parse_args()
    result = load_page(args.page, screenshot=args.screenshot, width=args.width,
                       height=args.height)
    print(json.dumps({k: v for k, v in result.__dict__.items() if k != "dom"}, indent=1))
    return 1 if result.broken_images or result.broken_audio or result.resources or \
        result.console else 0


if __name__ == "__main__":
    sys.exit(main())
