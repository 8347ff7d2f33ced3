"""Period and segment comparisons: planted changes are found, unchanged data yields no discoveries
beyond the q threshold, the statistics match their textbook definitions, bad input is one line."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SAMPLE
from scipy.stats import fisher_exact

from gnnrec_core import ingest
from gnnrec_core.baskets.changes import ChangeConfig, compare_sides, split_by_column, split_by_time
from gnnrec_core.baskets.partners import partners_by_side
from gnnrec_core.baskets.significance import benjamini_hochberg, fisher_two_sided
from gnnrec_core.baskets.trajectory import weekly_trajectory
from gnnrec_core.errors import InputError

SPLIT = pd.Timestamp("2024-03-01")


def order_log(seed: int, baskets: int = 1600, items: int = 60, triple: str | None = None,
              new_pair: tuple[str, str] | None = None) -> pd.DataFrame:
    """Orders of 1-4 products drawn from a fixed popularity, half before SPLIT and half after, each
    from one of two countries. Planted in period b: `triple` is bought three times as often, and
    `new_pair` starts to be bought together (never before)."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, items + 1) ** 0.5
    weights /= weights.sum()
    names = np.array([f"P{i:03d}" for i in range(items)])
    rows = []
    for order in range(baskets):
        late = order >= baskets // 2
        hours = pd.Timedelta(hours=int(rng.integers(0, 24 * 28)))
        when = SPLIT + hours if late else SPLIT - hours - pd.Timedelta(hours=1)
        chosen = set(rng.choice(names, rng.integers(1, 5), replace=False, p=weights))
        if late and triple is not None and triple not in chosen and rng.random() < 2 * _share(weights, names, triple):
            chosen.add(triple)  # about twice its base share again: three times in all
        if late and new_pair is not None and rng.random() < 0.08:
            chosen |= set(new_pair)
        if not late and new_pair is not None and set(new_pair) <= chosen:
            chosen.discard(new_pair[1])  # never together before the split
        country = "FR" if rng.random() < 0.5 else "DE"
        rows += [{"order": f"O{order}", "customer": f"U{order % 400}", "product": p, "when": when, "Country": country}
                 for p in sorted(chosen)]
    return pd.DataFrame(rows)


def _share(weights, names, item):
    """Rough share of baskets holding `item` (2.5 products per basket on average)."""
    return min(2.5 * weights[list(names).index(item)], 0.3)


def events_of(frame: pd.DataFrame) -> pd.DataFrame:
    return ingest(frame.to_csv(index=False).encode(), "log.csv", basket="order", user="customer", item="product",
                  time="when").events


def test_a_product_that_triples_and_a_pair_that_appears_are_found():
    events = events_of(order_log(0, triple="P020", new_pair=("P030", "P031")))
    report = compare_sides(split_by_time(events, SPLIT))
    assert [p["baskets"] for p in report.periods] == [800, 800]
    item = report.items.set_index("item").loc["P020"]
    assert item["status"] == "rising" and item["q_value"] <= 0.05
    assert 2.0 < item["share_b"] / item["share_a"] < 4.5  # about three times
    pair = report.pairs.set_index(["a", "b"]).loc[("P030", "P031")]
    assert pair["status"] == "new" and pair["baskets_a"] == 0 and pair["baskets_b"] > 40
    # Nothing else was planted: every other named product is one of the pair's (bought more with it).
    others = report.items[(report.items["status"] != "no clear change") & (report.items["item"] != "P020")]
    assert set(others["item"]) <= {"P030", "P031"}


def test_unchanged_data_gives_no_discoveries_beyond_the_threshold():
    """Under no change BH keeps the chance of any discovery at most q; over 12 logs at q = 0.05
    more than two with a discovery would be very unlikely (binomial tail < 2%)."""
    with_discoveries = 0
    for seed in range(12):
        report = compare_sides(split_by_time(events_of(order_log(seed, baskets=2000)), SPLIT))
        named = [(table["status"] != "no clear change").sum() for table in (report.items, report.pairs)]
        with_discoveries += bool(sum(named))
        assert (report.items["p_value"] >= 0).all() and len(report.items) > 30 and len(report.pairs) > 10
    assert with_discoveries <= 2


