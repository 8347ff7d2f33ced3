"""A table's verdicts (records.Verdicts) in words: one wording for the CLI, the Train page and the report.

A gain is worded by its interval: "ahead of" or "behind" only when the 95% interval excludes zero,
"level with" when it does not; a gain saved without an interval says so.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..matrix.interactions import SPLIT_WORDS
from ..pipeline.table_verdicts import POPULARITY_ROW
from ..records import BudgetCut, Gain, RunInfo, Verdicts, filter_share_words
from ..setting_words import epochs_words

PHRASES = {"ahead": "ahead of", "behind": "behind", "level": "level with"}


def percent(x: float) -> str:
    """A signed share to one decimal, or to the first digit that is not zero where one decimal would
    print a non-zero bound as "+0.0%" (a level interval read as touching zero): "+0.04%", "-0.003%";
    exactly zero is "0%"."""
    if x == 0:
        return "0%"
    decimals = 1
    while abs(round(x * 100, decimals)) == 0 and decimals < 6:
        decimals += 1
    return f"{x:+.{decimals}%}"


def interval_words(gain: Gain) -> str:
    """'95% interval -0.8% to +3.2% over 812 test users', or why there is none."""
    if gain.low is None or gain.high is None:
        if gain.reference_value == 0:
            return f"no interval: the reference scores 0 on each of {gain.n:,} {gain.over}"
        if gain.n > 0:
            return f"no interval from {gain.n:,} {gain.over}"
        return "no interval: a run saved before intervals were kept"
    if gain.low == gain.high == 0:
        return f"the same on each of {gain.n:,} {gain.over}"
    return f"95% interval {percent(gain.low)} to {percent(gain.high)} over {gain.n:,} {gain.over}"


def gain_words(gain: Gain) -> str:
    """'LightGCN is level with Graph filter on nDCG@10: 0.1550 vs 0.1618, -4.2% (95% interval ...)'."""
    return (f"{gain.row_label} is {PHRASES[gain.verdict]} {gain.reference_label} on {gain.metric_label}: "
            f"{gain.value:.4f} vs {gain.reference_value:.4f}"
            + (f", {percent(gain.relative)}" if math.isfinite(gain.relative) else "") + f" ({interval_words(gain)})")


def training_sentence(gain: Gain, graph: Gain | None = None, cut: BudgetCut | None = None) -> str:
    """What training added over the best closed-form graph filter, and which model to trust; with
    `graph` (the best graph model against the best baseline) the trust never contradicts it: where a
    baseline ranks better than every graph model, the filter is trusted among the graph models only.
    With `cut` (the time budget stopped training while validation still improved) it says so, as
    "training added nothing" would otherwise read as final."""
    figures = (f"{gain.row_label} {gain.value:.4f} against {gain.reference_label} {gain.reference_value:.4f} "
               f"on {gain.metric_label}, {interval_words(gain)}")
    # The reference is a filter, or Popularity where the trained row's blend adds the popularity prior
    # and the prior alone ranks better than every filter (table_verdicts.verdicts)
    prior = gain.reference.split("+")[0] == POPULARITY_ROW
    untrained = "its blend's popularity prior alone" if prior else "a graph filter solved without training"
    if gain.verdict == "ahead":
        over = "its blend's popularity prior alone" if prior else "the best graph filter solved without training"
        said = f"Training added {percent(gain.relative)} over {over} ({figures})."
    elif gain.verdict == "level":
        said = (f"Training added nothing measurable: {percent(gain.relative)}, inside the noise ({figures}). "
                f"{_capitalised(gain.reference_label)} gives the same ranking quality with no training.")
    else:
        if prior:
            trust = f"Trust {gain.reference_label} for ranking."
        elif graph is None or graph.verdict != "behind":
            trust = "Trust the filter for ranking."
        elif graph.reference_value > gain.reference_value:
            trust = (f"Of the graph models, trust the filter; {graph.reference_label}, not a graph model, ranks better "
                     "still.")
        else:  # the baseline beat the graph row validation chose, not the filter (0.30895 "better" than 0.30896)
            trust = (f"Trust the filter for ranking: {graph.reference_label}, not a graph model, ranks better than "
                     f"{graph.row_label} but not than the filter ({graph.reference_value:.4f}).")
        said = (f"Training added nothing on this data: {gain.row_label} is behind {gain.reference_label}, "
                f"{untrained}, by {percent(gain.relative).lstrip('-')} ({figures}). {trust}")
    if cut is not None:
        epochs = epochs_words(cut.epochs, cut.last_epoch_share)
        still = ("while still improving on validation" if cut.epochs > 1 else  # one validation figure is no trend
                 "before a second validation could show whether it was improving")
        if cut.reason == "epochs":
            said += (f" {cut.label}'s training ran its most epochs ({cut.epochs}) {still}: more epochs (--epochs, or "
                     "the Train page's Epochs) may change this.")
        else:
            said += (f" {cut.label}'s training was stopped by its {cut.budget:.4g} s time budget after {epochs} "
                     f"{still}{filter_share_words(cut.filter_seconds, cut.budget)}: a longer time budget may change "
                     "this.")
    return said


def _capitalised(label: str) -> str:
    """A label opening a sentence ("the best filter of each seed ..." over seeds)."""
    return label[:1].upper() + label[1:]


def graph_sentence(gain: Gain, training: Gain | None = None) -> str:
    """The best graph model against the best non-graph baseline, and which one to trust. With
    `training` (what training added, of the same run): where the graph row is the trained row and ahead,
    training added nothing measurable and the filter alone is ahead of the baseline by at least the
    lead's lower bound, it says the lead needs no training (a green "ahead of EASE" read as the GNN's win).
    A level graph row has no lead to speak of ("is level with EASE. The lead needs no training" was said)."""
    words = gain_words(gain)
    if gain.verdict == "behind":
        # No word on the map here: the sentence is shown on runs without one (a filter's, EASE's).
        return f"{words}. On this data, trust {gain.reference_label} for ranking."
    if (gain.verdict == "ahead" and training is not None and training.row == gain.row and training.verdict != "ahead"
            and gain.reference_value > 0):
        filter_lead = training.reference_value / gain.reference_value - 1
        if filter_lead > 0 and filter_lead >= (gain.low if gain.low is not None else gain.relative):
            return (f"{words}. The lead needs no training: {training.reference_label} alone scores "
                    f"{training.reference_value:.4f}, {percent(filter_lead)} over {gain.reference_label} at "
                    f"{gain.reference_value:.4f}.")
    return f"{words}."


def trusted_model(found: Verdicts, served: str) -> tuple[str, str] | None:
    """(model, its label) the verdicts trust where it is not `served`, the run's model: a baseline
    ranking better than the graph row validation chose first (unless the filter training fell behind
    ranks at least as well on test: then the filter), then a filter that training fell behind, then the
    graph model ahead of the baseline a run serves (an EASE run behind RP3beta said nothing); "level"
    trusts the run's model as well."""
    trusted = None
    filter_first = (found.training is not None and found.training.verdict == "behind" and found.graph is not None
                    and found.training.reference_value >= found.graph.reference_value)
    if found.graph is not None and found.graph.verdict == "behind" and not filter_first:
        trusted = found.graph.reference, found.graph.reference_label
    elif found.training is not None and found.training.verdict == "behind":
        trusted = found.training.reference, found.training.reference_label
    elif found.graph is not None and found.graph.verdict == "ahead" and found.graph.reference.split("+")[0] == served:
        trusted = found.graph.row, found.graph.row_label
    if trusted is None or trusted[0].split("+")[0] == served:
        return None
    return trusted[0].split("+")[0], trusted[1]


