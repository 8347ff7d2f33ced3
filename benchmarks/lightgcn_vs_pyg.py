"""gnnrec's LightGCN against PyG's LightGCN as PyG's own example runs it, like for like.

Same data (MovieLens-100k), same split, same validation slice carved from train, same embedding
size (64) and layers (2), same process and threads. PyG: `torch_geometric.nn.LightGCN` driven by
the loop of PyG's examples/lightgcn.py (batches of 8,192 training edges, one uniform negative each,
`recommendation_loss`, Adam lr 0.001) for its example's 100 epochs. gnnrec: its LightGCN at its
untuned default settings (softmax over cosine / temperature 0.2, item bias, Adam lr 0.01, no
search, no blend) for up to 100 epochs. Both are validated after every epoch, off the clock.

Reported per seed (the seed sets the split, the carve and the initialisation): time per
training step (each step of both propagates the whole graph once), time to reach each of several
validation nDCG@10 levels, the best validation nDCG@10, and the test nDCG@10 of the epoch that was
best on validation. A separately labelled row runs gnnrec with the defaults a user gets (settings
chosen by its own search on the same validation slice, inside its 90 s budget): tuned gnnrec
against an untuned reference, said as such. Results: docs/results/lightgcn_vs_pyg.json.

    python -m benchmarks.lightgcn_vs_pyg --seeds 0 1 2 3 4
    python -m benchmarks.lightgcn_vs_pyg --table
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch_geometric.nn import LightGCN as PyGLightGCN

from benchmarks.movielens import movielens_100k
from gnnrec_core.data.ingest import ingest
from gnnrec_core.fit import train as train_module
from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.matrix.interactions import SplitConfig, build_interactions, carve_validation, split
from gnnrec_core.models import LightGCN

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "lightgcn_vs_pyg.json"
LEVELS = (0.10, 0.12, 0.15, 0.17)
DIM, LAYERS, EPOCHS = 64, 2, 100


def pyg_example(part, valid, test_split, seed: int) -> dict:
    torch.manual_seed(seed)
    n_users, n_items = part.shape
    coo = part.tocoo()
    edges = torch.from_numpy(np.vstack([coo.row, coo.col + n_users]).astype(np.int64))
    edge_index = torch.cat([edges, edges.flip(0)], dim=1)
    model = PyGLightGCN(num_nodes=n_users + n_items, embedding_dim=DIM, num_layers=LAYERS)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loader = torch.utils.data.DataLoader(range(edges.size(1)), shuffle=True, batch_size=8192)
    curve, clock, steps, best = [], 0.0, 0, (-1.0, None)
    for epoch in range(1, EPOCHS + 1):
        started = time.perf_counter()
        for index in loader:
            pos = edges[:, index]
            neg = torch.stack([pos[0], torch.randint(n_users, n_users + n_items, (index.numel(),))])
            label_index = torch.cat([pos, neg], dim=1)
            optimizer.zero_grad()
            pos_rank, neg_rank = model(edge_index, label_index).chunk(2)
            model.recommendation_loss(pos_rank, neg_rank, node_id=label_index.unique()).backward()
            optimizer.step()
            steps += 1
        clock += time.perf_counter() - started
        with torch.no_grad():
            emb = model.get_embedding(edge_index)
        users, items = emb[:n_users].numpy(), emb[n_users:].numpy()
        ndcg = evaluate(lambda u: users[u] @ items.T, part, valid)["ndcg"]
        curve.append({"epoch": epoch, "train_seconds": clock, "valid_ndcg": ndcg})
        if ndcg > best[0]:
            best = (ndcg, (users.copy(), items.copy()))
    users, items = best[1]
    test = evaluate(lambda u: users[u] @ items.T, test_split.train, test_split.test)["ndcg"]
    return _summary(curve, clock / steps, test, steps)


def gnnrec_untuned(part, valid, test_split, seed: int) -> dict:
    pauses, curve, started = [0.0], [], time.perf_counter()
    validate = train_module.Trainer.validate

    def timed_validate(self, *args):  # validation off the clock, as for PyG
        begun = time.perf_counter()
        value = validate(self, *args)
        pauses[0] += time.perf_counter() - begun
        return value

    def on_epoch(record):
        if "epoch" in record:
            curve.append({"epoch": record["epoch"], "train_seconds": time.perf_counter() - started - pauses[0],
                          "valid_ndcg": record.get("valid_ndcg")})

    train_module.Trainer.validate = timed_validate
    try:
        model = LightGCN(dim=DIM, layers=LAYERS, epochs=EPOCHS, seed=seed, device="cpu", auto=False, blend=False,
                         eval_every=1, patience=EPOCHS + 1).fit(part, valid, progress=on_epoch)
    finally:
        train_module.Trainer.validate = validate
    steps = len(curve) * -(-part.shape[0] // model.batch_size_)
    test = evaluate(model.score, test_split.train, test_split.test)["ndcg"]  # the best validation epoch's vectors
    return _summary(curve, curve[-1]["train_seconds"] / steps, test, steps)


def gnnrec_defaults(test_split, seed: int) -> dict:
    """What a user gets: LightGCN() carves the same slice (same function and seed) and searches."""
    started = time.perf_counter()
    model = LightGCN(seed=seed, device="cpu").fit(test_split.train)
    seconds = time.perf_counter() - started
    tuning = model.tuning()
    return {"fit_seconds": seconds, "best_valid_ndcg": tuning.best_valid_ndcg,
            "test_ndcg": evaluate(model.score, test_split.train, test_split.test)["ndcg"],
            "chosen": tuning.chosen, "blend": tuning.blend}


def _summary(curve: list[dict], step_seconds: float, test: float, steps: int) -> dict:
    reached = {f"{level:.2f}": next((r["train_seconds"] for r in curve if (r["valid_ndcg"] or 0) >= level), None)
               for level in LEVELS}
    best = max(curve, key=lambda r: r["valid_ndcg"] or 0)
    return {"step_seconds": step_seconds, "steps": steps, "seconds_to": reached, "best_valid_ndcg": best["valid_ndcg"],
            "best_epoch": best["epoch"], "test_ndcg": test, "train_seconds": curve[-1]["train_seconds"],
            "curve": curve}


def run(seeds: list[int]) -> dict:
    inter, _ = movielens_100k()
    data = build_interactions(ingest(inter).events)
    done = json.loads(OUT.read_text()) if OUT.is_file() and "runs" in json.loads(OUT.read_text()) else {"runs": []}
    for seed in seeds:
        test_split = split(data, SplitConfig(seed=seed))
        part, valid = carve_validation(test_split.train, 0.1, seed=seed)
        row = {"seed": seed, "threads": torch.get_num_threads(),
               "gnnrec": gnnrec_untuned(part, valid, test_split, seed),
               "pyg": pyg_example(part, valid, test_split, seed),
               "gnnrec_defaults": gnnrec_defaults(test_split, seed)}
        print({k: (v if not isinstance(v, dict) else {kk: vv for kk, vv in v.items() if kk != "curve"})
               for k, v in row.items()}, flush=True)
        done["runs"] = [r for r in done["runs"] if r["seed"] != seed] + [row]
        OUT.write_text(json.dumps(done, indent=1) + "\n")
    return done


def _cell(values: list[float | None], fmt: str) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "not reached"
    text = f"{np.mean(known):{fmt}} ± {np.std(known):{fmt}}"
    return text if len(known) == len(values) else f"{text} ({len(known)} of {len(values)} reached)"


def table(done: dict) -> str:
    runs = done["runs"]
    rows = [("time per step (one full-graph propagation)", "step_seconds", ".4f")]
    rows += [(f"time to validation nDCG@10 >= {level:.2f} (s)", f"to{level:.2f}", ".2f") for level in LEVELS]
    rows += [("best validation nDCG@10", "best_valid_ndcg", ".4f"), ("test nDCG@10 (best validation epoch)",
                                                                    "test_ndcg", ".4f"),
             ("training seconds (100 epochs)", "train_seconds", ".1f")]
    lines = [f"| {len(runs)} seeds, mean ± std | gnnrec LightGCN (untuned defaults, dim 64) | "
             "PyG LightGCN + its example loop (dim 64) |", "|---|---|---|"]
    for label, key, fmt in rows:
        cells = []
        for side in ("gnnrec", "pyg"):
            if key.startswith("to"):
                values = [r[side]["seconds_to"][key[2:]] for r in runs]
            else:
                values = [r[side][key] for r in runs]
            cells.append(_cell(values, fmt))
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    ratio = [r["pyg"]["step_seconds"] / r["gnnrec"]["step_seconds"] for r in runs]
    lines.append(f"| **step-time ratio, PyG / gnnrec** | **{np.mean(ratio):.1f} ± {np.std(ratio):.1f}x** | 1x |")
    tuned = [r["gnnrec_defaults"] for r in runs]
    lines += ["", "| tuned gnnrec against the untuned reference above | gnnrec LightGCN with a user's defaults "
              "(search + blend, 90 s budget) |", "|---|---|",
              f"| fit seconds, search included | {_cell([t['fit_seconds'] for t in tuned], '.1f')} |",
              f"| validation nDCG@10 (its settings were chosen on it) | "
              f"{_cell([t['best_valid_ndcg'] for t in tuned], '.4f')} |",
              f"| test nDCG@10 | {_cell([t['test_ndcg'] for t in tuned], '.4f')} |"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--table", action="store_true", help="print the markdown table of saved results")
    args = parser.parse_args()
    print(table(json.loads(OUT.read_text()) if args.table else run(args.seeds)))


if __name__ == "__main__":
    main()
