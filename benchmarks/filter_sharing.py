"""What a run saves by building each filter part once (shared_parts.sharing): GF-CF, BSPM and
Turbo-CF fitted one after another with their defaults (validation search included), each alone and
then inside one `sharing` block, as `benchmark` and the Train page run them, alternating rounds
on the same train matrix. The scores must be identical (checked on 500 users); the figure is the
ratio of the three fits' seconds, shared over alone, per round (the machine is shared: a ratio in
one run, not two runs' seconds).

    python -m benchmarks.filter_sharing --data gowalla --out docs/results/filter_sharing_gowalla.json
    python -m benchmarks.filter_sharing --data 1m --out docs/results/filter_sharing_1m.json

`gowalla`: the published train split (benchmarks/published_split.py writes it); `1m`: the train
part of the default split of the 1M-line synthetic log (benchmarks/filters_scale.py writes it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from pathlib import Path

import numpy as np

from gnnrec_core.models import MODELS
from gnnrec_core.models.shared_parts import sharing

FILTERS = ("gfcf", "bspm", "turbocf")


def train_matrix(data: str):
    if data == "gowalla":
        from benchmarks.published_split import CACHE
        from gnnrec_core import ingest, prepare

        return prepare(ingest(CACHE / "train.csv")).interactions.matrix()
    from benchmarks.filters_scale import log_path
    from gnnrec_core import ingest, prepare
    from gnnrec_core.matrix.interactions import split

    return split(prepare(ingest(log_path(1_000_000, 50_000, 0))).interactions).train


def fits(train, shared: bool) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    seconds, scores = {}, {}
    users = np.random.default_rng(0).choice(train.shape[0], 500, replace=False)
    with sharing() if shared else contextlib.nullcontext():
        for name in FILTERS:
            started = time.perf_counter()
            model = MODELS[name](seed=0).fit(train)
            seconds[name] = round(time.perf_counter() - started, 1)
            scores[name] = model.score(users)
            print(("shared" if shared else "alone"), name, seconds[name], flush=True)
    return seconds, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=("gowalla", "1m"), required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    train = train_matrix(args.data)
    rounds = []
    for _ in range(args.rounds):
        alone, alone_scores = fits(train, shared=False)
        together, shared_scores = fits(train, shared=True)
        identical = all(np.array_equal(alone_scores[n], shared_scores[n]) for n in FILTERS)
        rounds.append({"alone": alone, "shared": together, "identical_scores": identical,
                       "ratio": round(sum(together.values()) / sum(alone.values()), 3)})
        print(rounds[-1], flush=True)
    args.out.write_text(json.dumps({"data": args.data, "shape": list(train.shape), "nnz": int(train.nnz),
                                    "cpus": os.cpu_count(), "rounds": rounds,
                                    "load_average_at_end": os.getloadavg()}, indent=1) + "\n")


if __name__ == "__main__":
    main()
