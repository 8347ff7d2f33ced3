"""What the CLI writes never destroys what the user keeps: an output is never one of the command's
inputs or a saved entry (even in a workspace copied without its hidden lock file), it is written
whole or not at all, and what it prints cannot overwrite a line of the terminal. Found by an
adversarial pass: `rules orders.csv --json orders.csv` replaced the orders with the rules."""

import errno
import json
import os
import shutil
import stat
import subprocess
import sys

import pandas as pd
import pytest
from test_cli import run_cli


def test_an_output_never_replaces_an_input(small_log, tmp_path):
    data = tmp_path / "orders.csv"
    shutil.copy(small_log, data)
    original = data.read_bytes()
    os.link(data, tmp_path / "hard.csv")
    (tmp_path / "soft.json").symlink_to(data)
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(small_log, folder / "similar_items.csv")  # what export would write into --out
    for command, flag in ((("rules", data, "--json", data), "--json"),
                          (("rules", data, "--json", tmp_path / "hard.csv"), "--json"),
                          (("rules", data, "--json", tmp_path / "soft.json"), "--json"),
                          (("report", data, "--model", "pop", "--out", data), "--out"),
                          (("ingest", data, "--items", small_log, "--json", small_log), "--json"),
                          (("export", folder / "similar_items.csv", "--model", "pop", "--out", folder), "--out")):
        done = run_cli(*command)
        assert done.returncode == 2, (command, done.stderr)
        assert f"{flag}: expected a file other than the command's inputs" in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert data.read_bytes() == original and (folder / "similar_items.csv").read_bytes() == small_log.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["similar_items.csv"]


def test_a_workspace_copied_without_its_lock_file_keeps_its_entries_guarded(small_log, tmp_path):
    """`cp -r ws/* copy/` skips the hidden .lock the guard looked for; a restored backup lacks it
    too. Entries are told by their records, and are readable by other users (not mkdtemp's 0700)."""
    ws, copy = tmp_path / "ws", tmp_path / "copy"
    dotted = tmp_path / "sales..2011.csv"  # a file name check_name refuses as a dataset name: 'sales.2011'
    shutil.copy(small_log, dotted)
    assert run_cli("train", dotted, "--model", "pop", "--workspace", ws, "--quiet").returncode == 0
    assert [d.name for d in (ws / "datasets").iterdir() if not d.name.startswith(".")] == ["sales.2011"]
    copy.mkdir()
    for kind in ("runs", "datasets"):
        shutil.copytree(ws / kind, copy / kind)
    assert not (copy / ".lock").exists()
    (run,) = (copy / "runs").iterdir()
    record = (run / "run.json").read_bytes()
    for command in (("rules", small_log, "--json", run / "run.json"),
                    (sys.executable, "-m", "gnnrec_core.data.synthetic", "--interactions", "50", "--out",
                     run / "run.json")):
        done = (run_cli(*command) if command[0] == "rules"
                else subprocess.run(list(map(str, command)), capture_output=True, text=True, timeout=120))
        assert done.returncode == 2 and "would damage what is saved" in done.stderr, done.stderr
    assert (run / "run.json").read_bytes() == record
    umask = os.umask(0)
    os.umask(umask)
    (saved,) = (ws / "runs").iterdir()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o777 & ~umask


def test_an_output_file_is_written_whole_or_not_at_all(tmp_path):
    """A full disk cut the old report to a 4,096-byte fragment; now the new text goes to a file
    beside it and is renamed over it, so a failure leaves the old file as it was."""
    from gnnrec_core.errors import InputError
    from gnnrec_core.file_output import replace_file, write_output

    report = tmp_path / "report.html"
    report.write_text("the old report")

    def disk_full(tmp):
        tmp.write_text("half a rep")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as failed:
        replace_file(report, disk_full)
    assert failed.value.filename == str(report) and failed.value.errno == errno.ENOSPC
    assert report.read_text() == "the old report" and [p.name for p in tmp_path.iterdir()] == ["report.html"]
    link = tmp_path / "latest.html"
    link.symlink_to(report)
    write_output(link, "the new report", "--out")
    assert link.is_symlink() and report.read_text() == "the new report"  # the link still points there
    os.chmod(report, 0o640)
    write_output(report, "again", "--out")
    assert stat.S_IMODE(report.stat().st_mode) == 0o640  # the file keeps its permissions
    with pytest.raises(InputError, match="--json: expected a writable file at"):
        write_output(tmp_path / "no" / "folder.json", "{}", "--json")


