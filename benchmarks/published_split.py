"""A published table reproduced on its own public split: Gowalla as the LightGCN authors split it.

    He et al., "LightGCN: Simplifying and Powering Graph Convolution Network for Recommendation",
    SIGIR 2020, Table 3; the split of their code (github.com/gusye1234/LightGCN-PyTorch, data/gowalla):
    29,858 users, 40,981 items, 810,128 train and 217,242 test interactions. GF-CF (Shen et al.,
    CIKM 2021) and BSPM (Choi et al., SIGIR 2023) report on the same split. Metrics: recall@20 and
    nDCG@20 over all items, train items masked, averaged over test users: the definitions of
    gnnrec_core/fit/metrics.py, which are theirs.

The authors' train.txt is too large for the stored snapshot of their repository; its adjacency
(s_adj_mat.npz, users then items, built from train.txt by their loader) is there, and its
user-item block is train exactly (810,128 pairs). Either file is read.

    python -m benchmarks.published_split --source DIR --seeds 0 1 2 3 4
    python -m benchmarks.published_split --table

DIR holds test.txt and train.txt or s_adj_mat.npz (each line of a .txt: a user, then its items).
Every run is the command a user types, with the defaults a user gets:

    python -m gnnrec_core benchmark train.csv --test test.csv --k 20,10 --seed S --json out.json

The seed varies the models (searches, carves, initialisations); the split is the published one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.matrix.interactions import carve_validation

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "results" / "published_split.json"
CACHE = Path.home() / ".cache" / "gnnrec" / "gowalla"
N_USERS, N_ITEMS = 29_858, 40_981
# Published figures on this split, recall@20 / nDCG@20, each with where it is printed.
PUBLISHED = {
    "LightGCN, 3 layers (He et al. 2020, Table 3)": (0.1830, 0.1554),
    "LightGCN, 3 layers (the authors' PyTorch code, its README)": (0.1824, 0.1547),
    "GF-CF (Shen et al. 2021, Table 3)": (0.1849, 0.1518),
    "BSPM-EM (Choi et al. 2023, Table 2)": (0.1920, 0.1597),
}


@dataclass(frozen=True)
class GowallaCarve:
    """Gowalla's train split as a matrix (codes in the CSV's sorted id order), a 10% validation
    slice carved from it (seed 0) and 5,000 sampled validation users: what the validation-only
    Gowalla benchmarks score on. The test split is not read."""

    frame: pd.DataFrame  # the train CSV, for mapping the test split's ids
    train: sp.csr_matrix
    part: sp.csr_matrix
    valid: sp.csr_matrix
    scored: np.ndarray

    def evaluate(self, score: Callable[[np.ndarray], np.ndarray], k: int = 20) -> dict[str, float]:
        """Metrics@k of score(user indices) over the sampled validation users."""
        return evaluate(lambda index: score(self.scored[index]), self.part[self.scored], self.valid[self.scored], k=k)


def gowalla_carve(parser: argparse.ArgumentParser) -> GowallaCarve:
    """The carve, or the parser's one-line error where the train CSV was never written."""
    if not (CACHE / "train.csv").is_file():
        parser.error(f"expected Gowalla's train split at {CACHE / 'train.csv'}, found none: run "
                     "python -m benchmarks.published_split --source DIR first")
    frame = pd.read_csv(CACHE / "train.csv")
    users = frame.user_id.astype("category").cat.codes.to_numpy()
    items = frame.item_id.astype("category").cat.codes.to_numpy()
    train = sp.csr_matrix((np.ones(len(users), np.float32), (users, items)))
    part, valid = carve_validation(train, 0.1, seed=0)
    scored = np.flatnonzero(np.diff(valid.indptr) > 0)
    scored = np.sort(np.random.default_rng(0).choice(scored, 5000, replace=False))
    return GowallaCarve(frame, train, part, valid, scored)


def _lines(path: Path) -> list[tuple[int, int]]:
    pairs = []
    for line in path.read_text().splitlines():
        numbers = [int(x) for x in line.split()]
        pairs += [(numbers[0], item) for item in numbers[1:]]
    return pairs


