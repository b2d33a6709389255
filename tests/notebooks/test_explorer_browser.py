"""Once, for real: the explorer in JupyterLab in headless Chromium.

Starts JupyterLab on 127.0.0.1 (a free port, a random token, throwaway settings and runtime
folders), opens a copy of ``05_ablation_explorer.ipynb`` (a copy, so JupyterLab's autosave can
never write outputs into the committed notebook), waits for the kernel to be idle, runs all
cells, changes the seed, presses Run, waits for the new result, saves a screenshot to
``outputs/browser/`` (outside git) and stops the server it started.

Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright from PyPI; no browser is ever
downloaded. CI installs chromium (``.ci/run``); elsewhere the test is skipped without it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "05_ablation_explorer.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "outputs" / "browser"
# Generous: the smoke profile trains in seconds, but a cold kernel imports torch first.
RESULT_TIMEOUT_MS = 240_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.is_file(),
                       reason="needs Debian's chromium at /usr/bin/chromium "
                              "(apt-get install chromium chromium-driver; CI installs it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _quiet_settings(folder: Path) -> None:
    """No news or update toast on a fresh settings folder: it would cover the notebook."""
    path = folder / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@pytest.fixture
def jupyterlab(data_dir: Path, tmp_path: Path):
    """A JupyterLab server serving a folder that holds a copy of the explorer notebook."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    _quiet_settings(tmp_path / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        # What the kernel inherits: the smoke profile, the tests' data, a throwaway run cache.
        "MINBERT_PROFILE": "smoke",
        "MINBERT_DATA_DIR": str(data_dir),
        "MINBERT_RUNS_DIR": str(tmp_path / "runs"),
        "MINBERT_FIGURES_DIR": str(tmp_path / "figures"),
        "MINBERT_PROGRESS": "1",
        "HF_HUB_OFFLINE": "1",
    }
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited: {(tmp_path / 'jupyterlab.log').read_text()}")
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not answer within 60 s")
                time.sleep(0.5)
        yield f"{base}/lab/tree/{NOTEBOOK.name}?token={token}"
    finally:
        # Stop the server we started (it shuts its kernels down), and only that process.
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def test_explorer_runs_in_jupyterlab(jupyterlab: str):
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright (PyPI) drives the browser")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        try:
            page.goto(jupyterlab)
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            # "Run All" before the kernel is up can be lost: wait until it reports idle.
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                                   timeout=60_000)
            page.get_by_text("| Idle").wait_for(timeout=60_000)
            page.locator(".lm-MenuBar-item", has_text="Run").first.click()
            page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()

            status = page.locator(".widget-html", has_text="done").first
            status.wait_for(timeout=RESULT_TIMEOUT_MS)  # the notebook's own first run
            summary = page.locator(".widget-html", has_text="Paper's closest row").first
            assert "seed 0" in summary.inner_text()

            seed = page.locator(".widget-inline-hbox", has=page.locator(
                "label", has_text="seed")).locator("input")
            seed.fill("1")
            seed.press("Enter")
            page.locator("button.jupyter-button", has_text="Run").click()

            page.locator(".widget-html", has_text="seed 1").first.wait_for(
                timeout=RESULT_TIMEOUT_MS)
            text = page.locator(".widget-html", has_text="Paper's closest row").first.inner_text()
            assert "Table 1" in text and "cross entropy loss" in text
            assert "meaningless" in text  # the smoke caveat is on the page
            done = page.locator(".widget-html", has_text="done").first.inner_text()
            assert "trained" in done  # seed 1 was not in the cache: it really trained
            curves = page.locator("img.widget-image").first
            curves.wait_for(timeout=10_000)
            assert curves.evaluate("img => img.naturalWidth") > 100
            # at its natural size, not stretched to the output's width
            assert curves.evaluate(
                "img => img.getBoundingClientRect().width <= img.naturalWidth + 1")
            # the results table has its own style; the run's lines are not in a stderr box
            table = page.locator("table.minbert-results").first
            assert table.evaluate("t => getComputedStyle(t).borderCollapse") == "collapse"
            assert not page.locator(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count()
            assert not page.locator(".jp-OutputArea-output[data-mime-type*='error']").count()
        finally:
            page.screenshot(path=str(SCREENSHOTS / "explorer.png"), full_page=True)
            browser.close()
    print(f"browser test: {time.perf_counter() - started:.0f} s in the browser; screenshot "
          f"{SCREENSHOTS / 'explorer.png'}")