@pytest.mark.parametrize("control", ["\r", "\u2028"])
def test_a_name_cannot_overwrite_the_line_it_is_printed_on(tmp_path, control):
    """With `--json -` the tables go to stderr, which kept carriage returns for the progress bar: a
    product named 'SAFE ITEM\\r[OK] all checks passed' printed its own line over the real one."""
    name = f"SAFE ITEM{control}[OK] all checks passed"
    rows = [(f"o{b}", item, name if item == "A1" else f"Mug {item}", f"c{b % 7}")
            for b in range(60) for item in ("A1", "B2")]
    path = tmp_path / "lines.csv"
    pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Description", "CustomerID"]).to_csv(path, index=False)
    done = run_cli("rules", path, "--min-support", "0.1", "--json", "-")
    assert done.returncode == 0, done.stderr
    assert control not in done.stderr and "SAFE ITEM\\" in done.stderr
    assert json.loads(done.stdout)["rules"][0]["antecedent_names"] == [name]  # the JSON keeps the name whole


def test_latest_is_the_newest_run_of_data_still_saved_and_an_unknown_run_lists_the_saved(small_log, tmp_path):
    """After a dataset was replaced, `--run latest` kept answering with its stale run and failing;
    it now takes the newest run whose dataset is as it was trained on. A mistyped id lists the saved."""
    from gnnrec_core import ingest
    from gnnrec_core.store import Workspace

    ws = tmp_path / "ws"
    other = tmp_path / "other.csv"
    frame = pd.read_csv(small_log, dtype=str)
    frame[frame["CustomerID"].isin(frame["CustomerID"].dropna().unique()[:100])].to_csv(other, index=False)
    for data in (other, small_log):  # the small log's run is the newest
        assert run_cli("train", data, "--model", "pop", "--workspace", ws, "--quiet").returncode == 0
    runs = {info.dataset.name: info.run_id for info in Workspace(ws).list_runs()}
    Workspace(ws).save_dataset("small", ingest(other), replace=True)
    item = pd.read_csv(other, dtype=str)["StockCode"].iloc[0]
    done = run_cli("similar", "--run", "latest", "--workspace", ws, "--item", item, "--json", "-")
    assert done.returncode == 0, done.stderr
    stale = run_cli("similar", "--run", runs["small"], "--workspace", ws, "--item", item)
    assert stale.returncode == 2 and "the dataset was replaced after the run was made" in stale.stderr
    assert f"runs of its data now: {runs['other']} (other)" not in stale.stderr  # its name holds other data
    unknown = run_cli("similar", "--run", "20990101-pop", "--workspace", ws, "--item", item)
    assert unknown.returncode == 2 and "--run: expected a saved run '20990101-pop'" in unknown.stderr
    assert f"{runs['small']} (small)" in unknown.stderr and f"{runs['other']} (other)" in unknown.stderr


