import gzip
import io
import zipfile

import pandas as pd
import pytest

from gnnrec_core.data.readers import read_table
from gnnrec_core.errors import InputError

FRAME = pd.DataFrame({"user_id": ["u1", "u2", "u3"], "product_id": ["p1", "p2", "p1"], "qty": [1, 2, 3]})


def _csv(sep=",", encoding="utf-8") -> bytes:
    return FRAME.to_csv(index=False, sep=sep).encode(encoding)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(sep):
    frame = read_table(_csv(sep), "log.txt")
    assert list(frame.columns) == ["user_id", "product_id", "qty"]
    assert frame["product_id"].tolist() == ["p1", "p2", "p1"]


def test_every_format_reads_the_same_table(tmp_path):
    parquet, excel = io.BytesIO(), io.BytesIO()
    FRAME.to_parquet(parquet)
    FRAME.to_excel(excel, index=False)
    jsonl = FRAME.to_json(orient="records", lines=True).encode()
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("inner/log.csv", _csv())
    cases = {"log.csv": _csv(), "log.tsv": _csv("\t"), "log.parquet": parquet.getvalue(),
             "log.xlsx": excel.getvalue(), "log.jsonl": jsonl, "log.csv.gz": gzip.compress(_csv()),
             "log.zip": zipped.getvalue(), "log.jsonl.gz": gzip.compress(jsonl)}
    for name, data in cases.items():
        frame = read_table(data, name)
        assert frame["user_id"].tolist() == ["u1", "u2", "u3"], name
        assert frame["qty"].astype(int).tolist() == [1, 2, 3], name
    path = tmp_path / "log.parquet"
    path.write_bytes(parquet.getvalue())
    assert len(read_table(path)) == 3


def test_encodings_bom_and_latin1():
    bom = b"\xef\xbb\xbf" + _csv()
    assert read_table(bom, "a.csv").columns[0] == "user_id"
    latin = "item,name\n1,Caf\xe9 cr\xe8me\n".encode("latin-1")
    assert read_table(latin, "a.csv")["name"].tolist() == ["Café crème"]


def test_integral_floats_keep_their_integer_spelling():
    excel = io.BytesIO()
    pd.DataFrame({"CustomerID": [17850.0, None, 13047.0], "StockCode": ["a", "b", "c"]}).to_excel(excel, index=False)
    frame = read_table(excel.getvalue(), "x.xlsx")
    assert frame["CustomerID"].tolist()[0] == "17850"
    assert frame["CustomerID"].isna().tolist() == [False, True, False]


def test_a_workbook_of_one_table_in_several_sheets_is_read_whole():
    """A year exported as two half-year sheets (Online Retail II's two years are two sheets): both
    are read, in the workbook's order, each one's columns put in the first's; a sheet of other
    columns is left out and named. Only the larger half was read before."""
    first = pd.DataFrame({"Invoice": ["1", "1", "2"], "StockCode": ["a", "b", "a"], "Customer ID": [7.0, 7.0, 8.0]})
    second = pd.DataFrame({"Customer ID": [9.0, 9.0, 9.0, 7.0], "StockCode": ["c", "a", "b", "c"],
                           "Invoice": ["3", "3", "3", "4"]})
    excel = io.BytesIO()
    with pd.ExcelWriter(excel, engine="openpyxl") as writer:
        first.to_excel(writer, sheet_name="Year 2009-2010", index=False)
        pd.DataFrame({"country": ["UK", "FR"], "revenue": [10, 3]}).to_excel(writer, sheet_name="By country",
                                                                          index=False)
        second.to_excel(writer, sheet_name="Year 2010-2011", index=False)
    frame = read_table(excel.getvalue(), "online_retail_II.xlsx")
    assert list(frame.columns) == ["Invoice", "StockCode", "Customer ID"]
    assert frame["Invoice"].tolist() == ["1", "1", "2", "3", "3", "3", "4"]
    assert frame["Customer ID"].tolist() == ["7", "7", "8", "9", "9", "9", "7"]
    assert frame.attrs["notes"] == [
        "read sheets 'Year 2009-2010', 'Year 2010-2011' of 3 (Year 2009-2010, By country, Year 2010-2011) as one "
        "table, in the workbook's order (3 + 4 rows): they have the same columns; not read: 'By country' (other "
        "columns); save a sheet alone to read it"]


