"""What the fitting commands say of the data and settings a user gives them: the split's sides
and who it left out, cut-offs past the catalogue, models named twice, a GPU asked for without one,
and an epochs cap that holds through the search."""

import json

import numpy as np
import pandas as pd
import pytest
from test_cli import run_cli

from gnnrec_core.serving.verdicts import kept_whole_words


def test_a_cutoff_past_the_catalogue_is_said_to_rank_nothing(small_log, tmp_path):
    """`--k 100000` on 2,479 products printed a verdict "on nDCG@100000" and nothing else."""
    said = ("k = 100,000 reaches the whole catalogue of 1,696 products: every list holds every product, so the "
            "figures at that cut-off say nothing of ranking; a smaller k does")
    bench = run_cli("benchmark", small_log, "--models", "pop", "--k", "10,100000")
    trained = run_cli("train", small_log, "--model", "pop", "--compare-with", "itemknn", "--k", "100000",
                      "--workspace", tmp_path / "ws")
    assert bench.returncode == trained.returncode == 0, bench.stderr + trained.stderr
    assert said in bench.stdout and said in trained.stdout
    assert "reaches the whole catalogue" not in run_cli("benchmark", small_log, "--models", "pop").stdout


def test_a_model_named_twice_is_scored_once(small_log):
    done = run_cli("benchmark", small_log, "--models", "pop,POP ,,pop")
    assert done.returncode == 0, done.stderr
    rows = [line.split()[0] for line in done.stdout.splitlines()[2:] if line.startswith("pop ")]
    assert rows == ["pop"] and "models: pop = Popularity\n" in done.stdout  # one row, named once


def test_device_cuda_without_a_gpu_is_refused_whatever_the_models(small_log):
    """With pop alone --device cuda ran on the CPU without a word; with a GNN it was refused."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: cuda is honoured")
    for models in ("pop", "pop,lightgcn"):
        done = run_cli("benchmark", small_log, "--models", models, "--device", "cuda")
        assert done.returncode == 2 and done.stderr == "error: --device cuda: expected a CUDA GPU, found none; " \
            "use auto or cpu\n"


def test_a_split_that_leaves_customers_out_says_how_many_and_where_their_pairs_went(small_log, tmp_path):
    """--test-size 0.999 drew every pair of most customers for test: with no history to rank from
    they left both sides, and the line read "train 28 pairs, test 502 pairs of 1 customers" of
    5,019, the rest unexplained. It now counts them and their pairs."""
    out = tmp_path / "bench.json"
    done = run_cli("benchmark", small_log, "--models", "pop", "--test-size", "0.999", "--json", out)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    split, left = result["split"], result["dataset"]["interactions"] - result["split"]["train_interactions"] - \
        result["split"]["test_interactions"]
    assert split["test_users_without_history"] > 100 and left > 0
    assert done.stdout.splitlines()[0].endswith(
        f"test {split['test_interactions']:,} pairs of {split['test_users']:,} customer"
        f"{'' if split['test_users'] == 1 else 's'}{kept_whole_words(split)}; "
        f"{split['test_users_without_history']:,} customers left out, "
        f"every pair of theirs drawn for test, none left to rank from ({left:,} pairs on neither side; a "
        "smaller --test-size keeps them)")


def test_the_customers_a_split_tests_none_of_are_counted(tmp_path):
    """A sparse review log: most customers have one to four products, and the per-customer split keeps
    such customers whole in train. "test 8,779 pairs of 4,806 customers" of 30,000 did not say that a
    verdict spoke of the heaviest 16% alone."""
    rng = np.random.default_rng(0)
    rows = [(f"u{u}", f"p{rng.integers(0, 30)}") for u in range(300) for _ in range(1 + (u % 10 == 0) * 8)]
    frame = pd.DataFrame(rows, columns=["user", "item"])
    frame.to_csv(tmp_path / "reviews.csv", index=False)
    few = int((frame.drop_duplicates().groupby("user").size() < 5).sum())
    done = run_cli("benchmark", tmp_path / "reviews.csv", "--models", "pop,itemknn")
    assert done.returncode == 0, done.stderr
    assert few > 250 and done.stdout.splitlines()[0].endswith(
        f"; {few:,} customers with fewer than 5 products stay whole in train, none of theirs tested")


def test_a_time_split_says_its_left_out_customers_came_after_the_cut(small_log):
    """A time split leaves out customers first seen after the cut on every run: nothing was drawn
    for them, and a smaller --test-size would not keep them."""
    done = run_cli("benchmark", small_log, "--models", "pop", "--split", "time")
    assert done.returncode == 0, done.stderr
    line = done.stdout.splitlines()[0]
    assert " customers left out, every pair of theirs after the cut, none before it to rank from (" in line
    assert "drawn for test" not in line and "--test-size" not in line


def test_train_epochs_caps_lightgcns_search_too(small_log, tmp_path):
    """`train --epochs 2` saved settings.epochs 2 beside a 15-epoch history: the search's rungs (5
    epochs, then 10 more) did not read the cap. Every epoch trained is now within it."""
    out = tmp_path / "run.json"
    done = run_cli("train", small_log, "--model", "lightgcn", "--epochs", "2", "--compare-with", "pop",
                   "--time-budget", "5", "--workspace", tmp_path / "ws", "--json", out, "--quiet")
    assert done.returncode == 0, done.stderr
    run = json.loads(out.read_text())
    trained = next(row for row in run["results"] if row["model"] == "lightgcn")
    assert run["settings"]["epochs"] == 2 and 1 <= len(run["history"]) <= 2 and trained["tuning"]["epochs"] <= 2


def test_output_paths_refuse_a_mistaken_file_type_and_take_what_a_user_means(tmp_path):
    """report writes HTML: a .pdf name is refused, a name without a suffix (or /dev/stdout) is taken;
    export writes a folder: 'exp.csv' is refused as a file name, 'exp.csv/' or 'v1.0' makes the folder."""
    from gnnrec_core.errors import InputError
    from gnnrec_core.file_output import writable_file, writable_folder

    with pytest.raises(InputError, match="ending .html or .htm"):
        writable_file(str(tmp_path / "report.pdf"), "--out", suffixes=(".html", ".htm"))
    assert writable_file(str(tmp_path / "report"), "--out", suffixes=(".html", ".htm")).name == "report"
    assert writable_file("/dev/stdout", "--out", suffixes=(".html", ".htm")).name == "stdout"
    with pytest.raises(InputError, match="end it with / to make a folder"):
        writable_folder(str(tmp_path / "exp.csv"), "--out")
    assert writable_folder(str(tmp_path / "exp.csv") + "/", "--out").is_dir()
    assert writable_folder(str(tmp_path / "v1.0"), "--out").is_dir()


def test_weighting_by_rating_without_ratings_is_refused_and_nothing_is_saved(small_log, tmp_path):
    """`--weighting rating` on orders without a rating column made every weight NaN: every model
    ranked alike (nDCG the same to the digit) and `train` saved that run."""
    said = ("error: --weighting: expected a rating column for weighting 'rating', found none mapped (map one: the "
            "Data page's rating role, or --rating-col NAME)\n")
    ranked = run_cli("benchmark", small_log, "--models", "pop,itemknn", "--weighting", "rating")
    assert ranked.returncode == 2 and ranked.stderr == said, ranked.stderr
    trained = run_cli("train", small_log, "--model", "pop", "--weighting", "rating", "--workspace", tmp_path / "ws")
    assert trained.returncode == 2 and trained.stderr == said, trained.stderr
    assert not list((tmp_path / "ws").glob("*/*"))
