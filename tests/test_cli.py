import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, SAMPLE

from gnnrec_core.data.charges import DROP_REASON
from gnnrec_core.store import Workspace

METRIC_KEYS = {"model", "key", "blend", "valid_ndcg", "ndcg", "precision", "recall", "map", "hit_rate", "coverage",
               "train_seconds", "device"}


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "gnnrec_core", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_ingest_drops_charges_by_default_as_the_data_page_does(small_log, tmp_path):
    """The Data page's checkbox starts ticked; the CLI's default is the same, --keep-non-products
    the way out (and --drop-non-products, the default, still accepted)."""
    counts = {}
    for flags in ((), ("--drop-non-products",), ("--keep-non-products",)):
        out = tmp_path / f"ingest{len(counts)}.json"
        assert run_cli("ingest", small_log, *flags, "--json", out).returncode == 0
        counts[flags] = json.loads(out.read_text())["report"]["dropped"].get(DROP_REASON, 0)
    assert counts[()] == counts[("--drop-non-products",)] > 0 and counts[("--keep-non-products",)] == 0
    both = run_cli("ingest", small_log, "--drop-non-products", "--keep-non-products")
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_a_gnn_without_a_validation_slice_says_so_and_reports_no_figure(tmp_path):
    """40 customers of 6 products each: after the test split none has the 5 purchases a validation
    slice needs, so nothing is chosen on one; the line says so and the JSON holds no figure (it
    printed the trainer's starting -1.0000 as an nDCG)."""
    rows = [(f"u{u}", chr(65 + (u * 7 + j * 3) % 26)) for u in range(40) for j in range(6)]
    log = tmp_path / "lettered.csv"
    pd.DataFrame(rows, columns=["user_id", "product_id"]).drop_duplicates().to_csv(log, index=False)
    out = tmp_path / "bench.json"
    done = run_cli("benchmark", log, "--models", "pop,lightgcn", "--json", out)
    assert done.returncode == 0, done.stderr
    assert "no validation slice: too few purchases per customer" in done.stdout and "-1.0000" not in done.stdout
    pairs = pd.DataFrame(rows).drop_duplicates()
    split = json.loads(out.read_text())["split"]
    assert done.stdout.splitlines()[0] == (  # the table's data, said before the table
        f"data: 40 customers x {pairs[1].nunique()} products, {len(pairs)} customer-product pairs; "
        f"train {split['train_interactions']} pairs, test {split['test_interactions']} pairs of "
        f"{split['test_users']} customers")
    assert split["train_interactions"] + split["test_interactions"] == len(pairs)
    row = next(r for r in json.loads(out.read_text())["results"] if r["key"] == "lightgcn")
    assert row["valid_ndcg"] is None and row["tuning"]["valid_ndcg"] is None


def test_ingest_prints_mapping_and_report(small_log, tmp_path):
    out = tmp_path / "ingest.json"
    result = run_cli("ingest", small_log, "--drop-non-products", "--json", out)
    assert result.returncode == 0, result.stderr
    assert "CustomerID" in result.stdout and "dropped" in result.stdout
    report = json.loads(out.read_text())
    assert report["mapping"]["item"] == "StockCode"
    assert report["report"]["rows_kept"] + sum(report["report"]["dropped"].values()) == report["report"]["rows_read"]