def serving_note(found: Verdicts, served: str, whose: str = "the verdicts", label: str | None = None) -> str | None:
    """Where the verdicts trust another model than the one a saved run serves: which, and how to
    serve it. `whose`: the verdicts' name in the sentence (advice_verdicts' second value); `label`: the
    served model as the run serves it (`registry.served_label`, its blend named), else its label."""
    trusted = trusted_model(found, served)
    if trusted is None:
        return None
    from ..models.registry import LABELS

    model = trusted[0]
    more = "more epochs" if found.cut is not None and found.cut.reason == "epochs" else "a longer time budget"
    longer = f" (or give training {more}: it was still improving)" if found.cut is not None else ""
    return (f"This run serves {label or LABELS.get(served, served)}; {whose} trust {trusted[1]}. To serve that "
            f"instead, train it as the run's model (--model {model}, or the Train page's Model){longer}.")


def advice_verdicts(info: RunInfo) -> tuple[Verdicts, str]:
    """The verdicts the advice on which model to serve follows, and their name: over the seeds where
    the run was repeated (each falling back to the first seed's where the seeds give none), else the
    run's own. One seed's verdict is not what a repeated run's reader should act on."""
    own = run_verdicts(info)
    if not info.seeds:
        return own, "the verdicts"
    over = info.over_seeds
    return (replace(over, training=over.training or own.training, graph=over.graph or own.graph),
            f"the verdicts {seeds_words(info.seeds)}")


