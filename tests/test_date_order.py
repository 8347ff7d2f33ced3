"""A date order the user gives: a European export of the 1st to the 12th has nothing in it that
tells 01/03 from 3 January, so the CLI (`--date-order`) and the Data page ("Dates written") let its
user say how it is written. Both engines read it so; a date that order cannot read (13/03 read
month-first) is unparseable and said, never read the other way round in silence."""

import json

import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_cli import run_cli

from gnnrec_core import ingest
from gnnrec_core.errors import InputError


def european_log(days: range) -> pd.DataFrame:
    """Orders on the 1st to the 12th of March 2024 (with times of day), written day-first."""
    return pd.DataFrame([(f"{day:02d}/03/2024 {hour:02d}:15", f"c{customer}", f"p{(day + hour + customer) % 7}")
                         for day in days for hour in (9, 14) for customer in range(3)],
                        columns=["Date", "Customer", "Product"])


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_the_date_order_given_reads_every_date_so_on_both_engines(engine, tmp_path, monkeypatch):
    path = tmp_path / "eu.csv"
    european_log(range(1, 13)).to_csv(path, index=False)
    monkeypatch.setenv("GNNREC_INGEST_ENGINE", engine)
    spans = {}
    for order in ("auto", "day-first", "month-first"):
        done = run_cli("ingest", path, "--date-order", order, "--json", tmp_path / f"{order}.json")
        assert done.returncode == 0, done.stderr
        out = json.loads((tmp_path / f"{order}.json").read_text())
        assert out["report"]["date_order"] == order
        spans[order] = (out["summary"]["first_time"], out["summary"]["last_time"])
        guessed = "no date tells day from month" in done.stderr
        assert guessed == (order == "auto")  # a given order is no guess, so no note of one
    # Told by the data: twelve days of orders rather than a year of the 3rd of each month.
    assert spans["auto"] == spans["day-first"] == ("2024-03-01 09:15:00", "2024-03-12 14:15:00")
    assert spans["month-first"] == ("2024-01-03 09:15:00", "2024-12-03 14:15:00")


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_date_the_order_cannot_read_is_unparseable_and_said(engine, tmp_path):
    path = tmp_path / "eu.csv"
    european_log(range(1, 15)).to_csv(path, index=False)  # the 13th and 14th: no month 13 or 14
    result = ingest(path, engine=engine, date_order="month-first")
    assert result.events["time"].max() == pd.Timestamp("2024-12-03 14:15")  # never 14 March
    said = [w for w in result.report.warnings if "cannot be read month-first" in w]
    assert said == ["12 dates cannot be read month-first, as the date order given says (such as '13/03/2024 09:15': "
                    "no month 13): counted as unparseable"]
    read_as_written = ingest(path, engine=engine)  # told by the data: the 13th says day-first
    assert read_as_written.events["time"].max() == pd.Timestamp("2024-03-14 14:15")


def test_an_unknown_date_order_is_refused_in_one_line(tmp_path):
    path = tmp_path / "eu.csv"
    european_log(range(1, 3)).to_csv(path, index=False)
    with pytest.raises(InputError, match="date order: expected one of auto, day-first, month-first, found 'dmy'"):
        ingest(path, date_order="dmy")
    done = run_cli("ingest", path, "--date-order", "dmy")
    assert done.returncode == 2 and "invalid choice: 'dmy'" in done.stderr


def test_a_held_out_file_is_read_in_its_datasets_date_order(tmp_path):
    """The Train page reads a held-out file as its dataset was read (data/heldout.read_like)."""
    from gnnrec_core.data.heldout import read_like

    european_log(range(1, 13)).to_csv(tmp_path / "eu.csv", index=False)
    # The 5th and 6th alone: told by the data they would read as two days of March, not a month apart.
    upload = (european_log(range(5, 7)).to_csv(index=False).encode(), "test.csv")
    dataset = ingest(tmp_path / "eu.csv", date_order="month-first")
    assert set(read_like(dataset, upload).events["time"].dt.month) == {5, 6}  # 05/03 month-first: 3 May


def test_the_data_page_reads_dates_in_the_order_chosen(tmp_path, monkeypatch):
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "workspace"))
    data = tmp_path / "data"
    data.mkdir()
    european_log(range(1, 13)).to_csv(data / "eu.csv", index=False)
    monkeypatch.setenv("GNNREC_DATA_ROOT", str(data))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/data.py").run()
    at.radio[0].set_value("A file on the server").run()
    at.text_input[0].set_value("eu.csv").run()
    order = next(s for s in at.selectbox if s.label == "Dates written")
    assert order.value == "auto"
    assert any("no date tells day from month" in w.value for w in at.warning)
    assert "Dates: 2024-03-01 to 2024-03-12." in [c.value for c in at.caption]
    order.set_value("month-first").run()
    assert not at.exception and not at.error
    assert not any("no date tells day from month" in w.value for w in at.warning)
    assert "Dates: 2024-01-03 to 2024-12-03." in [c.value for c in at.caption]
