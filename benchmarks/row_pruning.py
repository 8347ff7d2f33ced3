"""What finding each row's threshold saves (models/row_pruning.py): BSPM and Turbo-CF fitted with
their defaults (validation search included) inside one `sharing` block, as a run fits them, with
three ways of pruning rows, each in a fresh process, alternating, over several rounds:

- `reference`: prune_rows as it was at commit REFERENCE (one stable sort of every long row's
  (row, magnitude) keys), read from git;
- `sorted`: today's module with the sparse rows' thresholds found as at commit SORTED (one sort
  of (row, magnitude) keys for all of them), read from git;
- `default`: today's module as shipped (dense rows partitioned whole, sparse rows' entries
  partitioned in blocks of rows of similar length).

The fitted filters must be identical (their choices, validation scores and stored state, by hash);
the figure is each way's fit seconds over the reference's, per round.

    python -m benchmarks.row_pruning --out docs/results/row_pruning_sample.json
    python -m benchmarks.row_pruning --data 1m --rounds 1 --out docs/results/row_pruning_1m.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REFERENCE = "81cc665"  # the last commit that sorted every long row
SORTED = "bbd5cdc"  # the last commit that found the sparse rows' thresholds by one sort of keys
WAYS = ("reference", "sorted", "default")
ROOT = Path(__file__).resolve().parents[1]


def train_matrix(data: str):
    if data == "1m":
        from benchmarks.filter_sharing import train_matrix as shared_train

        return shared_train("1m")
    from gnnrec_core import ingest, prepare
    from gnnrec_core.matrix.interactions import split

    return split(prepare(ingest(ROOT / "sample_data" / "online_retail_dec2010.csv.gz")).interactions).train


def use_way(way: str) -> None:
    """Point every module that prunes at the way asked for."""
    from gnnrec_core.models import bspm, gfcf, graph_filter, row_pruning

    if way == "sorted":
        row_pruning._partitioned_thresholds = old_function(SORTED, "row_pruning.py", "_sorted_thresholds")
    if way != "reference":
        return
    prune_rows = old_function(REFERENCE, "graph_filter.py", "prune_rows", until="def block_rows(")
    for module in (bspm, gfcf, graph_filter):
        module.prune_rows = prune_rows


def old_function(commit: str, module: str, name: str, until: str | None = None):
    """A top-level function of gnnrec_core/models/`module` as it was at `commit`: its source up to
    `until` (default: the file's end), run in a namespace with numpy and scipy.sparse."""
    old = subprocess.run(["git", "show", f"{commit}:gnnrec_core/models/{module}"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    source = old[old.index(f"def {name}("):old.index(until) if until else len(old)]
    namespace = {"np": np, "sp": __import__("scipy.sparse", fromlist=["sparse"])}
    exec(compile(source, f"{commit}:{module}", "exec"), namespace)
    return namespace[name]


def one(data: str, way: str) -> dict:
    """Fit BSPM then Turbo-CF in one sharing block; seconds and a hash of each operator."""
    from gnnrec_core.models import MODELS
    from gnnrec_core.models.shared_parts import sharing

    train = train_matrix(data)
    use_way(way)
    seconds, digests = {}, {}
    with sharing():
        for name in ("bspm", "turbocf"):
            started = time.perf_counter()
            model = MODELS[name](seed=0).fit(train)
            seconds[name] = round(time.perf_counter() - started, 2)
            digest = hashlib.sha256(repr((model.tuning().chosen, model.tuning().valid_ndcg)).encode())
            for key, part in sorted(model.get_state().items()):  # either form's operator, pruned or exact
                digest.update(key.encode() + np.ascontiguousarray(part).tobytes())
            digests[name] = digest.hexdigest()[:16]
    return {"way": way, "seconds": seconds, "total": round(sum(seconds.values()), 2), "digests": digests}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=("sample", "1m"), default="sample")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--one", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.data, args.one)))
        return
    rounds = []
    for number in range(args.rounds):
        found = {}
        for way in WAYS:
            done = subprocess.run([sys.executable, "-m", "benchmarks.row_pruning", "--data", args.data, "--one", way],
                                  cwd=ROOT, capture_output=True, text=True, check=True)
            found[way] = json.loads(done.stdout.strip().splitlines()[-1])
            print(number, way, found[way]["seconds"], flush=True)
        digests = {way: found[way]["digests"] for way in WAYS}
        if len({json.dumps(d, sort_keys=True) for d in digests.values()}) != 1:
            raise SystemExit(f"the ways fitted different filters: {digests}")
        reference = found["reference"]["total"]
        rounds.append({way: found[way]["total"] for way in WAYS}
                      | {f"{way} / reference": round(found[way]["total"] / reference, 3) for way in WAYS[1:]})
    summary = {key: [float(np.median([r[key] for r in rounds]))] for key in rounds[0]}
    result = {"data": args.data, "reference_commit": REFERENCE, "rounds": rounds,
              "median": {key: value[0] for key, value in summary.items()},
              "command": "python -m benchmarks.row_pruning " + " ".join(sys.argv[1:])}
    print(json.dumps(result["median"], indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