def test_fisher_matches_scipy_one_sided_tails_doubled():
    rng = np.random.default_rng(1)
    for _ in range(30):
        n_a, n_b = rng.integers(20, 400, 2)
        x_a, x_b = rng.integers(0, 20, 2)
        ours = fisher_two_sided(np.array([x_b]), np.array([x_a + x_b]), int(n_a), int(n_b))[0]
        table = [[x_b, n_b - x_b], [x_a, n_a - x_a]]
        tails = [fisher_exact(table, alternative=side)[1] for side in ("less", "greater")]
        assert ours == pytest.approx(min(1.0, 2 * min(tails)), rel=1e-6, abs=1e-12)
        assert ours >= fisher_exact(table)[1] - 1e-9  # never more liberal than the minimum-likelihood test


def test_fisher_by_shared_totals_matches_scipys_tails_on_many_tables_at_once():
    """One distribution per total, its tails read from running sums (scipy's hypergeom took 77 s for
    a year of invoices' 847,585 pairs): the same p-values as scipy's tails, doubled, to 1e-9 where
    they are above float64's floor, at a year's basket counts and at small ones, extremes included."""
    from scipy.stats import hypergeom

    rng = np.random.default_rng(3)
    for n_a, n_b in ((12_783, 12_513), (300, 40), (40, 300), (5, 3)):
        total = np.concatenate([rng.integers(0, min(n_a + n_b, 2_000) + 1, 3_000), [0, n_a + n_b, min(n_a, n_b)]])
        low, high = np.maximum(0, total - n_a), np.minimum(total, n_b)
        x_b = np.concatenate([rng.integers(low[:-3], high[:-3] + 1), low[-3:]])  # the last three at their floor
        x_b[:10] = high[:10]  # and ten at their ceiling
        ours = fisher_two_sided(x_b, total, n_a, n_b)
        population = n_a + n_b
        reference = np.clip(2 * np.minimum(hypergeom.cdf(x_b, population, total, n_b),
                                           hypergeom.sf(x_b - 1, population, total, n_b)), 0, 1)
        shown = reference > 1e-300
        np.testing.assert_allclose(ours[shown], reference[shown], rtol=1e-9, atol=0)
        assert (ours[~shown] <= 1e-290).all()


def test_benjamini_hochberg_known_answer():
    q = benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5]))
    np.testing.assert_allclose(q, [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])


def test_min_baskets_limits_what_is_tested():
    events = events_of(order_log(2, baskets=400))
    split = split_by_time(events, SPLIT)
    loose = compare_sides(split, config=ChangeConfig(min_baskets=1))
    strict = compare_sides(split, config=ChangeConfig(min_baskets=30))
    assert (strict.items["baskets_a"] + strict.items["baskets_b"] >= 30).all()
    assert (strict.pairs["baskets_a"] + strict.pairs["baskets_b"] >= 30).all()
    assert len(strict.items) < len(loose.items) and len(strict.pairs) < len(loose.pairs)
    # Past the limit of pairs, the pairs' floor rises to keep the most common ones (the products' stays):
    # a ratings log's 3.9M pairs refused the default, where the Associations page raises its own floor
    capped = compare_sides(split, config=ChangeConfig(min_baskets=1, max_pairs=100))
    totals = (loose.pairs["baskets_a"] + loose.pairs["baskets_b"]).sort_values(ascending=False).to_numpy()
    assert capped.pair_floor == totals[100] + 1 and len(capped.pairs) == (totals >= capped.pair_floor).sum() <= 100
    assert capped.items.equals(loose.items) and loose.pair_floor == 1 and loose.pair_floor_words() is None
    assert capped.pair_floor_words().startswith(f"Pairs are tested from {capped.pair_floor} baskets together, not 1")


def test_partners_and_weekly_trajectory_follow_the_planted_pair():
    events = events_of(order_log(4, new_pair=("P030", "P031")))
    split = split_by_time(events, SPLIT)
    partners = partners_by_side(split, "P030").set_index("partner")
    assert partners.loc["P031", "together_a"] == 0 and partners.loc["P031", "in_top"] == "b only"
    weeks = weekly_trajectory(events, ("P030", "P031"))
    assert weeks["baskets"].sum() == 1600
    before = weeks[weeks["week"] + pd.Timedelta(days=7) <= SPLIT]  # weeks wholly before the split
    assert len(before) >= 3 and before["holding"].sum() == 0 and weeks["holding"].sum() > 40


def test_a_week_with_no_baskets_is_a_gap_in_the_trajectory():
    """The sample's shop closed from Christmas to the new year: the line ran straight across it."""
    from gnnrec_core.baskets.trajectory import weekly_trajectory
    from gnnrec_core.data.ingest import ingest

    weeks = weekly_trajectory(ingest(SAMPLE, drop_non_products=True).events, ("22633",))
    closed = weeks[weeks["week"] == pd.Timestamp("2010-12-27")]
    assert len(closed) == 1 and int(closed["baskets"].iloc[0]) == 0 and np.isnan(closed["share"].iloc[0])
    assert (weeks["week"].diff().dropna() == pd.Timedelta(days=7)).all()  # every week, none left out


