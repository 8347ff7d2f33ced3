"""Every `python -m gnnrec_core` line of README.md and docs/*.md runs here as written, from a scratch
copy of the project, on the data the docs name: exit 0, and the files it says it writes exist. A
line written the same in two places runs once for both.

A line that needs what a test cannot have (the generated 1M-line file, MovieLens fetched by a
benchmark, hours of seeds) is listed in RUN_ELSEWHERE with the benchmark that runs it; a listed
line that no longer appears in the docs fails, so nothing is skipped silently. After the README's
lines, the run its `train` line saved opens on every dashboard page (the CLI -> dashboard seam).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHARED_DATA

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND = re.compile(r"^(python -m gnnrec_core[ .]|gnnrec )")
INLINE = re.compile(r"`((?:python -m gnnrec_core|gnnrec)[ .][^`]+)`")

# Lines run by a benchmark instead, each with the reason and the script that runs it.
RUN_ELSEWHERE = {
    "ml-100k.inter": "needs MovieLens-100k, fetched by benchmarks/datasets.py; run by benchmarks/defaults.py",
    "online_retail_baskets.csv.gz --json docs/results/basket_eval_online_retail.json":
        "25,900 baskets with every model (minutes); run by benchmarks/targets.py basket",
    "--seed S --json ...": "a template over seeds S = 0..4; run by benchmarks/targets.py basket",
    "--interactions 1000000 --out orders_1m.csv": "writes the 1M-line file (a minute, 100 MB); run by "
                                                  "benchmarks/scale.py",
    "orders_1m.csv --split": "needs the generated 1M-line file; run by benchmarks/targets.py periods",
    "benchmark DATA": "a template naming no file; the README's lines run it on the sample",
    "gowalla/train.csv --test": "the published Gowalla split (20 minutes a run); run by benchmarks/published_split.py",
    "cold-start DATA": "a template naming no file; the README's cold-start line runs it on the sample",
    "gnnrec_core ...": "a placeholder for any command (DESIGN.md's layout)",
    "orders_1000000_50000_0.csv.gz --workspace /tmp/s1m/ws": "trains on the generated 1M-line file (12 minutes) for "
                                                              "benchmarks/page_render.py --workspace",
}


def documented_commands() -> list[tuple[str, str, dict[str, str]]]:
    """(where, command, variables) for each command line of a ```bash block, in document order;
    `VAR=value` lines of the same block are the variables. Inline `python -m gnnrec_core ...` spans
    of the prose count too."""
    found = []
    for path in DOCS:
        block: list[str] | None = None
        variables: dict[str, str] = {}
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if line.startswith("```"):
                block, variables = ([] if block is None and line.strip() in ("```bash", "```sh") else None), {}
                continue
            if block is None:
                found += [(f"{path.name}:{number}", inline.strip(), {}) for inline in INLINE.findall(line)]
                continue
            text = line.split("  #")[0].strip()  # the docs comment commands after two spaces
            assignment = re.match(r"^([A-Z_]+)=(\S+)$", text)
            if assignment:
                variables[assignment.group(1)] = assignment.group(2)
            elif COMMAND.match(text):
                found.append((f"{path.name}:{number}", text, dict(variables)))
    return found


COMMANDS = documented_commands()


def _elsewhere(command: str) -> str | None:
    return next((why for marker, why in RUN_ELSEWHERE.items() if marker in command), None)


def test_every_line_run_elsewhere_is_still_documented():
    used = {marker for marker in RUN_ELSEWHERE if any(marker in command for _, command, _ in COMMANDS)}
    assert used == set(RUN_ELSEWHERE)
    assert len([c for c in COMMANDS if _elsewhere(c[1]) is None]) >= 12  # the README's own lines at least


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A copy of the project beside a link to the shared data, as a clone would sit."""
    base = tmp_path_factory.mktemp("clone")
    project = base / "main"
    ignore = shutil.ignore_patterns(".git", "__pycache__", "workspace", "out", "*.png", "results")
    shutil.copytree(ROOT, project, ignore=ignore)
    if SHARED_DATA.is_dir():
        (base / "shared").mkdir()
        (base / "shared" / "data").symlink_to(SHARED_DATA.resolve())
    return project


def _written_paths(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, flag in enumerate(argv[:-1]) if flag in ("--json", "--out")]


def run_documented(scratch: Path, command: str, variables: dict[str, str]) -> subprocess.CompletedProcess:
    argv = list(_expanded(command, variables))
    if argv[0] == "gnnrec":
        argv = ["-m", "gnnrec_core", *argv[1:]]
    else:
        argv = argv[1:]
    env = {k: v for k, v in os.environ.items() if k != "GNNREC_WORKSPACE"} | {"PYTHONPATH": str(scratch)}
    return subprocess.run([sys.executable, *argv], cwd=scratch, capture_output=True, text=True, env=env,
                          timeout=600)


def _expanded(command: str, variables: dict[str, str]) -> tuple[str, ...]:
    return tuple(re.sub(r"\$([A-Z_]+)", lambda m: variables[m.group(1)], arg) for arg in shlex.split(command))


def _group(command: str, variables: dict[str, str]) -> str:
    """Where the test suite runs in parallel (pytest-xdist, --dist loadgroup), lines that share state
    run on one worker: the README's run and the lines that open it; the Ray lines (one local Ray at a
    time, as tests/test_ray.py's); and a line documented twice, which then runs once (RAN)."""
    if "--engine ray" in command or "pipeline.distributed" in command:
        return "ray"
    if " train " in command or "--run latest" in command:
        return "readme-run"
    return " ".join(_expanded(command, variables))


