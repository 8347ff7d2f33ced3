"""Cold start on the Online Retail slice: products held out of training entirely, embedded from
their catalogue rows by the feature GCN, against the similarity of names by each installed text
encoder (tfidf, llm, minilm; protocol in gnnrec_core/serving/coldstart.py). Several seeds, one run.
benchmarks/text_encoders.py cold-start runs the same protocol on every catalogue with names.

    python benchmarks/cold_start.py [--data ../shared/data/online_retail_dec2010.csv.gz] [--seeds 0 1 2 3 4] \
        [--json out.json]

The combination's mix is chosen on a validation half of the held-out products; every figure is
on the other half (gnnrec_core/serving/coldstart.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gnnrec_core.data.ingest import ingest  # noqa: E402
from gnnrec_core.pipeline.benchmark import prepare  # noqa: E402
from gnnrec_core.serving.coldstart import cold_start_eval  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data",
                        default=str(Path(__file__).resolve().parents[2] / "shared" / "data"
                                    / "online_retail_dec2010.csv.gz"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--json")
    args = parser.parse_args()
    dataset = prepare(ingest(args.data, drop_non_products=True))
    runs = [cold_start_eval(dataset, seed=seed) for seed in args.seeds]
    for seed, run in zip(args.seeds, runs):
        print(f"seed {seed}: {run['held_out_products']} products held out, "
              f"{run['mean_true_partners']:.1f} true partners each")
        for method, metrics in run["results"].items():
            print(f"  {method:<34} " + "  ".join(f"{m} {v:.4f}" for m, v in metrics.items()))
    methods = list(runs[0]["results"])
    summary = {m: {metric: [float(np.mean(values := [r["results"][m][metric] for r in runs])), float(np.std(values))]
                   for metric in runs[0]["results"][m]} for m in methods}
    shares = [r["gcn_share"] for r in runs]
    texts = [r["combined_text"] for r in runs]
    print("names read by:", "; ".join(runs[0]["text_encoders"].values()))
    print("mean, std over seeds:", json.dumps(summary, indent=1), "\nGCN share chosen on validation:", shares,
          "\ntext chosen on validation:", texts)
    if args.json:
        Path(args.json).write_text(json.dumps({"seeds": args.seeds, "runs": runs, "mean_std": summary,
                                               "gcn_shares": shares, "combined_texts": texts,
                                               "text_encoders": runs[0]["text_encoders"]}, indent=1))


if __name__ == "__main__":
    main()
