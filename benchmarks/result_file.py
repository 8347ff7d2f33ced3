"""The one tail of a timing benchmark: its result with the command that produced it, the machine's
cores and its load at the end (a busy machine shows there), printed and written to --out."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def finish(module: str, result: dict[str, Any], out: Path | None, shown: Any = None) -> dict[str, Any]:
    """`result` headed by `python -m MODULE ARGS` and the cores, with the load average at the end;
    prints `shown` (default: the whole result) and writes the result to `out` where given."""
    result = {"command": f"python -m {module} " + " ".join(sys.argv[1:]), "cpus": os.cpu_count(), **result,
              "load_average_at_end": os.getloadavg()}
    print(json.dumps(result if shown is None else shown, indent=1))
    if out:
        out.write_text(json.dumps(result, indent=1) + "\n")
    return result
