"""Resource limits, each configurable by an environment variable so that an operator can raise or
lower them without code changes. Read at the moment of use, so a changed variable applies to the
next upload.

    GNNREC_MAX_UPLOAD_MB     largest file read whole into memory (an upload, or
                             a file DuckDB cannot read), compressed size      (default 500)
    GNNREC_MAX_FILE_MB       largest file DuckDB reads from disk (the CLI's
                             paths, the Data page's server files)             (default 16,384)
    GNNREC_MAX_ROWS          most rows the pandas reader takes from one file  (default 20,000,000)
    GNNREC_MAX_DUCKDB_ROWS   most rows DuckDB takes from one file (32M lines
                             ingest in about 4.3 GiB, docs/scaling.md)        (default 64,000,000)
    GNNREC_MAX_COLUMNS       most columns read from one file                  (default 1,000)
    GNNREC_MAX_INFLATED_MB   largest size a .gz/.zip may inflate to           (default 4096)
    GNNREC_MAX_INFLATE_RATIO inflated / compressed above which, past 64 MB,
                             an archive is refused as a zip bomb              (default 200)
    GNNREC_MAX_DENSE_ITEMS   largest catalogue for a dense item x item model  (default 20,000)
    GNNREC_MAX_MAP_POINTS    most products drawn by UMAP; more are sampled    (default 50,000)
    GNNREC_MAX_SCORE_MB      memory one batch of scores may take (evaluation,
                             export); batches shrink to fit                   (default 256)
    GNNREC_MAX_PAIR_RULES    most pair rules mined at once (`rules`, the
                             Associations page); more are refused             (default 2,000,000)
    GNNREC_MAX_TESTED_PAIRS  most product pairs tested between two periods
                             or segments; more are refused                    (default 3,000,000)
    GNNREC_MAX_RUN_MB        memory a Train run or a benchmark may take; a model
                             whose stage is expected to need more is refused
                             before it starts (pipeline/run_memory.py)        (default: what the
                                                                              machine has available)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import ConfigError

ENV = {"upload_mb": "GNNREC_MAX_UPLOAD_MB", "file_mb": "GNNREC_MAX_FILE_MB", "rows": "GNNREC_MAX_ROWS",
       "duckdb_rows": "GNNREC_MAX_DUCKDB_ROWS", "columns": "GNNREC_MAX_COLUMNS",
       "inflated_mb": "GNNREC_MAX_INFLATED_MB",
       "inflate_ratio": "GNNREC_MAX_INFLATE_RATIO", "dense_items": "GNNREC_MAX_DENSE_ITEMS",
       "map_points": "GNNREC_MAX_MAP_POINTS", "score_mb": "GNNREC_MAX_SCORE_MB",
       "pair_rules": "GNNREC_MAX_PAIR_RULES", "tested_pairs": "GNNREC_MAX_TESTED_PAIRS"}


@dataclass(frozen=True)
class Limits:
    upload_mb: int = 500  # pandas holds the whole file, then its text columns: about 1 GB per million lines
    file_mb: int = 16_384
    rows: int = 20_000_000
    duckdb_rows: int = 64_000_000
    columns: int = 1_000  # an interaction log has a dozen; 160,000 means a wrong delimiter (and quadratic costs)
    inflated_mb: int = 4096
    inflate_ratio: int = 200
    dense_items: int = 20_000
    map_points: int = 50_000
    score_mb: int = 256
    # 24 baskets x 6,000 products (a 3.6 MB file) made 36M pair rules and 11 GB; all Online Retail
    # baskets at support 0.0001 make 1.1M (0.75 GB)
    pair_rules: int = 2_000_000
    # the same file tested 18M pairs at --min-baskets 2, past 8 GB; a year of Online Retail invoices 847,585
    tested_pairs: int = 3_000_000


def limits() -> Limits:
    values = {}
    for field, variable in ENV.items():
        text = os.environ.get(variable)
        if text is None or not text.strip():
            continue
        try:
            values[field] = int(text)
        except ValueError:
            raise ConfigError(f"{variable}: expected a whole number, found '{text}'") from None
        if values[field] < 1:
            raise ConfigError(f"{variable}: expected a number >= 1, found {values[field]}")
    return Limits(**values)


def env_name(field: str) -> str:
    return ENV[field]


MAX_RUN_ENV = "GNNREC_MAX_RUN_MB"


def env_mb(variable: str, least: int = 1) -> int | None:
    """A size in MB from the environment, None where unset; refused in one line when malformed."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{variable}: expected a whole number of MB, found '{text[:40]}'") from None
    if value < least:
        raise ConfigError(f"{variable}: expected at least {least} (MB), found {value}")
    return value


def available_bytes() -> float | None:
    """Memory a run may take: GNNREC_MAX_RUN_MB, else what the machine has available now (Linux's
    MemAvailable); None where neither is known (nothing is then refused)."""
    limit = env_mb(MAX_RUN_ENV)
    if limit is not None:
        return limit * 2.0 ** 20
    try:
        with open("/proc/meminfo") as lines:
            for line in lines:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None