def test_a_date_that_reads_one_way_is_read_that_way():
    from gnnrec_core.baskets.split_dates import parse_date

    for text in ("2010-12-15", "15/12/2010", "15.12.10", "15-12-2010"):
        assert parse_date(text, "split date") == pd.Timestamp("2010-12-15"), text
    assert parse_date("12/12/2010", "split date") == pd.Timestamp("2010-12-12")
    assert parse_date("12/15/2010", "split date") == pd.Timestamp("2010-12-15")  # month first: reads one way
    with pytest.raises(InputError, match=r"write 1999-12-05 or 1999-05-12"):  # two-digit years as pandas reads them
        parse_date("05/12/99", "split date")
    with pytest.raises(InputError, match="expected a date such as"):  # no month 0 to offer
        parse_date("00/05/2010", "split date")
    with pytest.raises(InputError, match=r"\(5 January or 1 May\?\)"):
        parse_date("05/01/2011", "split date")
    for text in ("-1", "-5", "nan", "NaT"):  # pandas reads '-1' as the year -1: exit 3 from its words
        with pytest.raises(InputError, match=f"expected a date such as 2011-06-01, found '{text}'"):
            parse_date(text, "split date")


def test_bad_dates_and_empty_periods_are_one_line():
    events = events_of(order_log(5, baskets=200))
    with pytest.raises(InputError, match="expected a date such as"):
        split_by_time(events, "not a date")
    with pytest.raises(InputError, match="expected start < split < end"):
        split_by_time(events, "2030-01-01")
    with pytest.raises(InputError, match="period b .*expected baskets, found none"):
        split_by_time(events, SPLIT, end=SPLIT + pd.Timedelta(seconds=1))


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "gnnrec_core", "compare-periods", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_cli_contract_on_the_sample(tmp_path):
    out = tmp_path / "changes.json"
    done = run_cli(SAMPLE, "--split", "2010-12-15", "--drop-non-products", "--json", out)
    assert done.returncode == 0, done.stderr
    # A rising pair whose lift fell (both products sold far more) read as "bought together more
    # strongly": each pair line carries its lift, and one line says what rising means for a pair.
    assert "A pair rises or falls by the share of baskets holding both" in done.stdout
    # Each period in words: its end is excluded ("[a, b)" read as a stray bracket).
    assert done.stdout.startswith("a: 1,170 baskets of 851 buyers from 2010-12-01 08:26:00 up to (not including) "
                                  "2010-12-15 ")
    assert ("SET OF 6 SPICE TINS PANTRY DESIGN: baskets 5 -> 46 (buyers 5 -> 46), share 0.43% -> 6.43%, "
            "lift 91.4 -> 5.8") in done.stdout
    # A gone pair's lift in b: undefined where a product sold nothing then (22632 is gone), zero where
    # both sold but never together; the legend says which sign is which.
    assert ("HAND WARMER UNION JACK: baskets 51 -> 0 (buyers 34 -> 0), share 4.36% -> 0.00%, lift 7.7 -> -,"
            in done.stdout)
    assert ("HAND WARMER SCOTTY DOG DESIGN: baskets 50 -> 0 (buyers 50 -> 0), share 4.27% -> 0.00%, lift 9.7 -> 0.0,"
            in done.stdout)
    assert "(0.0: both sold, never together; '-': one of them sold nothing on that side)" in done.stdout
    import json

    result = json.loads(out.read_text())
    assert [p["label"] for p in result["periods"]] == ["a", "b"]
    assert sum(p["baskets"] for p in result["periods"]) == 1885  # invoices after cancellations and fees
    assert set(result["items"][0]) >= {"item", "name", "baskets_a", "baskets_b", "share_a", "share_b", "p_value",
                                       "q_value"}
    assert set(result["pairs"][0]) >= {"a", "b", "baskets_a", "baskets_b", "lift_a", "lift_b", "p_value", "q_value"}
    # Hand warmers sell before Christmas, not after: the words follow the q-values.
    warmer = next(r for r in result["items"] if r["item"] == "22633")
    assert warmer["status"] == "falling" and warmer["q_value"] <= 0.05
    assert all(r["status"] == "no clear change" for r in result["items"] if r["q_value"] > 0.05)
    # The JSON holds every product and the pairs of least q-value up to --max-pairs (100,000 by default:
    # a year of invoices tests 847,585 pairs, 325 MB of JSON); 0 writes them all.
    assert len(result["pairs"]) == result["pairs_tested"] < 100_000 and "note" not in done.stderr
    cut = run_cli(SAMPLE, "--split", "2010-12-15", "--drop-non-products", "--max-pairs", "5", "--json", "-")
    few = json.loads(cut.stdout[cut.stdout.index("{"):])
    assert few["pairs"] == result["pairs"][:5] and few["pairs_tested"] == result["pairs_tested"]
    assert f"the JSON holds the 5 of the {result['pairs_tested']:,} pairs tested with the least q-value" in cut.stderr


