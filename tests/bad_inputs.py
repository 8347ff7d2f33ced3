"""The corpus of bad inputs: each case is a file a merchandiser might really upload, and the one
message gnnrec must answer with. Built in code (not committed binaries) so each case says how it
was made.

Outcome "error": the CLI exits 2 and the page shows st.error, both with `message` (a regex).
Outcome "note": the file is usable after a repair that must be announced: the CLI exits 0 and the
page shows `message` as st.info/st.warning.
`stage`: where the page meets the problem: "upload" (reading), "save" (cleaning) or "train"
(the Train page refuses before starting a job).
`reads`: for a file that must be read right without a message of its own (a line separator inside
a name, inf quantities), a regex the ingest report (as JSON) must match: the rows read, the drops.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import struct
import zipfile
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    data: bytes
    outcome: str  # "error" or "note"
    message: str  # regex the message must match
    stage: str = "upload"
    env: tuple[tuple[str, str], ...] = ()
    page: bool = True  # False where the uploader itself refuses the file before gnnrec sees it
    reads: str = ""  # regex over json.dumps(ingest(file).report.as_dict(), ensure_ascii=False)


def _csv(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def _orders(n: int = 160) -> list[str]:
    """A usable log: 8 customers with about 11 distinct products each."""
    rng = random.Random(7)
    return ["order_id,user_id,product_id,quantity,timestamp"] + [
        f"o{i // 2},u{(i // 2) % 8},p{rng.randrange(15)},1,2024-03-{1 + i % 28:02d} 10:00" for i in range(n)]


def _lines(n: int, row) -> list[str]:
    rng = random.Random(11)
    return [row(i, rng) for i in range(n)]


def _xlsx(sheets: dict[str, pd.DataFrame], title_row: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for sheet, frame in sheets.items():
            frame.to_excel(writer, sheet_name=sheet, index=False, startrow=1 if title_row else 0)
            if title_row:
                worksheet = writer.sheets[sheet]
                worksheet.cell(row=1, column=1, value=title_row)
                worksheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=frame.shape[1])
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _zip_bomb(inflated_mb: int = 200) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("orders.csv", "w", force_zip64=True) as member:
            member.write(b"order_id,user_id,product_id\n")
            block = b"0" * (1 << 20)
            for _ in range(inflated_mb):
                member.write(block)
    return buffer.getvalue()


def _gzip_bomb(inflated_mb: int = 200) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as handle:
        handle.write(b"order_id,user_id,product_id\n")
        block = b"0" * (1 << 20)
        for _ in range(inflated_mb):
            handle.write(block)
    return buffer.getvalue()


def _orders_frame() -> pd.DataFrame:
    return pd.DataFrame([row.split(",") for row in _orders()[1:]], columns=_orders()[0].split(","))


BOMB = r"expected an archive that inflates to at most 64 MB, .* as a zip bomb does"
WIDER = r"expected every row of 'orders.csv' to have the header's 6 fields, found 7 in row {}.*unquoted"
UNPARSEABLE = r'"rows with unparseable time \(kept, time unknown\)": {}\b'


def _named(name, n: int = 160) -> list[str]:
    """Order lines with a product description column: name(k) describes product k."""
    rng = random.Random(5)
    products = [rng.randrange(15) for _ in range(n)]
    return ["order_id,user_id,product_id,description,quantity,timestamp"] + [
        f"o{i // 2},u{i // 2 % 8},p{k},{name(i, k)},1,2024-03-{1 + i % 28:02d} 10:00" for i, k in enumerate(products)]


def _timed(stamp) -> bytes:
    """The usual order log with stamp(i) as row i's time."""
    return _csv(["order_id,user_id,product_id,timestamp"] + _lines(
        160, lambda i, r: f"o{i // 2},u{i // 2 % 8},p{r.randrange(15)},{stamp(i)}"))


