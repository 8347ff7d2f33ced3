"""A dashboard session as a separate process, for the kill and concurrency tests: optionally save a
dataset, then train and save a run exactly as the Train page's background job does.

    python tests/workers/session.py WORKSPACE DATASET MODEL EPOCHS SEED [--save-as NAME] [--loop-saves]
"""

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gnnrec_core.models import MODELS  # noqa: E402
from gnnrec_core.pipeline.benchmark import prepare  # noqa: E402
from gnnrec_core.pipeline.experiment import ExperimentConfig, train_and_save  # noqa: E402
from gnnrec_core.records import DatasetRef, RunInfo  # noqa: E402
from gnnrec_core.store import Run, Workspace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("workspace", "dataset", "model"):
        parser.add_argument(name)
    parser.add_argument("epochs", type=int)
    parser.add_argument("seed", type=int)
    parser.add_argument("--save-as")
    parser.add_argument("--loop-saves", action="store_true", help="save datasets and runs until killed")
    args = parser.parse_args()
    workspace = Workspace(args.workspace)
    result = workspace.load_dataset(args.dataset)
    dataset = prepare(result)
    if args.loop_saves:
        model = MODELS["pop"]().fit(dataset.interactions.matrix())
        print("looping", flush=True)
        while True:
            workspace.save_dataset("hot", result, replace=True)  # replacing, on purpose
            workspace.save_run(Run(model, dataset.interactions.users, dataset.interactions.items,
                                   RunInfo(DatasetRef("hot"), "pop", results=())))
    if args.save_as:
        workspace.save_dataset(args.save_as, result, replace=True)  # both sessions save the name: the later wins
    # epochs only where the model has them (the Train page offers each model's own settings)
    has_epochs = "epochs" in {f.name for f in dataclasses.fields(MODELS[args.model].config_class)}
    settings = (("epochs", args.epochs),) if has_epochs else ()
    config = ExperimentConfig(model=args.model, baselines=("pop",), settings=settings, seed=args.seed)

    def progress(event):
        if "epoch" in event:
            print(f"epoch {event['epoch']}", flush=True)

    print(f"saved {train_and_save(workspace, DatasetRef(args.dataset), dataset, config, progress)}", flush=True)


if __name__ == "__main__":
    main()
