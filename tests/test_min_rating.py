"""A rating floor: rated lines below it are read as not liked and dropped, by both engines, the CLI
(`--min-rating`, a held-out `--test` file too) and the Data page; asked for without a rating
column, it is refused in one line rather than dropping nothing."""

import json

import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_cli import run_cli

from gnnrec_core import ingest
from gnnrec_core.data.summary import summary
from gnnrec_core.errors import InputError

RATINGS = pd.DataFrame({"user": ["a", "a", "a", "b", "b", "c", "c", "c"],
                        "item": ["x", "y", "z", "x", "z", "y", "z", "w"],
                        "rating": [5, 1, 4, 2, 4.5, 3, 5, None]})
REASON = "rating below 4 (not a like)"


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_both_engines_drop_the_rated_lines_below_the_floor_and_count_them(engine, tmp_path):
    path = tmp_path / "ratings.csv"
    RATINGS.to_csv(path, index=False)
    result = ingest(path, engine=engine, min_rating=4)
    kept = result.events[["user", "item"]].apply(tuple, axis=1).tolist()
    assert kept == [("a", "x"), ("a", "z"), ("b", "z"), ("c", "z"), ("c", "w")]  # c's unrated line stays
    assert result.report.dropped == {REASON: 3} and result.report.min_rating == 4.0
    words = dict(summary(result).lines())["Ratings"]
    assert words.startswith("ratings below 4 were dropped as not liked; every rating left counts as an interaction, "
                            "a rating of 4 as much as the highest")
    assert ingest(path, engine=engine).report.dropped == {}  # no floor: every rating an interaction
    # the lines the floor dropped were seen and not liked: kept out of each customer's list, as returns are
    assert result.returns.apply(tuple, axis=1).tolist() == [("a", "y"), ("b", "x"), ("c", "y")]
    assert ingest(path, engine=engine).returns.empty


def test_a_product_rated_below_the_floor_is_never_recommended_back(tmp_path):
    """`recommend --min-rating 4`: a film the customer rated 2 stars led their list (90% of lists held
    one), as dropped lines were never seen. Popularity lists the most rated first: the disliked one."""
    rows = [(f"u{u}", "hit", 2 if u == 0 else 5) for u in range(20)]  # everyone rated it; u0 disliked it
    rows += [(f"u{u}", f"p{(u + j) % 8}", 5) for u in range(20) for j in range(3)]
    path = tmp_path / "ratings.csv"
    pd.DataFrame(rows, columns=["user", "item", "rating"]).to_csv(path, index=False)
    out = tmp_path / "recs.json"
    done = run_cli("recommend", path, "--user", "u0", "--model", "pop", "--min-rating", "4", "--k", "5",
                   "--json", out)
    assert done.returncode == 0, done.stderr
    listed = [row["item"] for row in json.loads(out.read_text())["recommendations"]]
    assert len(listed) == 5 and "hit" not in listed


def test_the_summary_names_the_floor_once(tmp_path):
    RATINGS.to_csv(tmp_path / "ratings.csv", index=False)
    done = run_cli("ingest", tmp_path / "ratings.csv", "--min-rating", "4")
    assert done.returncode == 0, done.stderr
    assert "; ratings below 4 were dropped as not liked;" in done.stdout  # "ratings ratings below 4" before
    assert "ratings ratings" not in done.stdout


def test_a_floor_without_a_rating_column_is_refused_in_one_line(small_log):
    with pytest.raises(InputError, match="expected a rating column to keep ratings of at least 4, found none mapped"):
        ingest(small_log, min_rating=4)
    done = run_cli("ingest", small_log, "--min-rating", "4")
    assert done.returncode == 2 and "found none mapped" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_cli_reads_a_held_out_file_with_the_same_floor(tmp_path):
    """`benchmark DATA --test HELDOUT --min-rating 4`: a test pair rated 2 is not a like to predict."""
    train = pd.DataFrame({"user": [f"u{i}" for i in range(30) for _ in range(4)],
                          "item": [f"p{(i + j) % 12}" for i in range(30) for j in range(4)],
                          "rating": [5, 4, 2, 5] * 30})
    heldout = pd.DataFrame({"user": [f"u{i}" for i in range(30)], "item": [f"p{(i + 5) % 12}" for i in range(30)],
                            "rating": [5, 2] * 15})
    train.to_csv(tmp_path / "train.csv", index=False)
    heldout.to_csv(tmp_path / "test.csv", index=False)
    out = tmp_path / "out.json"
    done = run_cli("benchmark", tmp_path / "train.csv", "--test", tmp_path / "test.csv", "--min-rating", "4",
                   "--models", "pop", "--json", out)
    assert done.returncode == 0, done.stderr
    assert "dropped 15 rating below 4 (not a like)" in done.stdout + done.stderr
    assert json.loads(out.read_text())["split"]["heldout_pairs"] == 15
    # What the floor took from DATA (30 lines rated 2) is said beside the table, not only by `ingest`.
    assert "train.csv: dropped 30 rating below 4 (not a like)" in done.stdout.splitlines()


