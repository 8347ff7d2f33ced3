"""How a mapped column's values are read, the same on both ingest engines: times (Unix seconds and
milliseconds, digits-only dates, day-first or month-first told by the data) and numbers (decimal
commas, inf and nan, text mapped as a number)."""

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE

from gnnrec_core.data.ingest import ingest, parse_times
from gnnrec_core.errors import InputError


@pytest.mark.parametrize("values,expected", [
    (["1/2/2011 10:00", "13/2/2011 10:00"], ["2011-02-01 10:00", "2011-02-13 10:00"]),  # UK, day first
    (["1/2/2011 10:00", "1/13/2011 10:00"], ["2011-01-02 10:00", "2011-01-13 10:00"]),  # US, month first
    (["2011-01-02T10:00:00", "2011-01-13 10:00"], ["2011-01-02 10:00", "2011-01-13 10:00"]),
    (["1293962400", "1294912800"], ["2011-01-02 10:00", "2011-01-13 10:00"]),  # Unix seconds
    (["20110102", "20110113100000"], ["2011-01-02", "2011-01-13 10:00"]),  # digits alone: not Unix milliseconds
    # One day-first value first, ISO after it: the ISO dates stay year-month-day (they became 2011-13-... ->
    # 12 January for 1 December, silently).
    (["13/12/2010 10:00", "2010-12-01 08:26", "2010-12-02 09:00"],
     ["2010-12-13 10:00", "2010-12-01 08:26", "2010-12-02 09:00"]),
    (["32/13/2010 25:61", "2010-12-01 08:26", "12/01/2010 08:00"], [None, "2010-12-01 08:26", "2010-12-01 08:00"]),
    (["12/1/2011", "12/13/2011", "31/13/2011"], ["2011-12-01", "2011-12-13", None]),  # a garbage 31/13 is no day-first
    (["13/12/2010 10:00", "2010/12/01 08:26", "2010.12.01"], ["2010-12-13 10:00", "2010-12-01 08:26", "2010-12-01"]),
    (["13-12-2010 10:00", "01-12-2010 10:00"], ["2010-12-13 10:00", "2010-12-01 10:00"]),  # dashed: day first too
    (["01.12.2010", "02.12.2010"], ["2010-12-01", "2010-12-02"]),  # dotted, no day past 12: as Europe writes them
    (["201012010826", "22991231", "1/2/2010\nx"], ["2010-12-01 08:26", None, None]),  # past 2262; a line break
    (["2010-12-01 08:26:00.1234567"], ["2010-12-01 08:26:00.123456"]),  # a nanosecond export raised a TypeError
])
def test_date_formats(values, expected):
    parsed = parse_times(pd.Series(values))
    assert parsed.tolist() == [pd.Timestamp(v) if v else pd.NaT for v in expected]


def test_both_engines_weigh_the_day_first_evidence_by_rows(tmp_path):
    """DuckDB parses each distinct time once: the evidence for day-first is counted in rows, so 20
    rows of 13/01 outweigh 20 rows spread over 01/14, 01/15 and 02/03 on both engines."""
    times = ["13/01/2011 10:00"] * 20 + [["01/14/2011", "01/15/2011", "02/03/2011"][i % 3] for i in range(20)]
    path = tmp_path / "dates.csv"
    pd.DataFrame({"order": range(40), "user": [f"u{i % 4}" for i in range(40)],
                  "item": [f"p{i % 7}" for i in range(40)], "date": times}).to_csv(path, index=False)
    read = [ingest(path, engine=engine, time="date").events for engine in ("pandas", "duckdb")]
    for events in read:
        seen = set(events["time"])
        assert pd.Timestamp("2011-03-02") in seen and pd.Timestamp("2011-02-03") not in seen


def test_a_number_column_mapped_as_time_is_refused_not_read_as_years():
    """Quantities 6, 1728 and -1 were read as years 6, 1728 and -1 (dateutil), exit 0; now none is a
    time, so the column is refused as a price column was."""
    assert parse_times(pd.Series(["6", "1728", "-1", "2.55"])).isna().all()
    with pytest.raises(InputError, match="expected dates in column 'Quantity'"):
        ingest(SAMPLE, time="Quantity")


