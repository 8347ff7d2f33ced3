"""How the test set is drawn, on both front ends: a test set the user gives (`train DATA --test
HELDOUT` and the Train page's upload: every row of DATA trains, the held-out pairs are scored, the
unknown ones counted), and the Train page's split choices on `train` (`--split`, `--test-size`)."""

import json
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from gnnrec_core.data.ingest import ingest
from gnnrec_core.store import Workspace

# 40 customers x 6 products each, from 30 products: a small log every model fits in a second.
ROWS = [(f"o{u}-{j // 3}", f"c{u}", f"p{(u * 7 + j * 5) % 30}") for u in range(40) for j in range(6)]
# Known answer: 3 new pairs of known customers and products, one unknown customer, one pair already bought.
HELDOUT = [("h1", "c0", "p1"), ("h2", "c1", "p3"), ("h3", "c2", "p3"), ("h4", "stranger", "p1"),
           ("h5", "c0", ROWS[0][2])]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("heldout")
    columns = ["order_id", "customer_id", "product_id"]
    train, heldout = root / "train.csv", root / "heldout.csv"
    pd.DataFrame(ROWS, columns=columns).to_csv(train, index=False)
    pd.DataFrame(HELDOUT, columns=columns).to_csv(heldout, index=False)
    for known in HELDOUT[:3]:  # the three new pairs really are new
        assert (known[1], known[2]) not in {(u, i) for _, u, i in ROWS}
    return root, train, heldout


EXPECTED = {"method": "given", "heldout_pairs": 5, "skipped_unknown_users": 1, "skipped_unknown_items": 0,
            "skipped_in_train": 1, "test_interactions": 3, "train_interactions": len({(u, i) for _, u, i in ROWS})}