def test_the_data_page_offers_the_floor_only_for_a_rated_log(tmp_path, monkeypatch):
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "workspace"))
    data = tmp_path / "data"
    data.mkdir()
    RATINGS.to_csv(data / "ratings.csv", index=False)
    monkeypatch.setenv("GNNREC_DATA_ROOT", str(data))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/data.py").run()
    assert not [n for n in at.number_input if n.label.startswith("Minimum rating")]  # the sample has no ratings
    at.radio[0].set_value("A file on the server").run()
    at.text_input[0].set_value("ratings.csv").run()
    floor = next(n for n in at.number_input if n.label.startswith("Minimum rating"))
    assert floor.value is None
    floor.set_value(4.0).run()
    assert not at.exception and not at.error
    assert int(next(m for m in at.metric if m.label == "Rows kept").value.replace(",", "")) == 5
    assert any("ratings below 4 were dropped" in c.value for c in at.caption)


def test_the_train_pages_held_out_file_is_read_with_the_datasets_floor(tmp_path):
    """The Train page reads a held-out file as its dataset was read (data/heldout.read_like): with a
    floor, the test pairs rated below it go, as `--test` does; without one, every rated pair stays."""
    from gnnrec_core.data.heldout import read_like

    RATINGS.to_csv(tmp_path / "ratings.csv", index=False)
    heldout = pd.DataFrame({"user": ["a", "b", "c"], "item": ["w", "y", "x"], "rating": [5, 2, 4]})
    upload = (heldout.to_csv(index=False).encode(), "test.csv")
    floored = read_like(ingest(tmp_path / "ratings.csv", min_rating=4), upload)
    assert floored.events["item"].tolist() == ["w", "x"] and floored.report.dropped == {REASON: 1}
    assert read_like(ingest(tmp_path / "ratings.csv"), upload).events["item"].tolist() == ["w", "y", "x"]


def test_a_held_out_file_of_pairs_alone_is_read_without_the_floor_and_says_so(tmp_path):
    """A published test file holds customer-product pairs, likes already: with no rating column the
    floor drops nothing there, and the CLI's note and the run's notes say so, rather than refusing the file."""
    from gnnrec_core.data.heldout import heldout_notes, read_like

    RATINGS.to_csv(tmp_path / "ratings.csv", index=False)
    pairs = pd.DataFrame({"user": ["a", "b", "c"], "item": ["w", "y", "x"]})
    pairs.to_csv(tmp_path / "pairs.csv", index=False)
    read = read_like(ingest(tmp_path / "ratings.csv", min_rating=4), tmp_path / "pairs.csv")
    assert read.events["item"].tolist() == ["w", "y", "x"] and read.report.min_rating is None
    assert read.report.warnings == ["no rating column: the rating floor 4 drops nothing here; every pair counts"]
    assert heldout_notes("pairs.csv", read) == (  # the run's notes, which the Train page shows
        "Held-out file pairs.csv: rows read 3, kept 3.",
        "pairs.csv: no rating column: the rating floor 4 drops nothing here; every pair counts.")
    done = run_cli("benchmark", tmp_path / "ratings.csv", "--test", tmp_path / "pairs.csv", "--min-rating", "4",
                   "--models", "pop")
    assert done.returncode == 0, done.stderr
    said = done.stdout.splitlines()  # once, with the file's cleaning line, as the run's notes say it
    assert "pairs.csv: no rating column: the rating floor 4 drops nothing here; every pair counts." in said
    assert "no rating column" not in done.stderr


def test_the_floor_is_worded_as_typed_and_a_log_left_without_ratings_says_so(tmp_path):
    path = tmp_path / "ratings.csv"
    RATINGS.to_csv(path, index=False)
    odd = ingest(path, min_rating=4.000000000000001)
    assert list(odd.report.dropped) == ["rating below 4.000000000000001 (not a like)"]
    none_rated = ingest(path, min_rating=6)  # every rated line goes; the unrated one stays
    words = dict(summary(none_rated).lines())["Ratings"]
    assert words == "ratings below 6 were dropped as not liked; no rated line is left"


@pytest.mark.parametrize(("flags", "said"), [((), True), (("--min-rating", "4"), False),
                                             (("--weighting", "rating"), False)])
def test_a_ratings_table_says_a_low_rating_counted_as_a_like(tmp_path, flags, said):
    """`benchmark` and `train` on a ratings log without a floor: the table counts a 1-star line as
    much as a 5, and the command says so beside it, as `ingest` and the report do."""
    path = tmp_path / "ratings.csv"
    pd.DataFrame({"user": [f"u{i}" for i in range(30) for _ in range(6)],
                  "item": [f"p{(i + j) % 12}" for i in range(30) for j in range(6)],
                  "rating": [5, 4, 1, 5, 5, 4] * 30}).to_csv(path, index=False)
    done = run_cli("benchmark", path, "--models", "pop", *flags)
    assert done.returncode == 0, done.stderr
    line = ("ratings.csv: every rated product counts as an interaction, a rating of 1 as much as the highest "
            "(--min-rating N drops lower ones; --weighting rating weighs them)")
    assert (line in done.stdout.splitlines()) is said
