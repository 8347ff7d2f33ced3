"""What the validation-only blend probes share (activity_blend, ease_blend, popularity_control): a
dataset's validation carve with at most MAX_USERS of its customers, blends chosen on one half of
it and scored on the other (`halves`), each seed's mean figures printed as they come, and the
seeds x datasets run written to its results file.

Each probe reads only a carve of its split's train part: the test split is never read."""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from benchmarks.datasets import NAMES, OPTIONS, path
from gnnrec_core import ingest, prepare
from gnnrec_core.fit.metrics import ranking_metrics, top_k
from gnnrec_core.fit.tuning import choose_blend, standardise
from gnnrec_core.matrix.interactions import SplitConfig, carve_validation, split

MAX_USERS = 4000  # validation customers scored per seed: dense customers x products arrays stay small


@dataclass
class Carve:
    part: sp.csr_matrix  # train less the validation slice: what every part is fitted on
    valid: sp.csr_matrix
    users: np.ndarray  # the validation customers scored (at most MAX_USERS, sorted)
    rng: np.random.Generator
    features: object = None  # the dataset's item features (the feature GCN's input), as `prepare` gives them

    @property
    def history(self) -> sp.csr_matrix:
        return self.part[self.users]

    @property
    def relevant(self) -> sp.csr_matrix:
        return self.valid[self.users]


def carve(name: str, seed: int, carve_seed: int) -> Carve:
    data = prepare(ingest(str(path(name)), **OPTIONS.get(name, {})))
    train = split(data.interactions, SplitConfig(seed=seed)).train
    part, valid = carve_validation(train, 0.1, seed=carve_seed)
    rng = np.random.default_rng(seed)
    users = np.flatnonzero(np.diff(valid.indptr) > 0)
    if len(users) > MAX_USERS:
        users = np.sort(rng.choice(users, MAX_USERS, replace=False))
    return Carve(part, valid, users, rng, data.features)


def ndcg(scores: np.ndarray, history: sp.csr_matrix, relevant: sp.csr_matrix) -> np.ndarray:
    """Each customer's nDCG@10, seen products masked."""
    return np.nan_to_num(ranking_metrics(top_k(scores, 10, history), relevant, 10)["ndcg"])


def halves(carved: Carve, components: dict[str, np.ndarray], singles: tuple[str, ...],
           blends: dict[str, tuple[str, str]]) -> dict[str, list[float]]:
    """Honest selection: the validation customers are halved; each blend's weights (the product's
    rule, `fit.tuning.choose_blend`: its base at weight 1, its partner in the rule's "filter" place,
    popularity) are chosen on one half and scored on the other, then the halves swap. Returns per
    half each single's and each blend's mean nDCG@10 and the blend's chosen weights. `components`:
    scores of the carve's customers (rows aligned with `carved.users`), "popularity" among them."""
    history, relevant = carved.history, carved.relevant
    half = carved.rng.random(len(carved.users)) < 0.5
    out: dict[str, list[float]] = {}
    for choose in (half, ~half):
        pick, rows = np.flatnonzero(choose), np.flatnonzero(~choose)
        for single in singles:
            scores = components[single][rows]
            out.setdefault(single, []).append(float(ndcg(scores, history[rows], relevant[rows]).mean()))
        for label, (base, partner) in blends.items():
            chosen = {"gnn": components[base][pick], "filter": components[partner][pick],
                      "popularity": components["popularity"][pick]}
            weights = choose_blend(chosen, history[pick], relevant[pick]).weights
            blended = (standardise(components[base][rows]) + weights["filter"] * standardise(components[partner][rows])
                       + weights["popularity"] * standardise(components["popularity"][rows]))
            out.setdefault(label, []).append(float(ndcg(blended, history[rows], relevant[rows]).mean()))
            for part in ("filter", "popularity"):
                out.setdefault(f"{label}: {part} weight", []).append(weights[part])
    return out


def seed_means(name: str, seed: int, figures: dict[str, list[float]]) -> dict[str, float]:
    """The mean of each figure over the two halves, printed as the run goes."""
    found = {k: float(np.mean(v)) for k, v in figures.items()}
    print(name, seed, json.dumps({k: round(v, 4) for k, v in found.items()}), flush=True)
    return found


def run(measure: Callable[..., dict[str, float]], description: str,
        out: Path, options: tuple[tuple[str, dict], ...] = ()) -> dict[str, dict[str, dict[str, float]]]:
    """--seeds and --datasets from the command line, every (dataset, seed) measured, written to `out`
    (or --out). `options`: a probe's own flags (flag, add_argument's keywords), passed to `measure`
    as keywords."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", default=list(NAMES))
    parser.add_argument("--out", type=Path, default=out)
    for flag, keywords in options:
        parser.add_argument(flag, **keywords)
    args = parser.parse_args()
    chosen = {flag.lstrip("-").replace("-", "_"): getattr(args, flag.lstrip("-").replace("-", "_"))
              for flag, _ in options}
    results = {name: {str(seed): measure(name, seed, **chosen) for seed in args.seeds} for name in args.datasets}
    args.out.write_text(json.dumps(results, indent=1))
    return results


def ratio_cell(runs: Iterable[dict[str, float]], row: str, reference: str) -> str:
    """'1.013 ± 0.014': `row` over `reference` in each seed's figures, mean ± standard deviation."""
    ratios = [r[row] / r[reference] for r in runs]
    spread = statistics.stdev(ratios) if len(ratios) > 1 else 0.0
    return f"{statistics.mean(ratios):.3f} ± {spread:.3f}"


def print_ratio_table(results: dict[str, dict[str, dict[str, float]]], columns: list[str],
                      ratios: dict[str, tuple[str, str]]) -> None:
    """A probe's Markdown table, a row per dataset: each column's mean over the seeds, then each
    ratio (heading -> (row, reference)) as `ratio_cell` gives it."""
    print("| dataset | " + " | ".join([*columns, *ratios]) + " |")
    print("|---|" + "---|" * (len(columns) + len(ratios)))
    for name, runs in results.items():
        seeds = list(runs.values())
        means = [f"{statistics.mean(r[c] for r in seeds):.4f}" for c in columns]
        print(f"| {name} | " + " | ".join([*means, *(ratio_cell(seeds, *pair) for pair in ratios.values())]) + " |")