def test_ingest_of_a_basket_list_says_how_to_train_on_it(tmp_path):
    """`ingest` of a basket list (no customer column) printed "customers 0" and said nothing; only
    `train` gave the advice. It now says what the Data page says, with the option, and the option
    works as said."""
    baskets = tmp_path / "baskets.csv"
    baskets.write_text("".join(f"milk,bread{',eggs' * ((i + 1) % 2)},item{i % 7}\n" for i in range(60)))
    result = run_cli("ingest", baskets)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().splitlines()[-1].startswith("nothing saved: `train` saves the dataset")
    assert result.stdout.rstrip().splitlines()[-2] == (
        "warning: No customer column was recognised: association rules work, but per-customer training needs one. "
        "Map the column that names customers, if the log has one (--user-col NAME), or join it through 'basket' "
        "from a table naming each basket's customer, such as an orders table (--lookup FILE); else map the basket "
        "column ('basket') as the customer, to train with each basket as its customer (--user-col basket).")
    followed = run_cli("ingest", baskets, "--user-col", "basket")
    assert followed.returncode == 0 and "customers 60;" in followed.stdout and "warning" not in followed.stdout
    # A column name with a space is given quoted, ready to paste; one product alone gets no option (it
    # would not train either way).
    spaced = tmp_path / "orders.csv"
    spaced.write_text("Invoice No,Item\n1,a\n1,b\n2,a\n")
    said = run_cli("ingest", spaced, "--basket-col", "Invoice No").stdout
    assert said.rstrip().splitlines()[-2].endswith("(--user-col 'Invoice No').")
    spaced.write_text("Invoice No,Item\n1,a\n2,a\n")
    said = run_cli("ingest", spaced, "--basket-col", "Invoice No").stdout.rstrip().splitlines()[-2]
    assert said.startswith("warning: 0 customer(s) and 1 product(s)") and "--user-col" not in said


def test_order_lines_apart_from_their_orders_are_told_the_lookup_that_brings_their_customers(tmp_path):
    """Instacart's order lines name no customer: its orders file does. The warning named only
    --user-col; it now names the join too, and the join it names brings the customers. The names
    come from its products file, which the mapping block showed as none."""
    lines, orders = tmp_path / "order_products.csv", tmp_path / "orders.csv"
    lines.write_text("order_id,product_id\n" + "".join(f"{o},{p}\n" for o in range(120) for p in (o % 5, 5 + o % 3)))
    orders.write_text("order_id,user_id\n" + "".join(f"{o},{o % 30}\n" for o in range(120)))
    said = run_cli("ingest", lines).stdout.rstrip().splitlines()[-2]
    assert "or join it through 'order_id' from a table naming each basket's customer, such as an orders table " \
           "(--lookup FILE)" in said, said
    catalogue = tmp_path / "products.csv"
    catalogue.write_text("product_id,product_name\n" + "".join(f"{p},product {p}\n" for p in range(7)))
    followed = run_cli("ingest", lines, "--lookup", orders, "--items", catalogue)
    assert followed.returncode == 0, followed.stderr
    assert "customers 30;" in followed.stdout and "warning" not in followed.stdout
    # The names the log lacks are the catalogue's: the mapping says so rather than a bare "-"
    assert "  item_name  -  (from the catalogue's product_name)\n" in followed.stdout
    assert ("note: catalogue: 1 of the log's 8 products is not in it ('7'): it keeps the log's own name and "
            "category, or its code") in followed.stderr  # how much of the log the catalogue names

