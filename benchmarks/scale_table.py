"""Print the Markdown table of docs/scaling.md from the scale benchmark's JSON files.

    python -m benchmarks.scale_table docs/results/scale_100k.json docs/results/scale_1m.json docs/results/scale_5m.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROWS = [("ingest", "ingest (read CSV, map, clean)"), ("prepare", "prepare (matrix + split)"),
        ("train", "train LightGCN (fixed epochs, 16 steps each)"),
        ("evaluate", "evaluate (nDCG@10, full ranking, every test user)"),
        ("recommend_all", "recommend-all (top 10 for every customer)"),
        ("similar_all", "similar-items-all (top 10 for every product)"), ("umap", "UMAP of every product (2-D)")]


def label(rows: int) -> str:
    return f"{rows // 1_000_000}M lines" if rows >= 1_000_000 else f"{rows // 1000}k lines"


def table(results: list[dict]) -> str:
    lines = ["| stage | " + " | ".join(label(r["data"]["rows"]) for r in results) + " |",
             "|---|" + "---|" * len(results),
             "| customers x products | " + " | ".join(f"{r['data']['users']:,} x {r['data']['items']:,}"
                                                     for r in results) + " |"]
    for key, name in ROWS:
        cells = []
        for r in results:
            cell = f"{r['stages'][key]['seconds']:.1f} s" if key in r["stages"] else "-"
            if key == "train":
                cell += f" ({r['train']['epochs']} ep.)"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| **target stages (ingest + prepare + train + evaluate + recommend-all)** | "
                 + " | ".join(f"**{r['target_seconds']:.1f} s**" for r in results) + " |")
    peaks = " | ".join(f"**{r['peak_rss_gib']:.1f} GiB**" for r in results)
    lines.append(f"| **peak memory, any stage** | {peaks} |")
    lines.append("| LightGCN nDCG@10 / popularity nDCG@10 | " + " | ".join(
        f"{r['quality']['lightgcn_ndcg@10']:.3f} / {r['quality']['popularity_ndcg@10']:.3f}" for r in results) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table([json.loads(Path(p).read_text()) for p in sys.argv[1:]]))
