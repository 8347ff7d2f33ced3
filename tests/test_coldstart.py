import numpy as np
import pandas as pd
import scipy.sparse as sp
from conftest import communities

from gnnrec_core.matrix.features import item_features
from gnnrec_core.models import FeatureGCN

FAMILIES = {"lamp": ["brass lamp", "glass lamp", "paper lamp", "steel lamp", "wood lamp"],
            "mug": ["blue mug", "red mug", "tall mug", "small mug", "spotted mug"]}


def test_new_product_is_placed_among_its_family():
    """Customers buy within one family; a new 'copper lamp' with no sales must land among lamps."""
    names = FAMILIES["lamp"] + FAMILIES["mug"]
    catalogue = pd.DataFrame({"name": names + ["copper lamp"],
                              "category": ["lighting"] * 5 + ["kitchen"] * 5 + ["lighting"],
                              "price": [30, 32, 12, 40, 35, 5, 6, 7, 4, 6, 38]}, index=[f"i{n}" for n in range(11)])
    features = item_features(catalogue, np.array(catalogue.index))
    train = communities(users_each=30, items_each=5, bought=3)
    model = FeatureGCN(item_features=features[:10], epochs=30, dim=16).fit(train)
    new = model.embed_new_items(features[10:])
    similarity = new @ model.item_vectors().T
    top = np.argsort(-similarity[0])[:5]
    assert set(top) <= set(range(5)), top  # the five lamps, not the mugs
    assert similarity[0, :5].mean() > similarity[0, 5:].mean()


def test_embedding_survives_save_and_load(tmp_path):
    catalogue = pd.DataFrame({"name": FAMILIES["lamp"] + FAMILIES["mug"]}, index=[f"i{n}" for n in range(10)])
    features = item_features(catalogue, np.array(catalogue.index))
    train = sp.csr_matrix(np.kron(np.eye(2), np.ones((5, 5))).astype(np.float32))
    model = FeatureGCN(item_features=features, epochs=5, dim=8).fit(train)
    before = model.embed_new_items(features[:2])
    loaded = FeatureGCN.load(model.save(tmp_path / "gcn.npz"))
    assert np.allclose(loaded.embed_new_items(features[:2]), before, atol=1e-5)


def test_feature_layout_depends_on_the_fit_not_the_rows():
    from gnnrec_core.matrix.features import ItemFeaturizer

    catalogue = pd.DataFrame({"name": ["a lamp", "a mug", "a vase"], "category": ["x", "y", "x"],
                              "price": [3.0, 4.0, 5.0]})
    featurizer = ItemFeaturizer().fit(catalogue)
    fitted = featurizer.transform(catalogue)
    new = featurizer.transform(pd.DataFrame({"name": ["new lamp"], "category": [None], "price": [None]}))
    assert new.shape == (1, fitted.shape[1])
    # The same row gives the same vector, and a new product's words land on the fitted columns:
    # "new lamp" shares "lamp" with "a lamp", nothing with "a mug".
    assert np.allclose(featurizer.transform(catalogue.iloc[[1]]), fitted[[1]])
    unit = fitted / np.maximum(np.linalg.norm(fitted, axis=1, keepdims=True), 1e-12)
    similarity = unit @ (new[0] / np.linalg.norm(new[0]))
    assert similarity[0] > similarity[1] and similarity[0] > similarity[2]


def test_cold_start_mix_is_chosen_on_validation_products_and_scored_on_the_others():
    from conftest import SAMPLE

    from gnnrec_core.data.ingest import ingest
    from gnnrec_core.pipeline.benchmark import prepare
    from gnnrec_core.serving.coldstart import GCN_SHARES, TEXT_METHODS, cold_start_eval

    dataset = prepare(ingest(SAMPLE, drop_non_products=True))
    result = cold_start_eval(dataset, seed=1, auto=False, blend=False, epochs=3, dim=8)
    on_valid = result["valid_ndcg_by_mix"]
    texts = [m for m in TEXT_METHODS if m in result["results"]]
    assert set(on_valid) == {f"{t} {s}" for t in texts for s in GCN_SHARES}
    assert on_valid[f"{result['combined_text']} {result['gcn_share']}"] == max(on_valid.values())
    assert result["scored_products"] == result["held_out_products"] - result["held_out_products"] // 2
    combined, text = result["results"]["combined"], result["results"][result["combined_text"]]
    if result["gcn_share"] == 0.0:  # the mix with no GCN share is text alone, on the same scored products
        assert combined == text
    # The verdict: the mix against the best way of reading names alone, over the scored products.
    verdict = result["verdict"]
    best = max(texts, key=lambda m: result["results"][m]["ndcg"])
    assert (verdict.row, verdict.reference, verdict.n) == ("combined", best, result["scored_products"])
    assert verdict.value == combined["ndcg"] and verdict.reference_value == result["results"][best]["ndcg"]
    assert verdict.low is not None and verdict.low <= verdict.relative <= verdict.high