def test_benchmark_json_contract(small_log, tmp_path):
    out = tmp_path / "bench.json"
    result = run_cli("benchmark", small_log, "--models", "pop,itemknn,lightgcn", "--k", "5", "--json", out)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert set(data) == {"schema", "dataset", "split", "k", "ks", "results", "verdicts", "notes"} and data["k"] == 5
    assert set(data["dataset"]) == {"users", "items", "interactions"}
    assert not any("wall budget" in note for note in data["notes"])  # a small log ends well inside it: nothing cut
    assert "test_users_drawn" not in data["split"]  # and every test customer is scored
    keys = [r["key"] for r in data["results"]]
    assert keys in (["pop", "itemknn", "lightgcn"], ["pop", "itemknn", "lightgcn", "lightgcn+blend"])
    for row in data["results"]:
        gnn = row["model"] == "lightgcn"
        assert set(row) == METRIC_KEYS | ({"tuning"} if gnn else set()) and 0 <= row["ndcg"] <= 1
        assert (row["valid_ndcg"] is not None) == gnn  # the GNN chose on validation; the baselines chose nothing
        assert row["device"] == "cpu"
        assert bool(row["blend"]) == (row["key"] == "lightgcn+blend")  # the LightGCN row is the GNN alone
    tuning = data["results"][2]["tuning"]  # the JSON says which configuration won, and its validation score
    if "lightgcn+blend" in keys:  # each part's validation score, beside the weights chosen
        assert set(tuning["part_valid_ndcg"]) == {"gnn", "popularity"} | set(tuning["blend"])  # the filter's part
        assert tuning["blend_filter"]["model"] in ("gfcf", "rp3beta")  # the filter the blend took, by validation
        assert 0 < tuning["filter_seconds"] <= tuning["search_seconds"]  # its searches, inside the budget
        assert data["results"][3]["valid_ndcg"] == tuning["blend_valid_ndcg"]
    assert {"temperature", "layers", "dim"} <= set(tuning["chosen"]) and 0 <= tuning["valid_ndcg"] <= 1
    # The baselines' figures are the ones the engine computes in process on the same split.
    from gnnrec_core import ingest, prepare
    from gnnrec_core.fit.metrics import evaluate
    from gnnrec_core.matrix.interactions import split
    from gnnrec_core.models import ItemKNN, Popularity

    parts = split(prepare(ingest(small_log, drop_non_products=True)).interactions)  # the CLI's default
    assert data["split"]["test_interactions"] == parts.test.nnz
    for row, model in zip(data["results"], (Popularity(), ItemKNN())):
        expected = evaluate(model.fit(parts.train).score, parts.train, parts.test, k=5)
        assert row["ndcg"] == pytest.approx(expected["ndcg"], abs=1e-4)
        assert row["recall"] == pytest.approx(expected["recall"], abs=1e-4)


def test_recommend_similar_export_and_train(small_log, tmp_path):
    user = pd.read_csv(small_log, dtype=str)["CustomerID"].iloc[0]
    rec = run_cli("recommend", small_log, "--user", user, "--k", "3", "--json", tmp_path / "r.json")
    assert rec.returncode == 0, rec.stderr
    rows = json.loads((tmp_path / "r.json").read_text())["recommendations"]
    assert len(rows) == 3 and all(r["because"] for r in rows)
    # The terminal's table holds the short columns; each reason follows on a line of its own (side by
    # side they made ~190-character rows).
    named, header, *lines = rec.stdout.splitlines()
    said = json.loads((tmp_path / "r.json").read_text())
    label = said["label"]  # the default LightGCN, with its blend's parts
    assert named == f"Recommendations for customer {user} by {label}:" and label.startswith("LightGCN")
    # The key names what ranked the list, as benchmark's rows do: a blend is not the GNN alone
    assert said["model"] == "lightgcn" and said["key"] == ("lightgcn+blend" if " + " in label else "lightgcn")
    thin = ["thin"] if any(r["thin"] for r in rows) else []  # a column only where a product is thin
    assert header.split() == ["rank", "item", "name", "score", "buyers", *thin]
    why = [line for line in lines[lines.index("why:") + 1:] if not line.startswith("       ")][:3]
    assert [line.split()[:2] for line in why] == [[str(r["rank"]), r["item"]] for r in rows]
    # each product named before its parts: "22111: RED WOOLLY HOTTIE +0.3" read as if 22111 were the hottie
    assert all(line.endswith(f"{r['name']} = {r['because']}") for r, line in zip(rows, why))
    paths = [line.strip() for line in lines[lines.index("why:") + 1:] if line.startswith("       ")]
    assert paths == [r["path"] for r in rows]  # how each links, on the line under it
    sim = run_cli("similar", small_log, "--item", "85123A", "--model", "itemknn", "--k", "3")
    assert sim.returncode == 0 and "HEART" in sim.stdout
    assert sim.stdout.startswith("Most similar to 85123A WHITE HANGING HEART T-LIGHT HOLDER by Item-kNN")
    exp = run_cli("export", small_log, "--out", tmp_path / "export", "--k", "2")
    assert exp.returncode == 0, exp.stderr
    assert {p.name for p in (tmp_path / "export").iterdir()} == {
        "recommendations.csv", "similar_items.csv", "embeddings.tsv", "metadata.tsv"}
    train = run_cli("train", small_log, "--workspace", tmp_path / "ws", "--model", "ease", "--compare-with", "pop,gfcf")
    assert train.returncode == 0 and "saved run" in train.stdout
    assert "(ease on dataset 'small', validation nDCG@10 " in train.stdout and " as EASE)" in train.stdout  # its row
    # The run's table and verdicts, as `benchmark` prints them: the model and those compared with, the verdict.
    data, *table = train.stdout.splitlines()
    assert data.startswith("data: ") and "customers x" in data and "train " in data  # the data behind the table
    assert table[0].split()[:2] == ["model", "ndcg"] and [r.split()[0] for r in table[1:4]] == ["ease", "pop", "gfcf"]
    assert any(line.startswith("best graph model against the best baseline:") for line in table)
    assert "seed" not in train.stdout  # one seed: no verdicts over seeds, no "first seed's split" heading
    # the code names the table uses, beside the names the verdict uses
    assert "models: ease = EASE; pop = Popularity; gfcf = Graph filter (GF-CF, no training)" in table
    # A workspace of its own: the way to open the run names it (the dashboard's default is ./workspace).
    assert f"`GNNREC_WORKSPACE={tmp_path / 'ws'} streamlit run app.py`" in train.stdout
    assert f"--workspace {tmp_path / 'ws'}`" in train.stdout


