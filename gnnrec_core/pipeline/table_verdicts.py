"""The two verdicts every table is read by (records.Verdicts), and the gains they are made of:
what training added over the best closed-form graph filter, and the best graph model against the
best non-graph baseline, each with its 95% interval over the test cases (or over seeds)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from ..fit.metrics import Evaluation
from ..models import SPECS
from ..models.registry import BLEND_FILTERS, FILTER_PARTS, PART_LABELS, filter_part, row_label
from ..records import BudgetCut, Gain, ResultRow, Verdicts

Z_95 = 1.959964  # the normal quantile of a two-sided 95% interval
POPULARITY_PART, POPULARITY_ROW = "popularity", "pop"  # a blend's prior, and the model that ranks by it alone


def gain(row: ResultRow, reference: ResultRow, k: int, metric: str = "ndcg",
         paired: tuple[np.ndarray, np.ndarray] | None = None, over: str = "test users") -> Gain:
    """A table's Gain: `row` against `reference` on `metric`, with `paired` (each test case's figure
    for both rows, the same cases in the same order) its 95% interval over the test cases (`over`)."""
    value, base = row.metric(metric), reference.metric(metric)
    return paired_gain((row.key, reference.key), (value, base), metric, k, paired, over,
                       (row_label(row.model, row.blend), row_label(reference.model, reference.blend)))


def paired_gain(keys: tuple[str, str], means: tuple[float, float], metric: str, k: int,
                paired: tuple[np.ndarray, np.ndarray] | None, over: str, labels: tuple[str, str],
                critical: float = Z_95) -> Gain:
    """The one producer of a Gain, from two means and, with `paired`, each test case's figure for
    both (the same cases in the same order: test users in a table, test baskets in basket
    completion, seeds in `seeds_verdicts`): the 95% interval of the relative change is the mean
    per-case difference +/- `critical` standard errors (the normal's 1.96; Student's t over a
    handful of seeds), divided by the reference's mean."""
    value, base = means
    relative = (value - base) / base if base else float("nan")
    low = high = None
    n = 0
    if paired is not None:
        difference = np.asarray(paired[0], np.float64) - np.asarray(paired[1], np.float64)
        n = len(difference)
        if n > 1 and base:
            half = critical * float(difference.std(ddof=1)) / np.sqrt(n)
            low, high = (float(difference.mean()) - half) / base, (float(difference.mean()) + half) / base
    return Gain(row=keys[0], reference=keys[1], metric=metric, k=k, value=value, reference_value=base,
                relative=relative, low=low, high=high, over=over, n=n, row_label=labels[0], reference_label=labels[1])


def _finite(value: float | None) -> bool:
    return value is not None and bool(np.isfinite(value))


def verdicts(scored: Sequence[tuple[ResultRow, Evaluation | None]] | Sequence[ResultRow], k: int = 10,
             metric: str = "ndcg", over: str = "test users", asked: Sequence[str] = ()) -> Verdicts:
    """The two comparisons every table is read by (records.Verdicts): the trained row (a GNN alone
    or blended) against the best closed-form graph filter, and the graph row (filter, GNN or blend)
    against the best non-graph baseline. The side a verdict speaks for is the best of its kind on
    validation (the figure each row chose its settings by; by the test metric where a row has none,
    as in a run saved before); the reference is the best of its kind on test. So neither verdict
    flatters its claim: picking the best of four trained rows by their test figures overstated what
    training added, and a reference picked on validation could sit below a row the table shows
    above it. With each row's evaluation, every gain carries its interval over the test cases
    (`over`: test users, or basket completion's test baskets); rows alone (a saved run from before
    intervals were kept) give the gains without one."""
    pairs = [(item, None) if isinstance(item, ResultRow) else item for item in scored]

    def best(kind: Callable[[ResultRow], bool], on_validation: bool = False
             ) -> tuple[ResultRow, Evaluation | None] | None:
        found = [(row, ev) for row, ev in pairs if kind(row)]
        # A GNN whose blend was kept is not its own candidate: the blend beat it on the blend's own
        # customers, a sample its alone figure (the whole carve) was not measured on.
        blended = {row.model for row, _ in found if row.blend}
        candidates = [(row, ev) for row, ev in found if row.blend or row.model not in blended]
        if on_validation and candidates and all(_finite(row.valid_ndcg) for row, _ in candidates):
            return max(candidates, key=lambda pair: float(pair[0].valid_ndcg))  # type: ignore[arg-type]
        return max(found, key=lambda pair: pair[0].metric(metric)) if found else None

    def compare(a: tuple[ResultRow, Evaluation | None] | None,
                b: tuple[ResultRow, Evaluation | None] | None) -> Gain | None:
        if a is None or b is None:
            return None
        (row, found), (ref, ref_found) = a, b
        paired = None
        if found is not None and ref_found is not None and metric in found.per_user.get(k, {}):
            paired = (found.per_user[k][metric], ref_found.per_user[k][metric])
        return gain(row, ref, k, metric, paired, over)

    trained = best(lambda r: SPECS[r.model].is_gnn, on_validation=True)
    # What training added is read against what the trained row is made of without training: the filters,
    # and Popularity where its blend adds the popularity prior (on a sparse check-in log "LightGCN +
    # popularity x1" was credited +24% over the filters while Popularity alone ranked better still).
    prior = trained is not None and trained[0].blend.get(POPULARITY_PART, 0) > 0
    closed_form = best(lambda r: SPECS[r.model].is_filter or (prior and r.model == POPULARITY_ROW))
    # A blend leaning on a filter the table has no row of is not read against Popularity alone: `benchmark
    # --models pop,itemknn,lightgcn` credited training with +223% that was mostly the blend's random-walk filter
    unread = missing_filter(trained[0], [row for row, _ in pairs]) if trained is not None else ""
    graph = best(lambda r: SPECS[r.model].kind != "baseline", on_validation=True)
    baseline = best(lambda r: SPECS[r.model].kind == "baseline")
    versus = compare(graph, baseline)
    # `asked`: the run's models. A baseline asked for that has no row (EASE above its dense cap) is
    # named, so "the best baseline" is not read as the best of every baseline.
    missing = [SPECS[m].label for m in dict.fromkeys(asked) if SPECS[m].kind == "baseline"
               and not any(row.model == m for row, _ in pairs)]
    if versus is not None and missing:
        versus = replace(versus, reference_label=f"{versus.reference_label} (the best baseline that ran; "
                                                 f"{' and '.join(missing)} did not)")
    return Verdicts(training=None if unread else compare(trained, closed_form), graph=versus,
                    cut=budget_cut(trained[0]) if trained is not None else None, training_unread=unread)


