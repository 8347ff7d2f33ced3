"""One progress protocol: every long step sends events through it and stops when it returns False."""

import ast
from pathlib import Path

import pandas as pd
import pytest

from gnnrec_core.data.ingest import ingest
from gnnrec_core.pipeline.basket_eval import basket_eval
from gnnrec_core.pipeline.benchmark import benchmark, prepare
from gnnrec_core.progress import Cancelled

CORE = Path(__file__).resolve().parents[1] / "gnnrec_core"


def test_progress_type_is_defined_once():
    defined = [path.relative_to(CORE).as_posix() for path in CORE.rglob("*.py")
               for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, (ast.Assign, ast.ClassDef))
               and "Progress" in ([node.name] if isinstance(node, ast.ClassDef)
                                  else [getattr(t, "id", "") for t in node.targets])]
    assert defined == ["progress.py"]


def _log(tmp_path) -> Path:
    rows = [(f"o{i}", f"p{(i * 7 + j) % 9}", f"u{i % 6}") for i in range(30) for j in range(3)]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"]).to_csv(path, index=False)
    return path


def _stop_at_second_model(seen):
    def progress(event):
        seen.append(event)
        return event.get("index", 0) < 1
    return progress


def test_benchmark_stops_when_progress_returns_false(tmp_path):
    seen: list[dict] = []
    with pytest.raises(Cancelled):
        benchmark(prepare(ingest(_log(tmp_path))), ["pop", "itemknn", "ease"],
                  progress=_stop_at_second_model(seen))
    assert [e["model"] for e in seen] == ["pop", "itemknn"]  # ease never started


def test_basket_eval_stops_when_progress_returns_false(tmp_path):
    result = ingest(_log(tmp_path))
    seen: list[dict] = []
    with pytest.raises(Cancelled):
        basket_eval(result.events, result.catalogue, ["pop", "itemknn", "ease"],
                    progress=_stop_at_second_model(seen))
    assert [e["model"] for e in seen] == ["pop", "itemknn"]


def test_export_reports_rows_done_with_an_eta_and_stops_when_asked(tmp_path):
    from gnnrec_core.models import MODELS
    from gnnrec_core.serving.export import all_recommendations, export_all

    dataset = prepare(ingest(_log(tmp_path)))
    model = MODELS["pop"]().fit(dataset.interactions.matrix())
    seen: list[dict] = []
    all_recommendations(model, dataset, k=3, batch=2, progress=seen.append)  # 6 customers, 2 a batch
    assert [(e["step"], e["done"], e["total"]) for e in seen] == [("recommendations", n, 6) for n in (2, 4, 6)]
    assert all(e["stage"] == "export" and e["eta_seconds"] >= 0 for e in seen) and seen[-1]["eta_seconds"] == 0
    steps: list[str] = []
    export_all(model, dataset, tmp_path / "out", k=3, progress=lambda e: steps.append(e["step"]))
    assert steps == ["recommendations", "similar items"]  # each file says where it is
    with pytest.raises(Cancelled):
        export_all(model, dataset, tmp_path / "cancelled", k=3, progress=lambda e: False)
    assert not (tmp_path / "cancelled" / "recommendations.csv").exists()  # nothing half-written
