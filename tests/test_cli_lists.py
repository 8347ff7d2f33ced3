"""What `recommend`, `similar` and `export` list, as a user types them: buyers and floors, the
lists the export writes, what similarity numbers measure, and rules that match or leave nothing."""

import json

import pandas as pd
from test_cli import run_cli


def test_recommend_lists_buyers_and_leaves_out_those_below_min_buyers(small_log, tmp_path):
    user = pd.read_csv(small_log, dtype=str)["CustomerID"].iloc[0]
    every = run_cli("recommend", small_log, "--user", user, "--model", "ease", "--json", "-")
    assert every.returncode == 0, every.stderr
    listed = json.loads(every.stdout)["recommendations"]
    floor = min(r["buyers"] for r in listed) + 1  # the default list holds a product below it
    floored = run_cli("recommend", small_log, "--user", user, "--model", "ease", "--min-buyers", floor,
                      "--json", tmp_path / "r.json")
    assert floored.returncode == 0, floored.stderr
    rows = json.loads((tmp_path / "r.json").read_text())["recommendations"]
    assert rows and all(r["buyers"] >= floor for r in rows)


def test_exported_similar_items_are_the_lists_similar_prints(small_log, tmp_path):
    """export's similar_items.csv listed products under the floor `similar` leaves out (and ignored
    --min-buyers): the same product's list is now the same from both commands."""
    sim = run_cli("similar", small_log, "--item", "85123A", "--model", "itemknn", "--k", "5", "--json", "-")
    assert sim.returncode == 0, sim.stderr
    printed = json.loads(sim.stdout)
    assert printed["min_buyers"] == 2  # 150 customers: the floor's least
    exp = run_cli("export", small_log, "--model", "itemknn", "--k", "5", "--out", tmp_path / "e")
    assert exp.returncode == 0, exp.stderr
    similar = pd.read_csv(tmp_path / "e" / "similar_items.csv", dtype={"anchor_item": str, "item": str})
    assert similar.loc[similar["anchor_item"] == "85123A", "item"].tolist() == [r["item"] for r in printed["similar"]]
    anchor = similar["anchor_item"] == "85123A"
    assert set(similar.loc[anchor, "anchor_name"]) == {printed["name"]}  # named, as `similar` names it
    # Each anchor's own buyers, and a mark below 10 (a one-buyer product's list read as confident)
    # (counted as the neighbours' buyers column counts them)
    buyers = similar.drop_duplicates("item").set_index("item")["buyers"]
    sheet = similar.drop_duplicates("anchor_item").set_index("anchor_item")
    both = sheet.index.intersection(buyers.index)
    assert len(both) > 10 and (sheet.loc[both, "anchor_buyers"] == buyers[both]).all()
    assert (sheet["anchor_thin"] == (sheet["anchor_buyers"] < 10)).all() and sheet["anchor_thin"].any()
    assert (similar["buyers"] >= 2).all()
    floored = run_cli("export", small_log, "--model", "itemknn", "--k", "5", "--min-buyers", "6",
                      "--out", tmp_path / "f")
    assert floored.returncode == 0, floored.stderr
    for name in ("similar_items.csv", "recommendations.csv"):
        assert (pd.read_csv(tmp_path / "f" / name)["buyers"] >= 6).all()


def test_each_exported_recommendation_names_the_purchase_recommend_names(small_log, tmp_path):
    """recommendations.csv had no reason: each row now names the purchase it links to, the one
    `recommend` names in its path for the same customer and model."""
    user = pd.read_csv(small_log, dtype=str)["CustomerID"].iloc[0]
    exp = run_cli("export", small_log, "--model", "itemknn", "--k", "5", "--out", tmp_path / "e")
    assert exp.returncode == 0, exp.stderr
    rows = pd.read_csv(tmp_path / "e" / "recommendations.csv", dtype={"user": str, "item": str},
                       keep_default_na=False)
    mine = rows[rows["user"] == user]
    rec = run_cli("recommend", small_log, "--user", user, "--model", "itemknn", "--k", "5", "--json", "-")
    assert rec.returncode == 0, rec.stderr
    listed = json.loads(rec.stdout)["recommendations"]
    assert mine["item"].tolist() == [r["item"] for r in listed]
    for (_, row), printed in zip(mine.iterrows(), listed):
        assert printed["path"].startswith(f"bought {row['linked_purchase_name']} -> ")
        assert row["link_measure"] == "cosine similarity" and 0 < float(row["link"]) <= 1


