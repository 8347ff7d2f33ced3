"""The lists a run answers: `recommend` (a customer's products, each with its reason), `similar`
(a product's neighbours, on the model's own scale) and `export` (both for everyone, and the
Embedding Projector's files)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..data.log_words import PURCHASES, LogWords
from ..errors import ConfigError, InputError
from ..file_output import refuse_inputs, writable_folder
from .args import input_paths
from .common import _model_for, _policy, _Progress, fewest_buyers
from .terminal import one_line


def cmd_recommend(args: argparse.Namespace) -> dict[str, Any]:
    from ..baskets.associations import basket_stats
    from ..baskets.evidence import THIN
    from ..models.registry import row_label
    from ..records import row_key
    from ..serving.merchandising import parse_boosts
    from ..serving.recommend import recommend_for_basket, recommend_table

    parse_boosts(args.boost)  # a malformed --boost is refused before the data and the model load
    if args.basket is not None and not args.basket.replace(",", "").strip():
        raise ConfigError(f"--basket: expected comma-separated product IDs or names, found '{args.basket}'")
    dataset, model = _model_for(args, lambda data: data.user_index(args.user) if args.basket is None
                                else _basket_indices(data, args.basket))
    stats = basket_stats(dataset.ingest.events, dataset.interactions.item_lookup())
    policy = _policy(args, dataset, model)
    if args.basket is None:
        table = recommend_table(model, dataset, dataset.user_index(args.user), k=args.k, policy=policy, stats=stats)
        out: dict[str, Any] = {"user": args.user}
    else:
        indices = _basket_indices(dataset, args.basket)
        table = recommend_for_basket(model, dataset, indices, k=args.k, policy=policy, stats=stats)
        out = {"basket": [str(dataset.interactions.items[i]) for i in indices]}
    label = row_label(model.name, getattr(model, "blend_weights", None))  # a blend named with its parts
    whom = f"customer {one_line(args.user)}" if args.basket is None else "this basket"
    print(f"Recommendations for {whom} by {label}:")
    print(recommendation_text(table, dataset.words))
    # "key" names what ranked the list as benchmark's rows name it ("lightgcn+blend"): "model" is the
    # fitted model, the same for a GNN and its blend (a script read a blend's list as the GNN's own)
    blend = getattr(model, "blend_weights", None) or {}
    out |= {"model": model.name, "key": row_key(model.name, blend), "label": label,
            "recommendations": table.to_dict(orient="records")}
    if table.attrs.get("explained"):  # where the scores come from: the history's share and the rest
        print(table.attrs["explained"])
        out["explained"] = table.attrs["explained"]
    if table.attrs.get("note"):  # fewer than k: what was excluded, in words
        print(f"note: {table.attrs['note']}")
        out["note"] = table.attrs["note"]
    if table.attrs.get("evidence"):  # half the list or more on few buyers: the floor that leaves them out
        out["evidence"] = table.attrs["evidence"]
        print(f"note: {table.attrs['evidence']} `--min-buyers {THIN}` leaves out products with fewer "
              f"{dataset.words.buyers}"
              f"{f' (now {args.min_buyers})' if args.min_buyers > 1 else ''}.")
    return out


def _basket_indices(dataset: Any, text: str) -> list[int]:
    """--basket's products, each an ID or a whole catalogue name, once each. A name may hold commas
    ("TRAY, BREAKFAST IN BED"): the longest run of comma-separated pieces that is one product's ID or
    name is taken first; a piece that is neither alone is refused as `similar --item` refuses it.
    Written as a spreadsheet writes a list ('"GREETING CARD, TWO SISTERS.",85123A'), each quoted value
    is one product, as --groups reads it."""
    if '"' in text:
        from .args import listed_values

        return list(dict.fromkeys(dataset.item_index(value) for value in listed_values(text)))
    pieces, found, start = text.split(","), [], 0
    while start < len(pieces):
        if not pieces[start].strip():
            start += 1
            continue
        for end in range(len(pieces), start, -1):
            try:
                found.append(dataset.item_index(",".join(pieces[start:end]).strip()))
            except InputError:
                if end == start + 1:
                    raise
                continue
            start = end
            break
    return list(dict.fromkeys(found))


def _shown(table: Any, words: LogWords) -> str:
    """A list as the terminal prints it: 'thin' marked where it holds, blank elsewhere (a column of
    True and False read as data to puzzle over), and said in a line below; no column where no row is
    thin (a header over blanks, never explained); no name column where every name is the code beside
    it; the buyers headed in the log's words (raters of a ratings log). The JSON keeps all as named."""
    from ..baskets.evidence import THIN

    table = table.rename(columns={"buyers": words.buyers, "shared_buyers": f"shared_{words.buyers}"})
    if {"item", "name"} <= set(table.columns) and (table["name"].astype(str) == table["item"].astype(str)).all():
        table = table.drop(columns="name")  # a basket list's products are named by their codes: said once
    if "thin" not in table.columns:
        return str(table.to_string(index=False))
    if not table["thin"].any():
        return str(table.drop(columns="thin").to_string(index=False))
    marked = table.assign(thin=table["thin"].map({True: "thin", False: ""})).to_string(index=False)
    return f"{marked}\nthin: fewer than {THIN} {words.buyers}, so little evidence behind the figure"