@pytest.mark.parametrize("args, message", [
    (["--split", "31/31/2010"], "--split: expected a date"),
    (["--split", "2010-12-15", "--q", "5"], "--q: expected a fraction"),  # the flag, not the engine's q_threshold
    # 12/05/2010 was read as 5 December and 15/12/2010 as 15 December, silently: where both numbers
    # could be the month, the user says which.
    (["--split", "12/05/2010"], "--split: expected a date that reads one way, such as 2011-06-01, found "
                                "'12/05/2010' (12 May or 5 December?); write 2010-05-12 or 2010-12-05"),
    (["--split", "2012-01-01"], "expected start < split < end"),
    (["--split", "2010-12-15", "--end", "2010-12-15 00:00:01"], "expected baskets, found none"),
    ([], "expected --split DATE"),
    (["--by", "Country", "--groups", "UK,FR"], "expected a column 'Country'"),
])
def test_cli_bad_input_exits_2_with_one_line(args, message):
    done = run_cli(SAMPLE, *args)
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_comparison_that_names_nothing_says_so(tmp_path, monkeypatch):
    """Period b of 16 baskets: the output ended at the 'tested' line, as if cut short; the Compare page
    drew a chart flat at zero and tables saying "empty". Both say why now, in the same words."""
    from test_app import _app, _open_link

    from gnnrec_core import ingest
    from gnnrec_core.store import Workspace

    done = run_cli(SAMPLE, "--split", "2011-01-10", "--drop-non-products")
    assert done.returncode == 0, done.stderr
    why = ("No product or pair changed by that test (the smaller side holds 16 buyers, each counted once however "
           "often they ordered; with few buyers only large changes can be told from chance: longer periods or larger "
           "segments may show some).")
    assert done.stdout.rstrip().endswith(why)
    none_tested = run_cli(SAMPLE, "--split", "2011-01-10", "--min-baskets", "100000")
    assert none_tested.returncode == 0 and none_tested.stdout.rstrip().endswith(
        "so nothing was tested: test rarer products (a lower --min-baskets).")
    monkeypatch.setenv("GNNREC_WORKSPACE", str(tmp_path / "ws"))
    Workspace(tmp_path / "ws").save_dataset("sample", ingest(SAMPLE))
    at = _app().run()
    at.session_state["active_dataset"] = "sample"
    _open_link(at, "pages/compare.py", mode="periods", dataset="sample", split="2011-01-10")
    assert not at.exception and why in [i.value.replace("\\", "") for i in at.info]


def test_cli_without_a_time_column(tmp_path):
    path = tmp_path / "baskets.csv"
    pd.DataFrame({"order": ["o1", "o1", "o2"], "product": ["a", "b", "a"]}).to_csv(path, index=False)
    done = run_cli(path, "--split", "2020-01-01", "--basket-col", "order", "--item-col", "product")
    assert done.returncode == 2 and "expected a time column" in done.stderr


def test_report_section_names_only_what_passes_and_escapes_names():
    from gnnrec_core.serving.report import changes_html

    frame = order_log(6, triple="P020")
    frame["name"] = frame["product"].map(lambda p: "<b>bold</b>" if p == "P020" else f"Product {p}")
    events_frame = ingest(frame.to_csv(index=False).encode(), "log.csv", basket="order", user="customer",
                          item="product", time="when", item_name="name")
    report = compare_sides(split_by_time(events_frame.events, SPLIT), events_frame.catalogue["name"])
    page = changes_html(report, "log.csv")
    assert "Products: rising (" in page and "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    named = (report.items["status"] != "no clear change").sum()
    assert f"Products: rising ({(report.items['status'] == 'rising').sum()})" in page and named >= 1
    # 400 customers' repeat orders: the report says the test counted buyers, and shows them beside the baskets
    assert report.repeat_buyers and "a customer's repeat orders counted once: a holds " in page
    assert "<th>buyers a</th>" in page
    quiet = compare_sides(split_by_time(events_of(order_log(7, baskets=300)), SPLIT),
                          config=ChangeConfig(q_threshold=1e-12))
    assert "No product or pair changed with q-value at most 1e-12" in changes_html(quiet, "log.csv")


