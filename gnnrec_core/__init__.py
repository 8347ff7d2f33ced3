"""gnnrec's engine: explore product associations with graph neural networks beside strong baselines.

The public API below is what the dashboard, the benchmarks and scripts use; the subpackages
follow the path data takes (data -> matrix -> fit -> models -> store, baskets -> pipeline -> serving -> cli;
tests/test_architecture.py checks every arrow).
Names resolve on first use, so `import gnnrec_core` costs nothing and torch loads only when a
model that needs it is built.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.9.0"

_PUBLIC = {
    "BasketStats": "baskets.associations",
    "basket_stats": "baskets.associations",
    "catalogue_stats": "baskets.associations",
    "least_baskets": "baskets.associations",
    "THIN": "baskets.evidence",
    "thin_anchor_words": "baskets.evidence",
    "min_evidence": "baskets.evidence",
    "ChangeConfig": "baskets.changes",
    "compare_sides": "baskets.changes",
    "month_starts": "baskets.trajectory",
    "partners_by_side": "baskets.partners",
    "segment_columns": "baskets.changes",
    "segment_text": "baskets.changes",
    "split_words": "baskets.changes",
    "STATUS_WORDS": "baskets.changes",
    "split_by_column": "baskets.changes",
    "split_by_time": "baskets.changes",
    "weekly_trajectory": "baskets.trajectory",
    "RuleConfig": "baskets.rules",
    "frequently_bought_together": "baskets.rules",
    "default_min_support": "baskets.rules",
    "suggested_min_support": "baskets.rules",
    "mine_rules": "baskets.rules",
    "rules_about": "baskets.rules",
    "chance_words": "baskets.rules",
    "products_reaching": "baskets.rules",
    "ingest": "data.ingest",
    "IngestResult": "data.ingest",
    "load_frame": "data.ingest",
    "catalogue_columns": "data.catalogue",
    "display_names": "data.catalogue",
    "has_product_names": "data.catalogue",
    "summary": "data.summary",
    "DataSummary": "data.summary",
    "env_name": "data.limits",
    "limits": "data.limits",
    "ROLES": "data.mapping",
    "detect_mapping": "data.mapping",
    "KNOWN_SUFFIXES": "data.readers",
    "BenchmarkResult": "records",
    "DatasetRef": "records",
    "ResultRow": "records",
    "RunInfo": "records",
    "Tuning": "records",
    "ConfigError": "errors",
    "GnnrecError": "errors",
    "InputError": "errors",
    "fit_featurizer": "matrix.features",
    "InteractionConfig": "matrix.interactions",
    "available_weightings": "matrix.interactions",
    "SplitConfig": "matrix.interactions",
    "carve_validation": "matrix.interactions",
    "split": "matrix.interactions",
    "given_split": "matrix.interactions",
    "BASELINES": "models",
    "DEFAULT_MODEL": "models",
    "EASE": "models",
    "GFCF": "models",
    "GNN_MODELS": "models",
    "LABELS": "models",
    "LightGCN": "models",
    "MODELS": "models",
    "Popularity": "models",
    "Recommender": "models",
    "SPECS": "models",
    "new_product_scores": "serving.coldstart",
    "placement_table": "serving.coldstart",
    "customers_by_activity": "serving.explore",
    "example_customers": "serving.explore",
    "item_buyers": "serving.explore",
    "min_buyers": "serving.explore",
    "similar_products": "serving.explore",
    "similarity_basis": "serving.explore",
    "item_facts": "serving.explore",
    "interactions_per_item": "serving.explore",
    "products_by_baskets": "serving.explore",
    "cluster_centres": "serving.projection",
    "compare_neighbours": "serving.explore",
    "neighbour_table": "serving.explore",
    "neighbourhood_graph": "serving.explore",
    "pair_overlap": "serving.explore",
    "top_pairs": "serving.explore",
    "neutralised": "serving.safe_text",
    "csv_bytes": "serving.safe_text",
    "escape_markdown": "serving.safe_text",
    "Merchandising": "serving.merchandising",
    "parse_boosts": "serving.merchandising",
    "resolve": "serving.merchandising",
    "change_volcano": "serving.plots",
    "volcano_words": "serving.plots",
    "comparison_bars": "serving.plots",
    "trajectory_figure": "serving.plots",
    "long_tail": "serving.plots",
    "metrics_bars": "serving.plots",
    "neighbourhood_figure": "serving.graphs",
    "product_map": "serving.plots",
    "rules_graph": "serving.graphs",
    "rules_scatter": "serving.plots",
    "training_curve": "serving.plots",
    "map_sample": "serving.projection",
    "map_points": "serving.projection",
    "laid_out_points": "serving.projection",
    "placed_beside": "serving.projection",
    "MIN_LAID_OUT": "serving.projection",
    "map_regions": "serving.projection",
    "product_label": "data.id_lookup",
    "place_labels": "serving.projection",
    "umap_seconds": "serving.projection",
    "pca_2d": "serving.projection",
    "umap_2d": "serving.projection",
    "customer_history": "serving.explore",
    "recommend_for_basket": "serving.recommend",
    "recommend_table": "serving.recommend",
    "similar_table": "serving.recommend",
    "score_parts": "serving.recommend",
    "changes_html": "serving.report",
    "html_report": "serving.report",
    "cluster_labels": "serving.search",
    "region_labels": "serving.search",
    "find_products": "serving.search",
    "text_encoder_note": "matrix.text_encoder",
    "Run": "store",
    "Workspace": "store",
    "Cancelled": "progress",
    "Progress": "progress",
    "ExperimentConfig": "pipeline.experiment",
    "run_experiment": "pipeline.experiment",
    "import_training_libraries": "pipeline.experiment",
    "train_and_save": "pipeline.experiment",
    "chosen_settings": "pipeline.experiment",
    "refit_on_everything": "pipeline.experiment",
    "METRICS": "fit.metrics",
    "evaluate": "fit.metrics",
    "Dataset": "pipeline.benchmark",
    "benchmark": "pipeline.benchmark",
    "verdicts": "pipeline.benchmark",
    "make_model": "pipeline.benchmark",
    "prepare": "pipeline.benchmark",
    "device_report": "fit.train",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'gnnrec_core' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"gnnrec_core.{module}"), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


__all__ = ["__version__", *_PUBLIC]