def missing_filter(trained: ResultRow, rows: Sequence[ResultRow]) -> str:
    """Why what training added cannot be read, where the trained row's blend holds a filter part whose
    model has no row in the table; empty where it can."""
    part, weight = filter_part(trained.blend)
    model = BLEND_FILTERS[FILTER_PARTS.index(part)]
    if weight <= 0 or any(row.model == model for row in rows):
        return ""
    return (f"not read: {row_label(trained.model, trained.blend)} leans on {PART_LABELS[part]} x{weight:g}, and "
            f"{SPECS[model].label} has no row of its own in this table to read it against (add {model} to the "
            "models run)")


def seeds_verdicts(runs: Sequence[Verdicts]) -> Verdicts:
    """Each run's two verdicts (one per seed) read over the runs: each run's pair as its own validation chose it
    (what the product does on any one run), the change of the mean and its 95% interval from
    Student's t over the seeds. None where fewer than two runs have the verdict."""
    from scipy.stats import t

    def over_seeds(gains: list[Gain | None], whats: tuple[str, str]) -> Gain | None:
        found = [g for g in gains if g is not None and np.isfinite([g.value, g.reference_value]).all()]
        if len(found) < 2:  # the interval then says over how many seeds it is
            return None
        values = np.array([g.value for g in found])
        references = np.array([g.reference_value for g in found])
        # The most frequent key, the first seed's on a tie (Counter keeps first-seen order; a set's
        # order would change with the hash seed).
        keys = tuple(Counter(names).most_common(1)[0][0] for names in ([g.row for g in found],
                                                                        [g.reference for g in found]))
        labels = (_chosen_in_each([g.row_label for g in found], whats[0]),
                  _chosen_in_each([g.reference_label for g in found], whats[1]))
        first = found[0]
        return paired_gain((keys[0], keys[1]), (float(values.mean()), float(references.mean())), first.metric,
                           first.k, (values, references), "seeds", labels, float(t.ppf(0.975, len(found) - 1)))

    training = over_seeds([r.training for r in runs], ("the trained row", "the best filter"))
    graph = over_seeds([r.graph for r in runs], ("the graph row", "the best baseline"))
    cuts = [r.cut for r in runs]  # said only where the budget cut training short in every run
    cut = cuts[0] if cuts and all(c is not None for c in cuts) else None
    unread = next((r.training_unread for r in runs if r.training_unread), "") if training is None else ""
    return Verdicts(training=training, graph=graph, cut=cut, training_unread=unread)


def _chosen_in_each(labels: list[str], what: str) -> str:
    """One label where every seed chose the same row, else what each seed chose and how often."""
    counts = Counter(labels).most_common()
    if len(counts) == 1:
        return labels[0]
    return f"{what} of each seed ({'; '.join(f'{label} in {n} of {len(labels)}' for label, n in counts)})"


def budget_cut(row: ResultRow) -> BudgetCut | None:
    """Where the time budget, or the most epochs allowed, ended a trained row's training at an epoch
    that was still its best on validation: the verdict then says that more may change it. (A run
    that ends neither by its budget, nor by patience nor a cancel ran its most epochs: `stopped` "".)"""
    tuning = row.tuning
    if tuning is None or not tuning.epochs or tuning.best_epoch != tuning.epochs or tuning.stopped not in (
            "deadline", ""):
        return None
    return BudgetCut(SPECS[row.model].label, float(tuning.budget or 0.0), int(tuning.epochs),
                     "deadline" if tuning.stopped == "deadline" else "epochs", tuning.last_epoch_share,
                     tuning.filter_seconds)
