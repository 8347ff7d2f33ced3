"""Product text encoders against each other: speed, search by meaning, cold start, the feature GCN.

    PYTHONPATH=. python -m benchmarks.text_encoders speed
    PYTHONPATH=. python -m benchmarks.text_encoders search [--seeds 0 1 2 3 4]
    PYTHONPATH=. python -m benchmarks.text_encoders cold-start [--seeds 0 1 2 3 4] [--time-budget 20]
    PYTHONPATH=. python -m benchmarks.text_encoders feature-gcn [--seeds 0 1 2 3 4] [--time-budget 20]

Encoders: tfidf (words and character 3-grams), llm (WordLlama, 256-d static) and minilm
(all-MiniLM-L6-v2, a 6-layer transformer, 384-d), as gnnrec_core/matrix/text_encoder.py runs them.

speed: 50,000 distinct product names (the sample's names with a variant number) embedded from
cold, the model load included, then from the disk cache and from memory. Run it alone: the
machine has 2 cores.
search: the labelled queries of text_queries.py (query -> a pattern naming the products that should come
first), on three catalogues (Online Retail names, MovieLens titles with genres, the groceries
categories). Each encoder ranks every product by cosine to the query (TF-IDF fitted on the
catalogue); nDCG@10 and whether the first result is relevant, per query. A query is "words" when
one of its words appears in a relevant name, else "meaning". Per seed the queries of each
catalogue are split in halves: the encoder is chosen on the validation half (mean nDCG over all
catalogues), scored on the other. Beside it, minilm - tfidf per query with a 95% bootstrap
interval over queries (seeded).
cold-start: `cold_start_eval` on every catalogue with names and purchases (the Online Retail
slice; a year of Online Retail baskets named from the slice; MovieLens-100k with titles and
genres; the groceries categories, each basket one pseudo-customer), per seed: nDCG and hit rate
at 10 of each text ranking, the GCN and the combination (its text and mix chosen on the
validation half of the held-out products). The feature GCN gets a shortened budget (labelled).
feature-gcn: the feature GCN with TF-IDF, WordLlama or MiniLM name features, and LightGCN, one
split per seed; validation nDCG (what a choice is made on) and test nDCG; shortened budget.
Results merge into docs/results/text_encoders.json.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import datasets
from benchmarks.text_queries import QUERIES, STOP
from gnnrec_core import ingest
from gnnrec_core.matrix import text_encoder
from gnnrec_core.matrix.interactions import SplitConfig
from gnnrec_core.matrix.minilm import MiniLM
from gnnrec_core.pipeline.benchmark import benchmark, prepare
from gnnrec_core.serving.coldstart import cold_start_eval

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "results" / "text_encoders.json"
ENCODERS = ("tfidf", "llm", "minilm")



def _ml100k_with_genres() -> pd.DataFrame:
    from benchmarks.movielens import movielens_100k

    inter, items = movielens_100k()
    ratings = pd.read_csv(inter, sep="\t")
    ratings.columns = ["user_id", "item_id", "rating", "timestamp"]
    films = pd.read_csv(items, sep="\t", encoding="latin-1")
    films.columns = ["item_id", "title", "year", "genres"]
    films["name"] = films["title"].astype(str) + " (" + films["genres"].fillna("").astype(str) + ")"
    return ratings.merge(films[["item_id", "name"]], on="item_id", how="left")


def _retail_year() -> pd.DataFrame:
    """8,000 baskets from a year of Online Retail (each one pseudo-customer), kept to the products the
    Dec 2010 slice names (80% of the lines), named from its descriptions: the same names under
    other purchases."""
    names = ingest(datasets.path("retail"), drop_non_products=True).catalogue["name"].dropna().astype(str)
    baskets = pd.read_csv(datasets.path("baskets-as-customers"), dtype=str)
    baskets["name"] = baskets["product"].map(names)
    return baskets.dropna(subset=["name"])


def load(name: str):
    if name == "ml100k":
        frame = _ml100k_with_genres()
        return prepare(ingest(frame.to_csv(index=False).encode(), "ml100k.csv", item_name="name"))
    if name == "retail-year":
        frame = _retail_year()
        return prepare(ingest(frame.to_csv(index=False).encode(), "retail_year.csv", user="customer_id",
                              item="product", item_name="name", drop_non_products=True))
    return prepare(ingest(datasets.path(name), **datasets.OPTIONS.get(name, {})))


def _ms(values: list[float]) -> list[float]:
    return [round(float(np.mean(values)), 4), round(float(np.std(values)), 4)]


def _interval(values: list[float] | np.ndarray) -> list[float]:
    """Mean and a t-based 95% interval of the mean (per-seed differences)."""
    from scipy import stats

    values = np.asarray(values, float)
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else 0
    mean = float(values.mean())
    return [round(mean, 4), round(mean - half, 4), round(mean + half, 4)]


# --- speed ---------------------------------------------------------------------------------------

def speed() -> dict:
    import torch

    names = ingest(datasets.SAMPLE).catalogue["name"].dropna().astype(str).unique()
    texts = [f"{names[i % len(names)]} {i // len(names)}" for i in range(50_000)]
    out = {"names": len(texts), "torch_threads": torch.get_num_threads(), "cpu_cores": os.cpu_count(),
           "batch_tokens": inspect.signature(MiniLM.encode).parameters["batch_tokens"].default,
           "load_average_before": [round(x, 2) for x in os.getloadavg()], "target_seconds": 60,
           "note": "2 shared cores: other work ran on the machine at the same time"}
    with tempfile.TemporaryDirectory() as cache:
        os.environ["GNNREC_CACHE"] = cache  # a cold disk cache
        for method in ("minilm", "llm"):
            if not text_encoder.available(method):
                continue
            text_encoder._MEMORY.clear()
            started = time.perf_counter()
            if method == "minilm":
                from gnnrec_core.matrix import minilm

                minilm.cached.cache_clear()
                minilm.cached()
            else:
                text_encoder._wordllama.cache_clear()
                text_encoder._wordllama()
            loaded = time.perf_counter() - started
            vectors = text_encoder.encode_texts(texts, method)  # embeds and writes the disk cache
            cold = time.perf_counter() - started
            text_encoder._MEMORY.clear()
            started = time.perf_counter()
            text_encoder.encode_texts(texts, method)
            from_disk = time.perf_counter() - started
            started = time.perf_counter()
            text_encoder.encode_texts(texts, method)
            from_memory = time.perf_counter() - started
            out[method] = {"dims": int(vectors.shape[1]), "load_seconds": round(loaded, 2),
                           "embed_seconds_with_load": round(cold, 2), "from_disk_cache_seconds": round(from_disk, 3),
                           "from_memory_seconds": round(from_memory, 3)}
            print(method, out[method], flush=True)
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


# --- search by meaning ---------------------------------------------------------------------------

def catalogue_names(name: str) -> list[str]:
    if name == "ml100k":
        return _ml100k_with_genres().drop_duplicates("item_id")["name"].astype(str).tolist()
    result = ingest(datasets.path(name), **datasets.OPTIONS.get(name, {}))
    return sorted(set(result.catalogue["name"].dropna().astype(str).str.strip()) - {""})


def _tfidf_search(names: list[str], queries: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    union = FeatureUnion([("words", TfidfVectorizer()), ("chars", TfidfVectorizer(analyzer="char_wb",
                                                                                  ngram_range=(3, 3)))])
    union.fit(names)
    similarity: np.ndarray = (union.transform(queries) @ union.transform(names).T).toarray()
    return similarity


def _similarities(method: str, names: list[str], queries: list[str]) -> np.ndarray:
    if method == "tfidf":
        return _tfidf_search(names, queries)
    vectors = text_encoder.encode_texts(names, method)
    return np.stack([text_encoder.encode_query(q, method) for q in queries]) @ vectors.T


def _query_scores(similarity: np.ndarray, relevant: np.ndarray, k: int = 10) -> tuple[float, float]:
    order = np.argsort(-similarity, kind="stable")[:k]
    gains = relevant[order].astype(float)
    dcg = float(gains @ (1 / np.log2(np.arange(2, len(order) + 2))))
    ideal = float((1 / np.log2(np.arange(2, min(k, int(relevant.sum())) + 2))).sum())
    return dcg / ideal, float(gains[0])


def _kind(query: str, names: list[str], relevant: np.ndarray) -> str:
    words = {w for w in re.findall(r"[a-z]+", query.lower()) if len(w) > 2 and w not in STOP}
    found = any(words & set(re.findall(r"[a-z]+", names[i].lower())) for i in np.flatnonzero(relevant))
    return "words" if found else "meaning"


def search(seeds: list[int]) -> dict:
    methods = [m for m in ENCODERS if text_encoder.available(m)]
    per_query = []
    catalogues = {}
    for catalogue, queries in QUERIES.items():
        names = catalogue_names(catalogue)
        catalogues[catalogue] = len(names)
        texts = [q for q, _ in queries]
        relevant = [np.array([re.search(p, n, re.IGNORECASE) is not None for n in names]) for _, p in queries]
        for (query, _), rel in zip(queries, relevant):
            if not rel.any():
                raise SystemExit(f"{catalogue}: query '{query}' matches no product")
        scores = {m: _similarities(m, names, texts) for m in methods}
        for row, (query, rel) in enumerate(zip(texts, relevant)):
            entry = {"catalogue": catalogue, "query": query, "relevant": int(rel.sum()),
                     "kind": _kind(query, names, rel)}
            for m in methods:
                ndcg, first = _query_scores(scores[m][row], rel)
                entry[m] = {"ndcg": round(ndcg, 4), "first_relevant": first}
            entry["top3"] = {m: [names[i] for i in np.argsort(-scores[m][row], kind="stable")[:3]] for m in methods}
            per_query.append(entry)
    frame = pd.DataFrame([{"catalogue": e["catalogue"], "kind": e["kind"], **{m: e[m]["ndcg"] for m in methods},
                           **{f"{m} first": e[m]["first_relevant"] for m in methods}} for e in per_query])
    out: dict = {"seeds": seeds, "catalogue_sizes": catalogues, "queries": len(per_query),
                 "kinds": frame["kind"].value_counts().to_dict()}
    # All queries, per catalogue and per kind: mean nDCG@10 and first-result-relevant share.
    out["all_queries"] = {group: {m: [round(float(part[m].mean()), 4), round(float(part[f"{m} first"].mean()), 4)]
                                  for m in methods}
                          for group, part in [("all", frame), *frame.groupby("catalogue"), *frame.groupby("kind")]}
    rng = np.random.default_rng(0)
    for a, b in (("minilm", "tfidf"), ("minilm", "llm"), ("llm", "tfidf")):
        if a in methods and b in methods:
            out[f"{a}_minus_{b}"] = {}
            for group, part in [("all", frame), *frame.groupby("catalogue"), *frame.groupby("kind")]:
                diff = (part[a] - part[b]).to_numpy()
                boot = [rng.choice(diff, len(diff)).mean() for _ in range(2000)]
                out[f"{a}_minus_{b}"][group] = {
                    "mean": round(float(diff.mean()), 4),
                    "bootstrap_95": [round(float(np.percentile(boot, q)), 4) for q in (2.5, 97.5)],
                    "ahead_level_behind": [int((diff > 0).sum()), int((diff == 0).sum()), int((diff < 0).sum())]}
    chosen, test = [], {m: [] for m in methods}
    for seed in seeds:
        valid = np.zeros(len(frame), bool)
        for _, part in frame.groupby("catalogue"):
            picked = np.random.default_rng(seed).permutation(part.index.to_numpy())[: len(part) // 2]
            valid[picked] = True
        best = max(methods, key=lambda m: frame.loc[valid, m].mean())
        chosen.append(best)
        for m in methods:
            test[m].append(float(frame.loc[~valid, m].mean()))
    out["validation_choice"] = chosen
    out["test_half_ndcg"] = {m: _ms(v) for m, v in test.items()}
    out["per_query"] = per_query
    print(json.dumps({k: v for k, v in out.items() if k != "per_query"}, indent=1))
    return out


# --- cold start ----------------------------------------------------------------------------------

def cold_start(seeds: list[int], budget: float) -> dict:
    out = {}
    for name in ("retail", "retail-year", "ml100k", "groceries"):
        dataset = load(name)
        runs = []
        for seed in seeds:
            started = time.perf_counter()
            runs.append(cold_start_eval(dataset, seed=seed, time_budget=budget))
            print(name, seed, f"{time.perf_counter() - started:.0f} s", runs[-1]["combined_text"],
                  runs[-1]["gcn_share"], {m: round(v["ndcg"], 4) for m, v in runs[-1]["results"].items()}, flush=True)
        methods = list(runs[0]["results"])
        out[name] = {"held_out": [r["held_out"] for r in runs], "scored": [r["scored_products"] for r in runs],
                     "known_products": runs[0]["known_products"],
                     "chosen": [f"{r['combined_text']} {r['gcn_share']}" for r in runs],
                     "text_encoders": runs[0]["text_encoders"],
                     "mean_std": {m: {metric: _ms([r["results"][m][metric] for r in runs])
                                      for metric in ("ndcg", "hit_rate")} for m in methods},
                     "differences_ndcg": {f"{a} - {b}": _diff(runs, a, b)
                                          for a, b in (("minilm", "tfidf"), ("llm", "tfidf"), ("minilm", "llm"))
                                          if a in methods and b in methods}}
        print(name, json.dumps(out[name]), flush=True)
    return {"seeds": seeds, "time_budget_seconds": budget,
            "note": f"shortened: the feature GCN gets {budget:.0f} s per fit instead of the default 90 s",
            "datasets": out}


def _diff(runs: list[dict], a: str, b: str) -> dict:
    values = [r["results"][a]["ndcg"] - r["results"][b]["ndcg"] for r in runs]
    return {"mean_std": _ms(values), "mean_and_95_interval": _interval(values),
            "ahead_in": int(sum(v > 0 for v in values))}


# --- feature GCN input ---------------------------------------------------------------------------

def feature_gcn(seeds: list[int], budget: float) -> dict:
    out = {}
    configs = [("lightgcn", "lightgcn", "tfidf")] + [(f"gcn {m}", "gcn", m) for m in ENCODERS
                                                     if text_encoder.available(m)]
    for name in ("retail", "ml100k"):
        rows: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in configs}
        for seed in seeds:
            for label, model, text in configs:
                dataset = load(name)
                dataset.text_encoder = text
                row = benchmark(dataset, [model], SplitConfig(seed=seed), seed=seed,
                                gnn_settings={"time_budget": budget}).results[0]
                rows[label].append((row.tuning.valid_ndcg, row.ndcg))
                print(name, seed, label, rows[label][-1], flush=True)
        found = {label: {"valid_ndcg": _ms([v for v, _ in values]), "test_ndcg": _ms([t for _, t in values])}
                 for label, values in rows.items()}
        for a, b in (("gcn minilm", "gcn tfidf"), ("gcn llm", "gcn tfidf")):
            if a in rows:
                found[f"{a} - {b} (valid)"] = _interval([x[0] - y[0] for x, y in zip(rows[a], rows[b])])
        found["chosen_on_validation"] = [max((label for label in rows if label.startswith("gcn")),
                                             key=lambda label: rows[label][i][0]) for i in range(len(seeds))]
        out[name] = found
        print(name, json.dumps(out[name]), flush=True)
    return {"seeds": seeds, "time_budget_seconds": budget,
            "note": f"shortened: a {budget:.0f} s budget per fit instead of the default 90 s", "datasets": out}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["speed", "search", "cold-start", "feature-gcn"])
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--time-budget", type=float, default=20)
    args = parser.parse_args()
    seeds = args.seeds or [0, 1, 2, 3, 4]
    if args.part == "speed":
        found = speed()
    elif args.part == "search":
        found = search(seeds)
    elif args.part == "cold-start":
        found = cold_start(seeds, args.time_budget)
    else:
        found = feature_gcn(seeds, args.time_budget)
    saved = json.loads(OUT.read_text()) if OUT.is_file() else {}
    command = f"PYTHONPATH=. python -m benchmarks.text_encoders {args.part}"
    if args.part != "speed":
        command += f" --seeds {' '.join(map(str, seeds))}"
    if args.part in ("cold-start", "feature-gcn"):
        command += f" --time-budget {args.time_budget:g}"
    found = found | {"command": command}
    if args.part == "speed":  # every run is kept, with the machine's load: timings on shared cores vary
        found["measured_at"] = time.strftime("%Y-%m-%d %H:%M")
        earlier = saved.get("speed", {})
        runs = earlier.get("runs", [earlier] if earlier.get("minilm") else [])
        saved["speed"] = {"runs": [*runs, found], "command": command}
    else:
        saved[args.part] = found
    OUT.write_text(json.dumps(saved, indent=1) + "\n")
