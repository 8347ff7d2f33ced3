"""The synthetic log generator: seeded, exact in size, shaped like retail data, and readable by ingest."""

import pytest
from conftest import ROOT

from gnnrec_core.data.ingest import ingest
from gnnrec_core.data.synthetic import COLUMNS, SyntheticConfig, generate
from gnnrec_core.errors import ConfigError


def test_same_seed_same_log_and_exact_size():
    config = SyntheticConfig(interactions=20_000, users=3_000, items=2_000, categories=20, seed=5)
    first, second = generate(config), generate(config)
    assert first.equals(second) and len(first) == 20_000 and tuple(first.columns) == COLUMNS
    assert not first.equals(generate(SyntheticConfig(interactions=20_000, users=3_000, items=2_000, categories=20)))


def test_shape_power_law_baskets_and_taste():
    log = generate(SyntheticConfig(interactions=50_000, users=5_000, items=5_000, categories=50))
    counts = log["product_id"].value_counts()
    assert counts.iloc[:50].sum() / len(log) > 0.08  # the top 1% of products sell far above 1%
    assert log.groupby("order_id").size().mean() == pytest.approx(3.0, rel=0.05)
    top_category_share = log.groupby("customer_id")["category"].agg(lambda c: c.value_counts().iloc[0] / len(c))
    assert top_category_share[log["customer_id"].value_counts() >= 10].mean() > 0.5  # customers have a taste


def test_ingest_maps_every_column(tmp_path):
    path = tmp_path / "orders.csv"
    generate(SyntheticConfig(interactions=3_000, users=500, items=300, categories=10)).to_csv(path, index=False)
    mapping = ingest(path).mapping.as_dict()
    assert (mapping["user"], mapping["item"], mapping["basket"], mapping["time"]) == (
        "customer_id", "product_id", "order_id", "timestamp")
    assert (mapping["item_name"], mapping["category"], mapping["price"]) == ("product_name", "category", "price")


def test_bad_config_is_one_line():
    with pytest.raises(ConfigError, match="affinity: expected a share between 0 and 1, found 2"):
        SyntheticConfig(affinity=2)


def test_the_command_says_the_shape_it_wrote(tmp_path):
    """`python -m gnnrec_core.data.synthetic` names how many products and customers it wrote (the
    README quotes them for the 1M-line file), and they are the file's own."""
    import subprocess
    import sys

    import pandas as pd

    out = tmp_path / "orders.csv"
    done = subprocess.run([sys.executable, "-m", "gnnrec_core.data.synthetic", "--interactions", "5000", "--out",
                           str(out)], capture_output=True, text=True, check=True, cwd=ROOT)
    log = pd.read_csv(out)
    assert done.stdout.strip() == (f"wrote 5,000 order lines to {out}: {log['product_id'].nunique():,} products "
                                   f"bought by {log['customer_id'].nunique():,} customers")


@pytest.mark.parametrize("flags,expected", [
    (["--basket-mean", "nan"], "basket_mean: expected a finite number, found nan"),
    (["--popularity-exponent", "nan"], "popularity_exponent: expected a finite number, found nan"),
    (["--seed", "-1"], "seed: expected a seed from 0 to 4294967295, found -1"),
])
def test_the_command_refuses_bad_numbers_in_one_line(tmp_path, flags, expected):
    """nan and a negative seed ended in a ValueError's traceback."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "gnnrec_core.data.synthetic", *flags, "--out",
                           str(tmp_path / "x.csv")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and done.stderr.strip() == f"error: {expected}"
    assert not (tmp_path / "x.csv").exists()