def _zip_member_as(method: int, flags: int) -> bytes:
    """A zip whose one member claims a compression method or flags that zipfile cannot open
    (Deflate64, AES, a password), as 7-Zip and WinZip write them."""
    data = bytearray(_zip({"orders.csv": _csv(_orders())}))
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local header, central directory
        struct.pack_into("<HH", data, data.find(signature) + at, flags, method)
    return bytes(data)


def _jsonl(rows) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _parquet(frame) -> bytes:
    """Through pyarrow, which (unlike pandas) writes repeated column names as they are."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    arrays = [pa.array(frame.iloc[:, i].astype(str).tolist()) for i in range(frame.shape[1])]
    pq.write_table(pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns]), buffer)
    return buffer.getvalue()


def _parquet_of_baskets() -> bytes:
    """One row per order with its products as a Parquet list column: an export a shop's warehouse
    writes. Read as text, "['p1' 'p4']" would be one product."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(3)
    baskets = [[f"p{rng.randrange(15)}" for _ in range(1 + i % 4)] for i in range(40)]
    buffer = io.BytesIO()
    pq.write_table(pa.table({"order_id": [f"o{i}" for i in range(40)], "user_id": [f"u{i % 8}" for i in range(40)],
                             "product_id": pa.array(baskets, pa.list_(pa.string()))}), buffer)
    return buffer.getvalue()


def _parquet_of_rows(rows: int) -> bytes:
    """Two int8 columns of zeros: a 200 KB file holding `rows` rows (2.8 GB once read as text)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    zeros = pa.array(np.zeros(rows, np.int8))
    pq.write_table(pa.table({"user_id": zeros, "product_id": zeros}), buffer, compression="zstd", row_group_size=rows)
    return buffer.getvalue()


def _padded_workbook(inflated_mb: int = 70) -> bytes:
    """A real workbook plus a member of zeros: 100 KB declaring 70 MB, as a workbook bomb does."""
    buffer = io.BytesIO(_xlsx({"Orders": _orders_frame()}))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("xl/media/padding.bin", "w") as member:
            block = bytes(1 << 20)
            for _ in range(inflated_mb):
                member.write(block)
    return buffer.getvalue()


def _far_cell_workbook() -> bytes:
    """A real workbook with one more cell, at XFD1048576 (still a legal cell), and its declared size
    left as it was: 5 KB that a reader grids into 17 billion cells (24 GB before the kill)."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx({"Orders": _orders_frame()})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            data = source.read(member)
            if member.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
                                                      b"</sheetData>")
            archive.writestr(member, data)
    return out.getvalue()


def _utf16(rows: list[str], sep: str = ",", encoding: str = "utf-16") -> bytes:
    text = "\r\n".join(row.replace(",", sep) for row in rows) + "\r\n"
    return (b"\xff\xfe" if encoding == "utf-16-le" else b"") + text.encode(encoding)


