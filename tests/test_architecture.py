import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "gnnrec_core"


def test_core_never_imports_streamlit():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "streamlit" for n in names):
                offenders.append(path.name)
    assert offenders == []


HEAVY = ("torch", "torch_geometric", "sklearn", "umap")
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "online_retail_dec2010.csv.gz"


def _heavy_modules_after(code: str, heavy: tuple[str, ...] = HEAVY, env: dict[str, str] | None = None) -> list[str]:
    import subprocess
    import sys

    probe = f"import sys\n{code}\nprint('HEAVY:' + ','.join(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          cwd=CORE.parent, env=env)
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("HEAVY:"), done.stdout[-300:]
    return [m for m in line.removeprefix("HEAVY:").split(",") if m]


def test_light_commands_never_import_torch_or_scikit_learn(tmp_path):
    # rules, ingest and --help only read and count: the 11 s of ML imports are for training.
    cli = "from gnnrec_core.cli import main\n"
    assert _heavy_modules_after(cli + f"main(['rules', {str(SAMPLE)!r}, '--json', {str(tmp_path / 'r.json')!r}])") == []
    assert _heavy_modules_after(cli + f"main(['ingest', {str(SAMPLE)!r}])") == []
    assert _heavy_modules_after(cli + "import contextlib\nwith contextlib.suppress(SystemExit): main(['--help'])") == []
    # --help and a refused flag load no data library either: they answer in a fraction of a second
    for argv in (["--help"], ["benchmark", "data.csv", "--k", "0"]):
        code = f"{cli}import contextlib\nwith contextlib.suppress(SystemExit): main({argv!r})"
        assert _heavy_modules_after(code, ("numpy", "pandas", "scipy", "duckdb", *HEAVY)) == []
    first_paint = "import gnnrec_core, pages.state, pages.widgets, pages.jobs"  # what the dashboard imports
    assert _heavy_modules_after(first_paint) == []


def test_the_dashboard_imports_what_training_needs_once_its_page_is_drawn(tmp_path):
    """So the demo's first run does not wait ~4 s for torch and PyG: app.py imports them at the end
    of its first script run (the imports above show the page itself does not need them)."""
    import os

    # (A first page that stops early, as Train does with no run yet, reaches it through app.py's
    # `finally`; AppTest's switch_page runs a page without app.py, so it cannot show that here.)
    code = ("from streamlit.testing.v1 import AppTest\n"
            "app = AppTest.from_file('app.py', default_timeout=120).run()\n"
            "assert not app.exception, app.exception")
    probe = _heavy_modules_after(code, ("torch", "torch_geometric", "sklearn.utils.extmath"),
                                 env={**os.environ, "GNNREC_WORKSPACE": str(tmp_path / "workspace")})
    assert probe == ["torch", "torch_geometric", "sklearn.utils.extmath"]


def test_a_second_session_waits_while_the_first_imports_the_training_libraries(monkeypatch):
    """Two sessions in a fresh server's first seconds: while one session's thread is importing torch
    and PyG (warm_training_libraries), another's script run (app.py's wait_for_warm_up, before its
    page) waits until the import is done, so the two never import beside each other; otherwise it
    does not wait."""
    import threading
    import time

    from pages import jobs

    started, finished = threading.Event(), threading.Event()

    def slow_import():
        started.set()
        time.sleep(0.5)
        finished.set()

    monkeypatch.setattr(jobs, "import_training_libraries", slow_import)
    jobs.warm_training_libraries.clear()
    first = threading.Thread(target=jobs.warm_training_libraries)
    first.start()
    assert started.wait(10)
    jobs.wait_for_warm_up()
    assert finished.is_set()  # the second session went on only after the import
    first.join()
    began = time.perf_counter()
    jobs.wait_for_warm_up()
    assert time.perf_counter() - began < 0.1  # nothing importing: no wait
    jobs.warm_training_libraries.clear()


def test_the_live_training_curve_is_rebuilt_only_when_an_epoch_arrives():
    """The Train page redraws its progress every second while a run trains; the figure is built
    again only when the history changed (a new epoch, or the search's next configuration)."""
    from gnnrec_core import ExperimentConfig
    from pages.jobs import Job

    job = Job("j1", "sample", ExperimentConfig())
    first = job.live_curve()
    job.record({"stage": "fitting EASE on the train split", "model": "ease", "index": 1, "total": 3})
    assert job.live_curve() is first  # no new epoch: the same figure
    job.record({"stage": "fitting LightGCN", "epoch": 1, "epochs": 5, "loss": 2.0, "configuration": 7})
    second = job.live_curve()
    assert second is not first and list(second.data[0].y) == [2.0]
    assert job.live_curve() is second
    job.record({"stage": "search", "epoch": 1, "epochs": 5, "loss": 1.5, "configuration": 8})  # the next: a new curve
    assert list(job.live_curve().data[0].y) == [1.5]
    # The search's second rung continues the first configuration: its epoch 2 follows its own epoch 1
    # (it had joined the curve of the configuration trained before it)
    job.record({"stage": "search", "epoch": 2, "epochs": 15, "loss": 1.8, "configuration": 7})
    curve = job.live_curve().data[0]
    assert list(curve.y) == [2.0, 1.8] and list(curve.x) == [1, 2]


