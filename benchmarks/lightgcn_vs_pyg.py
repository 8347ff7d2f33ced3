"""Training speed: gnnrec's LightGCN against PyG's LightGCN module driven by the loop of PyG's own
example (examples/lightgcn.py: batches of 8192 training edges, one uniform negative each,
`recommendation_loss`, Adam lr 0.001, dim 64, 2 layers). Same data, same split, same machine, one
process, so the ratio is fair on a shared, noisy machine.

An epoch is one pass over every training interaction for both. Quality is nDCG@10 on a validation
slice carved from train (the test set is not touched here).

    python benchmarks/lightgcn_vs_pyg.py [--pyg-epochs 5] [--threshold 0.12] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch_geometric.nn import LightGCN as PyGLightGCN

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.movielens import movielens_100k  # noqa: E402
from gnnrec_core.data.ingest import ingest  # noqa: E402
from gnnrec_core.matrix.interactions import build_interactions, carve_validation, split  # noqa: E402
from gnnrec_core.models import LightGCN  # noqa: E402
from gnnrec_core.training.metrics import evaluate  # noqa: E402


def pyg_example_loop(train, valid, epochs: int, seed: int = 0) -> list[dict]:
    torch.manual_seed(seed)
    n_users, n_items = train.shape
    coo = train.tocoo()
    edges = torch.from_numpy(np.vstack([coo.row, coo.col + n_users]).astype(np.int64))
    edge_index = torch.cat([edges, edges.flip(0)], dim=1)
    model = PyGLightGCN(num_nodes=n_users + n_items, embedding_dim=64, num_layers=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loader = torch.utils.data.DataLoader(range(edges.size(1)), shuffle=True, batch_size=8192)
    records, started = [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        epoch_start = time.perf_counter()
        for index in loader:
            pos = edges[:, index]
            neg = torch.stack([pos[0], torch.randint(n_users, n_users + n_items, (index.numel(),))])
            label_index = torch.cat([pos, neg], dim=1)
            optimizer.zero_grad()
            pos_rank, neg_rank = model(edge_index, label_index).chunk(2)
            loss = model.recommendation_loss(pos_rank, neg_rank, node_id=label_index.unique())
            loss.backward()
            optimizer.step()
        epoch_seconds = time.perf_counter() - epoch_start
        with torch.no_grad():
            emb = model.get_embedding(edge_index)
        users, items = emb[:n_users], emb[n_users:]
        ndcg = evaluate(lambda u: (users[torch.from_numpy(u)] @ items.T).numpy(), train, valid)["ndcg"]
        records.append({"epoch": epoch, "epoch_seconds": epoch_seconds, "train_seconds": time.perf_counter() - started,
                        "valid_ndcg": ndcg})
        print(f"  pyg     epoch {epoch:3d}  {epoch_seconds:6.2f} s  valid nDCG@10 {ndcg:.4f}", flush=True)
    return records


def gnnrec_loop(train, valid, epochs: int, seed: int = 0) -> list[dict]:
    records, started = [], time.perf_counter()
    last = [started]

    def on_epoch(record):
        now = time.perf_counter()
        records.append({"epoch": record["epoch"], "epoch_seconds": now - last[0], "train_seconds": now - started,
                        "valid_ndcg": record.get("valid_ndcg")})
        last[0] = now

    # eval_every=1 with patience past the end: validation each epoch, never stopping early, so the
    # curve is complete. Validation time is excluded from epoch_seconds below.
    model = LightGCN(epochs=epochs, seed=seed, device="cpu", eval_every=1, patience=epochs + 1)
    model.fit(train, valid, progress=on_epoch)
    for r in records:
        print(f"  gnnrec  epoch {r['epoch']:3d}  {r['epoch_seconds']:6.2f} s  valid nDCG@10 {r['valid_ndcg']:.4f}")
    return records


def implicit_loop(kind: str, train, valid, iterations: int, seed: int = 0) -> list[dict] | None:
    """implicit's BPR or ALS (a C++/Cython speed reference), evaluated after every iteration the
    same way. None when implicit is not installed (it is optional, not a requirement)."""
    try:
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.cpu.bpr import BayesianPersonalizedRanking
    except ImportError:
        return None
    threads = torch.get_num_threads()
    model = (BayesianPersonalizedRanking(factors=64, iterations=iterations, num_threads=threads, random_state=seed)
             if kind == "bpr" else
             AlternatingLeastSquares(factors=64, iterations=iterations, num_threads=threads, random_state=seed))
    records, started = [], time.perf_counter()
    pauses = [0.0]  # evaluation time inside the callback, kept out of the training clock

    def on_iteration(iteration, *_):  # BPR passes (elapsed, correct, skipped), ALS (elapsed, loss)
        now = time.perf_counter()
        train_clock = now - started - pauses[0]
        users, items = model.user_factors, model.item_factors
        ndcg = evaluate(lambda u: users[u] @ items.T, train, valid)["ndcg"]
        pauses[0] += time.perf_counter() - now
        records.append({"epoch": iteration + 1, "train_seconds": train_clock, "valid_ndcg": ndcg})

    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):  # implicit's own advice: its threads, not OpenBLAS's
        model.fit(train.astype(np.float32), show_progress=False, callback=on_iteration)
    for previous, record in zip([{"train_seconds": 0.0}] + records, records):
        record["epoch_seconds"] = record["train_seconds"] - previous["train_seconds"]
    print(f"  implicit {kind}: median iteration {np.median([r['epoch_seconds'] for r in records]):.3f} s, "
          f"best valid nDCG@10 {max(r['valid_ndcg'] for r in records):.4f}", flush=True)
    return records


def time_to(records: list[dict], threshold: float) -> float | None:
    for r in records:
        if r["valid_ndcg"] is not None and r["valid_ndcg"] >= threshold:
            return r["train_seconds"]
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pyg-epochs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--threshold", type=float, default=0.12, help="validation nDCG@10 for time-to-quality")
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.set_num_threads(max(torch.get_num_threads(), 1))
    inter, _ = movielens_100k()
    data = build_interactions(ingest(inter).events)
    train, valid = carve_validation(split(data).train, 0.1)
    print(f"MovieLens-100k: {data.n_users} users, {data.n_items} items, {train.nnz} training interactions, "
          f"torch threads {torch.get_num_threads()}")
    ours = gnnrec_loop(train, valid, args.epochs)
    theirs = pyg_example_loop(train, valid, args.pyg_epochs)
    # Our epoch time includes the per-epoch validation pass; subtract nothing, so the ratio is conservative.
    ours_epoch = float(np.median([r["epoch_seconds"] for r in ours]))
    theirs_epoch = float(np.median([r["epoch_seconds"] for r in theirs]))
    result = {
        "gnnrec_epoch_seconds": ours_epoch, "pyg_example_epoch_seconds": theirs_epoch,
        "epoch_time_ratio": theirs_epoch / ours_epoch, "threshold": args.threshold,
        "gnnrec_seconds_to_threshold": time_to(ours, args.threshold),
        "pyg_seconds_to_threshold": time_to(theirs, args.threshold),
        "gnnrec_best_valid_ndcg": max(r["valid_ndcg"] for r in ours),
        "pyg_best_valid_ndcg": max(r["valid_ndcg"] for r in theirs), "pyg_epochs_run": args.pyg_epochs,
        "gnnrec": ours, "pyg": theirs,
    }
    for kind, iterations in (("bpr", 100), ("als", 15)):
        records = implicit_loop(kind, train, valid, iterations)
        if records is not None:
            result[f"implicit_{kind}"] = {
                "iteration_seconds": float(np.median([r["epoch_seconds"] for r in records])),
                "seconds_to_threshold": time_to(records, args.threshold),
                "best_valid_ndcg": max(r["valid_ndcg"] for r in records), "iterations": iterations,
                "curve": records}
    print(json.dumps({k: ({kk: vv for kk, vv in v.items() if kk != "curve"} if isinstance(v, dict) else v)
                      for k, v in result.items() if k not in ("gnnrec", "pyg")}, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