def test_user_item_lists_of_a_published_split_become_pairs():
    """LightGCN's train.txt: a user's number, then their items'; a line of a user alone holds no pair."""
    data = b"0 5 6 7\n1 6\n2 5 8\n3\n4 9 5 6\n5 7 8\r\n"
    frame = read_table(data, "train.txt")
    assert list(frame.columns) == ["user", "item"]
    assert list(zip(frame["user"], frame["item"])) == [("0", "5"), ("0", "6"), ("0", "7"), ("1", "6"), ("2", "5"),
                                                        ("2", "8"), ("4", "9"), ("4", "5"), ("4", "6"), ("5", "7"),
                                                        ("5", "8")]
    assert frame.attrs["notes"][0].startswith("read as user-item lists, one user per line (5 users, 11 pairs)")
    assert frame.attrs["notes"][0].endswith("; 1 line named a user with no items")


@pytest.mark.parametrize("data", [b"5 6 7\n5 8\n6 5 9\n5 1\n7 2 3\n5 2\n",  # first products repeat: baskets
                                  b"1 196 242 3\n2 186 302 3\n3 22 377 1\n4 244 51 2\n5 166 346 1\n"])  # one width
def test_numbers_that_are_not_user_lists_are_not_read_as_them(data):
    try:
        frame = read_table(data, "log.txt")
    except InputError:
        return  # refused as before
    assert not any(note.startswith("read as user-item lists") for note in frame.attrs.get("notes", []))


def test_basket_per_line_file_becomes_long_rows():
    data = b"milk,bread,eggs\nbeer\nmilk,beer\n"
    frame = read_table(data, "baskets.csv")
    assert list(frame.columns) == ["basket", "item"]
    assert frame.groupby("basket")["item"].apply(list).tolist() == [
        ["milk", "bread", "eggs"], ["beer"], ["milk", "beer"]]


def test_duplicate_column_names_are_made_unique():
    frame = read_table(b"item,item,user\n1,2,3\n", "d.csv")
    assert list(frame.columns) == ["item", "item.1", "user"]


@pytest.mark.parametrize("data,name,expected", [
    (b"", "e.csv", "empty file"),
    (b"user,item\n", "h.csv", "at least one data row"),
    (b"\x00\x01\x02binary\x00", "b.csv", "binary content"),
    (b"user,item\n1,2\n", "x.docx", "expected one of"),
    (b"not gzip at all", "f.csv.gz", None),
])
def test_bad_files_raise_one_clear_error(data, name, expected):
    if expected is None:  # a .gz name with plain content is read as what it is... unless broken
        with pytest.raises(InputError):
            read_table(b"\x1f\x8b" + data, name)
        return
    with pytest.raises(InputError, match=expected):
        read_table(data, name)


def test_zip_with_several_tables_is_refused():
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.csv", _csv())
        archive.writestr("b.csv", _csv())
    with pytest.raises(InputError, match="exactly one data file"):
        read_table(zipped.getvalue(), "two.zip")


