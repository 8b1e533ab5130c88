"""The report as a person sees it: headless Chromium renders it offline with zero requests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from privsynth.api import write_report_dir
from tests.unit.test_report import sample_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--hide-scrollbars"]


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def page_requests(netlog: Path) -> set[str]:
    """URLs the page itself asked for, from the browser's network log.

    A page opened from a file has the opaque origin "null"; the browser's own background
    services (update checks, clock) log other initiators and are not the report's doing.
    """
    events = json.loads(netlog.read_text(errors="replace")).get("events", [])
    return {e["params"]["url"] for e in events
            if isinstance(e.get("params"), dict) and "url" in e["params"]
            and e["params"].get("initiator") == "null"
            and not e["params"]["url"].startswith(("file:", "data:"))}


def render(tmp: Path, html: Path) -> tuple[Path, set[str]]:
    shot, netlog = tmp / f"{html.stem}.png", tmp / f"{html.stem}.net.json"
    proc = chromium(tmp, f"--log-net-log={netlog}", f"--screenshot={shot}",
                    "--window-size=1280,1600", html.resolve().as_uri())
    assert shot.exists() and shot.stat().st_size > 5_000, proc.stderr[-500:]
    return shot, page_requests(netlog)


def test_the_request_detector_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><img src='http://192.0.2.1/x.png'>hello</body></html>")
    assert render(tmp_path, bad)[1] == {"http://192.0.2.1/x.png"}


def test_report_renders_offline_with_key_sections(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_report_dir(out, sample_report(), pd.DataFrame({"a": [1, 2]}))
    shot, requests = render(tmp_path, out / "report.html")
    assert requests == set()
    dom = chromium(tmp_path, "--dump-dom", (out / "report.html").resolve().as_uri()).stdout
    for section in ("verdict", "input", "columns", "method", "fidelity", "privacy", "text",
                    "reproducibility", "signoff"):
        assert f'id="{section}"' in dom
    assert "RELEASED" in dom