def test_times_are_read_value_by_value_and_what_cannot_be_stored_is_counted():
    notes: list[str] = []
    values = ["1709290800", "1709294400000", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00+02:00",
              "2024-03-01 10:00", "3000-01-01", "1500-06-01 10:00", "99999999999", None]
    parsed = parse_times(pd.Series(values), notes)
    expected = ["2024-03-01 11:00", "2024-03-01 12:00", "2024-03-01 10:00", "2024-03-01 08:00", "2024-03-01 10:00",
                None, None, None, None]
    assert parsed.tolist() == [pd.Timestamp(v) if v else pd.NaT for v in expected]
    assert str(parsed.dtype) == "datetime64[ns]"
    assert any("mix Unix seconds (2) and milliseconds (1)" in n for n in notes)  # 99999999999 s is past 2262
    assert any("2 time values carried a time zone" in n and "1 without one were taken as UTC" in n for n in notes)
    assert any("2 dates fall outside 1677-2262" in n for n in notes)
    assert any("1 Unix times fall after 2262" in n for n in notes)


def test_inf_nan_and_huge_numbers_are_dropped_and_counted():
    rows = ["order_id,user_id,product_id,quantity,price,rating"] + [
        f"o{i},u{i % 3},p{i % 4},{q},{p},{r}" for i, (q, p, r) in enumerate(
            [("1", "2", "3"), ("inf", "2", "3"), ("1", "-inf", "3"), ("1", "2", "nan"), ("1e308", "2", "3"),
             ("1", "", "n/a"), ("-0", "2", "3"), ("2", "1e16", "4")])]
    result = ingest(("\n".join(rows) + "\n").encode(), "n.csv")
    assert result.report.dropped == {"quantity is inf, nan or beyond ±1e15": 2, "price is inf, nan or beyond ±1e15": 2,
                                     "rating is inf, nan or beyond ±1e15": 1, "zero or negative quantity (returns)": 1}
    assert result.report.rows_kept == 2  # an empty price and an unreadable rating are missing, not dropped
    assert np.isfinite(result.events[["quantity", "price"]].dropna().to_numpy()).all()


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_text_column_mapped_as_a_number_is_refused_in_words(engine):
    """Product names mapped as quantity were read as all missing: kept without a word, returns no
    longer dropped, and the names' column taken away. A column with some numbers stays readable."""
    frame = pd.DataFrame({"customer": ["u1", "u2", "u3"], "product": ["p1", "p2", "p3"],
                          "Description": ["WHITE MUG", "RED LAMP", "WHITE MUG"], "qty": ["2", "n/a", "-1"]})
    data = frame.to_csv(index=False).encode()
    with pytest.raises(InputError, match=r"expected numbers in column 'Description' mapped as quantity .* "
                                         r"found values like 'WHITE MUG', 'RED LAMP'; map another column"):
        ingest(data, "log.csv", engine=engine, quantity="Description")
    kept = ingest(data, "log.csv", engine=engine, quantity="qty")  # 'n/a' missing, -1 a return: read as before
    assert sorted(kept.events["item"]) == ["p1", "p2"] and kept.report.dropped == {
        "zero or negative quantity (returns)": 1}


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_dates_that_read_either_way_say_which_way_they_were_read(engine):
    """'01/12/2010 08:26' (meant as 1 December) was read as 12 January with no word: where no date
    tells day from month, a log with times of day is read in the order whose dates span less time (9
    days of December, not 9 months on the 12th: a new user's European export), dates alone by the
    separators' custom, and the report says which; where a date tells, nothing is said."""
    def notes(dates):
        frame = pd.DataFrame({"user": ["a", "b"] * 3, "item": list("xyzxyz"), "time": dates})
        result = ingest(frame.to_csv(index=False).encode(), "log.csv", engine=engine)
        return [n for n in result.report.warnings if "tells day from month" in n], result.events["time"]

    said, times = notes(["01/12/2010 08:26", "02/12/2010 09:00", "09/12/2010 10:00"] * 2)
    assert said == ["no date tells day from month (none has a day past 12), so dates such as '01/12/2010 08:26' "
                    "were read day-first (2010-12-01), as the dates then span 8 days (243 days read month-first); "
                    "dates written year-first (2010-12-01) are read as written; where that is wrong, give the date "
                    "order"]
    assert (str(times.min()), str(times.max())) == ("2010-12-01 08:26:00", "2010-12-09 10:00:00")
    said, times = notes(["12/01/2010 08:26", "12/02/2010 09:00", "12/09/2010 10:00"] * 2)  # as a US export writes them
    assert len(said) == 1 and "read month-first (2010-12-01), as the dates then span 8 days" in said[0]
    assert (str(times.min()), str(times.max())) == ("2010-12-01 08:26:00", "2010-12-09 10:00:00")
    # Dates alone may be periodic, where the shorter span misreads them (an adversarial review): the 1st
    # of six months, written in the US and in Germany, read as written by the separators' custom
    said, times = notes([f"{m:02d}/01/2023" for m in range(1, 7)])
    assert (str(times.min()), str(times.max())) == ("2023-01-01 00:00:00", "2023-06-01 00:00:00")
    assert "span" not in said[0]
    said, times = notes([f"01.{m:02d}.2023" for m in range(1, 7)])
    assert (str(times.min()), str(times.max())) == ("2023-01-01 00:00:00", "2023-06-01 00:00:00")
    said, _ = notes(["01/01/2011", "01/1/2011", "01/02/2011"] * 2)  # the example is one whose readings differ
    assert len(said) == 1 and "such as '01/02/2011' were read month-first (2011-01-02)" in said[0]
    said, times = notes(["01.02.2011", "02.01.2011", "01.02.2011"] * 2)  # alike either way: dotted, day-first
    assert len(said) == 1 and "read day-first (2011-02-01), as dotted dates are written" in said[0]
    said, _ = notes(["01/01/2011", "02/02/2011", "03/03/2011"] * 2)  # both readings agree: nothing to say
    assert said == []
    said, times = notes(["01/12/2010", "13/12/2010", "03/12/2010"] * 2)  # 13/12 can only be day-first
    assert said == [] and str(times.min()) == "2010-12-01 00:00:00"


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_semicolon_exports_decimal_commas_are_read_as_numbers(engine):
    """A European export writes 2.55 as '2,55': its price column was refused as text. Read with a
    decimal comma, and said; '1,234' alone could be a thousand, so such a column is not."""
    def read(prices, quantities):
        rows = "".join(f"o{n};p{n % 3};u{n % 4};{prices[n % 3]};{quantities[n % 2]}\n" for n in range(12))
        return ingest(("InvoiceNo;StockCode;CustomerID;UnitPrice;Quantity\n" + rows).encode(), "euro.csv",
                      engine=engine)

    euro = read(["2,55", "10", "0,5"], ["2", "3"])
    assert sorted(euro.events["price"].unique()) == [0.5, 2.55, 10.0]
    assert "price column 'UnitPrice' read with a decimal comma (2,55 as 2.55)" in euro.report.warnings
    other = read(["2.55", "3", "4"], ["1,234", "2"])  # the prices hold a dot; the quantities' comma has three digits
    assert not [w for w in other.report.warnings if "decimal comma" in w]
    assert sorted(other.events["price"].unique()) == [2.55, 3.0, 4.0] and other.events["quantity"].isna().sum() == 6


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_prices_written_with_a_currency_sign_are_read_as_numbers(engine):
    """'$12.99' in a log's price column was refused as text; in a catalogue's, every price was lost
    to NaN while the mapping said the column was used."""
    rows = "".join(f"o{n};p{n % 3};u{n % 4};{['$2.55', '£1,299.00', '5 €'][n % 3]}\n" for n in range(12))
    log = ingest(("InvoiceNo;StockCode;CustomerID;UnitPrice\n" + rows).encode(), "prices.csv", engine=engine)
    assert sorted(log.events["price"].unique()) == [2.55, 5.0, 1299.0]


def test_a_catalogues_prices_with_currency_signs_are_read_and_the_rest_counted(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    pd.DataFrame({"user": ["u1", "u1", "u2", "u2", "u3"], "item": ["a", "b", "a", "c", "b"]}).to_csv(
        tmp_path / "log.csv", index=False)
    pd.DataFrame({"item": ["a", "b", "c"], "title": ["A", "B", "C"],
                  "price": ["$12.99", "$1,299.00", "$10.99 - $15.99"]}).to_csv(tmp_path / "meta.csv", index=False)
    read = ingest(tmp_path / "log.csv", items=tmp_path / "meta.csv")
    assert read.catalogue["price"].to_dict() == {"a": 12.99, "b": 1299.0, "c": pytest.approx(float("nan"), nan_ok=True)}
    done = subprocess.run([sys.executable, "-m", "gnnrec_core", "ingest", str(tmp_path / "log.csv"), "--items",
                           str(tmp_path / "meta.csv")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert ("note: catalogue: 1 of 3 prices in column 'price' are no number (such as '$10.99 - $15.99'): those "
            "products' prices are unknown") in done.stderr + done.stdout
