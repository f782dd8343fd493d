#!/usr/bin/env python3
"""Open a page from disk in headless Chromium with the network off, and say what it did:
every image decoded or not, every audio element's metadata, any resource that is not a data:
URI, console messages, the load time; optionally a screenshot.

Used by tests/unit/test_html_browser.py, benchmarks/html_report.py and the README's report
screenshot. The page is loaded inside a probe page (an iframe, --allow-file-access-from-files),
whose script waits for the images to decode and the audio to load, then writes its findings
into the DOM that `--dump-dom` prints.

    python tools/headless_page.py report.html [--screenshot out.png]
"""
from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# No network: every proxy connection fails and every host name is unknown.
OFFLINE = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
           "--host-resolver-rules=MAP * ~NOTFOUND"]
COMMON = ["--headless", "--no-sandbox", "--disable-gpu", "--mute-audio", "--hide-scrollbars",
          "--no-first-run", "--disable-extensions", "--disable-background-networking",
          "--allow-file-access-from-files", "--enable-logging=stderr", "--v=0"]

PROBE = """<!DOCTYPE html><html><body>
<pre id="result">pending</pre>
<iframe id="page" style="width:1200px;height:900px" src="{src}"></iframe>
<script>
const started = performance.now();
function settle(audio) {{
  return new Promise(done => {{
    if (audio.readyState >= 1 || audio.error) return done();
    audio.addEventListener("loadedmetadata", done, {{once: true}});
    audio.addEventListener("error", done, {{once: true}});
    setTimeout(done, 5000);
  }});
}}
document.getElementById("page").addEventListener("load", async () => {{
  const loaded = performance.now() - started;
  const doc = document.getElementById("page").contentDocument;
  const images = [...doc.images];
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  const audios = [...doc.querySelectorAll("audio")];
  await Promise.all(audios.map(settle));
  const win = document.getElementById("page").contentWindow;
  const out = {{
    load_ms: loaded,
    images: images.map(img => ({{alt: img.alt, complete: img.complete,
                                  width: img.naturalWidth, height: img.naturalHeight}})),
    audio: audios.map(a => ({{ready: a.readyState, duration: a.duration,
                              error: a.error ? a.error.code : null}})),
    resources: win.performance.getEntriesByType("resource").map(r => r.name)
                  .filter(name => !name.startsWith("data:")),
    title: doc.title,
  }};
  document.getElementById("result").textContent = JSON.stringify(out);
}});
</script></body></html>
"""


@dataclass
class PageResult:
    load_ms: float                  # the page's load event, in the probe's clock
    images: list[dict]
    audio: list[dict]
    resources: list[str]            # anything fetched that is not a data: URI
    console: list[str]              # the page's console messages (errors among them)
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


def browser_version(browser: str) -> str:
    out = subprocess.run([browser, "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


def _console(stderr: str, page: Path) -> list[str]:
    """Console lines Chromium logged for `page` (`...:INFO:CONSOLE(12)] "text", source: ...`)."""
    name = page.name
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line and name in line]


def load_page(page: Path, *, timeout: float = 120.0, budget_ms: int = 60000) -> PageResult:
    """Load `page` in the probe with the network off; its findings and console lines."""
    browser = find_browser()
    if browser is None:
        raise RuntimeError("no Chromium found (apt-get install chromium)")
    page = page.resolve()
    with tempfile.TemporaryDirectory(prefix="fwgen-page-") as tmp:
        probe = Path(tmp) / "probe.html"
        probe.write_text(PROBE.format(src=html.escape(page.as_uri())))
        start = time.monotonic()
        proc = subprocess.run(
            [browser, *COMMON, *OFFLINE, f"--user-data-dir={tmp}/profile",
             f"--virtual-time-budget={budget_ms}", "--dump-dom", probe.as_uri()],
            capture_output=True, text=True, timeout=timeout)
        wall = time.monotonic() - start
    match = re.search(r'<pre id="result">(.*?)</pre>', proc.stdout, re.S)
    if match is None or match.group(1) == "pending":
        raise RuntimeError(f"the probe did not finish (exit {proc.returncode}):\n"
                           f"{proc.stderr[-2000:]}")
    found = json.loads(html.unescape(match.group(1)))
    return PageResult(load_ms=found["load_ms"], images=found["images"], audio=found["audio"],
                      resources=found["resources"], console=_console(proc.stderr, page),
                      title=found["title"], wall_s=wall, dom=proc.stdout)


def screenshot(page: Path, out: Path, *, width: int = 1200, height: int = 1600,
               timeout: float = 120.0) -> Path:
    """A PNG of the page's top `height` pixels, network off."""
    browser = find_browser()
    if browser is None:
        raise RuntimeError("no Chromium found (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="fwgen-shot-") as tmp:
        subprocess.run([browser, *COMMON, *OFFLINE, f"--user-data-dir={tmp}/profile",
                        f"--window-size={width},{height}", f"--screenshot={out.resolve()}",
                        page.resolve().as_uri()],
                       capture_output=True, text=True, timeout=timeout, check=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=1600)
    args = parser.parse_args()
    result = load_page(args.page)
    print(json.dumps({k: v for k, v in result.__dict__.items() if k != "dom"}, indent=1))
    if args.screenshot:
        screenshot(args.page, args.screenshot, width=args.width, height=args.height)
    return 1 if result.broken_images or result.broken_audio or result.resources or \
        result.console else 0


if __name__ == "__main__":
    sys.exit(main())
