"""Resource limits: read from the environment at the moment of use, refused in words when malformed."""

import numpy as np
import pytest
import scipy.sparse as sp

from gnnrec_core.data.limits import Limits, limits
from gnnrec_core.errors import ConfigError
from gnnrec_core.models.ease import EASE
from gnnrec_core.serving.projection import map_sample


def test_defaults_and_overrides(monkeypatch):
    assert limits() == Limits()
    monkeypatch.setenv("GNNREC_MAX_DENSE_ITEMS", "7")
    assert limits().dense_items == 7
    with pytest.raises(ConfigError, match=r"GNNREC_MAX_DENSE_ITEMS: expected a whole number, found 'lots'"):
        monkeypatch.setenv("GNNREC_MAX_DENSE_ITEMS", "lots")
        limits()


def test_ease_takes_its_item_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("GNNREC_MAX_DENSE_ITEMS", "5")
    train = sp.random(20, 6, density=0.5, format="csr", random_state=0)
    with pytest.raises(ConfigError, match=r"at most 5 items .* found 6.*GNNREC_MAX_DENSE_ITEMS"):
        EASE(l2=10.0).fit(train)


def test_map_samples_the_most_bought_above_the_limit():
    buyers = np.array([5, 1, 9, 9, 0, 3])
    assert map_sample(buyers, 10).tolist() == [0, 1, 2, 3, 4, 5]
    assert map_sample(buyers, 3).tolist() == [0, 2, 3]  # the three most bought, in index order


def test_neighbourhood_graph_stops_at_max_nodes_and_counts_the_rest(tmp_path):
    import pandas as pd

    from gnnrec_core.baskets.associations import basket_stats
    from gnnrec_core.data.ingest import ingest
    from gnnrec_core.models import MODELS
    from gnnrec_core.pipeline.benchmark import prepare
    from gnnrec_core.serving.explore import neighbourhood_graph

    rows = [(f"o{n}", f"p{(n * 7 + j * 3) % 30}", f"u{n % 40}") for n in range(300) for j in range(3)]
    path = tmp_path / "orders.csv"
    pd.DataFrame(rows, columns=["order_id", "product_id", "user_id"]).to_csv(path, index=False)
    dataset = prepare(ingest(path))
    model = MODELS["itemknn"]().fit(dataset.interactions.matrix())
    stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())
    small = neighbourhood_graph(model, stats, 0, k=5, depth=2, min_count=1, max_nodes=6)
    assert small.number_of_nodes() == 6 and small.graph["skipped"] > 0
    full = neighbourhood_graph(model, stats, 0, k=5, depth=2, min_count=1, max_nodes=1000)
    assert full.graph["skipped"] == 0 and full.number_of_nodes() > 6


def test_large_files_read_from_disk_have_their_own_limits(tmp_path, monkeypatch):
    """A file DuckDB reads from disk is held to GNNREC_MAX_FILE_MB and GNNREC_MAX_DUCKDB_ROWS; the same
    bytes uploaded, read whole into memory, to GNNREC_MAX_UPLOAD_MB. Each refusal names its variable."""
    from gnnrec_core.data.ingest import ingest
    from gnnrec_core.errors import InputError

    path = tmp_path / "orders.csv"
    lines = [f"o{n // 3},c{n % 997},p{(n * 7) % 1009},2024-01-0{1 + n % 9} 10:00,{1 + n % 4}" for n in range(500_000)]
    path.write_text("order_id,customer_id,product_id,order_time,quantity\n" + "\n".join(lines) + "\n")
    assert path.stat().st_size > 17 * 2**20  # past the size at which ingest reads with DuckDB
    monkeypatch.setenv("GNNREC_MAX_UPLOAD_MB", "10")
    assert ingest(path).report.rows_read == 500_000  # from disk: under GNNREC_MAX_FILE_MB
    with pytest.raises(InputError, match="GNNREC_MAX_UPLOAD_MB"):
        ingest((path.read_bytes(), "orders.csv"))
    monkeypatch.setenv("GNNREC_MAX_FILE_MB", "10")
    with pytest.raises(InputError, match=r"at most 10 MB \(raise GNNREC_MAX_FILE_MB"):
        ingest(path)
    monkeypatch.delenv("GNNREC_MAX_FILE_MB")
    monkeypatch.setenv("GNNREC_MAX_DUCKDB_ROWS", "1000")
    with pytest.raises(InputError, match=r"at most 1,000 rows \(raise GNNREC_MAX_DUCKDB_ROWS to allow more\), "
                                         r"found 500,000"):
        ingest(path)