def test_similar_says_what_its_numbers_measure_and_on_what_scale(small_log):
    """A filter's weight of 0.02 and an embedding's cosine of 0.9 were printed under one heading,
    'similarity', with nothing saying the scales differ: each list now says what its numbers are."""
    lists = {}
    for model in ("itemknn", "turbocf"):
        sim = run_cli("similar", small_log, "--item", "85123A", "--model", model, "--k", "3", "--json", "-")
        assert sim.returncode == 0, sim.stderr
        lists[model] = json.loads(sim.stdout)
    assert lists["itemknn"]["similarity"] == {
        "label": "cosine similarity", "top": 1.0,
        "scale": "the cosine of the two products' buyers: 1 when the same customers bought both alike"}
    assert lists["turbocf"]["similarity"]["top"] is None and "a scale of its own" in lists["turbocf"]["similarity"][
        "scale"]
    assert f"similarity: {lists['turbocf']['similarity']['scale']}." in sim.stderr  # --json -: the text beside
    assert all(r["similarity"] < 1 for r in lists["itemknn"]["similar"])


def test_a_merchandising_rule_that_matches_nothing_is_named_on_stderr(small_log):
    user = pd.read_csv(small_log, dtype=str)["CustomerID"].iloc[0]
    done = run_cli("recommend", small_log, "--model", "pop", "--user", user, "--k", "3", "--boost", "Lightng=1",
                   "--max-per-category", "2")
    assert done.returncode == 0, done.stderr
    assert "note: the category 'Lightng' (boost) matches no product of this run (it has no product categories)" in \
        done.stderr
    assert "note: at most 2 per category caps nothing: no product of this run has a category" in done.stderr


def test_a_list_the_rules_empty_says_so_in_words(small_log, tmp_path):
    """A floor above every product's buyers: no pandas 'Empty DataFrame', no sentence about scores
    that are not listed, and an export's empty file named."""
    user = pd.read_csv(small_log, dtype=str)["CustomerID"].iloc[0]
    done = run_cli("recommend", small_log, "--model", "pop", "--user", user, "--min-buyers", "100000")
    assert done.returncode == 0, done.stderr
    assert "No products to recommend." in done.stdout and "Empty DataFrame" not in done.stdout
    assert "Every listed score" not in done.stdout and "note: only 0 of the" in done.stdout
    exported = run_cli("export", small_log, "--model", "pop", "--min-buyers", "100000", "--out", tmp_path / "ex")
    assert exported.returncode == 0, exported.stderr
    assert "note: recommendations.csv holds no rows: no product is left to list once the merchandising rules" \
        in exported.stdout


def test_similar_says_when_the_product_itself_rests_on_too_few_buyers(small_log, tmp_path):
    """A product bought by one customer got five neighbours at similarity 0.8 with nothing said: the
    list now carries a note (and the JSON its words) where the anchor has fewer than THIN buyers."""
    from gnnrec_core.baskets.evidence import THIN

    frame = pd.read_csv(small_log, dtype=str).dropna(subset=["CustomerID"])
    frame = frame[~frame["InvoiceNo"].str.startswith("C") & (frame["Quantity"].astype(float) > 0)]
    buyers = frame.groupby("StockCode")["CustomerID"].nunique()
    lone, known = buyers[buyers == 1].index[0], buyers[buyers >= THIN].index[0]
    said = {}
    for item in (lone, known):
        out = tmp_path / f"similar-{item}.json"
        done = run_cli("similar", small_log, "--item", item, "--model", "itemknn", "--k", "3", "--json", out)
        assert done.returncode == 0, done.stderr
        said[item] = (done.stdout, json.loads(out.read_text()).get("evidence"))
    assert f"note: this product has 1 buyer (fewer than {THIN}): what the model knows of it" in said[lone][0]
    assert said[lone][1].startswith("this product has 1 buyer")
    assert "this product has" not in said[known][0] and said[known][1] is None


