"""LightGCN trained as a residual over the graph filter's scores, against the blend a user gets (validation only).

Issue 21's idea "learn a residual over the filter's scores": during training the softmax's logits
are LightGCN's (cosine / temperature + item bias) plus w times the graph filter's per-user z-scores
(GraphFilter, fitted on the train part), w a learned scalar started at 1 / temperature (the scale of
a cosine logit); validation and early stopping score the same sum. The product instead blends
after training: weights for the filter and a popularity prior chosen on validation
(fit/tuning.choose_blend). The residual model is not in the product; it lives here, where it was
measured.

For each dataset and seed: the test split is held out and never read; a 10% validation slice is
carved from train (the same carve for both); LightGCN with a user's defaults (search, early
stopping, blend, the 90 s budget) and the residual LightGCN (the same search, no blend) are fitted
on the part. Recorded: the filter alone, LightGCN alone and blended, the residual, all validation
nDCG@10 (the blend's on its validation users: all of them up to fit/tuning.blend_users), and the
residual's learned w. Caveat: each figure is the best of its own candidates on the slice (the
search's epochs; the blend's weights), so every column is a little optimistic alike.

    python -m benchmarks.residual_choice --seeds 0 1 2        # docs/results/residual_choice.json
    python -m benchmarks.residual_choice --table
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from benchmarks.datasets import NAMES, OPTIONS, path
from gnnrec_core import ingest, prepare
from gnnrec_core.fit.metrics import evaluate
from gnnrec_core.fit.train import TrainConfig, Trainer
from gnnrec_core.fit.tuning import standardise
from gnnrec_core.matrix.interactions import SplitConfig, carve_validation, split
from gnnrec_core.models import LightGCN
from gnnrec_core.models.graph_filter import GraphFilter

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results" / "residual_choice.json"


class ResidualTrainer(Trainer):
    """The full softmax over logits + w * z(filter); every dataset measured is under
    TrainConfig.full_softmax_items, so the sampled path is not needed here."""

    def __init__(self, config: TrainConfig, filter_z: torch.Tensor, *args: Any) -> None:
        super().__init__(config, *args)
        self.filter_z = filter_z

    def start(self, module: torch.nn.Module, train: sp.csr_matrix) -> None:
        if not hasattr(module, "filter_weight"):  # before the optimiser is made, so it learns w too
            module.filter_weight = torch.nn.Parameter(torch.tensor(1.0 / self.config.temperature))
        self.module = module
        super().start(module, train)

    def _logits(self, user_emb: torch.Tensor, item_emb: torch.Tensor, users: torch.Tensor) -> torch.Tensor:
        logits = F.normalize(user_emb[users], dim=1) @ F.normalize(item_emb, dim=1).T / self.config.temperature
        if getattr(self.module, "item_bias", None) is not None:
            logits = logits + self.module.item_bias
        weight: torch.Tensor = self.module.filter_weight
        return logits + weight * self.filter_z[users]

    def _loss(self, user_emb: torch.Tensor, item_emb: torch.Tensor, batch: np.ndarray, targets: sp.csr_matrix,
              *_: Any) -> torch.Tensor:
        logits = self._logits(user_emb, item_emb, torch.from_numpy(batch))
        return -(F.log_softmax(logits, dim=1) * torch.from_numpy(targets[batch].toarray())).sum(1).mean()

    @torch.no_grad()
    def validate(self, module: torch.nn.Module, train: sp.csr_matrix, valid: sp.csr_matrix) -> float:
        module.eval()
        user_emb, item_emb = module()
        score = lambda users: self._logits(user_emb, item_emb, torch.from_numpy(users)).numpy()  # noqa: E731
        return float(evaluate(score, train, valid)["ndcg"])


class ResidualLightGCN(LightGCN):
    filter_z: torch.Tensor

    def _start(self, settings: dict[str, Any], train: sp.csr_matrix, progress: Any, deadline: float) -> Any:
        config = replace(self.config, **settings)
        module = self._build(settings, train)
        loop = TrainConfig(**{k: v for k, v in asdict(config).items() if k in TrainConfig.__dataclass_fields__})
        trainer = ResidualTrainer(loop, self.filter_z, progress, deadline)
        trainer.start(module, train)
        return module, trainer


def run(names: list[str], seeds: list[int], out: Path) -> dict:
    done = json.loads(out.read_text()) if out.is_file() else {"runs": []}
    for name in names:
        dataset = prepare(ingest(path(name), **OPTIONS.get(name, {})))
        for seed in seeds:
            train = split(dataset.interactions, SplitConfig(seed=seed)).train
            part, valid = carve_validation(train, 0.1, seed=seed)
            started = time.perf_counter()
            plain = LightGCN(seed=seed).fit(part, valid)
            plain_seconds = time.perf_counter() - started
            filter_z = torch.from_numpy(standardise(GraphFilter(seed=seed).fit(part).score_history(part)))
            started = time.perf_counter()
            residual = ResidualLightGCN(seed=seed, blend=False)
            residual.filter_z = filter_z
            residual.fit(part, valid)
            found = plain.tuning_
            row = {"dataset": name, "seed": seed,
                   "filter": evaluate(lambda users: filter_z[users].numpy(), part, valid)["ndcg"],
                   "alone": found["valid_ndcg"], "blended": found["blend_valid_ndcg"]["blended"],
                   "blend": found["blend"], "residual": residual.tuning_["valid_ndcg"],
                   "residual_weight": round(float(residual.module_.filter_weight.detach()), 3),
                   "seconds": {"plain": round(plain_seconds, 1), "residual": round(time.perf_counter() - started, 1)},
                   "chosen": {"plain": found["chosen"], "residual": residual.tuning_["chosen"]}}
            print(row, flush=True)
            done["runs"] = [r for r in done["runs"] if (r["dataset"], r["seed"]) != (name, seed)] + [row]
            out.write_text(json.dumps(done, indent=1) + "\n")
    return done


def table(done: dict) -> str:
    lines = ["| dataset | graph filter | LightGCN alone | LightGCN + blend | residual over the filter | "
             "residual - blend (per seed) | reading | learned w |", "|" + "---|" * 8]
    for name in dict.fromkeys(r["dataset"] for r in done["runs"]):
        runs = [r for r in done["runs"] if r["dataset"] == name]

        def cell(key: str) -> str:
            values = np.array([r[key] for r in runs])
            return f"{values.mean():.4f} ± {values.std():.4f}"

        diff = np.array([r["residual"] - r["blended"] for r in runs])
        reading = "ahead" if diff.mean() - diff.std() > 0 else "behind" if diff.mean() + diff.std() < 0 else "level"
        lines.append(f"| {name} (n={len(runs)}) | {cell('filter')} | {cell('alone')} | {cell('blended')} | "
                     f"{cell('residual')} | {diff.mean():+.4f} ± {diff.std():.4f} | {reading} | "
                     f"{cell('residual_weight')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(NAMES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    done = json.loads(args.out.read_text()) if args.table else run(args.datasets, args.seeds, args.out)
    print(table(done))


if __name__ == "__main__":
    main()
