"""The language-model text encoder: offline, cached, meaningful, and a visible TF-IDF fallback."""

import socket
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from gnnrec_core.matrix import text_encoder


def test_loads_and_embeds_without_opening_a_connection(monkeypatch, tmp_path):
    pytest.importorskip("wordllama")
    monkeypatch.setenv("GNNREC_CACHE", str(tmp_path))
    opened = []

    def spy(self, address):
        opened.append(address)
        raise ConnectionRefusedError("no network in this test")
    monkeypatch.setattr(socket.socket, "connect", spy)
    text_encoder._wordllama.cache_clear()
    vectors = text_encoder.encode_texts(["garden party bunting", "outdoor picnic set", "usb charging cable"], "llm")
    assert opened == [] and vectors.shape == (3, 256)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    # Meaning, not spelling: the picnic set is nearer to the garden party than the cable is.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1


def test_vectors_are_cached_per_list_of_texts(monkeypatch, tmp_path):
    monkeypatch.setenv("GNNREC_CACHE", str(tmp_path))
    texts = [f"product {i}" for i in range(20)]
    first = text_encoder.encode_texts(texts, "tfidf")
    assert len(list((tmp_path / "text").glob("tfidf*.npy"))) == 1
    text_encoder._MEMORY.clear()
    np.testing.assert_array_equal(text_encoder.encode_texts(texts, "tfidf"), first)  # read back from disk


def test_without_the_package_it_falls_back_to_tfidf_and_says_so(monkeypatch):
    monkeypatch.setattr(text_encoder, "_wordllama", lambda: None)
    assert text_encoder.resolve("auto") == "tfidf"
    assert "wordllama" in text_encoder.note()
    with pytest.raises(Exception, match="expected the wordllama package"):
        text_encoder.resolve("llm")


def test_no_network_blocks_connections():
    with text_encoder.no_network(), pytest.raises(ConnectionRefusedError, match="offline"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "gnnrec_core", "cold-start", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_cold_start_cli_contract(tmp_path):
    import json

    from conftest import SAMPLE

    out = tmp_path / "cold.json"
    done = run_cli(SAMPLE, "--drop-non-products", "--seed", "2", "--time-budget", "10", "--json", out)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["seed"] == 2 and result["held_out"] >= 20
    methods = {row["method"]: row for row in result["results"]}
    assert {"tfidf", "gcn", "combined"} <= set(methods)
    assert all(0 <= row["ndcg"] <= 1 and 0 <= row["hit_rate"] <= 1 for row in result["results"])
    # Names alone find real partners far above chance (10 partners among ~2,400 products).
    assert methods["tfidf"]["hit_rate"] > 0.3


def test_cold_start_cli_without_names_exits_2(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("order,customer,product\n" + "".join(f"o{i},u{i % 7},p{i % 5}\n" for i in range(60)))
    done = run_cli(path)
    assert done.returncode == 2 and "expected product names" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_find_products_puts_substring_matches_first_then_meaning():
    import pandas as pd

    from gnnrec_core.serving.search import find_products

    names = pd.Series(["PARTY BUNTING", "USB CHARGING CABLE", "WOODEN CROQUET GARDEN SET", "GARDEN PARTY INVITES",
                       "LAPTOP STAND", "PICNIC BASKET FOR FOUR"])
    hits = find_products("garden party", names, pd.Series([f"C{i}" for i in range(6)]), k=3)
    assert hits.iloc[0]["name"] == "GARDEN PARTY INVITES" and hits.iloc[0]["match"] == "name contains"
    if text_encoder.llm_available():
        meaning = hits[hits["match"] == "close in meaning"]["name"].tolist()
        assert len(meaning) == 3 and "USB CHARGING CABLE" not in meaning and "LAPTOP STAND" not in meaning
    assert find_products("c1", names, pd.Series([f"C{i}" for i in range(6)]))["name"].iloc[0] == "USB CHARGING CABLE"


def test_cluster_labels_name_each_cluster_by_its_own_words():
    import pandas as pd

    from gnnrec_core.serving.search import cluster_labels

    names = pd.Series(["RED TEA LIGHT HOLDER", "WHITE TEA LIGHT HOLDER", "SET OF 3 TEA LIGHT HOLDERS",
                       "CHRISTMAS STAR DECORATION", "CHRISTMAS TREE DECORATION", "CHRISTMAS BELL DECORATION"])
    labels = cluster_labels(names, np.array([0, 0, 0, 1, 1, 1]), n_words=2)
    assert set(labels[0].split(" · ")) <= {"tea", "light", "holder"}
    assert set(labels[1].split(" · ")) == {"christmas", "decoration"}


def test_reasons_say_names_alike_only_when_they_are():
    pytest.importorskip("wordllama")
    from gnnrec_core.serving.recommend import _with_name_likeness

    paths = _with_name_likeness(["bought A", "bought B"], ["RED TEA LIGHT HOLDER", "RED TEA LIGHT HOLDER"],
                                ["WHITE TEA LIGHT HOLDER", "USB CHARGING CABLE"])
    assert paths[0].startswith("bought A | names alike (") and paths[1] == "bought B"


def test_cluster_labels_are_drawn_on_the_map_as_text():
    import pandas as pd

    from gnnrec_core.serving.plots import product_map

    points = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0], "name": ["a", "b"], "item": ["1", "2"], "size": [1, 2],
                           "hover": ["", ""], "cluster": ["01 tea", "02 <b>star</b>"]})
    labels = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0], "text": ["tea · light", "<b>star</b>"]})
    texts = [a.text for a in product_map(points, "cluster", None, "", labels).layout.annotations]
    assert texts == ["tea · light", "&lt;b&gt;star&lt;/b&gt;"]