RAN: dict[tuple[str, ...], subprocess.CompletedProcess] = {}  # a command, as expanded, and what it did


@pytest.mark.parametrize("where,command,variables",
                         [pytest.param(*c, marks=pytest.mark.xdist_group(_group(c[1], c[2]))) for c in COMMANDS],
                         ids=[c[0] for c in COMMANDS])
def test_documented_command_runs_as_written(scratch, where, command, variables):
    why = _elsewhere(command)
    if why is not None:
        pytest.skip(why)
    if "../shared/data/" in command and not SHARED_DATA.is_dir():
        pytest.skip("the shared data is not beside this checkout")
    if "--run latest" in command and not (scratch / "workspace" / "runs").is_dir():  # run alone: train first
        _, train, train_variables = next(c for c in COMMANDS if " train " in c[1])
        assert run_documented(scratch, train, train_variables).returncode == 0
    key = _expanded(command, variables)
    done = RAN[key] if key in RAN else RAN.setdefault(key, run_documented(scratch, command, variables))
    assert done.returncode == 0, f"{where}: {command}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
    for written in _written_paths(shlex.split(command)):
        assert (scratch / written).exists(), f"{where}: {command} did not write {written}"


@pytest.mark.xdist_group("ray")
def test_the_data_parallel_line_reads_the_log_as_every_command_does(scratch):
    """The documented data-parallel fit drops the sample's postage and fee lines as `gnnrec_core`
    does: its metrics count the products without them (it read the raw log once)."""
    from gnnrec_core.data.ingest import ingest
    from gnnrec_core.pipeline.benchmark import prepare

    where, command, variables = next(c for c in COMMANDS if "pipeline.distributed" in c[1])
    key = _expanded(command, variables)
    done = RAN[key] if key in RAN else RAN.setdefault(key, run_documented(scratch, command, variables))
    assert done.returncode == 0, f"{where}: {command}\n{done.stderr[-2000:]}"
    argv = shlex.split(command)
    metrics = json.loads((scratch / argv[argv.index("--out") + 1] / "metrics.json").read_text())
    log = scratch / argv[3]
    assert metrics["items"] == prepare(ingest(log, drop_non_products=True)).interactions.n_items
    assert metrics["items"] < prepare(ingest(log)).interactions.n_items  # POST, DOT, fees left out


@pytest.mark.xdist_group("readme-run")
def test_the_readme_train_run_opens_on_every_page(scratch, monkeypatch):
    """The README's `train` line saved a run in the dashboard's workspace: every page opens on it."""
    from streamlit.testing.v1 import AppTest

    from gnnrec_core.store import Workspace
    from pages.routes import PAGES

    workspace = scratch / "workspace"
    if not (workspace / "runs").is_dir() or not Workspace(workspace).list_runs():  # run alone: make it
        where, command, variables = next(c for c in COMMANDS if " train " in c[1])
        assert run_documented(scratch, command, variables).returncode == 0
    (run,) = [r for r in Workspace(workspace).list_runs() if r.made_by == "cli"][:1]
    assert run.dataset.name == "online_retail_dec2010" and run.results  # named by its data, with its table
    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    sidebar_run = next(s for s in at.sidebar.selectbox if s.label == "Run")
    assert "online_retail_dec2010" in sidebar_run.format_func(sidebar_run.value)
    for page in PAGES.values():
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
    at.switch_page(PAGES["train"]).run()
    shown = [s.value.replace("\\", "") for s in at.subheader]  # markdown escapes: online\_retail...
    assert any("Results" in text and "online_retail_dec2010" in text for text in shown), shown
    from gnnrec_core.models import BASELINES, LABELS

    shown_models = set(at.dataframe[0].value["model"])  # labels; a blend row is named with its parts
    assert {LABELS[name] for name in ("lightgcn", *BASELINES)} <= shown_models
    assert all(name.startswith("LightGCN + ") for name in shown_models - set(LABELS.values()))
    # The demo button then trains on the same content the CLI saved (no second copy, no crash).
    at.switch_page(PAGES["home"]).run()
    next(b for b in at.button if b.label == "Train the demo").click().run()
    assert not at.exception, [e.value for e in at.exception]
    import time

    deadline = time.time() + 180
    while time.time() < deadline and len(Workspace(workspace).list_runs()) < 2:
        time.sleep(1)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    assert len(Workspace(workspace).list_runs()) == 2
    assert [d["name"] for d in Workspace(workspace).list_datasets()] == ["online_retail_dec2010"]