def test_a_file_of_few_baskets_holding_every_product_is_refused_before_it_fills_memory(tmp_path, monkeypatch):
    """24 orders x 6,000 products (3.6 MB) made 36M rules and 11 GB in `rules`, and 18M tested pairs
    past 8 GB in `compare-periods --min-baskets 2`: rules are refused in one line naming what to raise,
    and the pairs tested are the most common ones the limit allows, said so.
    The limits (2M rules, 3M pairs by default) are set small here, as an operator sets them."""
    monkeypatch.setenv("GNNREC_MAX_PAIR_RULES", "5000")
    monkeypatch.setenv("GNNREC_MAX_TESTED_PAIRS", "3000")
    rows = [(f"o{b}", f"c{b}", f"P{p}", f"2011-0{1 + b}-01") for b in range(4) for p in range(100)]
    path = tmp_path / "bomb.csv"
    pd.DataFrame(rows, columns=["order_id", "customer_id", "product_id", "date"]).to_csv(path, index=False)
    rules = run_cli("rules", path, "--quiet")
    assert rules.returncode == 2 and "expected at most 5,000 rules, found 9,900" in rules.stderr
    assert "raise the minimum support (--min-support" in rules.stderr and "GNNREC_MAX_PAIR_RULES" in rules.stderr
    changes = run_cli("compare-periods", path, "--split", "2011-03-01", "--min-baskets", "2", "--quiet")
    assert changes.returncode == 0, changes.stderr  # the pairs' floor raised, as the Associations page raises its own
    assert "Pairs are tested from 5 baskets together, not 2: at most the 3,000 most common pairs" in changes.stdout
    assert "0 pairs tested" in changes.stdout  # 4,950 pairs, each in all 4 baskets: none is among 3,000 most common
    monkeypatch.delenv("GNNREC_MAX_PAIR_RULES")
    assert run_cli("rules", path, "--quiet").returncode == 0  # under the default limit


def test_json_to_dev_stdout_reaches_a_pipe_and_a_redirected_file(small_log, tmp_path):
    """/dev/stdout is written in place, never replaced: redirected to a file, a rename over that file
    would leave the shell's output in a file no longer there."""
    command = [sys.executable, "-m", "gnnrec_core", "rules", str(small_log), "--json", "/dev/stdout", "--quiet"]
    piped = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and '"rules": [' in piped.stdout, piped.stderr
    shell = tmp_path / "shell.out"
    with shell.open("w") as handle:
        done = subprocess.run(command, stdout=handle, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(shell.read_text())["rules"]  # the file the shell opened holds the JSON, whole


def test_a_closed_or_full_output_is_said_in_one_line_not_an_internal_error(small_log, tmp_path):
    """`ingest DATA >&-`, `>/dev/full` and `--json - 2>&-`, typed in a shell, exited 3 ("internal
    error"): stdout closed is refused, a full disk said as such (exit 2); with stderr closed the
    JSON still reaches stdout."""
    import shlex

    def shell(redirect: str) -> subprocess.CompletedProcess:
        command = f"{shlex.quote(sys.executable)} -m gnnrec_core ingest {shlex.quote(str(small_log))} {redirect}"
        return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120,
                              cwd=os.path.dirname(os.path.dirname(__file__)))

    closed = shell(">&-")
    assert closed.returncode == 2 and closed.stderr == (
        "error: expected standard output open, found it closed (>&-); redirect it to a file or /dev/null instead\n")
    if os.path.exists("/dev/full"):
        full = shell(">/dev/full")
        assert full.returncode == 2 and full.stderr == (
            "error: expected room to write the output, found No space left on device\n"), full.stderr
    out = tmp_path / "ingest.json"
    quiet = shell(f"--json - 2>&- >{shlex.quote(str(out))}")
    assert quiet.returncode == 0 and json.loads(out.read_text())["report"]["rows_read"] > 0


def test_json_naming_a_file_out_writes_is_refused_before_any_work(tmp_path):
    """`report --out r.html --json r.html` said "wrote r.html" twice and left the JSON where the report
    was; `export --json FOLDER/recommendations.csv` replaced the export's own file. Both refused."""
    said = "which --out writes too; name another file\n"
    html = tmp_path / "r.html"
    report = run_cli("report", "--run", "latest", "--workspace", tmp_path / "ws", "--out", html, "--json", html)
    assert report.returncode == 2 and report.stderr.endswith(said), report.stderr
    folder = tmp_path / "export"
    export = run_cli("export", "--run", "latest", "--workspace", tmp_path / "ws", "--out", folder,
                     "--json", folder / "recommendations.csv")
    assert export.returncode == 2 and export.stderr.endswith(said), export.stderr
    assert not html.exists() and not folder.exists() and not (tmp_path / "ws").exists()
    dash = run_cli("report", "--run", "latest", "--workspace", tmp_path / "ws", "--out", "-")
    assert dash.returncode == 2 and dash.stderr == (
        "error: --out: expected a path to write to, found '-' (standard output is for --json - alone)\n")