def test_the_validation_column_is_read_at_one_cut_off_whatever_k_the_table_uses(small_log, tmp_path):
    """`train --k 20` headed every validation figure @20, while the filters' came from their searches
    at @10 and the refitted baselines' at @20 (EASE read first at @20 and was named the runner-up on
    validation). Every model chooses its settings at nDCG@10: the column is that, at any --k."""
    valid = {}
    for k in ("10", "20"):
        out = tmp_path / f"run{k}.json"
        done = run_cli("train", small_log, "--workspace", tmp_path / "ws", "--model", "ease",
                       "--compare-with", "pop,itemknn,gfcf", "--k", k, "--json", out)
        assert done.returncode == 0, done.stderr
        assert "validation nDCG@10 " in done.stdout and "validation nDCG@20" not in done.stdout
        valid[k] = {row["key"]: row["valid_ndcg"] for row in json.loads(out.read_text())["results"]}
    assert set(valid["10"]) == {"ease", "pop", "itemknn", "gfcf"} and None not in valid["10"].values()
    assert valid["10"] == valid["20"]


def _in_a_terminal(*args) -> str:
    """Run the CLI with stdout and stderr on a pseudo-terminal 120 columns wide; all it printed."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "gnnrec_core", *map(str, args)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out.decode(errors="replace")


def test_progress_bar_with_eta_in_a_terminal_and_none_with_quiet(small_log, tmp_path):
    args = ("train", small_log, "--model", "lightgcn", "--epochs", "6", "--time-budget", "20",
            "--compare-with", "pop", "--workspace", tmp_path / "ws")
    shown = _in_a_terminal(*args)
    assert "epoch" in shown and "eta" in shown and "\r" in shown  # a bar redrawn in place
    searching = [redraw for redraw in shown.split("\r") if "search: candidate" in redraw]
    assert searching and all("run eta" in redraw for redraw in searching)  # the run's time left during the search too
    short = tuple("1" if value == "6" else value for value in args)  # one epoch: a bar it would show, quickly
    quiet = _in_a_terminal(*short, "--quiet")
    assert "saved run" in quiet and "run eta" not in quiet and " loss " not in quiet  # the table, no bar
    piped = run_cli(*short)
    assert piped.returncode == 0 and "eta" not in piped.stderr  # not a terminal: no bar


def test_progress_bar_names_the_seed_of_a_repeated_run(small_log, tmp_path):
    """`--repeat 2`: the bar says which seed each model's fit belongs to, the first seed's included,
    for `train` and for `benchmark`."""
    for command in (("train", "--model", "pop", "--compare-with", "itemknn", "--workspace", tmp_path / "ws"),
                    ("benchmark", "--models", "pop,itemknn")):
        shown = _in_a_terminal(command[0], small_log, *command[1:], "--repeat", "2")
        assert "seed 0 (1 of 2): pop" in shown and "seed 1 (2 of 2): itemknn" in shown, (command[0], shown[-800:])


def test_report_weighting_reaches_the_models(small_log, tmp_path):
    """`report --weighting count` trains on purchase counts (it used to train on binary whatever was asked)."""
    tables = {}
    for weighting in ("binary", "count"):
        out = tmp_path / f"{weighting}.json"
        done = run_cli("report", small_log, "--model", "itemknn", "--weighting", weighting,
                       "--out", tmp_path / f"{weighting}.html", "--json", out)
        assert done.returncode == 0, done.stderr
        data = json.loads(out.read_text())
        assert data["weighting"] == weighting
        tables[weighting] = {r["model"]: r for r in data["results"]}
    # item-kNN's weighted cosine and popularity's summed strength move with the weights
    assert tables["binary"]["itemknn"]["ndcg"] != tables["count"]["itemknn"]["ndcg"]


def test_a_cli_run_answers_later_commands_through_the_workspace(small_log, tmp_path):
    """`train` keeps the dataset beside the run; `recommend --run` and `export --run` answer from it
    without refitting, and a second `train` on the same file reuses the dataset entry."""
    ws = tmp_path / "ws"
    for model in ("itemknn", "pop"):
        done = run_cli("train", small_log, "--model", model, "--compare-with", "pop", "--workspace", ws)
        assert done.returncode == 0, done.stderr
    assert [p.name for p in (ws / "datasets").iterdir()] == ["small"]
    user = pd.read_csv(small_log, dtype=str)["CustomerID"].iloc[0]
    rec = run_cli("recommend", "--run", "latest", "--workspace", ws, "--user", user, "--k", "3", "--json", "-")
    assert rec.returncode == 0, rec.stderr
    assert json.loads(rec.stdout)["model"] == "pop"  # the newest run answered
    newest = Workspace(ws).list_runs()[0].run_id  # and says which: "latest" moves after a `train` on other data
    assert f"--run latest: {newest} (Popularity on the dataset 'small')" in rec.stderr
    # A merchandising rule answers from the run too, --min-buyers among them (the thin-evidence note suggests it).
    listed = json.loads(rec.stdout)["recommendations"]
    floor = str(min(r["buyers"] for r in listed) + 1)  # the run's own list holds a product below it
    floored = run_cli("recommend", "--run", "latest", "--workspace", ws, "--user", user, "--k", "3",
                      "--min-buyers", floor, "--json", "-")
    assert floored.returncode == 0, floored.stderr
    kept = json.loads(floored.stdout)["recommendations"]
    assert kept and all(r["buyers"] >= int(floor) for r in kept)
    similar = run_cli("similar", "--run", "latest", "--workspace", ws, "--item", "85123A", "--min-buyers", "1")
    assert similar.returncode == 0, similar.stderr
    exp = run_cli("export", "--run", "latest", "--workspace", ws, "--out", tmp_path / "exp")
    assert exp.returncode == 0 and (tmp_path / "exp" / "recommendations.csv").is_file(), exp.stderr
    both = run_cli("recommend", small_log, "--run", "latest", "--workspace", ws, "--user", user)
    assert both.returncode == 2 and "expected no data file" in both.stderr and "needs quotes" not in both.stderr
    unquoted = run_cli("recommend", "--run", "latest", "--workspace", ws, "--basket", "whole", "milk")
    assert unquoted.returncode == 2 and "'milk' is no file: a name with spaces needs quotes" in unquoted.stderr
    kept = run_cli("recommend", "--run", "latest", "--workspace", ws, "--user", user, "--keep-non-products")
    assert kept.returncode == 2 and kept.stderr.strip().endswith("found --keep-non-products")  # the flag given


def test_help_names_the_command_as_typed(tmp_path):
    # The console script pip writes for `gnnrec` (pyproject's [project.scripts]): its help says gnnrec.
    script = tmp_path / "gnnrec"
    script.write_text("import sys\nfrom gnnrec_core.cli import main\nsys.exit(main())\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    as_script = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, env=env,
                               timeout=60)
    assert as_script.returncode == 0 and as_script.stdout.startswith("usage: gnnrec ")
    assert "`gnnrec COMMAND DATA ...`" in as_script.stdout and "python -m" not in as_script.stdout  # its summary too
    as_module = run_cli("--help")
    assert as_module.stdout.startswith("usage: python -m gnnrec_core ")
    assert "`python -m gnnrec_core COMMAND DATA ...`" in as_module.stdout


def test_output_cut_short_by_its_reader_is_not_an_internal_error():
    """`gnnrec rules DATA --json - | head -1`: the reader leaves early; the command stops quietly
    with SIGPIPE's status, never exit 3 ("internal error") with a message about a broken pipe."""
    import select

    reader = subprocess.Popen([sys.executable, "-m", "gnnrec_core", "rules", str(SAMPLE), "--json", "-"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert select.select([reader.stdout], [], [], 120)[0], "no output within 120 s"
        assert reader.stdout.read(11) == b'{"baskets":'  # the JSON's start, then the reader goes
        reader.stdout.close()
        assert reader.wait(timeout=120) == 141
        assert b" rules from " in reader.stderr.read()  # the table went to stderr: stdout is the JSON alone
    finally:
        reader.kill()


def test_a_json_file_is_written_though_the_tables_reader_left(tmp_path):
    """`rules DATA --json FILE | head -1`: the reader left while the table printed, and the command
    stopped there without writing FILE (once, an older file of that name stayed). The table's rest is
    dropped, FILE is written whole, and the status is still SIGPIPE's."""
    import select

    out = tmp_path / "rules.json"
    out.write_text("stale")
    reader = subprocess.Popen([sys.executable, "-m", "gnnrec_core", "rules", str(SAMPLE), "--min-support", "0.005",
                               "--json", str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert select.select([reader.stdout], [], [], 120)[0], "no output within 120 s"
        reader.stdout.readline()
        reader.stdout.close()  # `head -1`
        status, said = reader.wait(timeout=120), reader.stderr.read().decode()
        assert status == 141 and "error" not in said, said
        assert len(json.loads(out.read_text())["rules"]) > 100
    finally:
        reader.kill()


def test_json_to_stdout_is_the_json_alone(small_log):
    """`--json -` ('-' for stdout, as --help says): a pipe parses stdout as JSON; the table a person
    reads goes to stderr."""
    done = run_cli("benchmark", small_log, "--models", "pop", "--json", "-")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"][0]["model"] == "pop"
    assert done.stderr.startswith("data: ") and "pop " in done.stderr


def test_a_broken_pipe_that_is_not_stdout_stays_an_internal_error(monkeypatch, capsys):
    """Only stdout's reader leaving is quiet: a broken pipe elsewhere (a worker, a socket) is a bug."""
    from gnnrec_core import cli

    def broken(args):
        raise BrokenPipeError(32, "Broken pipe")
    monkeypatch.setattr(cli, "command", lambda name: broken)
    assert cli.main(["ingest", str(SAMPLE)]) == 3
    assert capsys.readouterr().err.startswith("error: internal error (BrokenPipeError")


def test_reading_a_saved_run_where_there_is_no_workspace_makes_none(tmp_path):
    """`recommend --run latest` pointed at a folder with no workspace says so in one line and leaves
    the folder as it was; an empty workspace says it holds no run."""
    missing = tmp_path / "elsewhere" / "workspace"
    result = run_cli("recommend", "--run", "latest", "--user", "17850", "--workspace", missing)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"expected a saved run in {missing}, found no workspace there" in result.stderr
    assert not (tmp_path / "elsewhere").exists()
    from gnnrec_core.store import Workspace

    Workspace(tmp_path / "empty")
    result = run_cli("recommend", "--run", "latest", "--user", "17850", "--workspace", tmp_path / "empty")
    assert result.returncode == 2 and "found none; make one with `train`" in result.stderr, result.stderr