def recommendation_text(table: Any, words: LogWords = PURCHASES) -> str:
    """The list as a terminal shows it: the short columns as a table, then each product's reason
    and path on lines of their own (side by side they made rows ~190 characters wide)."""
    if not len(table):
        return "No products to recommend."
    reasons = [column for column in ("because", "path") if column in table.columns]
    lines = [_shown(table.drop(columns=reasons), words)]
    if reasons:  # "22111: RED WOOLLY HOTTIE +0.3" read as if 22111 were the hottie: each product named first
        lines.append("why:")
        for _, row in table.iterrows():
            name = "" if str(row["name"]) == str(row["item"]) else f" {one_line(row['name'])}"  # codes alone: once
            named = f"  {row['rank']:>2} {one_line(row['item'])}{name}"
            lines.append(f"{named} = {one_line(row['because'])}" if row.get("because") else named)
            if row.get("path"):  # how it links to the history, under the product it is about
                lines.append(f"       {one_line(row['path'])}")
    return "\n".join(lines)


def cmd_similar(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from ..baskets.evidence import thin_anchor_words
    from ..models import LABELS
    from ..serving.explore import item_buyers, similarity_basis
    from ..serving.recommend import similar_table

    dataset, model = _model_for(args, lambda data: data.item_index(args.item))
    item, fewest = dataset.item_index(args.item), fewest_buyers(args, model)
    table = similar_table(model, dataset, item, k=args.k, min_buyers=fewest)
    code, name = str(dataset.interactions.items[item]), dataset.item_names(np.array([item]))[0].strip()
    named = one_line(code if name == code else f"{code} {name}")  # a basket list's name is its code: said once
    print(f"Most similar to {named} by {LABELS.get(model.name, model.name)}, as {model.link_label}"
          + (f", among products with {fewest}+ {dataset.words.buyers} (--min-buyers)" if fewest > 1 else "") + ":")
    print(_shown(table, dataset.words) if len(table) else "No products to list.")
    print(f"similarity: {dataset.words.said(model.link_scale)}.")
    out = {"item": code, "name": name, "model": model.name, "min_buyers": fewest,
           "similarity": {"label": model.link_label, "scale": model.link_scale, "top": model.link_top},
           "similar": table.to_dict(orient="records")}
    if table.attrs.get("note"):
        print(f"note: {table.attrs['note']}")
        out["note"] = table.attrs["note"]
    basis = similarity_basis(model)
    if basis:
        print(f"note: {basis}.")
        out["basis"] = basis
    thin_anchor = thin_anchor_words(int(item_buyers(model)[item]), dataset.words)
    if thin_anchor:
        print(f"note: {thin_anchor}.")
        out["evidence"] = thin_anchor
    return out


def cmd_export(args: argparse.Namespace) -> dict[str, Any]:
    from ..models import LABELS
    from ..serving.explore import min_buyers
    from ..serving.export import EXPORT_FILES, export_all
    from ..serving.merchandising import parse_boosts

    folder = writable_folder(args.out, "--out")  # before the model: a refusal in seconds
    for name in EXPORT_FILES:
        refuse_inputs(folder / name, "--out", input_paths(args))
    parse_boosts(args.boost)  # so is a malformed --boost
    dataset, model = _model_for(args)
    policy = _policy(args, dataset, model)
    with _Progress(args, None, "rows") as progress:
        try:
            files = export_all(model, dataset, folder, k=args.k, policy=policy, progress=progress,
                               similar_min_buyers=max(args.min_buyers, min_buyers(model)))
        except OSError as exc:  # the folder exists but refuses the files written into it (read-only, full)
            if exc.filename is None or Path(exc.filename).parent.resolve() != folder.resolve():
                raise  # not one of the export's own files: not the user's folder to blame
            message = f"--out: expected a folder that takes files at '{folder}', found: {exc.strerror or exc}"
            raise InputError(message) from None
    for path in files:
        print(f"wrote {path}")
        if path.suffix == ".csv" and not _has_rows(path):  # every product left out: said, not a silent empty file
            print(f"note: {path.name} holds no rows: no product is left to list"
                  + (" once the merchandising rules are applied (--min-buyers, --exclude-...)" if policy else ""))
    if not any(path.name == "embeddings.tsv" for path in files):  # the Projector's files need item vectors
        print(f"note: no embeddings.tsv or metadata.tsv: {LABELS.get(model.name, model.name)} has no product "
              "vectors to place on a map (a GNN run has; export one of those for the Embedding Projector)")
    return {"model": model.name, "files": [str(p) for p in files]}


def _has_rows(path: Path) -> bool:
    """Whether a CSV the export wrote holds a line after its header (two lines read, not the file)."""
    with path.open("rb") as handle:
        handle.readline()
        return bool(handle.readline())