def test_each_trainers_epochs_say_which_configuration_they_are_of():
    """What the live curve tells configurations apart by: one number for every epoch of one trainer,
    another for the next trainer's."""
    import numpy as np
    import scipy.sparse as sp

    from gnnrec_core.models.lightgcn import LightGCN

    rng = np.random.default_rng(0)
    train = sp.csr_matrix((rng.random((40, 30)) < 0.2).astype(np.float32))
    seen: list[list[int]] = [[], []]
    for fit in seen:
        LightGCN(epochs=2, auto=False, blend=False, device="cpu").fit(
            train, progress=lambda event, fit=fit: fit.append(event["configuration"]) if "epoch" in event else None)
    assert len(seen[0]) == len(seen[1]) == 2 and len(set(seen[0])) == len(set(seen[1])) == 1, seen
    assert seen[0][0] != seen[1][0]


def test_model_settings_are_strict():
    import pytest

    from gnnrec_core.errors import ConfigError
    from gnnrec_core.pipeline.benchmark import make_model

    with pytest.raises(ConfigError, match="lightgcn: expected settings among .* found temprature"):
        make_model("lightgcn", None, temprature=0.3)
    assert make_model("pop", None, device="cpu", seed=3).name == "pop"  # run options go where they apply


def test_package_metadata_matches_requirements_and_version():
    import tomllib

    import gnnrec_core

    root = CORE.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    pins = [line.strip() for line in (root / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert project["dependencies"] == pins
    assert project["version"] == gnnrec_core.__version__
    said = subprocess.run([sys.executable, "-m", "gnnrec_core", "--version"], capture_output=True, text=True,
                          cwd=root, timeout=60)
    assert said.returncode == 0 and said.stdout == f"gnnrec {project['version']}\n"  # what a bug report quotes


def test_every_public_name_the_pages_and_benchmarks_use_exists():
    """The lazy public API resolves names on first use, so a missing entry would only fail when a page runs."""
    import gnnrec_core
    root = CORE.parent
    wanted = set()
    for path in [root / "app.py", *(root / "pages").glob("*.py"), *(root / "benchmarks").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "gnnrec_core":
                wanted |= {a.name for a in node.names}
    missing = [name for name in sorted(wanted) if not hasattr(gnnrec_core, name)]
    assert wanted and missing == []


# Lowest first: a module may import only from layers below its own (house rule: every arrow one way).
LAYERS = {"errors": 0, "store_paths": 0.1, "file_output": 0.2, "record_fields": 0.3, "verdict_records": 0.4,
          "progress": 0.5, "records": 0.5, "data": 1,
          "matrix": 2, "fit": 3, "models": 4,
          "store_files": 4.5, "store_active": 4.55, "store_atomic": 4.6, "setting_words": 4.7, "store": 5, "baskets": 5,
          "pipeline": 6,
          "serving": 7, "cli": 8,
          "__init__": 9, "__main__": 9}


def _core_imports() -> set[tuple[str, str]]:
    """(importing layer, imported layer) for every relative import between layers of the engine."""
    arrows = set()
    for path in CORE.rglob("*.py"):
        parts = path.relative_to(CORE).parts
        layer = parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            inside_package = len(parts) > 1 and node.level == 1
            target = layer if inside_package else (node.module or "").split(".")[0]
            if target and target != layer:
                arrows.add((layer, target))
    return arrows


def test_every_arrow_points_down_the_layers():
    arrows = _core_imports()
    assert ("models", "pipeline") not in arrows and ("fit", "models") not in arrows
    upward = sorted((a, b) for a, b in arrows if LAYERS[a] <= LAYERS[b])
    assert upward == []


def test_the_training_loop_reads_every_field_of_its_config():
    """TrainConfig holds only what Trainer reads; how a model fits by default lives in its own config."""
    import inspect
    from dataclasses import fields

    from gnnrec_core.fit import train

    source = inspect.getsource(train)
    unread = [f.name for f in fields(train.TrainConfig) if f".{f.name}" not in source]
    assert unread == []


def test_pages_compute_nothing_the_engine_should():
    """Pages read state, call the engine and render: no model internals (train_), no ranking
    (argsort) and no aggregation of events (groupby) in page code."""
    offenders = []
    for path in (CORE.parent / "pages").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("train_", "argsort", "groupby"):
                offenders.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert offenders == []


def test_each_record_has_one_producer():
    """records.py's types (Gain, BudgetCut and Verdicts in verdict_records.py) are built in one place
    each (a Tuning by each model's own tuning())."""
    made: dict[str, set[str]] = {}
    for path in CORE.rglob("*.py"):
        if path.name == "records.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                    "RunInfo", "ResultRow", "BenchmarkResult", "Tuning", "Gain", "Verdicts", "BudgetCut", "BasketRow",
                    "BasketEvalResult", "SeededBenchmark"):
                made.setdefault(node.func.id, set()).add(str(path.relative_to(CORE)))
    assert made["RunInfo"] == {"pipeline/experiment.py"}
    assert made["ResultRow"] == made["BenchmarkResult"] == made["SeededBenchmark"] == {"pipeline/benchmark.py"}
    assert made["Gain"] == made["Verdicts"] == made["BudgetCut"] == {"pipeline/table_verdicts.py"}
    assert made["BasketRow"] == made["BasketEvalResult"] == {"pipeline/basket_eval.py"}
    assert all(path.startswith("models/") for path in made["Tuning"])  # each model's own tuning()


def test_the_server_skips_streamlits_full_collection_after_each_script_run():
    """Streamlit's default (runner.postScriptGC) runs gc.collect(2) after every script run; the Train
    page reruns each second while training, and in a process holding torch and PyG each collection
    held the interpreter lock: the demo ran 2.4x slower with its page open (docs/benchmarks.md)."""
    import subprocess
    import sys

    probe = ("from streamlit import config\nconfig.get_config_options(force_reparse=True)\n"
             "print(config.get_option('runner.postScriptGC'))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=CORE.parent)
    assert done.stdout.strip() == "False"  # as `streamlit run app.py` reads .streamlit/config.toml