def test_cli_segments_by_a_column(tmp_path):
    import json

    path, out = tmp_path / "log.csv", tmp_path / "segments.json"
    order_log(8, baskets=600).to_csv(path, index=False)
    done = run_cli(path, "--by", "Country", "--groups", "FR,DE", "--json", out)
    assert done.returncode == 0, done.stderr
    periods = json.loads(out.read_text())["periods"]
    assert [(p["group"], p["column"]) for p in periods] == [("FR", "Country"), ("DE", "Country")]
    assert sum(p["baskets"] for p in periods) == 600
    bad = run_cli(path, "--by", "Country", "--groups", "FR")
    assert bad.returncode == 2 and "--groups: expected two values of Country" in bad.stderr
    same = run_cli(path, "--by", "Country", "--groups", "FR,FR")
    assert same.returncode == 2 and "--groups: expected two different values" in same.stderr


def test_a_small_lift_is_never_printed_as_never_together():
    """One decimal made a lift of 0.025 (one shared basket of 200 x 200 sales in 1,000) read '0.0',
    which the legend says means both sold but never together."""
    from gnnrec_core.cli.baskets import _lift

    assert [_lift(v) for v in (0.025, 0.0, None, float("nan"), 0.05, 7.71)] == ["<0.1", "0.0", "-", "-", "0.1", "7.7"]


def test_a_log_of_no_orders_splits_each_customers_lines_at_the_date():
    """A ratings log: a customer's history stood for one basket dated by its first line, so a film
    rated by 2 customers before the split and 3 after read 'baskets 3 -> 2'. Each customer's lines
    within a period are now their basket there."""
    from gnnrec_core.baskets.changes import split_words
    from gnnrec_core.baskets.history_shares import HISTORY_SHARE_WORDS
    from gnnrec_core.baskets.trajectory import weekly_trajectory

    rows = [("u1", "film", "2024-01-05"), ("u1", "film", "2024-03-05"),  # rated before and after
            ("u2", "film", "2024-01-06"), ("u2", "other", "2024-03-06"),
            ("u3", "other", "2024-01-07"), ("u3", "film", "2024-03-07"),
            ("u4", "film", "2024-03-08"), ("u5", "other", "2024-03-09")]
    frame = pd.DataFrame(rows, columns=["user", "item", "when"]).assign(rating=4)
    events = ingest(frame.to_csv(index=False).encode(), "ratings.csv", user="user", item="item", time="when").events
    assert events["basket"].isna().all()
    split = split_by_time(events, "2024-02-01")
    column = list(split.items).index("film")
    assert (split.count("a")[column], split.count("b")[column]) == (2, 3)  # u1, u2 | u1, u3, u4
    assert [p["baskets"] for p in split.periods] == [3, 5]  # customers active in each period
    assert split_words(split) == ["5 customers' lines carry no order: each one's lines within a period count as "
                                  f"one basket. {HISTORY_SHARE_WORDS}"]
    assert pd.Timestamp(split.periods[1]["end"]) == pd.Timestamp("2024-03-09") + pd.Timedelta(seconds=1)
    weeks = weekly_trajectory(events, ("film",))
    assert weeks["holding"].sum() == 5 and weeks["baskets"].sum() == 8  # customer-weeks
    # Segments of such a log: each side's weeks are its customers' (the sides are keyed by customer)
    frame["Country"] = frame["user"].map({"u1": "FR", "u2": "FR", "u3": "DE", "u4": "DE", "u5": "DE"})
    events = ingest(frame.to_csv(index=False).encode(), "ratings.csv", user="user", item="item", time="when").events
    segments = split_by_column(events, "Country", ("FR", "DE"))
    by_side = weekly_trajectory(events, ("film",), split=segments).groupby("side")[["holding", "baskets"]]
    assert by_side.sum().to_dict("index") == {"a": {"holding": 3, "baskets": 4}, "b": {"holding": 2, "baskets": 4}}


def test_a_product_named_and_no_pair_says_no_pair_changed(tmp_path):
    """A tripled product and no pair past the threshold: the pairs' section was left out without a word
    (a new user read it as cut short); each family with nothing named says so."""
    path = tmp_path / "log.csv"
    order_log(0, triple="P020").to_csv(path, index=False)
    done = run_cli(path, "--split", str(SPLIT.date()))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "rising products (1):" in lines and "no pair changed by that test" in lines
    assert "no product changed by that test" not in lines
