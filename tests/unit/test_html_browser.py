"""The HTML report in a real browser: headless Chromium (Debian `chromium`, installed by
tools/test.sh where apt can) opens the page from disk with the network off (DevTools offline
emulation); every image must decode, every audio player load its clip, nothing be fetched but
data: URIs and the console stay silent; the DOM it dumps holds every clip. The probe itself is
checked on a page that breaks each rule, so a browser that reports nothing cannot pass.
Skipped, with the reason, where Chromium is absent."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from html_report_helpers import audio_for_all_but_silence, fixed_report, parse

from fwgen.hil.html import write_report_html

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import headless_page  # noqa: E402

pytestmark = pytest.mark.skipif(headless_page.find_browser() is None,
                                reason="no Chromium (apt-get install chromium; tools/test.sh "
                                       "installs it where it can)")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page")
    out = folder / "report.html"
    write_report_html(out, fixed_report(), audio_for_all_but_silence)
    return out, headless_page.load_page(out, screenshot=folder / "shot.png", width=1000,
                                        height=700), folder / "shot.png"


def test_the_report_loads_offline_with_every_image_and_player(loaded):
    _, result, _ = loaded
    assert result.title == "fwgen test: micro_speech on mps2_an505"
    assert len(result.images) == 6 and result.broken_images == []
    assert all(image["width"] > 400 for image in result.images)
    assert len(result.audio) == 5 and result.broken_audio == []        # silence: no audio
    assert all(abs(a["duration"] - 1.0) < 0.01 for a in result.audio)
    assert result.resources == [] and result.console == []


def test_the_dumped_dom_holds_every_clip(loaded):
    _, result, _ = loaded
    dom = parse(result.dom)
    assert len(dom.find_all("article", class_="clip")) == 6
    assert {"summary", "confusion", "clips", "streams"} <= set(dom.ids())


def test_a_screenshot_is_taken(loaded):
    from PIL import Image

    _, _, shot = loaded
    with Image.open(shot) as image:
        assert image.size == (1000, 700)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50          # a page, not a blank screen


def test_the_probe_catches_a_broken_page(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<html><head><title>bad</title></head><body>'
                   '<img alt="fetched" src="http://example.invalid/x.png">'
                   '<img alt="corrupt" src="data:image/png;base64,AAAA">'
                   '<audio src="data:audio/wav;base64,AAAA"></audio>'
                   '<script>console.error("boom")</script></body></html>')
    result = headless_page.load_page(bad)
    assert [i["alt"] for i in result.broken_images] == ["fetched", "corrupt"]
    assert len(result.broken_audio) == 1
    assert result.resources == ["http://example.invalid/x.png"]
    assert "console.error: boom" in result.console
    assert any("ERR_INTERNET_DISCONNECTED" in line for line in result.console)   # offline