def test_an_export_without_product_vectors_says_why_the_projector_files_are_missing(small_log, tmp_path):
    """EASE has no product vectors: its export wrote two CSVs where the README promises Projector
    TSVs too, and said nothing."""
    done = run_cli("export", small_log, "--model", "ease", "--out", tmp_path / "ease", "--k", "2")
    assert done.returncode == 0, done.stderr
    assert {p.name for p in (tmp_path / "ease").iterdir()} == {"recommendations.csv", "similar_items.csv"}
    assert "note: no embeddings.tsv or metadata.tsv: EASE has no product vectors" in done.stdout


def test_similar_finds_a_product_by_its_name_and_says_why_a_charge_code_is_unknown(small_log):
    """The dashboard takes product names; the CLI took IDs alone, and `--item POST` read only
    "expected a known item ID". A name one product carries finds it (in any case); a charge code
    is said to be dropped as not a product."""
    by_id = run_cli("similar", small_log, "--item", "85123A", "--model", "itemknn", "--json", "-")
    by_name = run_cli("similar", small_log, "--item", " white hanging heart t-light holder", "--model", "itemknn",
                      "--json", "-")
    assert by_id.returncode == by_name.returncode == 0, by_name.stderr
    assert json.loads(by_name.stdout) == json.loads(by_id.stdout) and json.loads(by_id.stdout)["item"] == "85123A"
    assert by_name.stderr.startswith("Most similar to 85123A WHITE HANGING HEART T-LIGHT HOLDER by Item-kNN")
    charge = run_cli("similar", small_log, "--item", "POST", "--model", "itemknn")
    assert charge.returncode == 2 and charge.stderr == "error: expected a known item ID, found 'POST' (a postage or " \
        "fee code: reading the data drops such lines as not products unless told to keep them)\n"


def test_a_name_two_products_carry_is_refused_naming_both():
    import numpy as np
    import pytest

    from gnnrec_core.data.id_lookup import find_id
    from gnnrec_core.errors import InputError

    codes = np.array(["A1", "B2", "C3"])
    table = {code: i for i, code in enumerate(codes)}
    names = np.array(["Red mug", "red mug", "C3"])  # C3 has no name: its ID stands in, never read as a name
    with pytest.raises(InputError, match=r"expected one item named 'RED MUG', found 2 \(A1, B2\): give its ID"):
        find_id(table, "RED MUG", "item", codes, names)
    assert find_id(table, "B2", "item", codes, names) == 1
    with pytest.raises(InputError, match=r"found 'c3' \(did you mean C3\?\)"):
        find_id(table, "c3", "item", codes, names)
    # Part of a name (a grocery merchandiser's "milk"): the products whose names hold it, not three IDs.
    groceries = np.array(["whole milk", "butter milk", "soda", "UHT-milk"])
    with pytest.raises(InputError, match=r"found 'milk' \(products whose names hold 'milk': whole milk, butter milk, "
                                         r"UHT-milk; give one's ID or whole name\)"):
        find_id({g: i for i, g in enumerate(groceries)}, "milk", "item", groceries, groceries)
    with pytest.raises(InputError, match=r"products whose names hold 'mug': Red mug \(A1\), red mug \(B2\)"):
        find_id(table, "mug", "item", codes, names)


