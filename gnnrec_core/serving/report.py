"""A self-contained HTML report of a run for stakeholders: dataset summary, the metrics table
against the baselines, the product map, the top associations and example customers with reasoned
recommendations. plotly.js is inlined, so the file opens in a browser with no server and no
network. Every text that came from an upload is escaped.
"""

from __future__ import annotations

import html
import time
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..baskets.associations import BasketStats, basket_stats
from ..baskets.changes import ChangeReport
from ..baskets.evidence import THIN
from ..baskets.history_shares import share_of, share_text
from ..data.log_words import PURCHASES, LogWords
from ..data.summary import summary
from ..fit.metrics import METRICS, VALIDATION_K
from ..models import Recommender
from ..models.registry import row_label, served_label
from ..pipeline.benchmark import Dataset
from ..record_fields import METRIC_LABELS
from ..records import RunInfo, Verdicts
from .explore import example_customers, top_pairs
from .plots import product_map
from .projection import laid_out_points, pca_2d
from .recommend import headings, recommend_table
from .verdicts import (
    advice_verdicts,
    first_split_words,
    graph_sentence,
    run_verdicts,
    seeds_caption,
    seeds_words,
    serving_note,
    split_sentence,
    training_sentence,
)

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #0f172a; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.9rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #e2e8f0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .8rem; }
.card { background: #f1f5f9; border-radius: 8px; padding: .7rem 1rem; }
.card b { display: block; font-size: 1.4rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .6rem 0; }
th, td { border-bottom: 1px solid #e2e8f0; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f8fafc; } .note { color: #475569; font-size: .9rem; }
.verdict { background: #fef9c3; padding: .7rem 1rem; border-radius: 8px; }
.verdict.good { background: #dcfce7; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _table(frame: pd.DataFrame, floats: str = "{:.4f}", formats: dict[str, str] | None = None) -> str:
    """`formats`: a column's own format where it is not `floats` (seconds to a tenth)."""
    formatters = {c: (lambda v, f=(formats or {}).get(c, floats): "–" if pd.isna(v) else f.format(v))  # never "None"
                  for c in frame.columns if pd.api.types.is_float_dtype(frame[c])}
    text: str = frame.to_html(index=False, escape=True, formatters=formatters, border=0, na_rep="–")
    return text


def html_report(dataset: Dataset, model: Recommender, info: RunInfo, examples: int = 3, k: int = 10,
                changes: ChangeReport | None = None) -> str:
    """The report as one HTML string: `info` is the run's record (results, model, dataset);
    `changes`, a comparison of two periods or segments, adds a "What changed" section."""
    figures = summary(dataset.ingest)
    stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())
    parts = [f"<h1>Product associations: {_e(info.dataset.name or info.dataset.source or 'dataset')}</h1>",
             f"<p class='note'>Model {_e(served_label(info))}. "
             f"Generated {time.strftime('%Y-%m-%d %H:%M')} by gnnrec.</p>",
             "<h2>Dataset</h2><div class='cards'>"]
    for label, value in (("Customers", figures.users), ("Products", figures.items), ("Baskets", figures.baskets),
                         ("Customer-product pairs", figures.user_item_pairs)):
        parts.append(f"<div class='card'>{label}<b>{value:,}</b></div>")
    span = f"{figures.first_time[:10]} to {figures.last_time[:10]}" if figures.first_time and figures.last_time \
        else "no dates"
    parts.append(f"<div class='card'>Dates<b style='font-size:1rem'>{_e(span)}</b></div></div>")
    if figures.ratings_words:
        parts.append(f"<p class='note'>Ratings: {_e(figures.ratings_words)}.</p>")
    if figures.items_with_users != figures.items:  # the table below ranks only these
        parts.append(f"<p class='note'>{figures.items_with_users:,} of the {figures.items:,} products were "
                     f"{figures.words.bought} by a known customer: the catalogue the models rank; the rest appear "
                     "in baskets without a customer only.</p>")
    dropped = dataset.ingest.report.dropped
    if dropped:
        parts.append("<p class='note'>Rows dropped in cleaning: " +
                     ", ".join(f"{n:,} {_e(r)}" for r, n in dropped.items()) + ".</p>")
    parts += _metrics_section(info)
    parts += _map_section(dataset, model)
    parts += _associations_section(dataset, stats)
    parts += _examples_section(dataset, model, stats, examples, k, serving_note(*_advice(info)))
    if changes is not None:
        parts += changes_section(changes, words=dataset.words)
    return _page(parts)


def _advice(info: RunInfo) -> tuple[Verdicts, str, str, str]:
    """serving_note's arguments: the verdicts the advice follows, the run's model, their name, the model
    as the run serves it."""
    found, whose = advice_verdicts(info)
    return found, info.model, whose, served_label(info)


def _page(parts: list[str]) -> str:
    body = "\n".join(parts)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>gnnrec report</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def changes_html(changes: ChangeReport, dataset_name: str, words: LogWords = PURCHASES) -> str:
    """A stand-alone report of one period or segment comparison; `words`: what the log records."""
    return _page([f"<h1>What changed: {_e(dataset_name)}</h1>",
                  f"<p class='note'>Generated {time.strftime('%Y-%m-%d %H:%M')} by gnnrec.</p>",
                  *changes_section(changes, words=words)])


def _side(period: dict[str, Any]) -> str:
    if "group" in period:
        return f"{period['column']} = {period['group']}"
    return f"{_moment(period['start'])} to {_moment(period['end'])} (end excluded)"


def _moment(stamp: Any) -> str:
    """A day where the time is midnight, else the day and time: an open end is the data's last time
    plus a second, and cut to its day it read as excluding that day's baskets."""
    text = str(stamp)
    return text[:10] if text[10:].strip() in ("", "00:00:00") else text[:19]


STATUS_ORDER = ("rising", "new", "falling", "gone")


def changes_section(changes: ChangeReport, top: int = 10, words: LogWords = PURCHASES) -> list[str]:
    """Named changes only, each list headed by how many there are; the wording follows q-values."""
    q, config = changes.config.q_threshold, changes.config
    a, b = changes.periods
    out = ["<h2>What changed</h2>", "<div class='cards'>",
           f"<div class='card'>a: {_e(_side(a))}<b>{a['baskets']:,} baskets</b></div>",
           f"<div class='card'>b: {_e(_side(b))}<b>{b['baskets']:,} baskets</b></div></div>",
           f"<p class='note'>Every product and pair in at least {config.min_baskets} baskets of a and b together "
           f"was tested ({len(changes.items):,} products, {len(changes.pairs):,} pairs; Fisher's exact test on "
           + ("its buyers, a customer's repeat orders counted once: a holds {:,} buyers, b {:,}".format(
               a["buyers"], b["buyers"]) if changes.repeat_buyers else f"its {share_of(changes.pair_shares)}")
           + f"). A change is called {', '.join(map(changes.word, STATUS_ORDER[:-1]))} or "
           f"{changes.word(STATUS_ORDER[-1])} only when its Benjamini-Hochberg q-value is at most {q}; everything "
           "else is no clear change.</p>"]
    for kind, label in (("items", "Products"), ("pairs", f"Pairs {words.bought} together")):
        table = changes.items if kind == "items" else changes.pairs
        for status in STATUS_ORDER:
            named = table[table["status"] == status]
            if named.empty:
                continue
            # A log of no names has float NaN names: text cannot fill them (pandas warns it will raise)
            what = named["name"].astype(object).fillna(named["item"]) if kind == "items" else \
                named["a_name"].astype(object).fillna(named["a"]) + " + " + \
                named["b_name"].astype(object).fillna(named["b"])
            shown = pd.DataFrame({"what": what, "baskets a": named["baskets_a"], "baskets b": named["baskets_b"],
                                  **({"buyers a": named["buyers_a"], "buyers b": named["buyers_b"]}
                                     if changes.repeat_buyers else {}),
                                  "share a": named["share_a"].map(share_text),
                                  "share b": named["share_b"].map(share_text),
                                  "q-value": named["q_value"].map("{:.2g}".format)})
            if kind == "pairs":
                shown["lift a"], shown["lift b"] = named["lift_a"], named["lift_b"]
            out += [f"<h3>{label}: {changes.word(status)} ({len(named):,})</h3>", _table(shown.head(top), "{:.1f}")]
    if len(out) == 5:
        out.append(f"<p class='verdict'>No product or pair changed with q-value at most {q}.</p>")
    return out


def _metrics_section(info: RunInfo) -> list[str]:
    results = info.results
    if not results:
        return []
    k = int(info.k)  # headings in words: the report is read by people, not parsed (run.json is)
    frame = pd.DataFrame([{"model": row_label(r.model, r.blend), f"validation nDCG@{VALIDATION_K}": r.valid_ndcg,
                           **{f"{METRIC_LABELS.get(m, m)}@{k}": r.metric(m) for m in METRICS},
                           "fit seconds": r.train_seconds} for r in results])
    out = [f"<h2>How well each model ranks (k = {int(info.k)}, same split)</h2>",
           _table(frame, formats={"fit seconds": "{:.1f}"}),
           f"<p>{_e(split_sentence(dict(info.split), int(info.k)))}</p>"]
    found = run_verdicts(info)
    if found.training is not None:  # the run's own model first: what training added
        said = training_sentence(found.training, found.graph, found.cut)
        where = first_split_words(info.seeds, dict(info.split))
        out.append(f"<p class='verdict'>What training added{_e(where)}: {_e(said)}</p>")
    elif found.training_unread:
        out.append(f"<p class='verdict'>What training added{_e(first_split_words(info.seeds, dict(info.split)))}: "
                   f"{_e(found.training_unread)}</p>")
    if found.graph is not None:
        good = found.graph.verdict != "behind"
        out.append(f"<p class='verdict{' good' if good else ''}'>Best graph model against the best baseline"
                   f"{_e(first_split_words(info.seeds, info.split))}: "
                   f"{_e(graph_sentence(found.graph, found.training))}</p>")
    over = info.over_seeds
    if over.training is not None:
        out.append(f"<p class='verdict'>What training added, {_e(seeds_words(info.seeds, over.training))}: "
                   f"{_e(training_sentence(over.training, over.graph, over.cut))}</p>")
    if over.graph is not None:
        good = over.graph.verdict != "behind"
        out.append(f"<p class='verdict{' good' if good else ''}'>Best graph model against the best baseline, "
                   f"{_e(seeds_words(info.seeds, over.graph))}: {_e(graph_sentence(over.graph, over.training))}</p>")
    if info.seeds and (over.training is not None or over.graph is not None):
        out.append(f"<p>{_e(seeds_caption(dict(info.split), info.seeds))}</p>")
    return out


REPORT_MAP_POINTS = 5_000  # the most bought drawn: PCA is instant, the HTML grows ~2 KB a point


def _map_section(dataset: Dataset, model: Recommender) -> list[str]:
    """The products with enough buyers to place (as the Product map page draws by default), by PCA of
    the model's unit vectors. All 2,479 products, 1,577 of them bought by fewer than 10 customers,
    spread the projection along popularity while the caption said close meant bought alike."""
    vectors = model.item_vectors()
    if vectors is None or len(vectors) < 3:
        return []
    buyers = np.diff(model.train_.tocsc().indptr)
    laid = laid_out_points(buyers, REPORT_MAP_POINTS, THIN)
    if len(laid) < 3:
        return []
    xy = pca_2d(vectors[laid])
    catalogue = dataset.ingest.catalogue.reindex([str(i) for i in dataset.interactions.items[laid]])
    drawn, words = buyers[laid], dataset.words
    points = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "name": dataset.item_names(laid),
                           "size": drawn, "popularity": np.log1p(drawn),
                           "hover": [f"{c} · {b} {words.buyer}{'' if b == 1 else 's'}"
                                     for c, b in zip(catalogue.index, drawn)]})
    figure: go.Figure = product_map(points, "popularity", title="Products placed by what the model learned (PCA)")
    ticks = [t for t in (1, 3, 10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000) if drawn.min() <= t <= drawn.max()]
    figure.update_traces(marker_colorbar=dict(title=words.buyers, tickvals=np.log1p(ticks).tolist(),
                                              ticktext=[f"{t:,}" for t in ticks]), selector=dict(name="popularity"))
    left = len(buyers) - len(laid)
    who = (f"The {len(laid):,} products bought by at least {THIN} customers" if left and buyers[laid].min() >= THIN
           else f"{len(laid):,} products")
    return ["<h2>Product map</h2>",
            words.said(f"<p class='note'>{_e(who)}, placed by the model's product vectors: nearby products have "
            "similar vectors, roughly (PCA keeps only the two widest directions; the dashboard's Product map, by "
            "UMAP, keeps neighbours closer)."
            + (f" {left:,} others are left out: known from too few customers (or past the {REPORT_MAP_POINTS:,} "
               "most bought), their places say little." if left else "")
            + " Colour and size: buyers.</p>"),
            figure.to_html(full_html=False, include_plotlyjs=True, config={"displaylogo": False})]


def _associations_section(dataset: Dataset, stats: BasketStats) -> list[str]:
    names = dataset.ingest.catalogue["name"]
    pairs = top_pairs(stats, dataset.interactions.items, n=15, min_count=stats.min_count, names=names)
    unit = "customers" if stats.buyers is not None else "baskets"  # thin counts a customer's repeat orders once
    if pairs.empty:
        return []
    shown = pd.DataFrame({"product": pairs["a"].map(lambda c: names.get(c, c)),
                          f"{dataset.words.bought} with": pairs["b"].map(lambda c: names.get(c, c)),
                          "baskets together": pairs["count"], "lift": pairs["lift"],
                          "lift, 95% lower bound": pairs["lift_low"],
                          "evidence": np.where(pairs["thin"], f"thin (under {THIN} {unit})",
                                               f"enough ({THIN} {unit} or more)")
                          + np.where(pairs["chance"], ", could be chance", "")})
    variants = pairs.attrs.get("variants", 0)
    # A ratings log's "strongest" pairs had lifts of 1.0-1.2, bounds under 1, each "enough" evidence:
    # where no pair clears chance (counted against every pair that could have been listed), it is said so
    cleared = int((~pairs["chance"]).sum())
    chance = ("" if cleared == len(pairs) else
              "<p class='verdict'>No pair here is bought together clearly more often than chance, counted against "
              "every pair of products that could have been listed: these are the pairs nearest to it, not "
              "associations.</p>" if cleared == 0 else
              f"<p class='note'>{len(pairs) - cleared:,} of these pairs could be chance: counted against every pair "
              "of products that could have been listed, they are bought together not clearly more often than "
              "chance gives (a 5% false discovery rate).</p>")
    return ["<h2>Strongest associations</h2>", dataset.words.said(chance),
            dataset.words.said(f"<p class='note'>Pairs in at least {stats.min_count} of the {stats.n_baskets:,} "
            "baskets (0.2% of them, "
            f"at least 2, at most {THIN}), ranked by the 95% lower bound of their lift: how many times more often "
            "they are bought together than by chance, shrunk toward 1 where few baskets back it. "
            + (f"{variants:,} pair{'' if variants == 1 else 's'} of two codes with one name (variants of one "
               "product) left out. " if variants else "") + "</p>"), _table(shown, "{:.1f}")]


def _examples_section(dataset: Dataset, model: Recommender, stats: BasketStats, examples: int, k: int,
                      trusted_note: str | None = None) -> list[str]:
    """A few customers' lists from the run's model; `trusted_note` (serving_note) says so where the
    verdicts above trust another model, so a reader does not take these lists for that model's."""
    activity = np.diff(model.train_.indptr)
    chosen = example_customers(model, examples)
    out = ["<h2>Example customers</h2>"]
    if trusted_note:
        out.append(f"<p class='note'>These lists come from the run's model. {_e(trusted_note)}</p>")
    for user in chosen:
        history = dataset.item_names(model.train_[int(user)].indices[:8])
        table = recommend_table(model, dataset, int(user), k=min(k, 5), stats=stats)
        explained = table.attrs.get("explained", "")
        evidence = table.attrs.get("evidence")  # half the list or more on few buyers: said, as on the page
        table = table[["rank", "name", "score", "buyers", "because", "path"]].rename(columns=headings(dataset.words))
        bought = dataset.words.bought.capitalize()
        out.append(f"<h3>Customer {_e(dataset.interactions.users[user])} ({activity[user]} products)</h3>"
                   f"<p class='note'>{bought}, among others: {_e('; '.join(history))}. {_e(explained)}</p>"
                   + (f"<p class='note'>{_e(evidence)}</p>" if evidence else "") + f"{_table(table)}")
    return out