def run_verdicts(info: RunInfo) -> Verdicts:
    """A saved run's verdicts; a run saved before they were kept gets them from its rows, without
    intervals (the words say so). A run saved before a blend's missing filter was caught has its
    training verdict (read against Popularity alone) taken back, with the reason."""
    from ..pipeline.table_verdicts import missing_filter, verdicts

    if info.verdicts.training is None and info.verdicts.graph is None:
        return verdicts(info.results, k=info.k)
    saved = info.verdicts
    trained = next((row for row in info.results if saved.training is not None and row.key == saved.training.row), None)
    unread = missing_filter(trained, info.results) if trained is not None else ""
    return replace(saved, training=None, training_unread=unread) if unread else saved


def seeds_caption(split: dict, seeds: tuple[int, ...] = ()) -> str:
    """What the two kinds of interval of a repeated run are over (RunInfo.split: the first seed's),
    and, over two seeds, how wide that makes them (`few_seeds_words`)."""
    varied = ("training's noise alone: the test set was the same for every seed" if _same_test_set(split)
              else "the split's noise and training's")
    few = few_seeds_words(len(seeds))
    return ("The first verdicts' intervals are over this run's test users (the first seed's run: the test set's "
            "noise); those over seeds read the same comparison in each seed's run, each choosing its rows on its "
            f"own validation, with Student's t over the seeds: {varied}." + (f" {few}" if few else ""))


def few_seeds_words(count: int) -> str:
    """Said beside verdicts over two seeds: Student's t with one degree of freedom (12.7 standard
    errors each side) reads "level" where a single seed's verdict need not; nothing from three on."""
    if count != 2:
        return ""
    return ("Over 2 seeds the interval is very wide (Student's t with one degree of freedom), so only a large "
            "difference shows and it can read level where one seed's verdict does not: repeat over 5 or more "
            "seeds to read it closer.")


def seeds_words(seeds: tuple[int, ...], gain: Gain | None = None) -> str:
    """'over 5 seeds (0 to 4)': the seeds a run's verdicts over seeds read; 'over 4 of 5 seeds (0 to
    4)' where `gain`, a verdict over seeds, read fewer (a seed whose run lacked one of its rows)."""
    if not seeds:
        return "over seeds"
    read = gain.n if gain is not None and gain.over == "seeds" and 0 < gain.n < len(seeds) else None
    return f"over {'' if read is None else f'{read} of the '}{len(seeds)} seeds ({seeds[0]} to {seeds[-1]})"


def first_split_words(seeds: tuple[int, ...], split: dict) -> str:
    """', on the first seed's split (seed 0)' beside a repeated run's own verdicts, so that they are not
    read as the verdicts over seeds ("run" where every seed had the same test set); nothing for a run
    of one seed."""
    if not seeds:
        return ""
    return f", on the first seed's {'run' if _same_test_set(split) else 'split'} (seed {seeds[0]})"


def _same_test_set(split: dict) -> bool:
    """A given test set or a time cut: every seed of a repeated run scored the same test pairs."""
    return split.get("method") in ("given", "time")


def split_sentence(split: dict, k: int) -> str:
    """How a run's test figures were drawn (RunInfo.split): its own split, or the user's held-out file
    with what was skipped and why."""
    if split.get("method") == "given":
        how = (f"Split: your own test set ({split.get('heldout_pairs', 0):,} held-out pairs; skipped: "
               f"{split.get('skipped_unknown_users', 0):,} with a customer the dataset never saw, "
               f"{split.get('skipped_unknown_items', 0):,} with an unknown product, "
               f"{split.get('skipped_in_train', 0):,} already in train); every row of the dataset trained")
    else:
        method = SPLIT_WORDS.get(str(split.get("method")), f"{split.get('method')} holdout")
        how = f"Split: {method}, test share {split.get('test_size')}, seed {split.get('seed')}"
    cold = int(split.get("test_users_without_history") or 0)  # the CLI's data line says them too
    why = ("every interaction of theirs after the cut" if split.get("method") == "time" else
           "every interaction of theirs drawn for test")
    left = (f"; {cold:,} customer{'s' if cold > 1 else ''} left out ({why}, none before it to rank from)"
            if cold and split.get("method") != "given" else "")
    return (f"{how}; {split.get('train_interactions', 0):,} train / {split.get('test_interactions', 0):,} test "
            f"interactions over {split.get('test_users', 0):,} customers{kept_whole_words(split)}{left}. Metrics at "
            f"k={k}, full ranking, each customer's train items excluded.")


def kept_whole_words(split: dict) -> str:
    """'; 25,194 customers with fewer than 5 products stay whole in train, none of theirs tested': on a
    sparse review log most customers, so a verdict speaks of the heaviest few. Empty where none is."""
    kept = int(split.get("users_kept_whole") or 0)
    if not kept:
        return ""
    few = int(split.get("min_user_interactions") or 0)
    many = kept > 1
    return (f"; {kept:,} customer{'s' if many else ''} with fewer than {few} products stay{'' if many else 's'} whole "
            "in train, none of theirs tested")