def train_pairs(source: Path) -> list[tuple[int, int]]:
    if (source / "train.txt").is_file() and (source / "train.txt").stat().st_size:  # a snapshot's may be empty
        return _lines(source / "train.txt")
    import scipy.sparse as sp

    block = sp.load_npz(source / "s_adj_mat.npz").tocsr()[:N_USERS, N_USERS:].tocoo()
    return list(zip(block.row.tolist(), block.col.tolist()))


def write_csvs(source: Path) -> tuple[Path, Path]:
    """train.csv and test.csv (user_id,item_id) in the cache, written once per source folder: another
    --source rewrites them (its files were once ignored for the first source's, without a word)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    files = CACHE / "train.csv", CACHE / "test.csv"
    stamp, written_from = CACHE / "source.txt", str(source.resolve())
    if not stamp.is_file() or stamp.read_text() != written_from:
        for target in files:
            target.unlink(missing_ok=True)
    for target, pairs in zip(files, (lambda: train_pairs(source), lambda: _lines(source / "test.txt"))):
        if not target.is_file():
            rows = pairs()
            target.write_text("user_id,item_id\n" + "".join(f"u{u},i{i}\n" for u, i in rows))
            print(f"{target}: {len(rows):,} pairs from {written_from}")
    stamp.write_text(written_from)
    return files


def run(source: Path, seeds: list[int], budget: float | None) -> None:
    train, test = write_csvs(source)
    done = json.loads(OUT.read_text()) if OUT.is_file() else {"runs": []}
    for seed in seeds:
        out = CACHE / f"bench-{seed}.json"
        command = [sys.executable, "-m", "gnnrec_core", "benchmark", str(train), "--test", str(test),
                   "--k", "20,10", "--seed", str(seed), "--json", str(out), "--quiet"]
        if budget is not None:
            command += ["--time-budget", str(budget)]
        started = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT)
        result = json.loads(out.read_text())
        done["runs"] = [r for r in done["runs"] if (r["seed"], r.get("budget")) != (seed, budget)]
        typed = " ".join(["python", *command[1:]]).replace(str(CACHE), "~/.cache/gnnrec/gowalla")
        done["runs"].append({"seed": seed, "budget": budget, "seconds": round(time.perf_counter() - started, 1),
                             "command": typed, "result": result})
        OUT.write_text(json.dumps(done, indent=1))
        print(f"seed {seed}: {done['runs'][-1]['seconds']} s")


def table(budget: float | None = None) -> str:
    runs = [r for r in json.loads(OUT.read_text())["runs"] if r.get("budget") == budget]
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for run_ in runs:
        for row in run_["result"]["results"]:
            at = row["at_k"]["20"]
            rows.setdefault(row["key"], []).append((at["recall"], at["ndcg"], row["train_seconds"]))
    seeds = f"{len(runs)} seed{'s' if len(runs) > 1 else ''}"
    shortened = "" if budget is None else f", {budget:g} s budget"
    lines = [f"| row ({seeds}, defaults{shortened}) | "
             "recall@20 | nDCG@20 | fit s |", "|---|---|---|---|"]
    for key, values in rows.items():
        array = np.array(values)
        mean, std = array.mean(0), array.std(0)
        spread = [f" ± {value:.4f}" if len(values) > 1 else "" for value in std[:2]]
        lines.append(f"| {key} | {mean[0]:.4f}{spread[0]} | {mean[1]:.4f}{spread[1]} | {mean[2]:.0f} |")
    for name, (recall, ndcg) in PUBLISHED.items():
        lines.append(f"| published: {name} | {recall:.4f} | {ndcg:.4f} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, help="folder with test.txt and train.txt or s_adj_mat.npz")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--time-budget", type=float, help="the GNNs' budget (default: the product's)")
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    if args.table:
        print(table(args.time_budget))
        return
    if args.source is None:
        parser.error("--source: expected the folder of the authors' data/gowalla, found none")
    run(args.source, args.seeds, args.time_budget)


if __name__ == "__main__":
    main()
