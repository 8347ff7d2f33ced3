"""The CLI's refusals: bad input exits 2 with one `error:` line (never a traceback, never exit 3),
each refused before the work it would waste (an unknown ID before a fit, an output place before the
report), and numbers and paths checked at the parser."""

import json

import pytest
from test_cli import run_cli


@pytest.mark.parametrize("args,expected", [
    (["ingest", "does-not-exist.csv"], "expected a data file"),
    (["ingest", "{empty}"], "empty file"),
    (["ingest", "{binary}"], "binary content"),
    (["ingest", "{small}", "--user-col", "Nope"], "expected a column 'Nope'"),
    (["ingest", "{small}", "--item-col", "stockcode"], "(did you mean 'StockCode'? names are matched exactly)"),
    (["benchmark", "{small}", "--models", "magic"], "--models: expected names among"),
    (["recommend", "{small}", "--user", "17850", "--model", "lightgnc"], "--model: expected names among"),
    (["train", "{small}", "--compare-with", "pop,magic"], "--compare-with: expected names among"),
    (["benchmark", "{small}", "--models", "pop,foo"], "found 'foo'"),  # the unknown name alone
    (["benchmark", "{small}", "--test-size", "2"], "--test-size: expected"),
    (["benchmark", "{small}", "--models", ""], "--models: expected names among"),  # it ran every model
    (["train", "{small}", "--compare-with", " , "], "--compare-with: expected names among"),
    (["recommend", "{small}", "--user", "no-such-user"], "expected a known user ID"),
    (["similar", "{small}", "--item", "no-such-item"], "expected a known item ID"),
    (["similar", "{small}", "--item", "85123a"], "found '85123a' (did you mean 85123A?)"),  # another case
    (["recommend", "{small}", "--user", "17850.0"], "found '17850.0' (did you mean 17850?)"),  # a spreadsheet's .0
    (["recommend", "{small}", "--user", "17851"], "found '17851' (IDs look like"),  # no guess at a nearby number
    (["benchmark", "{baskets}"], "expected events with a user column"),
    (["recommend", "{small}"], "--user"),
    # a malformed boost before any reading: the data file is never opened (it waited on the model)
    (["recommend", "never_read.csv", "--user", "1", "--boost", "Foo=abc"], "boost: expected CATEGORY=FACTOR"),
    # a mistyped option: the command's nearest named, as a mistyped column is
    (["train", "{small}", "--epocs", "3"], "unrecognized arguments: --epocs 3; did you mean --epochs? (see --help)"),
    (["recommend", "{small}", "--usr", "c0"], "is required; did you mean --user? (see --help)"),  # said before extras
    (["ingest", "{odd}"], "(optionally .gz/.zst/.zip), found '.abc'"),  # zstd is read: the error says so
])
def test_bad_input_exits_2_with_one_line(args, expected, small_log, tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "baskets.csv").write_text("a,b,c\nb,c\na\n")
    (tmp_path / "log.abc").write_text("user,item\na,b\n")
    paths = {"{small}": small_log, "{empty}": tmp_path / "empty.csv", "{binary}": tmp_path / "binary.csv",
             "{baskets}": tmp_path / "baskets.csv", "{odd}": tmp_path / "log.abc"}
    result = run_cli(*[paths.get(a, a) for a in args])
    assert result.returncode == 2
    assert expected in result.stderr
    lines = result.stderr.strip().splitlines()  # a repair note may come first (`note: read as a basket list`)
    assert [line for line in lines if not line.startswith("note: ")] == [lines[-1]] and lines[-1].startswith("error: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["recommend", "--user", "no-such-user"], ["similar", "--item", "no-such-item"],
                                  ["recommend", "--basket", "85123A,nothing-like-it"]], ids=["user", "item", "basket"])
def test_an_unknown_id_is_refused_before_any_fit(args, small_log, monkeypatch, capsys):
    """`recommend DATA --user TYPO` trained the model (30 s on the sample's default) before saying the
    customer is unknown: the name is looked up first, and no fit starts."""
    from gnnrec_core.cli import common, main

    def no_fit(*args, **kwargs):
        raise AssertionError("a fit started before the name was checked")

    monkeypatch.setattr(common, "fit_timed", no_fit)
    assert main([args[0], str(small_log), *args[1:]]) == 2
    assert "error: expected a known" in capsys.readouterr().err