def test_headerless_table_gets_numbered_columns():
    """MovieLens' u.data has no header: its first row recurs as data, so it is not taken as names."""
    frame = read_table(b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t377\t1\t878887116\n", "u.data")
    assert list(frame.columns) == ["column_1", "column_2", "column_3", "column_4"] and len(frame) == 3
    assert list(read_table(b"id1,id2\n5,6\n7,8\n", "t.csv").columns) == ["id1", "id2"]


def test_lines_end_only_at_newlines_so_unicode_separators_stay_in_names():
    data = "order_id,product_id,name\r\no1,p1,Mug\u2028red\ro2,p2,Jar\x85blue\no3,p3,\"Tin\rlid\"\n".encode()
    frame = read_table(data, "o.csv")
    assert frame["name"].tolist() == ["Mug\u2028red", "Jar\x85blue", "Tin\rlid"]
    assert frame.attrs["notes"] == []


def test_a_basket_list_is_named_in_a_note_and_a_ragged_table_is_refused():
    baskets = read_table(b"milk,bread,eggs\nbeer\nmilk,beer\n", "b.csv")
    assert any("read as a basket list" in note for note in baskets.attrs["notes"])
    ragged = b"order_id,product_id,name\n" + b"".join(b"o%d,p%d,Mug, red\n" % (i, i) for i in range(10))
    with pytest.raises(InputError, match="header's 3 fields, found 4 in row 2 .*unquoted"):
        read_table(ragged, "o.csv")


def test_a_markdown_table_reads_as_the_table_it_shows():
    """A table pasted from a wiki was read with its |---| row as a customer '---' buying a product
    '---', and the pipes at each line's ends as two empty columns."""
    text = (b"| user_id | product_id | qty |\n| :--- | ---: | --- |\n| u1 | p1 | 1 |\n"
            b"| u2 | p2  two | 2 |\n|u3|p1|3|\n")
    frame = read_table(text, "pasted.csv")
    assert list(frame.columns) == ["user_id", "product_id", "qty"]
    assert frame.values.tolist() == [["u1", "p1", "1"], ["u2", "p2  two", "2"], ["u3", "p1", "3"]]
    assert any("read as a Markdown table" in note for note in frame.attrs["notes"])
    github = read_table(b"user_id | product_id\n--- | ---\nu1 | p1\nu2 | p2\n", "g.csv")  # no outer pipes
    assert github.values.tolist() == [["u1", "p1"], ["u2", "p2"]]
    pasted = read_table(b"| user_id | product_id | name |\n|---|---|---|\n| u1 | p1 | Mug \\| blue |\n"
                        b'| u2 | p2 | 6" "plate" |\n| u3 | p1 | Mug \\| blue |\n', "pasted.md")
    assert pasted["name"].tolist() == ["Mug | blue", '6" "plate"', "Mug | blue"]  # an escaped pipe is the cell's
    plain = read_table(_csv("|"), "log.txt")  # a pipe-separated file with no separator row is not one
    assert not any("Markdown" in note for note in plain.attrs["notes"]) and len(plain) == 3


def test_a_markdown_file_of_prose_is_refused_not_read_as_baskets(capsys):
    """A README given by mistake was read as a basket list of its sentences (256 'baskets', exit 0):
    a .md file is read only as the table it holds, by the CLI as by the uploader."""
    from conftest import ROOT

    from gnnrec_core.cli import main

    prose = b"# gnnrec\n\nExplore which products go together, with graphs.\nInstall it, then run it.\n"
    with pytest.raises(InputError, match=r"expected a Markdown table in 'notes.md' .* found '# gnnrec'"):
        read_table(prose, "notes.md")
    assert main(["ingest", str(ROOT / "README.md")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: expected a Markdown table in 'README.md'") and err.count("\n") == 1


def test_sniffing_is_bounded_in_time():
    """csv.Sniffer is quadratic in a line's length: only the first 4 KB are sniffed."""
    import time

    for data in (b",'x" * 160_000, b"a,b\n" + (b",'x" * 700 + b"\n") * 300, (b"'x," * 300 + b"\n") * 300):
        started = time.perf_counter()
        try:  # read (as a wide table or, with a note, a basket list) or refused in words: either, quickly
            read_table(data, "s.csv")
        except InputError as error:
            assert str(error).startswith("expected")
        assert time.perf_counter() - started < 5


def test_utf16_without_a_bom_and_formats_told_by_content():
    notes = read_table(_csv(encoding="utf-16-le"), "u.csv").attrs["notes"]
    assert any("UTF-16 LE text" in note for note in notes)
    parquet = io.BytesIO()
    FRAME.to_parquet(parquet)
    frame = read_table(parquet.getvalue(), "log.csv")
    assert frame["user_id"].tolist() == ["u1", "u2", "u3"] and "read as Parquet" in frame.attrs["notes"][0]
    frame = read_table(_csv(), "log.xlsx")  # a CSV saved under an Excel name
    assert len(frame) == 3 and "holds text, not an Excel workbook" in frame.attrs["notes"][0]
    with pytest.raises(InputError, match="password-protected workbook or an Excel 97-2003"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.xlsx")


def test_limits_apply_before_parquet_or_workbooks_are_parsed(monkeypatch):
    import pyarrow.parquet as pq

    parquet, excel = io.BytesIO(), io.BytesIO()
    FRAME.to_parquet(parquet)
    FRAME.to_excel(excel, index=False)

    def never(*args, **kwargs):
        raise AssertionError("parsed before the limit was checked")

    monkeypatch.setenv("GNNREC_MAX_ROWS", "2")
    monkeypatch.setattr(pq.ParquetFile, "read", never)
    monkeypatch.setattr(pd, "read_excel", never)
    with pytest.raises(InputError, match="expected at most 2 rows .*found 3 in 'a.parquet'"):
        read_table(parquet.getvalue(), "a.parquet")
    with pytest.raises(InputError, match="expected at most 2 rows .*found 3 below the header of a sheet"):
        read_table(excel.getvalue(), "a.xlsx")


def test_typed_columns_keep_ids_whole():
    frame = read_table(b'{"user_id": 1e20, "product_id": 17850.0, "qty": 1.5}\n'
                       b'{"user_id": 2e20, "product_id": 3.0, "qty": Infinity}\n', "t.jsonl")
    assert frame["user_id"].tolist() == ["100000000000000000000", "200000000000000000000"]
    assert frame["product_id"].tolist() == ["17850", "3"] and frame["qty"].tolist() == ["1.5", "inf"]


def test_json_that_python_cannot_hold_is_refused_in_words():
    deep = b'{"user_id": "u1", "product_id": ' + b"[" * 50_000 + b"]" * 50_000 + b"}\n"
    with pytest.raises(InputError, match="nested too deeply to read at line 1"):
        read_table(deep, "d.jsonl")
    with pytest.raises(InputError, match="nested too deeply"):
        read_table(b"[" + deep.rstrip() + b"]", "d.json")
    frame = read_table(b'{"user_id": "u\\ud800", "product_id": "p1"}\n', "s.jsonl")
    assert frame["user_id"].tolist() == ["u\ufffd"] and "lone UTF-16 surrogate" in frame.attrs["notes"][0]


def test_a_folder_of_csv_files_is_refused_saying_what_it_holds(tmp_path, capsys):
    """A folder is read as one Parquet dataset; given a folder of CSV files, the refusal said only
    'found none'. It now counts what the folder holds and says how a CSV is read."""
    from gnnrec_core.cli import main

    (tmp_path / "sub").mkdir()
    for path in (tmp_path / "a.csv", tmp_path / "sub" / "b.csv"):
        path.write_text("user_id,product_id\nu1,p1\n")
    (tmp_path / "notes").write_text("x")
    assert main(["ingest", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(a folder is read as one Parquet dataset), found 2 .csv, 1 (no suffix) files: " \
        "give a CSV, Excel or Parquet file by its own path" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["ingest", str(empty)]) == 2
    assert capsys.readouterr().err.rstrip().endswith("found no files")


def test_a_file_cut_off_mid_row_leaves_its_stub_out_and_says_so():
    """A copy stopped short ended in "536404,21063,PARTY INVITES JAZZ HEAR": read as a product line
    with its other fields missing. The stub is left out with a note; a last row whose trailing
    fields are empty but present, or that ends in a newline, is data."""
    header = "InvoiceNo,StockCode,Description,Quantity\n536403,22086,PAPER CHAIN KIT,12\n"
    cut = read_table((header + "536404,21063,PARTY INVITES JAZZ HEAR").encode(), "cut.csv")
    assert list(cut["InvoiceNo"]) == ["536403"]
    assert cut.attrs["notes"] == ["the file ends mid-row: its last line, cut short (3 of 4 fields), was left out"]
    for whole in (header + "536404,21063,PARTY INVITES,", header + "536404,21063,PARTY INVITES\n",
                  header + "536404,21063,PARTY INVITES,6\n  ",  # spaces after the last newline: no stub
                  header + '536404,21063,"PARTY\nINVITES",6'):  # a quoted value over two lines ends the file
        frame = read_table(whole.encode(), "whole.csv")
        assert len(frame) == 2 and not frame.attrs["notes"], whole


def test_a_carriage_return_inside_an_unquoted_value_stays_in_it():
    """Python's csv writer with '\\n' line ends leaves a value holding a CR unquoted: read as a line
    end it split the row in two short rows (a phantom product named by the date, the real row's
    customer lost). A CR that ends a row of the header's width in the same file is still a line end,
    and a quoted one stays in its value, as before."""
    data = ("InvoiceNo,StockCode,Description,CustomerID\n1,A1,SPACE\rCR,c1\n1,B2,Mug,c1\r2,C3,Jar,c2\n"
            "3,D4,\"Tin\rlid\",c3\r\n").encode()
    frame = read_table(data, "pandas_written.csv")
    assert frame.values.tolist() == [["1", "A1", "SPACE\rCR", "c1"], ["1", "B2", "Mug", "c1"],
                                     ["2", "C3", "Jar", "c2"], ["3", "D4", "Tin\rlid", "c3"]]
    assert any("1 line held a carriage return" in note for note in frame.attrs["notes"])
    # Old Mac rows short of a field, or blank, among Unix lines: read whole they would not have the
    # header's width either, so their CRs end rows as before (a review found them refused as too wide)
    for mixed in (b"user,item,qty\nu1,a,1\nu2,b\ru3,c,3\nu4,d,4\n", b"user,item,qty\nu1,a,1\r\ru2,b,2\nu3,c,3\n"):
        assert read_table(mixed, "mixed.csv")["user"].tolist()[-2:] in (["u3", "u4"], ["u2", "u3"])


def test_title_lines_above_a_csv_header_are_skipped_as_a_workbooks_are(tmp_path):
    """An export with "Online Retail export" and a date above its header was read as a basket list:
    `rules` mined its timestamps and invoice numbers as products, exit 0. The header is found below
    the titles, as in a workbook, said in a note, and both engines read the table; a basket list
    whose later baskets happen to be alike in size stays a basket list (its items recur)."""
    import subprocess
    import sys

    from conftest import ROOT
    from test_duckdb_ingest import assert_same

    lines = ["order_id,customer_id,product_id,Description"] + [
        f"o{n // 3},c{n % 7},p{n % 11},thing {n % 11}" for n in range(60)]
    titled = tmp_path / "titled.csv"
    titled.write_text("Shop export\nGenerated 2011-01-11,\n\n" + "\n".join(lines) + "\n")
    plain = tmp_path / "plain.csv"
    plain.write_text("\n".join(lines) + "\n")
    read = assert_same(titled)
    pd.testing.assert_frame_equal(read.events, assert_same(plain).events)
    run = subprocess.run([sys.executable, "-m", "gnnrec_core", "ingest", str(titled)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "note: header found on line 3; the 2 lines above it (a title: 'Shop export') skipped" in run.stderr
    assert "basket list" not in run.stderr and "products 11" in run.stdout
    baskets = tmp_path / "baskets.csv"
    baskets.write_text("milk,bread\n" + "\n".join(f"eggs,tea,item {n % 5}" for n in range(30)) + "\n")
    listed = read_table(baskets.read_bytes(), "baskets.csv")
    assert set(listed.iloc[:, 1]) >= {"milk", "eggs", "item 4"}
    assert listed.attrs["notes"][0].startswith("read as a basket list")


def test_lines_not_utf8_are_counted_of_the_files_lines():
    """A file of 3 lines ending in a newline: "1 of 4 lines" counted the nothing after the last one."""
    frame = read_table("user,item\nu1,caf\xe9\nu2,tea\n".encode("cp1252"), "log.csv")
    assert "1 of 3 lines were not UTF-8 and were decoded as cp1252" in frame.attrs["notes"]
