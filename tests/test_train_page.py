"""The Train page on runs made elsewhere: a model with no epochs draws no empty training chart."""

from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_cli import run_cli


def test_a_model_without_epochs_says_so_instead_of_an_empty_chart(small_log, tmp_path, monkeypatch):
    """EASE, trained by the CLI and opened on the Train page: one chart (the metrics), and a line
    saying why there is no training curve (a new user read the empty chart as a failed run)."""
    workspace = tmp_path / "ws"
    made = run_cli("train", small_log, "--model", "ease", "--compare-with", "pop", "--workspace", workspace, "--quiet")
    assert made.returncode == 0, made.stderr
    monkeypatch.setenv("GNNREC_WORKSPACE", str(workspace))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert any(str(c.value).startswith("No training curve: EASE is fitted in closed form") for c in at.caption)
    assert len(at.get("plotly_chart")) == 1