@pytest.mark.parametrize("args,expected", [
    (["benchmark", "{small}", "--seed", "-1"], "expected a seed from 0 to 4294967295, found -1"),
    (["benchmark", "{small}", "--seed", str(2**64)], "expected a seed from 0"),
    (["report", "{small}", "--k", "0"], "expected a whole number from 1 to 2,147,483,647, found 0"),
    (["train", "{small}", "--k", "10,20"], "expected one cut-off, a whole number, found '10,20': a saved run is "
                                            "scored at one k; `benchmark` takes several (--k 20,10)"),
    (["recommend", "{small}", "--user", "17850", "--k", "-1"], "expected a whole number from 1 to 2,147,483,647, "
                                                               "found -1"),
    (["benchmark", "{small}", "--k", "1" + "0" * 23], "expected whole numbers from 1 to 2,147,483,647"),  # overflowed
    (["similar", "{small}", "--item", "85123A", "--k", "-1"], "expected a whole number from 1 to"),
    (["export", "{small}", "--k", "-1"], "expected a whole number from 1 to"),
    (["benchmark", "{small}", "--time-budget", "inf"], "expected a finite number, found inf"),
    (["benchmark", "{small}", "--time-budget", "0"], "expected a positive number of seconds"),
    (["rules", "{small}", "--min-support", "nan"], "expected a finite number, found nan"),
    (["recommend", "{small}", "--user", "17850", "--boost", "Cat1=inf", "--json", "-"], "finite factor"),
    # a finite factor past float32 overflowed and emptied the list ("only 0 of the 44 products remain"), exit 0
    (["recommend", "{small}", "--user", "17850", "--boost", "Cat1=1e308"], "expected a factor between -1000 and 1000"),
    (["export", "{small}", "--boost", "Cat1=-3.5e38", "--out", "{folder}"], "expected a factor between -1000"),
    (["benchmark", "{small}", "--json", "{folder}"], "--json: expected a file path, found the folder"),
    (["export", "{small}", "--out", "{file}"], "--out: expected a folder, found the file"),
    (["export", "{small}", "--out", "exp.csv"], "--out: expected a folder for the files written, found the file name"),
    (["report", "{small}", "--out", "out/report.pdf"], "--out: expected a file name ending .html or .htm (what is "
                                                          "written), found 'out/report.pdf'"),
    (["train", "{small}", "--workspace", "{file}"], "expected a workspace folder at"),
    # places that refuse files (Linux's /proc): exit 2 in words, not 3 ("internal error")
    (["report", "{small}", "--model", "pop", "--out", "/proc/gnnrec.html"], "--out: expected a writable file at"),
    (["rules", "{small}", "--json", "/proc/gnnrec.json"], "--json: expected a writable file at"),
    (["export", "{small}", "--model", "pop", "--out", "/proc/self"], "--out: expected a folder that takes files"),
    (["export", "{small}", "--out", ""], "--out: expected a folder, found an empty name"),
    # names the file system cannot look up: exit 3 (ENAMETOOLONG, a RuntimeError from resolve) before
    (["rules", "{small}", "--json", "{long}"], "--json: expected a path whose folder and file names are each at most "
                                               "255 bytes, found one of 300"),
    (["rules", "{long}"], "DATA: expected a path whose folder and file names"),
    (["train", "{small}", "--workspace", "{long}"], "--workspace: expected a path whose folder"),
    (["rules", "{small}", "--json", "{loop}"], "--json: expected a path that can be looked up"),
    (["report", "{small}", "--out", "{loop}"], "--out: expected a path that can be looked up"),
    (["rules", "{loop}"], "DATA: expected a path that can be looked up"),
    # settings that did nothing, silently
    (["benchmark", "{small}", "--split", "last", "--test-size", "0.5"], "--test-size: expected none with --split last"),
    (["ingest", "{small}", "--category-names", "{file}"], "expected a category column (in the events or the "
                                                          "catalogue) for the category-names file to name"),
])
def test_numbers_and_paths_are_refused_in_one_line(args, expected, small_log, tmp_path, capsys):
    from gnnrec_core.cli import main

    (tmp_path / "a_file").write_text("code,name\n1,one\n")
    (tmp_path / "loop_a").symlink_to(tmp_path / "loop_b")
    (tmp_path / "loop_b").symlink_to(tmp_path / "loop_a")
    paths = {"{small}": str(small_log), "{folder}": str(tmp_path), "{file}": str(tmp_path / "a_file"),
             "{long}": str(tmp_path / ("x" * 300) / "out.json"), "{loop}": str(tmp_path / "loop_a")}
    try:
        status = main([paths.get(a, a) for a in args])
    except SystemExit as exc:  # the parser's own refusal
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2, err
    assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_basket_list_where_customers_are_needed_says_what_does_work(small_log, tmp_path, capsys):
    """A basket list (no customers) given to `benchmark`, or as its held-out test set: one line that
    names what works instead (`basket-eval`, the basket as the customer), not a count of nothing."""
    from gnnrec_core.cli import main

    baskets = tmp_path / "baskets.csv"
    baskets.write_text("milk,bread,eggs\nbread,butter\nmilk,eggs,jam,tea\n" * 20)
    assert main(["benchmark", str(baskets), "--models", "pop"]) == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert "`basket-eval`" in said and "the Data page's user role or --user-col BASKET_COLUMN" in said
    assert main(["benchmark", str(small_log), "--test", str(baskets), "--models", "pop"]) == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert said == ("error: expected a held-out file with a customer column (the test set's customer-product "
                    "pairs), found none; a basket list has no customers to score")


