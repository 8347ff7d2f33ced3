import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "gnnrec_core"


def test_core_never_imports_streamlit():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "streamlit" for n in names):
                offenders.append(path.name)
    assert offenders == []