def test_a_product_whose_name_is_its_code_is_named_once(tmp_path):
    """A basket list's products are names: 'whole milk (whole milk)' on the pages, 'Most similar to whole
    milk whole milk' from the CLI."""
    from gnnrec_core import product_label

    baskets = tmp_path / "baskets.csv"
    baskets.write_text("".join(f"{line}\n" for line in ["milk,bread", "milk,eggs,bread", "bread,eggs", "milk"] * 30))
    done = run_cli("similar", baskets, "--user-col", "basket", "--item", "milk", "--model", "itemknn", "--k", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Most similar to milk by Item-kNN")
    header = done.stdout.splitlines()[1].split()
    assert "item" in header and "name" not in header, done.stdout  # the list's name column repeated each code
    listed = run_cli("recommend", baskets, "--user-col", "basket", "--model", "itemknn", "--basket", "milk", "--k", "2")
    assert listed.returncode == 0, listed.stderr
    header = listed.stdout.splitlines()[1].split()  # under "Recommendations for ... by Item-kNN:"
    assert header[:2] == ["rank", "item"] and "name" not in header, listed.stdout
    assert product_label("milk", "milk") == "milk"
    assert product_label("WHITE LANTERN", "71053") == "WHITE LANTERN (71053)"


def test_a_name_holding_terminal_escapes_is_printed_escaped_not_obeyed(tmp_path):
    """A product named with ESC sequences cleared the terminal (and could set its title or hide a
    link) when `similar` printed it; it is shown as '\\x1b', and the JSON keeps the name whole. A
    right-to-left override (U+202E) reversed the rest of the line: shown as '\\u202e'."""
    name = "\x1b[2JEVIL\x1b[31mred\u202eftp"
    rows = [f"{basket},{item},{name if item == 'A1' else 'Mug'},c{basket}"
            for basket in range(1, 4) for item in ("A1", "B2")]
    path = tmp_path / "ansi.csv"
    path.write_text("InvoiceNo,StockCode,Description,CustomerID\n" + "\n".join(rows) + "\n")
    shown = run_cli("similar", path, "--item", "B2", "--model", "itemknn", "--min-buyers", "1")
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout + shown.stderr and "\\x1b[2JEVIL\\x1b[31mred\\u202eftp" in shown.stdout
    assert "\u202e" not in shown.stdout + shown.stderr
    as_json = run_cli("similar", path, "--item", "B2", "--model", "itemknn", "--min-buyers", "1", "--json", "-")
    assert json.loads(as_json.stdout)["similar"][0]["name"] == name


def test_output_files_are_refused_inside_a_workspaces_saved_entries(small_log, tmp_path):
    """`rules --json WORKSPACE/runs/<id>/run.json` replaced the run's record and the run vanished;
    every output flag is refused there in one line, the run left whole."""
    ws = tmp_path / "ws"
    assert run_cli("train", small_log, "--model", "pop", "--compare-with", "itemknn", "--workspace", ws,
                   "--quiet").returncode == 0
    (run,) = (ws / "runs").iterdir()
    record = (run / "run.json").read_text()
    for command in (("rules", small_log, "--json", run / "run.json"),
                    ("report", "--run", "latest", "--workspace", ws, "--out", run / "report.html"),
                    ("export", "--run", "latest", "--workspace", ws, "--out", ws / "datasets" / "x"),
                    ("report", "--run", "latest", "--workspace", ws, "--out", ws / ".lock")):  # the saves' lock
        done = run_cli(*command)
        assert done.returncode == 2 and "inside" in done.stderr and "would damage what is saved" in done.stderr
    assert (run / "run.json").read_text() == record and not (ws / "datasets" / "x").exists()
    assert (ws / ".lock").read_bytes() == b""
    inner = run_cli("train", small_log, "--model", "pop", "--compare-with", "itemknn", "--workspace", ws / "runs",
                    "--quiet")  # made runs/runs and runs/datasets: two damaged entries of the workspace
    assert inner.returncode == 2 and "expected a workspace folder outside another workspace's" in inner.stderr
    assert sorted(p.name for p in (ws / "runs").iterdir()) == [run.name]
    from gnnrec_core.store import Workspace

    fresh = tmp_path / "fresh"  # a workspace opened (the dashboard's first page) but holding nothing yet
    Workspace(fresh)
    inner = run_cli("train", small_log, "--model", "pop", "--workspace", fresh / "datasets", "--quiet")
    assert inner.returncode == 2 and f"in the saved datasets of the workspace at {fresh}" in inner.stderr
    assert run_cli("rules", small_log, "--json", tmp_path / "rules.json").returncode == 0  # elsewhere: written
    project = tmp_path / "project"  # any project may hold runs/ and datasets/: only a workspace's are refused
    (project / "datasets").mkdir(parents=True)
    assert run_cli("rules", small_log, "--json", project / "runs" / "r.json").returncode == 0


def test_a_run_whose_dataset_became_a_basket_list_says_it_was_replaced(small_log, tmp_path):
    """Its dataset replaced by baskets alone, a run's commands said 'expected events with a user
    column', which hid why; they say the dataset was replaced after the run was made."""
    from gnnrec_core import ingest
    from gnnrec_core.store import Workspace

    ws = tmp_path / "ws"
    assert run_cli("train", small_log, "--model", "pop", "--compare-with", "itemknn", "--workspace", ws,
                   "--quiet").returncode == 0
    (name,) = [d["name"] for d in Workspace(ws).list_datasets()]
    baskets = tmp_path / "baskets.csv"
    baskets.write_text("milk,bread,eggs\nbeer\nmilk,beer\nbread,eggs\n")
    Workspace(ws).save_dataset(name, ingest(baskets), replace=True)
    done = run_cli("recommend", "--run", "latest", "--workspace", ws, "--basket", "x")
    assert done.returncode == 2 and "whose dataset was replaced after the run was made" in done.stderr
    (run,) = Workspace(ws).list_runs()
    named = run_cli("recommend", "--run", run.run_id, "--workspace", ws, "--basket", "x")
    assert named.returncode == 2 and "the dataset was replaced after the run was made; train again" in named.stderr


def test_a_name_holding_a_line_break_cannot_print_a_line_of_its_own(tmp_path):
    """A product named 'FAKE\\nerror: injected' printed a line of its own starting 'error:' in `rules`,
    under recommend's "why:", in `similar`'s heading and in `compare-periods`; its break is shown as
    '\\n' on the name's line, the JSON keeps it. A1 is bought only in December, with B2."""
    name = "FAKE\nerror: injected line"
    rows = [(f"o{basket}", item, name if item == "A1" else f"Mug {item}", f"c{basket % 7}",
             f"2010-{11 + basket // 40}-{1 + basket % 28:02d} 10:00")
            for basket in range(80) for item in (("B2", "C3") if basket < 40 else ("A1", "B2"))]
    path = tmp_path / "lines.csv"
    pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Description", "CustomerID", "InvoiceDate"]).to_csv(
        path, index=False)
    for command in (("rules", path, "--min-support", "0.1"),
                    ("recommend", path, "--basket", "A1", "--model", "itemknn", "--k", "2"),
                    ("similar", path, "--item", "A1", "--model", "itemknn"),
                    ("compare-periods", path, "--split", "2010-12-01")):
        shown = run_cli(*command)
        assert shown.returncode == 0, shown.stderr
        assert "FAKE\\nerror: injected line" in shown.stdout, (command[0], shown.stdout)
        assert not any(line.startswith("error") for line in shown.stdout.splitlines()), (command[0], shown.stdout)
    as_json = run_cli("rules", path, "--min-support", "0.1", "--json", "-")
    assert json.loads(as_json.stdout)["rules"][0]["antecedent_names"] == [name]  # the JSON keeps the name whole


