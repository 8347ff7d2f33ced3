"""The corpus of bad inputs: each case is a file a merchandiser might really upload, and the one
message gnnrec must answer with. Built in code (not committed binaries) so each case says how it
was made.

Outcome "error": the CLI exits 2 and the page shows st.error, both with `message` (a regex).
Outcome "note": the file is usable after a repair that must be announced: the CLI exits 0 and the
page shows `message` as st.info/st.warning.
`stage`: where the page meets the problem: "upload" (reading), "save" (cleaning) or "train"
(the Train page refuses before starting a job).
"""

from __future__ import annotations

import gzip
import io
import random
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


def corpus() -> list[Case]:
    orders = _orders()
    return [
        Case("empty file", "orders.csv", b"", "error", r"empty file"),
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
        Case("Excel, merged title row above the header", "orders.xlsx",
             _xlsx({"Orders": _orders_frame()}, title_row="Order export, March 2024"), "note",
             r"header found on row 2"),
        Case("duplicate column names", "orders.csv",
             _csv(["order_id,user_id,product_id,user_id"] + _lines(160, lambda i,
                                                                   r: f"o{i // 2},u{i // 2 % 8},p{r.randrange(15)},x")),
             "note", r"'user_id' appears 2 times"),
        Case("item column missing", "orders.csv",
             _csv(["order_id,user_id,quantity"] + [f"o{i},u{i % 5},{i % 3 + 1}" for i in range(40)]),
             "error", r"expected a column of product/item IDs, found none among: order_id, user_id, quantity"),
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
             "error", r"expected some users with at least 5 interactions to hold out a test set, found none",
             stage="train"),
        Case("no user and no basket column", "orders.csv",
             _csv(["product_id,quantity"] + [f"p{i % 7},{i % 3 + 1}" for i in range(40)]),
             "error", r"expected a user column or a basket/order column", stage="save"),
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
    ]