def test_train_command_scores_the_users_own_test_set(files):
    root, train, heldout = files
    catalogue = root / "products.csv"  # p0 on two rows that differ: a note of DATA's catalogue, said once
    catalogue.write_text("product_id,name\n" + "".join(f"p{i},thing {i}\n" for i in range(30)) + "p0,other\n")
    done = subprocess.run([sys.executable, "-m", "gnnrec_core", "train", str(train), "--test", str(heldout),
                           "--items", str(catalogue), "--model", "itemknn", "--workspace", str(root / "ws-cli"),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    runs = list((root / "ws-cli" / "runs").glob("*/run.json"))
    record = json.loads(runs[0].read_text())
    assert {key: record["split"][key] for key in EXPECTED} == EXPECTED
    # What reading it did, kept; the catalogue's note is DATA's, not said again under the held-out file's name
    assert record["notes"][0] == "Held-out file heldout.csv: rows read 5, kept 5."
    assert not [note for note in record["notes"] if "catalogue" in note], record["notes"]
    assert done.stderr.count("on several rows that differ") == 1, done.stderr
    report = subprocess.run([sys.executable, "-m", "gnnrec_core", "report", "--run", "latest", "--workspace",
                             str(root / "ws-cli"), "--out", str(root / "report.html"), "--quiet"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    assert ("Split: your own test set (5 held-out pairs; skipped: 1 with a customer the dataset never saw"
            in (root / "report.html").read_text())  # the report says whose test set it scored


def test_train_command_refuses_a_test_set_it_cannot_score(files):
    root, train, _ = files
    strangers = root / "strangers.csv"
    pd.DataFrame([("x", "nobody", "p1")], columns=["order_id", "customer_id", "product_id"]).to_csv(strangers,
                                                                                                     index=False)
    done = subprocess.run([sys.executable, "-m", "gnnrec_core", "train", str(train), "--test", str(strangers),
                           "--model", "pop", "--workspace", str(root / "ws-refused")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "expected held-out pairs of users and items that train knows" in done.stderr
    assert "Traceback" not in done.stderr
    assert not list((root / "ws-refused").rglob("*.json"))  # neither the dataset nor a run was kept
    assert done.stderr.rstrip().endswith("check both files use the same IDs")


def test_a_test_file_that_cannot_be_read_is_named_in_the_refusal(files):
    """A --test file without a product column was refused as DATA's would be ("expected a column of
    product/item IDs ... or --item-col NAME"): the user could not tell which file, nor that the flag
    remaps both."""
    root, train, _ = files
    names = root / "names-only.csv"
    pd.DataFrame({"order_id": ["h1"], "customer_id": ["c0"]}).to_csv(names, index=False)
    done = subprocess.run([sys.executable, "-m", "gnnrec_core", "benchmark", str(train), "--test", str(names),
                           "--models", "pop"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert line.startswith("error: --test 'names-only.csv': expected a column of product/item IDs, found none")
    assert line.endswith("(the --*-col flags map DATA and --test alike)") and "\n" not in line


def test_a_test_file_cut_from_the_same_log_is_refused_with_what_to_do(files):
    """A test file of the log's own last lines: every pair is in the dataset, which trains on all its
    rows; the hint said "check both files use the same IDs", which they do."""
    from gnnrec_core.errors import InputError
    from gnnrec_core.matrix.interactions import given_split
    from gnnrec_core.pipeline.benchmark import prepare

    root, train, _ = files
    data = prepare(ingest(train)).interactions
    own = ingest(train).events.tail(10)
    with pytest.raises(InputError, match="found none of 10 .*10 already in train.*every held-out pair is in the "
                                         "dataset already.*give a test file of pairs the dataset does not hold"):
        given_split(data, own)


def test_train_page_takes_a_held_out_file(files, monkeypatch):
    root, train, heldout = files
    monkeypatch.setenv("GNNREC_WORKSPACE", str(root / "ws-page"))
    Workspace(root / "ws-page").save_dataset("orders", ingest(train))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["active_dataset"] = "orders"
    at.run()
    at.switch_page("pages/train.py").run()
    next(s for s in at.selectbox if s.label == "Model").set_value("itemknn").run()
    next(u for u in at.file_uploader if u.label.startswith("Your own test set")).upload(
        "heldout.csv", heldout.read_bytes(), "text/csv")
    next(b for b in at.button if b.label == "Train").click().run()
    deadline = time.time() + 120
    while not any(s.value.startswith("Results") for s in at.subheader) and time.time() < deadline:
        time.sleep(1)
        at.run()
        assert not at.exception and not at.error, [e.value for e in at.error]
    captions = " ".join(str(c.value) for c in at.caption)
    assert "Split: your own test set (5 held-out pairs; skipped: 1 with a customer the dataset never saw" in captions
    assert "Held-out file heldout.csv: rows read 5, kept 5." in captions.replace("\\", "")  # a sentence of its own
    trained = EXPECTED["train_interactions"]
    assert f"1 already in train); every row of the dataset trained; {trained} train / 3 test" in captions


def test_the_held_out_files_cleaning_is_said_beside_the_table(files):
    """The held-out file is cleaned as DATA is (charges dropped by default, duplicates): the lines it
    lost are counted on screen, not only the pairs skipped after."""
    root, train, _ = files
    cleaned = root / "heldout-with-charges.csv"
    rows = [*HELDOUT, ("h6", "c3", "POST"), ("h7", "c4", "POST"), HELDOUT[0]]  # two postage lines, a repeat
    pd.DataFrame(rows, columns=["order_id", "customer_id", "product_id"]).to_csv(cleaned, index=False)
    done = subprocess.run([sys.executable, "-m", "gnnrec_core", "benchmark", str(train), "--test", str(cleaned),
                           "--models", "pop", "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert ("Held-out file heldout-with-charges.csv: rows read 8, kept 5; dropped 2 charge, not a product "
            "(postage, fees, adjustments); dropped 1 exact duplicate.") in done.stdout.splitlines()


def test_train_takes_the_train_pages_split_and_every_front_end_says_who_it_left_out(small_log, tmp_path):
    """The Train page offered a time cut and `train` refused --split; a time cut's customers with
    nothing before it were said by `benchmark` alone, not on the page or in the report."""
    from test_cli import run_cli

    from gnnrec_core.serving.verdicts import split_sentence

    done = run_cli("train", small_log, "--model", "pop", "--compare-with", "itemknn", "--split", "time",
                   "--test-size", "0.3", "--workspace", tmp_path / "ws", "--quiet")
    assert done.returncode == 0, done.stderr
    info = Workspace(tmp_path / "ws").list_runs()[0]
    assert info.split["method"] == "time" and info.split["test_size"] == 0.3
    cold = info.split["test_users_without_history"]
    assert cold > 0 and f"{cold:,} customers left out" in done.stdout  # the CLI's data line
    assert f"{cold:,} customers left out (every interaction of theirs after the cut" in split_sentence(info.split, 10)
    refused = run_cli("train", small_log, "--split", "time", "--test", small_log, "--workspace", tmp_path / "ws")
    assert refused.returncode == 2 and "--test: expected no --split or --test-size" in refused.stderr


def test_a_published_split_of_user_item_lists_is_scored_as_written(tmp_path):
    """train.txt / test.txt as LightGCN's published splits write them ("user item item ...", one user
    a line): read as they are, where a message once said to save them as CSV; the test file's users
    and items unknown to train counted and skipped, recall and nDCG at both cut-offs."""
    train_lines, test_lines = [], []
    for user in range(60):
        group = user % 3  # three groups of ten venues each
        venues = [group * 10 + (user + j) % 10 for j in range(6)]
        train_lines.append(" ".join(map(str, [user, *venues[:3 + user % 2]])))  # lines of different lengths
        test_lines.append(" ".join(map(str, [user, *venues[4:]])))
    test_lines += ["60 1 2", "61 99"]  # a user train never saw (2 pairs), then one with an item it never saw
    test_lines[5] += " 98"  # an unknown item for a known user
    (tmp_path / "train.txt").write_text("\n".join(train_lines) + "\n")
    (tmp_path / "test.txt").write_text("\n".join(test_lines) + "\n")
    out = tmp_path / "out.json"
    done = subprocess.run([sys.executable, "-m", "gnnrec_core", "benchmark", str(tmp_path / "train.txt"), "--test",
                           str(tmp_path / "test.txt"), "--k", "20,10", "--models", "pop,itemknn", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    said = done.stdout + done.stderr
    assert "note: read as user-item lists, one user per line (60 users, 210 pairs)" in done.stderr
    assert "test.txt: read as user-item lists, one user per line (62 users, 124 pairs)" in done.stdout
    assert "held-out pairs: 124; scored 120; skipped 3 with a user train never saw, 1 with an item train never saw" \
        in said
    result = json.loads(out.read_text())
    assert result["ks"] == [20, 10]
    row = next(r for r in result["results"] if r["model"] == "itemknn")
    assert set(row["at_k"]) == {"10", "20"} and all(set(at) == {"recall", "ndcg"} for at in row["at_k"].values())
    assert row["at_k"]["20"]["recall"] >= row["at_k"]["10"]["recall"] > 0.5  # the groups' venues are found
