"""Headless Chromium for the tests that load pages (dashboard, reports, profiles)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

DOCS_IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                                  "google-chrome"))), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless browser tests need Debian's `chromium` package "
    "(apt-get install chromium; .ci/run installs it when it runs as root)")


def keep_screenshot(shot: Path, name: str | None = None) -> None:
    """Check ``shot`` is a real PNG; copy it into docs/images when asked to.

    The committed screenshots change only when ``MPIFLOW_UPDATE_SCREENSHOTS=1``
    is set, so a plain test run leaves the work tree clean.
    """
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    if os.environ.get("MPIFLOW_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_IMAGES / (name or shot.name))


def run_chromium(url: str, profile: Path, *args: str, window: str = "1280,800",
                 budget_ms: int = 4000, console_errors: bool = False
                 ) -> subprocess.CompletedProcess:
    """Load ``url`` headless; fail on a non-zero exit or an uncaught JavaScript error.

    ``console_errors=True`` also fails on any error logged to the console.
    """
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--hide-scrollbars", "--no-first-run", f"--user-data-dir={profile}",
         f"--window-size={window}", f"--virtual-time-budget={budget_ms}",
         "--enable-logging=stderr", "--v=0", *args, url],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Uncaught" not in proc.stderr, proc.stderr  # no JavaScript error on the page
    if console_errors:
        assert ":ERROR:CONSOLE" not in proc.stderr, proc.stderr
    return proc
