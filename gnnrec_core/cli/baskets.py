"""Commands on baskets alone: rules, basket-eval, compare-periods."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.log_words import PURCHASES, LogWords, log_words
from ..errors import ConfigError
from ..models.registry import row_label
from ..pipeline.benchmark import parse_models
from .common import _gnn_settings, _ingest, _Progress
from .terminal import one_line

if TYPE_CHECKING:
    import pandas as pd


def cmd_rules(args: argparse.Namespace) -> dict[str, Any]:
    from ..baskets.associations import catalogue_stats, least_baskets
    from ..baskets.evidence import THIN
    from ..baskets.rules import (
        RuleConfig,
        chance_words,
        default_support_stats,
        mine_rules,
        plain,
        products_reaching,
        rules_about,
        rules_json,
    )
    from ..data.catalogue import display_names

    given = {key: value for key, value in (("min_confidence", args.min_confidence), ("min_lift", args.min_lift))
             if value is not None}  # else RuleConfig's, the Associations page's defaults
    result = _ingest(args)
    if args.min_support is None:  # the Associations page's starting point, from the data
        # min_support 1: the baskets and products, pairs left uncounted (default_support_stats counts those it needs)
        stats, items = catalogue_stats(result.events, min_support=1.0)
        stats, support = default_support_stats(stats.baskets, stats.buyers)
        config = RuleConfig(min_support=support, max_len=args.max_len, **given)
    else:
        config = RuleConfig(min_support=args.min_support, max_len=args.max_len, **given)
        stats, items = catalogue_stats(result.events, min_support=config.min_support)
    found = mine_rules(stats, items, config)
    names = display_names(result.catalogue)  # a name several codes share carries its code: never "X -> X"
    category_of, categories = _categories(result.catalogue, args.category)
    written = result.catalogue["name"].dropna().astype(str)  # names as written: no " (CODE)" display suffix
    rules = rules_about(found, written, args.product, category_of, categories)
    text = plain(args.product.strip())
    if text and not any(text in plain(str(code)) or text in plain(str(written.get(code, ""))) for code in items):
        print(f"note: no product's code or name holds '{args.product.strip()}' among the {len(items):,} products in "
              "baskets", file=sys.stderr)
    def label(codes: frozenset[str]) -> str:
        return " + ".join(one_line(names.get(c, c)) for c in codes)
    least = least_baskets(config.min_support, stats.n_baskets)
    shown = rules.head(args.top)
    which = f"the top {len(shown):,}" if len(shown) < len(rules) else "all"
    unit = "customers" if stats.buyers is not None else "baskets"  # thin counts a customer's repeat orders once
    thin = f", thin = fewer than {THIN} {unit}" if bool(shown["thin"].any()) else ""  # said where one is shown
    about = _about_words(args.product, categories)
    said = f"; {which} by lift's 95% lower bound{thin}:" if len(rules) else "" if about and len(found) else \
        ": no product pair reaches all three; a lower --min-support, --min-confidence or --min-lift finds more"
    baskets = f"{least:,} basket{'' if least == 1 else 's'}"
    counted = f"{len(rules):,} of the {len(found):,} rules" if about else f"{len(rules):,} rules"
    events = result.events  # a ratings or views log has no orders: a customer's history is a basket
    histories = f"{WHOLE_HISTORY}; " if events["basket"].isna().all() and events["user"].notna().any() else ""
    print(f"{counted} from {stats.n_baskets:,} baskets ({histories}min support {config.min_support}: at least "
          f"{baskets}; min confidence {config.min_confidence}, min lift {config.min_lift:g}, --max-len "
          f"{config.max_len}){f' have {about}' if about else ''}{said}")
    chance = int(rules["chance"].sum())
    if chance:
        print(chance_words(chance, len(rules), products_reaching(stats, config.min_support), least))
    for row in shown.itertuples(index=False):
        who = f" of {row.customers:,} customer{'' if row.customers == 1 else 's'}" if row.customers < row.count else ""
        print(f"  {label(row.antecedents)} -> {label(row.consequents)}  baskets {row.count:,}{who}"
              f"{' (thin)' if row.thin else ''}  support {row.support:.4f}  confidence {row.confidence:.3f}  "
              f"lift {row.lift:.1f} (95% low {row.lift_low:.1f}){'  could be chance' if row.chance else ''}")
    kept = rules.head(args.max_rules) if args.max_rules else rules
    if args.json_path is not None and len(kept) < len(rules):
        print(f"note: the JSON holds the best {len(kept):,} of the {len(rules):,} rules by lift's 95% lower bound "
              "(--max-rules 0 writes them all)", file=sys.stderr)
    return {"baskets": stats.n_baskets, "min_baskets": least, "rules_found": len(rules), "rules_chance": chance,
            **({"rules_before_filter": len(found)} if about else {}),
            # made only where it is written: 0.18 s for the 28,753 default rules of 25,900 invoices
            **({"rules": rules_json(kept, names)} if args.json_path else {})}


def _categories(catalogue: pd.DataFrame, asked: list[str]) -> tuple[dict[str, str], list[str]]:
    """Code -> category for `--category`, and the categories asked for as the catalogue spells them
    (any case, as --product reads names); a name no product has is refused, with the ones there are."""
    from ..data.catalogue import category_parts

    if not asked:
        return {}, []
    known = catalogue["category"].dropna().astype(str) if "category" in catalogue else catalogue.index.to_series()[:0]
    parts = dict.fromkeys(part for label in known for part in category_parts(label))  # Comedy of "Comedy|War"
    spelled: dict[str, list[str]] = {}  # any case: "Drinks" and "drinks" both, where a catalogue has both
    for name in parts:
        spelled.setdefault(name.lower(), []).append(name)
    unknown = [name for name in asked if name.strip().lower() not in spelled]
    if unknown:
        there = sorted(parts)
        listed = ", ".join(there[:12]) + (f" and {len(there) - 12:,} more" if len(there) > 12 else "")
        among = f"one of the catalogue's categories ({listed})" if listed else \
            "a category, and this data has none (map a category column, or add an --items catalogue with one)"
        raise ConfigError(f"--category: expected {among}, found " + ", ".join(f"'{name}'" for name in unknown))
    return ({str(code): str(category) for code, category in known.items()},
            list(dict.fromkeys(name for asked_name in asked for name in spelled[asked_name.strip().lower()])))


def _about_words(product: str, categories: list[str]) -> str:
    parts = ([f"a product whose code or name holds '{product.strip()}'"] if product.strip() else []) + (
        [f"a product in {' or '.join(categories)}"] if categories else [])
    return " and ".join(parts)


WHOLE_HISTORY = "each a customer's whole history, as the log has no orders"  # what `rules` and basket-eval count


def cmd_basket_eval(args: argparse.Namespace) -> dict[str, Any]:
    from ..pipeline.basket_eval import basket_eval
    from ..serving.verdicts import gain_words
    from .fit import verdict_lines

    result = _ingest(args)
    models = parse_models(args.models)
    with _Progress(args, len(models), "models") as progress:
        out = basket_eval(result.events, result.catalogue, models, k=args.k, seed=args.seed, progress=progress,
                          device=args.device, **_gnn_settings(args, models))
    histories = bool(result.events["basket"].isna().all() and result.events["user"].notna().any())  # as rules
    whole = f" ({WHOLE_HISTORY})" if histories else ""
    print(f"{out.baskets:,} baskets{whole}, {out.test_baskets:,} test baskets with one product hidden "
          f"({out.valid_baskets:,} validation baskets from train), k={out.k}")
    width = max([10, *(len(row.key) + 2 for row in out.results)])
    print(f"{'model':<{width}}{'valid_ndcg':>12}{'test_hit':>10}{'test_ndcg':>10}{'fit_s':>10}")
    for row in out.results:
        if row.skipped is not None:
            print(f"{row.model:<{width}}  skipped: {row.skipped}")
        else:
            valid = "-" if row.valid_ndcg is None else f"{row.valid_ndcg:.4f}"
            print(f"{row.key:<{width}}{valid:>12}{row.hit_rate:>10.4f}{row.ndcg:>10.4f}{row.fit_seconds:>10.2f}")
    blends = [row for row in out.results if row.blend]
    for row in blends:
        print(f"{row.key}: {row_label(row.model, row.blend)}")
    if blends:  # a blend below its GNN in valid_ndcg read as a contradiction of "chosen on validation"
        print("valid_ndcg: every row on the same validation baskets; a blend's weights were chosen earlier, on its "
              "GNN's own validation slice of train, so a blend can score below its GNN alone here")
    if out.verdict is not None:  # the choice validation makes, then what the test baskets say of it
        print(f"chosen on validation: {out.verdict.row_label}, ahead of {out.verdict.reference_label} there; on "
              f"the test baskets: {gain_words(out.verdict)}")
    for note in out.notes:
        print(note)
    lines = verdict_lines(out.verdicts)  # the two every table is read by, as benchmark says them
    if lines and out.verdict is not None:  # two selection rules: say which the lines below follow
        print("The two verdicts every table is read by (each speaks for the row validation chose, against the "
              "test's best reference):")
    for line in lines:
        print(line)
    return out.to_json()


def cmd_compare_periods(args: argparse.Namespace) -> dict[str, Any]:
    from ..baskets.changes import ChangeConfig, compare_sides, split_by_column, split_by_time, split_words
    from ..baskets.history_shares import share_text
    from ..errors import InputError
    from .args import listed_values

    if (args.split is None) == (args.by is None):
        raise InputError("expected --split DATE (two periods) or --by COLUMN --groups A,B (two segments), "
                         f"found {'both' if args.split else 'neither'}")
    if args.by is None and args.groups is not None:
        raise InputError("--groups: expected --by COLUMN beside it, found none")
    config = ChangeConfig(min_baskets=args.min_baskets, q_threshold=args.q_threshold)
    if args.by is not None:
        groups = listed_values(args.groups)
        if len(groups) != 2:
            raise InputError(f"--groups: expected two values of {args.by}, comma-separated (a value holding a comma in "
                             f"double quotes: '\"Korea, Republic of\",UK'), found {len(groups)}: "
                             f"{', '.join(repr(g) for g in groups) or 'none'}")
        result = _ingest(args, segments=(args.by,))
        split = split_by_column(result.events, args.by, groups, args.start, args.end)  # type: ignore[arg-type]
    else:
        result = _ingest(args, segments=())
        split = split_by_time(result.events, args.split, args.start, args.end)
    report = compare_sides(split, result.catalogue["name"], config)
    words = log_words(result.mapping)  # "rated together" of a ratings log's pairs
    repeats = report.repeat_buyers
    for period in report.periods:
        dates = f"from {period['start']} up to (not including) {period['end']}" if "start" in period else ""
        where = f"where {period['column']} = {period['group']}" + (f", {dates}" if dates else "") if \
            "group" in period else dates
        buyers = f" of {period['buyers']:,} buyers" if repeats else ""
        print(f"{period['label']}: {period['baskets']:,} baskets{buyers} {where}")
    for sentence in split_words(split, args.by):
        print(sentence)
    print(f"{len(report.items):,} products and {len(report.pairs):,} pairs tested (in >= {config.min_baskets} "
          f"baskets); a change is named when its q-value <= {config.q_threshold}"
          + (f"; {REPEATS_READ}" if repeats else ""))
    named = {(kind, status): report.named(kind, status) for kind in ("items", "pairs")
             for status in ("rising", "new", "falling", "gone")}
    named = {key: rows for key, rows in named.items() if not rows.empty}
    raised = report.pair_floor_words()
    if raised is not None:
        print(raised)
    nothing = report.nothing_named("a lower --min-baskets")
    if nothing is not None:
        print(nothing)
    else:  # pairs named and no product (or the other way round): said, not a section left out
        for kind, what in (("items", "product"), ("pairs", "pair")):
            if not any(key[0] == kind for key in named):
                print(f"no {what} changed by that test")
    first_pairs = next((key for key in named if key[0] == "pairs"), None)
    for (kind, status), rows in named.items():
        if (kind, status) == first_pairs:  # said once, above the first pairs listed
            print(pairs_read(report.pair_shares, words))
        what = "products" if kind == "items" else "pairs"
        print(f"{what} {report.word(status)} ({len(rows):,}):" if report.segments else
              f"{report.word(status)} {what} ({len(rows):,}):")  # "products only in a", "rising products"
        for row in rows.head(args.top).itertuples(index=False):
            label = one_line(row.name if kind == "items" else f"{row.a_name} + {row.b_name}")
            code = one_line(row.item if kind == "items" else f"{row.a}+{row.b}")
            label = "" if label in (code, code.replace("+", " + ")) else f" {label}"  # a log of no names: "2525 2525"
            lift = "" if kind == "items" else f", lift {_lift(row.lift_a)} -> {_lift(row.lift_b)}"
            buyers = f" (buyers {row.buyers_a} -> {row.buyers_b})" if repeats else ""
            shares = f"{share_text(row.share_a)} -> {share_text(row.share_b)}"
            print(f"  {code}{label}: baskets {row.baskets_a} -> {row.baskets_b}{buyers}, share {shares}{lift}, "
                  f"q {row.q_value:.2g}")  # "baskets 79 -> 1", never "1 baskets"
    _print_association_changes(report.pairs, args.top, say_none=nothing is None, words=words)
    if args.json_path is not None and 0 < args.max_pairs < len(report.pairs):
        print(f"note: the JSON holds the {args.max_pairs:,} of the {len(report.pairs):,} pairs tested with the least "
              "q-value (--max-pairs 0 writes them all)", file=sys.stderr)
    return report.as_json(args.max_pairs)


# One wholesaler's seventeen repeat orders of a pair read as a difference between two countries.
REPEATS_READ = "counting buyers, not baskets: a customer's repeat orders are one buyer"

# A pair whose share of baskets rose while its lift fell (91 -> 6: both products sold far more) read as
# "bought together more strongly"; it is bought together more often, which is what the test says.
def pairs_read(pair_shares: bool, words: LogWords = PURCHASES) -> str:
    from ..baskets.history_shares import pair_share_words

    # "one of them rated nothing" would make the film the rater
    unseen = ("one of them sold nothing" if words == PURCHASES else f"no one {words.bought} one of them")
    return (f"A pair rises or falls by {pair_share_words(pair_shares)} ({words.bought} together more or less often); "
            f"lift a -> b says whether they go together more than each product's own {words.sales} explain "
            f"(0.0: both {words.said('sold')}, never together; '-': {unseen} on that side).")


def _print_association_changes(pairs: Any, top: int, say_none: bool, words: LogWords = PURCHASES) -> None:
    """The pairs whose association changed (association_change.py), whatever their shares did: a pair
    can go together far more often while its share of baskets holds, and rise only with its products.
    `say_none`: say where none did (not where nothing at all was named, which is said already)."""
    from ..baskets.association_change import ASSOCIATION_READ

    changed = pairs[pairs["association"] != ""].sort_values("association_q", kind="stable")
    if changed.empty and not say_none:
        return
    if changed.empty:
        print(f"no pair goes together more or less than before beyond its products' own {words.sales} (Woolf's test "
              "of its odds ratios)")
        return
    print(f"pairs whose association changed ({len(changed):,}): {words.said(ASSOCIATION_READ)}")
    for row in changed.head(top).itertuples(index=False):
        print(f"  {one_line(f'{row.a}+{row.b}')} {one_line(f'{row.a_name} + {row.b_name}')}: association "
              f"{row.association}, lift {_lift(row.lift_a)} -> {_lift(row.lift_b)}, baskets together "
              f"{row.baskets_a} -> {row.baskets_b}, q {row.association_q:.2g}")


def _lift(value: float) -> str:
    """One decimal; a lift above zero but under 0.05 is '<0.1', never the '0.0' of never together."""
    if value is None or not np.isfinite(value):
        return "-"
    return "<0.1" if 0 < value < 0.05 else f"{value:.1f}"


