"""The demo as a user meets it: a fresh server, the Overview page in headless Chromium, a click on
**Train the demo**, and the seconds until the Train page shows the run's results.

    python -m benchmarks.demo_click [--rounds 2] [--reference COMMIT] [--json OUT]

Each round starts a new server on a new workspace (a fresh process pays every import once, as a
user's first run does) and clicks twice: once as soon as the page is idle, once after 10 s more
spent reading it. `--reference COMMIT` runs that commit's app too (read from git into a temporary
folder), alternating with this checkout's in one run, for a ratio on this noisy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update"]
READING_SECONDS = (0.0, 10.0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def click_to_results(app_root: Path, reading: float, playwright) -> dict:
    """One fresh server: seconds to the Overview's button, then (after `reading` s) click to results."""
    port = _free_port()
    workspace = tempfile.mkdtemp(prefix="gnnrec-demo-")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=app_root, env={**os.environ, "GNNREC_WORKSPACE": workspace},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    browser = None
    try:
        for _ in range(240):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.25)
        else:
            raise SystemExit(f"the app in {app_root} did not start within a minute")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        opened = time.perf_counter()
        page.goto(url)
        button = page.get_by_role("button", name="Train the demo")
        button.wait_for(timeout=120_000)
        _settle(page)  # a click before the page was idle was lost here (the run never started)
        ready = time.perf_counter() - opened
        time.sleep(reading)
        clicked = time.perf_counter()
        button.click()
        page.get_by_text(re.compile(r"Results:.*Online Retail sample")).wait_for(timeout=300_000)
        seconds = time.perf_counter() - clicked
        run = json.loads(next(Path(workspace, "runs").glob("*/run.json")).read_text())
        return {"page_ready_seconds": round(ready, 2), "reading_seconds": reading, "click_to_results_seconds":
                round(seconds, 2), "run_seconds": round(float(run["seconds"]), 2)}
    finally:
        if browser is not None:
            browser.close()
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workspace, ignore_errors=True)


def _settle(page, quiet_seconds: float = 2.0) -> None:
    """Until Streamlit is idle: no running-status widget and no spinner for `quiet_seconds`."""
    busy, quiet_since = '[data-testid="stStatusWidget"], [data-testid="stSpinner"]', None
    deadline = time.perf_counter() + 120
    while (quiet_since is None or time.perf_counter() - quiet_since < quiet_seconds) and time.perf_counter() < deadline:
        if page.locator(busy).count():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.perf_counter()
        page.wait_for_timeout(50)
    if time.perf_counter() >= deadline:
        raise SystemExit("the page kept running for two minutes")


def _checkout(commit: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"gnnrec-{commit[:7]}-"))
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--reference", help="a commit whose app runs alternately with this checkout's")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "results" / "demo_click.json")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    apps = {"this checkout": ROOT} | ({f"commit {args.reference}": _checkout(args.reference)}
                                     if args.reference else {})
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    found: dict[str, list[dict]] = {name: [] for name in apps}
    with sync_playwright() as playwright:
        for round_ in range(args.rounds):
            for reading in READING_SECONDS:
                for name, folder in apps.items():
                    found[name].append(click_to_results(folder, reading, playwright) | {"round": round_})
                    print(name, found[name][-1], flush=True)
    summary = {name: {f"median_after_{reading:g}s_reading": statistics.median(
        r["click_to_results_seconds"] for r in runs if r["reading_seconds"] == reading) for reading in READING_SECONDS}
        for name, runs in found.items()}
    args.json.write_text(json.dumps({"checkout": commit, "summary": summary, "runs": found}, indent=1) + "\n")
    for folder in apps.values():
        if folder != ROOT:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
