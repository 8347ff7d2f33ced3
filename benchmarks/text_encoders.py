"""The language model against TF-IDF for product text: speed, cold start, and the feature GCN.

    PYTHONPATH=. python -m benchmarks.text_encoders speed
    PYTHONPATH=. python -m benchmarks.text_encoders cold-start [--seeds 0 1 2 3 4]
    PYTHONPATH=. python -m benchmarks.text_encoders feature-gcn [--seeds 0 1 2] [--time-budget 20]

speed: 50,000 distinct product names (the sample's names with a variant number) embedded from
cold (model load included) and again from the cache.
cold-start: `cold_start_eval` with its defaults on every dataset with names (the Online Retail
slice; MovieLens-100k with titles and genres; the groceries categories, each basket one
pseudo-customer), per seed: nDCG and hit rate at 10 of tfidf, llm, gcn and combined (the
combination's text and mix chosen on the validation half of the held-out products).
feature-gcn: the feature GCN with TF-IDF name features, with the language model's, and LightGCN,
on one split per seed; validation nDCG (what a choice would be made on) and test nDCG. Run with a
shortened time budget (labelled in the results) to fit the machine.
Results merge into docs/results/text_encoders.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import datasets
from gnnrec_core import ingest
from gnnrec_core.matrix import text_encoder
from gnnrec_core.matrix.interactions import SplitConfig
from gnnrec_core.pipeline.benchmark import benchmark, prepare
from gnnrec_core.serving.coldstart import cold_start_eval

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "results" / "text_encoders.json"


def _ml100k_with_genres() -> pd.DataFrame:
    from benchmarks.movielens import movielens_100k

    inter, items = movielens_100k()
    ratings = pd.read_csv(inter, sep="\t")
    ratings.columns = ["user_id", "item_id", "rating", "timestamp"]
    films = pd.read_csv(items, sep="\t", encoding="latin-1")
    films.columns = ["item_id", "title", "year", "genres"]
    films["name"] = films["title"].astype(str) + " (" + films["genres"].fillna("").astype(str) + ")"
    return ratings.merge(films[["item_id", "name"]], on="item_id", how="left")


def load(name: str):
    if name == "ml100k":
        frame = _ml100k_with_genres()
        return prepare(ingest(frame.to_csv(index=False).encode(), "ml100k.csv", item_name="name"))
    return prepare(ingest(datasets.path(name), **datasets.OPTIONS.get(name, {})))


def speed() -> dict:
    names = ingest(datasets.SAMPLE).catalogue["name"].dropna().astype(str).unique()
    texts = [f"{names[i % len(names)]} {i // len(names)}" for i in range(50_000)]
    text_encoder._wordllama.cache_clear()
    text_encoder._MEMORY.clear()
    started = time.perf_counter()
    text_encoder._wordllama()
    loaded = time.perf_counter() - started
    vectors = text_encoder._llm(texts)
    cold = time.perf_counter() - started
    text_encoder.encode_texts(texts, "llm")  # writes the cache
    text_encoder._MEMORY.clear()
    started = time.perf_counter()
    text_encoder.encode_texts(texts, "llm")
    cached = time.perf_counter() - started
    return {"names": len(texts), "dims": int(vectors.shape[1]), "load_seconds": round(loaded, 2),
            "embed_seconds_with_load": round(cold, 2), "from_disk_cache_seconds": round(cached, 3),
            "target_seconds": 10}


def cold_start(seeds: list[int]) -> dict:
    out = {}
    for name in ("retail", "ml100k", "groceries"):
        dataset = load(name)
        runs = [cold_start_eval(dataset, seed=seed) for seed in seeds]
        methods = list(runs[0]["results"])
        out[name] = {"held_out": [r["held_out"] for r in runs], "scored": [r["scored_products"] for r in runs],
                     "chosen": [f"{r['combined_text']} {r['gcn_share']}" for r in runs],
                     "mean_std": {m: {metric: [round(float(np.mean(v := [r["results"][m][metric] for r in runs])), 4),
                                               round(float(np.std(v)), 4)] for metric in ("ndcg", "hit_rate")}
                                  for m in methods},
                     "llm_minus_tfidf_ndcg": _diff(runs, "llm", "tfidf")}
        print(name, json.dumps(out[name]))
    return {"seeds": seeds, "datasets": out}


def _diff(runs: list[dict], a: str, b: str) -> list[float]:
    values = [r["results"][a]["ndcg"] - r["results"][b]["ndcg"] for r in runs]
    return [round(float(np.mean(values)), 4), round(float(np.std(values)), 4)]


def feature_gcn(seeds: list[int], budget: float) -> dict:
    out = {}
    for name in ("retail", "ml100k"):
        rows: dict[str, list[tuple[float, float]]] = {"lightgcn": [], "gcn tfidf": [], "gcn llm": []}
        for seed in seeds:
            for label, model, text in (("lightgcn", "lightgcn", "tfidf"), ("gcn tfidf", "gcn", "tfidf"),
                                       ("gcn llm", "gcn", "llm")):
                dataset = load(name)
                dataset.text_encoder = text
                row = benchmark(dataset, [model], SplitConfig(seed=seed), seed=seed,
                                gnn_settings={"time_budget": budget}).results[0]
                rows[label].append((row.tuning.valid_ndcg, row.ndcg))
        out[name] = {label: {"valid_ndcg": _ms([v for v, _ in values]), "test_ndcg": _ms([t for _, t in values])}
                     for label, values in rows.items()}
        print(name, json.dumps(out[name]))
    return {"seeds": seeds, "time_budget_seconds": budget,
            "note": f"shortened: a {budget:.0f} s budget per fit instead of the default 90 s", "datasets": out}


def _ms(values: list[float]) -> list[float]:
    return [round(float(np.mean(values)), 4), round(float(np.std(values)), 4)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["speed", "cold-start", "feature-gcn"])
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--time-budget", type=float, default=20)
    args = parser.parse_args()
    if args.part == "speed":
        found = speed()
    elif args.part == "cold-start":
        found = cold_start(args.seeds or [0, 1, 2, 3, 4])
    else:
        found = feature_gcn(args.seeds or [0, 1, 2], args.time_budget)
    saved = json.loads(OUT.read_text()) if OUT.is_file() else {}
    saved[args.part] = found | {"command": f"PYTHONPATH=. python -m benchmarks.text_encoders {args.part}"
                                           + (f" --seeds {' '.join(map(str, args.seeds))}" if args.seeds else "")}
    OUT.write_text(json.dumps(saved, indent=1) + "\n")
    print(json.dumps(found, indent=1)[:2000])