def test_the_thin_column_is_printed_where_a_row_is_thin_and_said_below():
    """The terminal's lists printed a 'thin' header over blanks, never explained. Now the column is
    there only where some product has fewer than 10 buyers, with a line saying what it means."""
    from conftest import ROOT

    sample = ROOT / "sample_data" / "online_retail_dec2010.csv.gz"
    listed = run_cli("recommend", sample, "--user", "17850", "--model", "ease")
    assert listed.returncode == 0, listed.stderr
    header = listed.stdout.splitlines()[1].split()  # under "Recommendations for ... by EASE:"
    assert header == ["rank", "item", "name", "score", "buyers"] and "thin:" not in listed.stdout  # none thin here
    similar = run_cli("similar", sample, "--item", "22795", "--model", "itemknn", "--json", "-")
    rows = json.loads(similar.stdout)["similar"]
    assert any(r["thin"] for r in rows) and all(r["thin"] == (r["buyers"] < 10) for r in rows)
    printed = run_cli("similar", sample, "--item", "22795", "--model", "itemknn").stdout.splitlines()
    table = printed[1:printed.index("thin: fewer than 10 buyers, so little evidence behind the figure")]
    assert table[0].split()[-1] == "thin"
    assert [line.endswith(" thin") for line in table[1:]] == [r["thin"] for r in rows]