def test_an_output_place_that_refuses_files_is_refused_before_the_work(small_log, tmp_path, capsys):
    """`ingest DATA --json /proc/x.json` printed the whole report, then refused the file; each output
    path is now tried first (and nothing is left behind where the place takes files)."""
    from gnnrec_core.cli import main

    assert main(["ingest", str(small_log), "--json", "/proc/gnnrec.json"]) == 2
    said = capsys.readouterr()
    assert said.out == "" and "--json: expected a writable file at '/proc/gnnrec.json'" in said.err
    assert main(["export", str(small_log), "--model", "pop", "--out", "/proc/self"]) == 2
    assert capsys.readouterr().out == ""  # refused before the model was fitted
    assert main(["ingest", str(small_log), "--json", str(tmp_path / "ok.json")]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["ok.json"]  # the probes left nothing


def test_json_into_a_missing_folder_makes_it(small_log, tmp_path):
    from gnnrec_core.cli import main

    assert main(["ingest", str(small_log), "--json", str(tmp_path / "new" / "deeper" / "ingest.json")]) == 0
    assert (tmp_path / "new" / "deeper" / "ingest.json").is_file()


def test_a_column_refused_as_a_role_can_be_unmapped_as_the_error_says(tmp_path):
    """Prices written with their currency's code ('2.55 GBP'; a sign, '£2.55', is read since) were refused
    with "map another column as price, or none", and no flag said none ('' was dropped, 'none' read as a
    column's name): the file could not be read from the CLI at all. The error names the way out, and
    `--price-col ''` takes it."""
    path = tmp_path / "pounds.csv"
    path.write_text("InvoiceNo;StockCode;Quantity;UnitPrice;CustomerID\n"
                    + "".join(f"{n};P{n % 5};2;{n % 7}.55 GBP;C{n % 4}\n" for n in range(40)), encoding="utf-8")
    refused = run_cli("ingest", path)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "found values like '0.55 GBP'" in refused.stderr and "--price-col '' for none" in refused.stderr
    unmapped = run_cli("ingest", path, "--price-col", "", "--json", "-")
    assert unmapped.returncode == 0, unmapped.stderr
    read = json.loads(unmapped.stdout)
    assert read["mapping"]["price"] is None and read["mapping"]["quantity"] == "Quantity"
    assert read["report"]["rows_kept"] == 40


def test_an_id_seen_only_on_returns_is_said_to_be_one_not_unknown(tmp_path):
    """A customer whose every line was a cancelled invoice, and a product only ever returned, were
    "expected a known user ID" though the merchandiser can see them in the file."""
    lines = ["InvoiceNo,StockCode,Quantity,CustomerID"] + [f"{500 + n},P{n % 6},1,C{n % 5}" for n in range(40)]
    lines += ["C900,P1,-1,RETURNER", "901,P9,-2,C1"]  # a cancelled invoice alone; a product only returned
    path = tmp_path / "returns.csv"
    path.write_text("\n".join(lines) + "\n")
    customer = run_cli("recommend", path, "--user", "RETURNER", "--model", "pop")
    assert customer.returncode == 2 and customer.stderr.strip() == (
        "error: expected a customer with purchases, found 'RETURNER' on returned or cancelled lines alone "
        "(cleaning drops those lines)")
    product = run_cli("similar", path, "--item", "P9", "--model", "itemknn")
    assert product.returncode == 2 and "expected a product with purchases, found 'P9'" in product.stderr
    unknown = run_cli("recommend", path, "--user", "NOBODY", "--model", "pop")
    assert unknown.returncode == 2 and "expected a known user ID, found 'NOBODY'" in unknown.stderr
