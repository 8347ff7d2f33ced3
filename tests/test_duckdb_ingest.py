"""The DuckDB ingest against the pandas one: the same events, catalogue and report (or the same
one-line error) for every case of the bad-input corpus, the shared data, the bundled sample, and the
formats DuckDB reads itself (gzip, zstd, Parquet, a folder of Parquet files, a lookup join)."""

import gzip
import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bad_inputs import corpus
from conftest import ROOT, shared_file

from gnnrec_core.data.ingest import AUTO_DUCKDB_MB, engine_for, ingest
from gnnrec_core.errors import ConfigError, InputError
from gnnrec_core.progress import Cancelled

CASES = corpus()


def _outcome(path, **options):
    try:
        return ingest(path, **options)
    except InputError as exc:
        return str(exc)


def assert_same(path, **options):
    """Both engines on `path`: identical tables and reports, or the same error message."""
    pandas, duck = (_outcome(path, engine=engine, **options) for engine in ("pandas", "duckdb"))
    if isinstance(pandas, str) or isinstance(duck, str):
        if isinstance(duck, str):
            for pandas_limit, duckdb_limit in DUCKDB_LIMIT.items():
                duck = duck.replace(duckdb_limit, pandas_limit)
        assert duck == pandas
        return pandas
    pd.testing.assert_frame_equal(duck.events, pandas.events, check_exact=True)
    pd.testing.assert_frame_equal(duck.catalogue, pandas.catalogue, check_exact=True)
    assert duck.mapping == pandas.mapping
    assert json.dumps(duck.report.as_dict()) == json.dumps(pandas.report.as_dict())
    return duck


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_bad_input_reads_the_same_on_both_engines(case, tmp_path, monkeypatch):
    for variable, value in case.env:
        monkeypatch.setenv(variable, value)
        if variable in DUCKDB_LIMIT:  # DuckDB reading from disk has limits of its own: set alike
            monkeypatch.setenv(DUCKDB_LIMIT[variable], value)
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    assert_same(path, drop_non_products=True)


# The pandas reader's limit -> DuckDB's (data/limits.py); a refusal names the limit its engine met.
DUCKDB_LIMIT = {"GNNREC_MAX_UPLOAD_MB": "GNNREC_MAX_FILE_MB", "GNNREC_MAX_ROWS": "GNNREC_MAX_DUCKDB_ROWS"}


@pytest.mark.parametrize("name", ["online_retail_dec2010.csv.gz", "online_retail_baskets.csv.gz", "groceries.csv.gz"])
def test_shared_data_reads_the_same_on_both_engines(name):
    result = assert_same(shared_file(name), drop_non_products=name.startswith("online_retail_dec"))
    assert not isinstance(result, str) and result.report.rows_kept > 9000