def test_a_log_of_codes_alone_names_each_recommendation_once(tmp_path):
    """'1 P004 P004 = P001 +0.482': a log without names printed each code twice under why:."""
    rows = [(f"o{n}", f"P{(n + j) % 6}", f"c{n % 9}") for n in range(40) for j in range(2)]
    path = tmp_path / "codes.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"]).to_csv(path, index=False)
    done = run_cli("recommend", path, "--basket", "P1", "--model", "itemknn", "--k", "2")
    assert done.returncode == 0, done.stderr
    why = done.stdout.splitlines()
    first = why[why.index("why:") + 1]
    code = first.split()[1]
    assert first.split()[:3] == ["1", code, "="] and first.count(code) == 1


def test_similar_on_a_blended_run_says_it_ranks_by_the_gnns_own_vectors(small_log, tmp_path):
    """A blended LightGCN's `similar` listed products by LightGCN's own vectors under the run's name
    with nothing saying the blend it recommends with takes no part: the list now says so, a saved
    run read by the CLI as a fresh fit would be."""
    from test_recommend import _blended_lightgcn

    from gnnrec_core import DatasetRef, RunInfo, Workspace, ingest
    from gnnrec_core.models.lightgcn import LightGCN
    from gnnrec_core.pipeline.benchmark import prepare
    from gnnrec_core.serving.explore import similarity_basis
    from gnnrec_core.store import Run

    store = Workspace(tmp_path / "ws")
    result = ingest(small_log)
    store.save_dataset("shop", result)
    data = prepare(result)
    blended = _blended_lightgcn(data.interactions.matrix(), "rp3beta")
    run_id = store.save_run(Run(blended, data.interactions.users, data.interactions.items,
                                RunInfo(DatasetRef("shop"), "lightgcn", results=())))
    done = run_cli("similar", "--item", "85123A", "--run", run_id, "--workspace", tmp_path / "ws", "--json", "-")
    assert done.returncode == 0, done.stderr
    said = ("similar products are ranked by LightGCN's own product vectors (the trained model alone); its "
            "recommendations blend it with random-walk filter x0.7 and popularity x0.4")
    assert json.loads(done.stdout)["basis"] == said and f"note: {said}." in done.stderr
    alone = LightGCN(dim=8, epochs=2, auto=False, blend=False).fit(data.interactions.matrix())
    assert similarity_basis(alone) is None and similarity_basis(blended.without_blend()) is None
