"""The sampled softmax (fit/train.py, above `full_softmax_items` items): with many negatives its loss
is the full softmax's, whether negatives are drawn uniformly or by popularity (the logQ correction),
and a popularity draw follows the items' buyers."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from gnnrec_core.errors import ConfigError
from gnnrec_core.fit.train import POPULARITY_POWER, TrainConfig, Trainer, _sampled_softmax_loss


def _case(seed=0, users=6, items=40, dim=8):
    generator = torch.Generator().manual_seed(seed)
    user_vectors = F.normalize(torch.randn(users, dim, generator=generator), dim=1)
    item_vectors = torch.randn(items, dim, generator=generator)
    bias = torch.randn(items, generator=generator) * 0.5
    rng = np.random.default_rng(seed)
    rows = sp.csr_matrix((rng.random((users, items)) < 0.15).astype(np.float32))
    rows = sp.csr_matrix(sp.diags(1.0 / np.maximum(rows.sum(1).A.ravel(), 1)) @ rows)
    return user_vectors, item_vectors, bias, rows


def _full(users, items, bias, rows, temperature):
    """The exact loss: every item in the denominator (each positive counted once more, as the
    sampled loss adds it beside the estimate of the catalogue's sum)."""
    logits = users @ F.normalize(items, dim=1).T / temperature + bias
    coo = rows.tocoo()
    positive = logits[coo.row, coo.col]
    rest = torch.logsumexp(logits, dim=1)[coo.row]
    return -(torch.from_numpy(coo.data) * (positive - torch.logaddexp(positive, rest))).sum() / rows.shape[0]


@pytest.mark.parametrize("kind", ["uniform", "popularity"])
def test_many_negatives_give_the_full_softmax_loss(kind):
    users, items, bias, rows = _case()
    config = TrainConfig(sampled_negatives=400_000, negative_sampling=kind)
    generator = torch.Generator().manual_seed(1)
    q = None
    if kind == "popularity":  # a skewed draw: the correction must undo it
        weight = torch.arange(1, items.shape[0] + 1, dtype=torch.float32) ** 2
        q = weight / weight.sum()
        negatives = torch.multinomial(q, config.sampled_negatives, replacement=True, generator=generator)
    else:
        negatives = torch.randint(items.shape[0], (config.sampled_negatives,), generator=generator)
    sampled = _sampled_softmax_loss(users, items, bias, rows, config, negatives, torch.device("cpu"), q)
    exact = _full(users, items, bias, rows, config.temperature)
    assert float(sampled) == pytest.approx(float(exact), rel=5e-3)


def test_popularity_negatives_follow_the_buyers_where_the_softmax_is_sampled():
    rng = np.random.default_rng(0)
    buyers = np.array([50, 10, 1, 0] + [2] * 26)  # 30 items
    rows = [(u, i) for i, n in enumerate(buyers) for u in rng.choice(60, n, replace=False)]
    train = sp.csr_matrix((np.ones(len(rows)), tuple(np.array(rows).T)), shape=(60, 30))
    module = torch.nn.Linear(1, 1)  # parameters for the optimiser; start() reads nothing else of it
    module.forward = lambda: (torch.zeros(60, 4), torch.zeros(30, 4))
    trainer = Trainer(TrainConfig(full_softmax_items=10, item_bias=False, negative_sampling="popularity"))
    trainer.start(module, train)
    expected = (buyers + 1.0) ** POPULARITY_POWER
    np.testing.assert_allclose(trainer._sampling.numpy(), expected / expected.sum(), rtol=1e-6)
    drawn = trainer._negatives(30, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert np.bincount(drawn.numpy(), minlength=30)[0] > np.bincount(drawn.numpy(), minlength=30)[3] * 10
    under = Trainer(TrainConfig(negative_sampling="popularity"))  # 30 items: the full softmax, nothing drawn
    under.start(module, train)
    assert under._sampling is None and under._negatives(30, torch.Generator(), torch.device("cpu")) is None
    with pytest.raises(ConfigError, match="negative_sampling: expected one of uniform, popularity"):
        TrainConfig(negative_sampling="hard")


@pytest.mark.parametrize("with_bias", [True, False])
def test_the_full_softmax_read_at_the_targets_is_the_dense_cross_entropy(with_bias):
    """Below `full_softmax_items` the loss reads log-probabilities at the targets' entries, the
    temperature on the users' side: the same value as the dense target matrix's cross-entropy."""
    users, items, bias, rows = _case(seed=3, users=9, items=30)
    trainer = Trainer(TrainConfig(temperature=0.2))
    trainer._bias, trainer._sampling = (bias if with_bias else None), None
    batch = np.array([4, 0, 7])
    user_emb = users * 3.0  # the loss normalises the batch's user vectors itself
    targets = sp.csr_matrix(rows)
    loss = trainer._loss(user_emb, items, batch, targets, targets, torch.Generator(), torch.device("cpu"))
    logits = F.normalize(user_emb[batch], dim=1) @ F.normalize(items, dim=1).T / 0.2 + (bias if with_bias else 0)
    dense = torch.from_numpy(targets[batch].toarray())
    assert float(loss) == pytest.approx(float(-(F.log_softmax(logits, dim=1) * dense).sum(1).mean()), rel=1e-5)