def test_the_sample_with_its_segments_reads_the_same_and_duckdb_read_it(tmp_path):
    """Country as a segment (2-50 values), a cp1252 name, spaces after commas, quoted commas: the
    same on both engines from the plain, gzip and zstd file."""
    frame = pd.read_csv(ROOT / "sample_data" / "online_retail_dec2010.csv.gz", dtype=str, nrows=3000)
    frame["Country"] = np.where(np.arange(len(frame)) % 3, "United Kingdom", "France")
    frame.loc[5, "Description"] = "CAFÉ, \"CRÈME\" MUG"
    text = frame.to_csv(index=False).replace(",United Kingdom", ", United Kingdom")
    (tmp_path / "log.csv").write_text(text)
    (tmp_path / "log.csv.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "log.csv.zst").write_bytes(pa.Codec("zstd").compress(text.encode(), asbytes=True))
    for name in ("log.csv", "log.csv.gz", "log.csv.zst"):
        result = assert_same(tmp_path / name, drop_non_products=True)
        assert list(result.events["segment:Country"].cat.categories) == ["France", "United Kingdom"]
        assert _reader(tmp_path / name) == "duckdb"


def _reader(path, **options):
    """Which reader filled the DuckDB engine's table: DuckDB's own, or read_table's copied in."""
    events = []
    ingest(path, engine="duckdb", progress=events.append, **options)
    return next(e["reader"] for e in events if "reader" in e)


def test_parquet_typed_columns_and_a_folder_read_the_same(tmp_path):
    rows = 400
    table = pd.DataFrame({
        "order_id": np.arange(rows) // 3, "customer_id": np.where(np.arange(rows) % 7, 17850.0 + np.arange(rows) % 9,
                                                                   np.nan),
        "product_id": [f"P{i % 23}" for i in range(rows)], "price": np.round(np.linspace(0.5, 9.5, rows), 2),
        "quantity": pd.array([1, 2, None, 4] * (rows // 4), dtype="Int64"),
        "timestamp": pd.Timestamp("2024-03-01", tz="Europe/Paris") + pd.to_timedelta(np.arange(rows) // 3, unit="h"),
        "channel": ["web", "shop"] * (rows // 2)})
    table.to_parquet(tmp_path / "log.parquet")
    assert_same(tmp_path / "log.parquet")
    assert _reader(tmp_path / "log.parquet") == "duckdb"
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(3):
        table.iloc[i * 150:(i + 1) * 150].to_parquet(folder / f"part-{i}.parquet", index=False)
    assert ingest(folder, engine="duckdb").report.rows_read == rows
    assert_same(folder)
    (tmp_path / "damaged.parquet").write_bytes(b"PAR1" + bytes(300) + b"PAR1")
    assert "expected a readable .parquet file in 'damaged.parquet'" in assert_same(tmp_path / "damaged.parquet")
    pq.write_table(pa.table({"user_id": ["u1"]}), folder / "part-9.parquet")
    with pytest.raises(InputError, match="expected every Parquet file in 'parts' to hold the columns"):
        ingest(folder)


def test_a_lookup_join_and_chosen_columns_read_the_same(tmp_path):
    lines = ["order_id,product_id,description"] + [f"{i // 3},p{i % 11}.0,Mug {i % 11}" for i in range(300)]
    orders = ["order_id,user_id,eval_set"] + [f"{i}.0,u{i % 13}, prior" for i in range(0, 95)] + [",u99,train"]
    (tmp_path / "lines.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "orders.csv").write_text("\n".join(orders) + "\n")
    result = assert_same(tmp_path / "lines.csv", lookup=tmp_path / "orders.csv", segments=("eval_set",))
    assert _reader(tmp_path / "lines.csv", lookup=tmp_path / "orders.csv") == "duckdb"
    assert result.report.lookup_mapping["matched_rows"] == 285
    assert_same(tmp_path / "lines.csv", lookup=tmp_path / "orders.csv", segments=("nothing",))


def test_auto_takes_duckdb_for_big_csv_and_parquet_only(tmp_path):
    big = tmp_path / "big.csv.gz"
    with open(big, "wb") as handle:
        handle.truncate(AUTO_DUCKDB_MB << 20)
    assert engine_for(big) == "duckdb" and engine_for(tmp_path) == "duckdb"
    assert engine_for(ROOT / "sample_data" / "online_retail_dec2010.csv.gz") == "pandas"
    assert engine_for((b"x" * (AUTO_DUCKDB_MB << 20), "log.xlsx")) == "pandas"
    assert engine_for(io.BytesIO(b"a,b\n")) == "pandas"
    with pytest.raises(InputError, match="expected an ingest engine among auto, pandas, duckdb, found 'spark'"):
        ingest(big, engine="spark")


def test_progress_names_each_step_and_can_stop_it():
    steps = []
    ingest(ROOT / "sample_data" / "online_retail_dec2010.csv.gz", engine="duckdb", progress=steps.append)
    assert [s["step"] for s in steps] == ["reading", "cleaning", "fetching", "done"]
    assert steps[1]["rows"] == 50999 and steps[1]["reader"] == "duckdb" and all(s["stage"] == "ingest" for s in steps)
    with pytest.raises(Cancelled):
        ingest(ROOT / "sample_data" / "online_retail_dec2010.csv.gz", engine="duckdb", progress=lambda e: False)


ODD_LINES = {  # rows DuckDB sees only past the first KB, each with what pandas makes of it
    "spaces after commas": "o9, u1, p1 ,2",
    "quoted comma and quote": 'o9,u1,"p1, ""big""",2',
    "empty and quoted empty": 'o9,,"",2',
    "whitespace only line": "   ",
    "blank line": "",
    "cp1252 byte": "o9,u1,caf\xe9,2",
    "a wider row": "o9,u1,p1,2,extra",
    "a narrower row": "o9,u1",
    "an unclosed quote": 'o9,u1,"p1,2',
    "newline inside quotes": 'o9,u1,"p1\nsecond line",2',
    "carriage return line end": "o9,u1,p1,2\r",
}


@pytest.mark.parametrize("odd", list(ODD_LINES), ids=list(ODD_LINES))
def test_rows_past_the_checked_head_read_as_pandas_reads_them(odd, tmp_path, monkeypatch):
    """DuckDB reads the whole file only after pandas and DuckDB agree on its head; a row further down
    that DuckDB cannot read as pandas would makes it hand the file to pandas (or reads the same)."""
    import gnnrec_core.data.duck_read as duck_read

    monkeypatch.setattr(duck_read, "HEAD_BYTES", 1024)
    lines = ["order_id,user_id,product_id,quantity"] + [f"o{i // 3},u{i % 7},p{i % 11},1" for i in range(200)]
    data = "\n".join(lines[:150] + [ODD_LINES[odd]] + lines[150:]) + "\n"
    path = tmp_path / "orders.csv"
    path.write_bytes(data.encode("utf-8" if odd != "cp1252 byte" else "cp1252"))
    assert_same(path)


def test_the_two_known_differences_stay_as_documented(tmp_path, monkeypatch):
    """What DuckDB's reader cannot tell apart (duck_read.py says so): past the checked head, a row with
    one extra empty field at its end is read without it (pandas refuses the file), and a quoted value
    that starts with a space loses the space (pandas keeps it)."""
    import gnnrec_core.data.duck_read as duck_read

    monkeypatch.setattr(duck_read, "HEAD_BYTES", 1024)
    lines = ["order_id,user_id,product_id,quantity"] + [f"o{i // 3},u{i % 7},p{i % 11},1" for i in range(200)]
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines[:150] + ["o9,u1,p1,2,"] + lines[150:]) + "\n")
    assert "header's 4 fields, found 5" in _outcome(path, engine="pandas")
    assert _outcome(path, engine="duckdb").report.rows_read == 201
    lines = [line + ("," + ("web", "shop")[i % 2] if i else ",channel") for i, line in enumerate(lines)]
    path.write_text("\n".join(lines[:150] + ['o9,u1,p1,2," web, x"'] + lines[150:]) + "\n")
    channels = {engine: list(_outcome(path, engine=engine).events["segment:channel"].cat.categories)
                for engine in ("pandas", "duckdb")}
    assert channels == {"pandas": [" web, x", "shop", "web"], "duckdb": ["shop", "web", "web, x"]}


def test_a_preview_of_a_large_file_is_its_first_rows_with_the_lookup_joined(tmp_path, monkeypatch):
    import gnnrec_core.data.ingest as ingest_module
    from gnnrec_core.data.ingest import load_frame, preview_frame

    lines = ["order_id,product_id"] + [f"{i // 3},p{i % 11}" for i in range(3000)]
    (tmp_path / "lines.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "orders.csv").write_text("order_id,user_id\n" + "".join(f"{i},u{i % 13}\n" for i in range(1000)))
    full = load_frame(tmp_path / "lines.csv", lookup=tmp_path / "orders.csv")
    monkeypatch.setattr(ingest_module, "AUTO_DUCKDB_MB", 0)  # every CSV counts as large
    preview = preview_frame(tmp_path / "lines.csv", lookup=tmp_path / "orders.csv", rows=500)
    pd.testing.assert_frame_equal(preview, full.head(500))
    assert preview.attrs["lookup"]["columns"] == ["user_id"] == full.attrs["lookup"]["columns"]


def test_an_operator_can_choose_the_engine_for_auto(tmp_path, monkeypatch):
    folder = tmp_path / "parts"
    folder.mkdir()
    monkeypatch.setenv("GNNREC_INGEST_ENGINE", "pandas")
    assert engine_for(folder) == "pandas" and engine_for(folder, engine="duckdb") == "duckdb"
    monkeypatch.setenv("GNNREC_INGEST_ENGINE", "polars")
    with pytest.raises(ConfigError, match="GNNREC_INGEST_ENGINE: expected one of auto, pandas, duckdb, found 'polars'"):
        engine_for(folder)


def test_a_markdown_table_reads_the_same_on_both_engines(tmp_path):
    """DuckDB's reader would take the |---| row as data: the file goes through read_table's reading."""
    path = tmp_path / "pasted.csv"
    path.write_text("| user_id | product_id |\n|---|---|\n" + "".join(f"| u{i % 9} | p{i % 13} |\n" for i in range(60)))
    result = assert_same(path)
    assert not isinstance(result, str) and result.report.rows_read == 60
    assert "---" not in set(result.events["user"].astype(str))


def test_a_list_column_beside_the_mapped_ones_is_read_past_on_both_engines(tmp_path):
    """A Parquet export with a list column of tags (two distinct lists): the mapped columns read as
    ever, and the lists make no segment on either engine (DuckDB made "segment:tags" of their text)."""
    path = tmp_path / "tagged.parquet"
    pq.write_table(pa.table({"user_id": [f"u{i % 3}" for i in range(9)],
                             "product_id": [f"p{i % 4}" for i in range(9)],
                             "tags": pa.array([["new"] if i % 2 else ["sale", "new"] for i in range(9)])}),
                   path)
    result = assert_same(path)
    assert not isinstance(result, str) and result.report.rows_kept == 9
    assert not [c for c in result.events.columns if c.startswith("segment:")]


def test_lines_alike_but_for_their_store_are_not_exact_duplicates(tmp_path):
    """A customer buying one product in two stores, with no date or order column: ingest dropped the
    second line as an "exact duplicate", so comparing the stores lost it. Lines alike in every column
    kept, the store included, are still dropped as one."""
    lines = ["user,item,store"] + [f"u{i % 5},p{i % 3},s{(i // 15) % 2}" for i in range(30)] + ["u0,p0,s0"]
    path = tmp_path / "stores.csv"
    path.write_text("\n".join(lines) + "\n")
    result = assert_same(path)
    assert result.report.rows_kept == 30 and result.report.dropped == {"exact duplicate": 1}
    by_store = result.events.groupby("segment:store", observed=True).size()
    assert by_store.to_dict() == {"s0": 15, "s1": 15}


def test_number_cells_that_hold_no_number_are_counted_on_both_engines(tmp_path):
    """Invoice numbers mapped as ratings ('C536379' among '536365'): the cells that are no number were
    kept as unknown without a word. Each column's are now counted; empty cells are plain missing."""
    lines = ["user,item,rating,quantity"] + [f"u{i % 6},p{i % 7},{'C53' if i % 5 == 0 else 3},{'' if i % 4 else 2}"
                                             for i in range(40)] + ["u1,p1,4,two", "u2,p2,NULL,n/a"]
    path = tmp_path / "ratings.csv"
    path.write_text("\n".join(lines) + "\n")
    result = assert_same(path)
    assert result.report.notes["rows whose rating is no number (kept, rating unknown)"] == 8
    assert result.report.notes["rows whose quantity is no number (kept, quantity unknown)"] == 1
    # a rating cell written as missing ('NULL') is no rating: counted apart, since a minimum rating keeps it
    assert result.report.notes["rows with no rating (kept as interactions; a minimum rating drops none of them)"] == 1
    assert result.report.rows_kept == 42 and "rows whose price" not in str(result.report.notes)  # NULL, n/a: missing


@pytest.mark.parametrize("kind,values,said", [
    ("list of records", [[{"sku": "p1"}], [{"sku": "p2"}, {"sku": "p3"}]] * 6, "a list of values"),
    ("key-value map", pa.array([[("p1", 1)], [("p2", 2)]] * 6, pa.map_(pa.string(), pa.int64())), "a list of values"),
    ("record", [{"sku": "p1"}, {"sku": "p2"}] * 6, "a record of fields")])
def test_each_nested_kind_is_refused_alike_on_both_engines(kind, values, said, tmp_path):
    """A list of structs or a MAP column: DuckDB called it a record, pandas a list; one refusal now."""
    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"user_id": [f"u{i % 4}" for i in range(12)], "product_id": values}), path)
    refused = assert_same(path)
    assert isinstance(refused, str) and f"found {said} in each row" in refused


def test_a_lookups_list_column_and_a_chosen_list_segment_are_refused_on_both_engines(tmp_path):
    """Through --lookup a column of lists came in unmarked (DuckDB took it as IDs where pandas refused
    it), and a list column chosen as a segment made groups of "['a' 'b']"."""
    events, lookup = tmp_path / "lines.parquet", tmp_path / "orders.parquet"
    pq.write_table(pa.table({"order_id": [f"o{i % 6}" for i in range(18)],
                             "product_id": [f"p{i % 5}" for i in range(18)],
                             "tags": pa.array([["a", "b"] if i % 2 else ["a"] for i in range(18)])}), events)
    pq.write_table(pa.table({"order_id": [f"o{i}" for i in range(6)],
                             "customer_id": pa.array([[f"c{i}", "shared"] for i in range(6)])}), lookup)
    through = assert_same(events, lookup=lookup)
    assert isinstance(through, str) and "expected one user per row in column 'customer_id'" in through
    chosen = assert_same(events, user="order_id", segments=("tags",))
    assert chosen == "expected a column of one value per row to compare groups of, found 'tags' holding lists"
    by_default = assert_same(events, user="order_id")
    assert not isinstance(by_default, str) and "segment:tags" not in by_default.events.columns


def test_a_list_column_mapped_as_a_category_is_not_told_to_explode():
    """Exploding a list of categories copies every purchase line: the refusal offers another column or
    none for such a role, and exploding only for products, customers and baskets."""
    from gnnrec_core.data.mapping import ColumnMapping

    mapping = ColumnMapping(user="u", item="i", category="cats")
    with pytest.raises(InputError) as refused:
        mapping.validate(["u", "i", "cats"], {"cats": "lists"})
    assert str(refused.value) == ("expected one category per row in column 'cats', found a list of values in each row: "
                                  "map another column as category, or none (the Data page's category role; "
                                  "--category-col NAME, or --category-col '' for none)")
    with pytest.raises(InputError, match=r"give the file one row per item \(in pandas, frame.explode\('i'\)\), or "
                                         r"map another column as item"):
        ColumnMapping(user="u", item="i").validate(["u", "i"], {"i": "lists"})


def test_an_id_and_its_float_spelling_in_one_column_stay_two_ids_on_both_engines(tmp_path):
    """'123' and '123.0' were merged into one product (the plain mug vanished, its lines counted as
    exact duplicates), as '7' and '7.0' into one customer. They stay two; a '.0' with no plain twin
    beside it is still an integer ID written as a float ('8.0' -> '8')."""
    lines = ["order_id,customer_id,product_id,Description"]
    lines += [f"o{n},{'7' if n % 2 else '7.0'},{'123' if n % 3 else '123.0'},{'Plain mug' if n % 3 else 'Float mug'}"
              for n in range(12)]
    lines += [f"p{n},8.0,{n % 4}.0,thing {n % 4}" for n in range(8)]
    path = tmp_path / "ids.csv"
    path.write_text("\n".join(lines) + "\n")
    read = assert_same(path)
    assert set(read.events["user"]) == {"7", "7.0", "8"}
    assert set(read.events["item"]) == {"123", "123.0", "0", "1", "2", "3"}
    assert read.catalogue.loc["123", "name"] == "Plain mug" and read.catalogue.loc["123.0", "name"] == "Float mug"
    assert "exact duplicate" not in json.dumps(read.report.as_dict())