def corpus() -> list[Case]:
    orders = _orders()
    return [
        Case("empty file", "orders.csv", b"", "error", r"empty file"),
        Case("empty file, gzipped", "orders.csv.gz", gzip.compress(b""), "error",
             r"'orders.csv.gz', found an empty file inside the compression"),
        Case("header only", "orders.csv", _csv(orders[:1]), "error", r"expected at least one data row.*found 0 rows"),
        Case("blank lines only", "orders.csv", b"\n\n  \n", "error", r"found only blank lines"),
        Case("binary named .csv", "orders.csv", bytes(range(256)) * 16, "error", r"found binary content"),
        Case("random bytes without a NUL", "orders.csv",
             bytes(b or 1 for b in random.Random(3).randbytes(300)), "error", r"found binary content"),
        Case("PNG named .csv", "orders.csv", b"\x89PNG\r\n\x1a\n" + bytes(200), "error", r"found binary content"),
        Case("wrong delimiter (one column)", "orders.csv",
             _csv(["order id user id product id"] + [f"o{i} u{i % 5} p{i % 7}" for i in range(40)]),
             "error", r"expected a table of several columns .*found one column 'order id user id product id'"),
        Case("ragged rows", "orders.csv", _csv(orders[:20] + ["o99,u1,p1,1,2024-03-01,extra,fields"] + orders[20:]),
             "error", r"expected every row .* to have the header's 5 fields"),
        Case("mixed encodings", "orders.csv",
             _csv(orders).replace(b"p1,", "p1 caf\u00e9,".encode()) + "o77,u1,p2 na\u00efve,1,2024-03-01 10:00\n"
             .encode("cp1252"), "note", r"decoded as cp1252"),
        Case("UTF-8 BOM", "orders.csv", b"\xef\xbb\xbf" + _csv(orders), "note", r"saved|rows kept", stage="save"),
        Case("Excel, several sheets", "orders.xlsx",
             _xlsx({"Notes": pd.DataFrame(), "Orders": _orders_frame(), "Summary": pd.DataFrame({"total": [90]})}),
             "note", r"read sheet 'Orders'"),
        Case("Excel, a month's orders in two sheets of the same columns", "orders.xlsx",
             _xlsx({"1-14 March": _orders_frame().iloc[:80],
                    "15-31 March": _orders_frame().iloc[80:, ::-1]}),  # the same columns, another order
             "note", r"read sheets '1-14 March', '15-31 March' of 2 \(1-14 March, 15-31 March\) as one table, in "
             r"the workbook's order \(80 \+ 80 rows\): they have the same columns"),
        Case("Excel, merged title row above the header", "orders.xlsx",
             _xlsx({"Orders": _orders_frame()}, title_row="Order export, March 2024"), "note",
             r"header found on row 2"),
        Case("duplicate column names", "orders.csv",
             _csv(["order_id,user_id,product_id,user_id"] + _lines(160, lambda i,
                                                                   r: f"o{i // 2},u{i // 2 % 8},p{r.randrange(15)},x")),
             "note", r"'user_id' appears 2 times"),
        Case("item column missing", "orders.csv",
             _csv(["order_id,user_id,quantity"] + [f"o{i},u{i % 5},{i % 3 + 1}" for i in range(40)]),
             "error", r"found none among: order_id, user_id, quantity; map it \(the Data page.s item role, or --item"),
        Case("item column all null", "orders.csv",
             _csv(["order_id,user_id,product_id"] + [f"o{i},u{i % 5}," for i in range(40)]),
             "error", r"(no rows|found none).*missing item id", stage="save"),
        Case("float IDs (17850.0)", "orders.csv",
             _csv(["order_id,user_id,product_id"] + _lines(
                 160, lambda i, r: f"{5000 + i // 2}.0,{17850 + i // 2 % 8}.0,{85000 + r.randrange(15)}.0")),
             "note", r"rows kept", stage="save"),
        Case("mixed-type IDs", "orders.csv",
             _csv(["order_id,user_id,product_id"] + _lines(
                 160, lambda i,
                 r: f"o{i // 2},{i // 2 % 8 if i // 2 % 2 else f'c{i // 2 % 8}'},{85000 + r.randrange(15)}")),
             "note", r"rows kept", stage="save"),
        Case("timestamps in mixed formats", "orders.csv",
             _csv(["order_id,user_id,product_id,timestamp"] + _lines(160, lambda i,
                                                                     r: f"o{i // 2},u{i // 2 % 8},p{r.randrange(15)},"
                 + ("2024-03-01 10:00" if i % 3 == 0 else "03/02/2024 11:00" if i % 3 == 1 else "1709290800"))),
             "note", r"rows kept", stage="save"),
        Case("timestamps unparseable", "orders.csv",
             _csv(["order_id,user_id,product_id,timestamp"] + [f"o{i // 3},u{i % 6},p{i % 9},sometime {i}"
                                                                for i in range(60)]),
             "error", r"expected dates in column 'timestamp'.*found values like 'sometime", stage="save"),
        Case("only negative or zero quantities", "orders.csv",
             _csv(["order_id,user_id,product_id,quantity"] + [f"o{i},u{i % 5},p{i % 7},{-(i % 3)}" for i in range(40)]),
             "error", r"expected rows left after cleaning, found none \(40 zero or negative quantity", stage="save"),
        Case("a single user", "orders.csv",
             _csv(["order_id,user_id,product_id"] + [f"o{i // 3},u1,p{i % 9}" for i in range(60)]),
             "error", r"expected at least 2 users with interactions to train a recommender, found 1", stage="train"),
        Case("a single item", "orders.csv",
             _csv(["order_id,user_id,product_id"] + [f"o{i},u{i % 9},p1" for i in range(60)]),
             "error", r"expected at least 2 items to train a recommender, found 1", stage="train"),
        Case("every row a duplicate", "orders.csv", _csv(orders[:1] + [orders[1]] * 80),
             "error", r"expected at least 2 users with interactions to train a recommender, found 1", stage="train"),
        Case("too small to split", "orders.csv",
             _csv(["order_id,user_id,product_id"] + [f"o{i},u{i % 3},p{i % 4}" for i in range(6)]),
             "error", r"expected some users with at least 5 interactions to hold out a test set \(fewer stay whole "
             r"in train\), found none among 3 users; add data, or give a test set of your own \(--test HELDOUT",
             stage="train"),
        Case("no user and no basket column", "orders.csv",
             _csv(["product_id,quantity"] + [f"p{i % 7},{i % 3 + 1}" for i in range(40)]),
             "error", r"expected a column of customers or of baskets/orders to group products by, found neither among: "
             r"product_id, quantity; map one", stage="save"),
        Case("file over the upload limit", "orders.csv", _csv(orders * 400), "error",
             r"expected a file of at most 1 MB .*GNNREC_MAX_UPLOAD_MB.*found 1\.\d MB",
             env=(("GNNREC_MAX_UPLOAD_MB", "1"),)),
        Case("more rows than the row limit", "orders.csv", _csv(orders), "error",
             r"expected at most 50 rows .*GNNREC_MAX_ROWS.*found 160", env=(("GNNREC_MAX_ROWS", "50"),)),
        Case("zip holding several files", "orders.zip", _zip({"a.csv": _csv(orders), "b.csv": _csv(orders)}),
             "error", r"expected exactly one data file inside 'orders.zip', found 2"),
        Case("zip bomb", "orders.zip", _zip_bomb(), "error", BOMB),
        Case("gzip bomb", "orders.csv.gz", _gzip_bomb(), "error", BOMB),
        Case("damaged gzip", "orders.csv.gz", gzip.compress(_csv(orders))[:-40], "error", r"found a damaged one"),
        Case("damaged xlsx", "orders.xlsx", b"PK\x03\x04" + bytes(300), "error", r"expected a readable .xlsx file"),
        Case("unknown extension", "orders.pdf", b"%PDF-1.4\n", "error", r"found '.pdf'", page=False),
        Case("invalid JSON lines", "orders.jsonl", b'{"user": 1, "item": 2}\n{"user": 1, item\n', "error",
             r"found invalid JSON at line 2"),
        # Read right, not silently wrong: lines end only at \n, \r\n, \r (not at U+2028 or U+0085).
        Case("line separators U+2028 and U+0085 inside names", "orders.csv",
             _csv(_named(lambda i, k: f"Mug\u2028red {k}" if k % 2 else f"Jar\x85blue {k}")), "note", r"rows kept",
             stage="save", reads=r'^{"rows_read": 160, .*"mapping": {"user": "user_id", "item": "product_id"'),
        Case("unquoted commas in a third of the rows", "orders.csv",
             _csv(_named(lambda i, k: f"Mug, red {k}" if i % 3 == 1 else f"Jar {k}")), "error", WIDER.format(3)),
        Case("unquoted comma in the first data row", "orders.csv",
             _csv(_named(lambda i, k: "Mug, red" if i == 0 else f"Jar {k}")), "error", WIDER.format(2)),
        Case("a field over 128 KB", "orders.csv", _csv(_named(lambda i, k: "x" * 200_000 if i == 3 else f"Jar {k}")),
             "note", r"rows kept", stage="save", reads=r'^{"rows_read": 160, '),
        Case("a field of 5 MB in the first data row, past the csv module's field limit", "orders.csv",
             _csv(_named(lambda i, k: "x" * 5_000_000 if i == 0 else f"Jar {k}")),
             "note", r"rows kept", stage="save", reads=r'^{"rows_read": 160, '),
        Case("an unterminated quote", "orders.csv", _csv(_named(lambda i, k: '"Jar' if i == 6 else f"Jar {k}")),
             "error", r"found a quote opening on line 8 that never closes"),
        Case("csv.Sniffer bait: ,'x repeated (480 KB)", "orders.csv", b",'x" * 160_000, "error",
             r"expected at most 1,000 columns .*GNNREC_MAX_COLUMNS.*found 87,38\d"),
        # Times: each value read by its size or zone; what cannot be stored is counted.
        Case("Unix seconds mixed with milliseconds", "orders.csv",
             _timed(lambda i: 1709290800 + 3600 * i if i % 2 else (1709290800 + 3600 * i) * 1000), "note",
             r"mix Unix seconds \(80\) and milliseconds \(80\)", reads=UNPARSEABLE.format(0)),
        Case("time zones: Z and differing offsets", "orders.csv",
             _timed(lambda i: f"2024-03-{1 + i % 28:02d}T10:00:00" + ("Z", "+02:00", "-05:00")[i % 3]), "note",
             r"160 time values carried a time zone .*converted to UTC", reads=UNPARSEABLE.format(0)),
        Case("zoned times mixed with naive ones", "orders.csv",
             _timed(lambda i: f"2024-03-{1 + i % 28:02d} 10:00" + ("+01:00" if i % 2 else "")), "note",
             r"80 without one were taken as UTC", reads=UNPARSEABLE.format(0)),
        Case("dates outside 1677-2262", "orders.csv",
             _timed(lambda i: f"{(2024, 2024, 3000, 2024, 1500)[i % 5]}-03-{1 + i % 28:02d} 10:00"), "note",
             r"64 dates fall outside 1677-2262 .*counted as unparseable", reads=UNPARSEABLE.format(64)),
        # Numbers that would crash or skew the models are dropped and counted.
        Case("inf, nan and 1e308 quantities, prices and ratings", "orders.csv",
             _csv(["order_id,user_id,product_id,quantity,price,rating"] + _lines(160, lambda i, r: (
                 f"o{i // 2},u{i // 2 % 8},p{r.randrange(15)},"
                 + ",".join(("inf", "-inf", "nan", "1e308")[(i + j) % 4] if i % 9 == j else "2" for j in range(3))))),
             "note", r"rows kept", stage="save",
             reads=r'"dropped": {"quantity is inf, nan or beyond ±1e15": 18, "price is inf, nan or beyond ±1e15": 18, '
                   r'"rating is inf, nan or beyond ±1e15": 18, '),
        # Archives zipfile cannot open.
        Case("zip member encrypted with a password", "orders.zip", _zip_member_as(8, 0x1), "error",
             r"expected an unencrypted zip archive in 'orders.zip', found 'orders.csv' protected by a password;"),
        Case("zip member encrypted with AES", "orders.zip", _zip_member_as(99, 0x1), "error",
             r"protected by a password \(AES\)"),
        Case("zip member compressed with Deflate64", "orders.zip", _zip_member_as(9, 0), "error",
             r"found 'orders.csv' compressed with Deflate64"),
        # JSON lines.
        Case("deeply nested JSON lines", "orders.jsonl",
             _jsonl([{"order_id": "o1", "product_id": "p1"}])
             + b'{"order_id": "o2", "product_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
             "error", r"found values nested too deeply to read at line 2"),
        Case("lone surrogate in JSON lines", "orders.jsonl",
             _jsonl({"order_id": f"o{i // 2}", "user_id": f"u{i // 2 % 8}", "product_id": f"p{i % 15}",
                     "description": f"Mug \ud800{i % 15}"} for i in range(160)), "note", r"lone UTF-16 surrogate"),
        Case("float IDs of 1e20 in JSON lines", "orders.jsonl",
             _jsonl({"order_id": i // 2, "user_id": 1e20 + (i // 2 % 8) * 1e6, "product_id": 1e20 + i % 15 * 1e6}
                    for i in range(160)), "note", r"rows kept", stage="save",
             reads=r'^{"rows_read": 160, "rows_kept": 160, '),
        # Limits apply before the cost.
        Case("Parquet of 21M rows in 200 KB", "orders.parquet", _parquet_of_rows(21_000_000), "error",
             r"expected at most 20,000,000 rows .*GNNREC_MAX_ROWS.*found 21,000,000 in 'orders.parquet'"),
        Case("workbook inflating past the cap", "orders.xlsx", _padded_workbook(), "error",
             r"expected a workbook whose sheets inflate to at most 64 MB, found 'orders.xlsx' .* declaring 70 MB"),
        Case("workbook declaring more rows than the row limit", "orders.xlsx", _xlsx({"Orders": _orders_frame()}),
             "error", r"expected at most 50 rows .*GNNREC_MAX_ROWS.*found 160 below the header of a sheet",
             env=(("GNNREC_MAX_ROWS", "50"),)),
        Case("workbook with one cell at XFD1048576", "orders.xlsx", _far_cell_workbook(), "error",
             r"expected a sheet whose cells fill its grid, found one in 'orders.xlsx' reaching row 1,048,576 and "
             r"column 16,384 \(17,179,869,184 cells\) with \d+ filled"),
        # Read as what they are, with a note.
        Case("UTF-16 CSV with a BOM", "orders.csv", _utf16(orders), "note", r"'orders.csv' is UTF-16 text"),
        Case("Excel 'Unicode Text' (UTF-16 LE, tab-separated)", "orders.txt", _utf16(orders, "\t", "utf-16-le"),
             "note", r"'orders.txt' is UTF-16 text"),
        Case("Excel, duplicate headers", "orders.xlsx",
             _xlsx({"Orders": _orders_frame().assign(customer="x").rename(columns={"customer": "user_id"})}),
             "note", r"'user_id' appears 2 times"),
        Case("Excel, a two-row summary sheet first", "orders.xlsx",
             _xlsx({"Summary": pd.DataFrame({"metric": ["orders", "customers"], "value": [80, 8]}),
                    "Orders": _orders_frame()}), "note", r"read sheet 'Orders' of 2 \(Summary, Orders\)"),
        Case("Excel workbook named .csv", "orders.csv", _xlsx({"Orders": _orders_frame()}) + b"\0",
             "note", r"'orders.csv' is an Excel workbook"),
        Case("Parquet, each order's products in a list column", "orders.parquet", _parquet_of_baskets(), "error",
             r"expected one item per row in column 'product_id', found a list of values in each row: give the file "
             r"one row per item \(in pandas, frame.explode\('product_id'\)\)", stage="save"),
        Case("JSON lines, one array of products per line", "baskets.jsonl",
             _jsonl({"contents": [f"p{i}", f"p{i + 2}"]} for i in range(12)), "error",
             r"expected a table of several columns \(user, item, ...\), found one column 'contents' holding lists: "
             r"give one row per product", stage="save"),
        Case("JSON lines, each customer's products in an array", "orders.jsonl",
             _jsonl({"user_id": f"u{i}", "product_id": [f"p{i}", f"p{i + 1}"]} for i in range(12)), "error",
             r"expected one item per row in column 'product_id', found a list of values in each row", stage="save"),
        Case("Parquet, duplicate columns", "orders.parquet",
             _parquet(_orders_frame().assign(extra="p1").rename(columns={"extra": "product_id"})), "note",
             r"'product_id' appears 2 times"),
    ]
