"""What the CLI lists for a basket rather than a customer: `recommend --basket` (IDs, names, quoted
names holding commas) as the page lists it, and `basket-eval`'s table."""

import json

from test_cli import run_cli


def test_recommend_for_a_basket_lists_what_the_page_lists(small_log, tmp_path, monkeypatch):
    """`recommend --basket` is the Recommendations page's "build a basket" (the CLI had only --user): on
    one saved run, the same products in the same order, none of the basket's own; IDs or names."""
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    from gnnrec_core.store import Workspace

    workspace = tmp_path / "ws"
    assert run_cli("train", small_log, "--model", "itemknn", "--compare-with", "pop", "--workspace", workspace,
                   "--quiet").returncode == 0
    done = run_cli("recommend", "--run", "latest", "--workspace", workspace, "--basket",
                   "85123A, WHITE METAL LANTERN", "--k", "10", "--json", "-")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["basket"] == ["85123A", "71053"]  # the lantern given by its name
    commas = run_cli("recommend", "--run", "latest", "--workspace", workspace, "--basket",
                     "SET 3 RETROSPOT TEA,COFFEE,SUGAR,WRAP, CAROUSEL,85123A,85123A", "--json", "-")
    assert commas.returncode == 0, commas.stderr  # names that hold commas, and an ID given twice
    assert json.loads(commas.stdout)["basket"] == ["21216", "16156L", "85123A"]
    quoted = run_cli("recommend", "--run", "latest", "--workspace", workspace, "--basket",  # as --groups reads it
                     '"SET 3 RETROSPOT TEA,COFFEE,SUGAR","WRAP, CAROUSEL",85123A', "--json", "-")
    assert quoted.returncode == 0, quoted.stderr  # the quotes were read as part of the name
    assert json.loads(quoted.stdout)["basket"] == ["21216", "16156L", "85123A"]
    listed = [r["item"] for r in printed["recommendations"]]
    assert len(listed) == 10 and not set(listed) & set(printed["basket"])

    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace))
    run = Workspace(workspace).load_run(Workspace(workspace).list_runs()[0].run_id)
    codes = [str(i) for i in run.items]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/recommendations.py").run()
    customers = [str(u) for u in run.users]
    chosen = customers.index("17850")  # not the customer the page opens on
    assert at.selectbox(key="recs-customer").value != chosen
    at.selectbox(key="recs-customer").set_value(chosen).run()
    at.radio(key="recs-mode").set_value("New customer (build a basket)").run()
    at.multiselect[0].set_value([codes.index("85123A"), codes.index("71053")]).run()
    assert not at.exception
    assert at.table[0].value["item"].astype(str).tolist() == listed
    assert at.subheader[0].value == "Top 10 from Item-kNN for this basket"  # the model named, as for a customer
    # Back to the customer, and to the basket: each mode kept its choice (the box had shown the most
    # active customer above the list of the one the page opens on).
    at.radio(key="recs-mode").set_value("Existing customer").run()
    assert at.selectbox(key="recs-customer").value == chosen and "for customer 17850" in at.subheader[0].value
    at.radio(key="recs-mode").set_value("New customer (build a basket)").run()
    assert at.multiselect[0].value == [codes.index("85123A"), codes.index("71053")]

    empty = run_cli("recommend", "--run", "latest", "--workspace", workspace, "--basket", " , ")
    assert empty.returncode == 2 and empty.stderr.strip() == (
        "error: --basket: expected comma-separated product IDs or names, found ' , '")


def test_basket_eval_says_why_a_blend_can_score_below_its_gnn_on_its_validation_baskets(tmp_path, monkeypatch,
                                                                                         capsys):
    """groceries: lightgcn+blend 0.2291 under LightGCN's 0.2456 in valid_ndcg read as a contradiction
    of the weights "chosen on validation": they were chosen on the GNN's own slice, which the table says
    where a blend row is printed (here the real run's rows plus a blend row of known parts), and not
    where none is."""
    from dataclasses import replace

    from gnnrec_core.cli import main
    from gnnrec_core.pipeline import basket_eval as evaluation

    baskets = tmp_path / "baskets.csv"
    baskets.write_text("".join(f"milk,bread,p{i % 9},p{(i * 5) % 11}\n" if i % 3 else f"eggs,tea,p{i % 9}\n"
                               for i in range(300)))
    said = "a blend's weights were chosen earlier, on its GNN's own validation slice of train, so a blend can"
    assert main(["basket-eval", str(baskets), "--models", "pop,cooc"]) == 0
    assert said not in capsys.readouterr().out  # no blend row: nothing to explain
    real = evaluation.basket_eval

    def with_a_blend(*args, **kwargs):
        out = real(*args, **kwargs)
        blend = replace(out.results[-1], model="lightgcn", blend={"rp3beta": 2.0, "popularity": 0.1})
        return replace(out, results=(*out.results, blend))

    monkeypatch.setattr(evaluation, "basket_eval", with_a_blend)
    assert main(["basket-eval", str(baskets), "--models", "pop,cooc"]) == 0
    out = capsys.readouterr().out
    assert "lightgcn+blend: LightGCN + random-walk filter x2 + popularity x0.1" in out and said in out



def test_a_basket_list_names_each_basket_by_its_line_number(tmp_path):
    """A merchandiser looking up basket 3 of a basket list got the fourth line (`recommend --user 3`): baskets
    are named by their line numbers, as an editor counts them, and the reading note says so."""
    from gnnrec_core import ingest

    path = tmp_path / "baskets.csv"
    path.write_text("milk,bread,butter\nbeer,crisps,salsa,milk\ntea,biscuits\ncoffee,cake,milk,bread\nmilk,tea\n"
                    "bread,butter,jam,milk,tea\nbeer,salsa\ncake,coffee,tea\n")
    result = ingest(path)
    third = result.events[result.events["basket"] == "3"]
    assert sorted(third["item"]) == ["biscuits", "tea"] and "0" not in set(result.events["basket"])
    assert any("each named by its line number" in note for note in result.report.warnings)
    done = run_cli("recommend", path, "--user-col", "basket", "--user", "3", "--model", "pop", "--json", "-")
    assert done.returncode == 0, done.stderr
    assert not {"tea", "biscuits"} & {r["item"] for r in json.loads(done.stdout)["recommendations"]}
