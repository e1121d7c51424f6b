"""`make bench` end to end on a tiny corpus: every scenario measured, with sensible numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
POSTS = 4  # each printed to a PDF with Chromium in the clean build (seconds each)
SCENARIOS = ["clean", "nochange", "edit", "add", "retag"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    """Run bench/run.py once on 4 posts, ours only (with and without PDFs), serial and parallel;
    return its JSON."""
    out = tmp_path_factory.mktemp("bench") / "result.json"
    work = out.parent / "work"
    command = [
        sys.executable,
        str(ROOT / "bench" / "run.py"),
        "--posts",
        str(POSTS),
        "--repeat",
        "1",
        "--jobs",
        "1,auto",
        "--no-nikola",
        "--no-ablog",
        "--out",
        str(out),
        "--timeout",
        "180",  # a hung build fails the test instead of hanging it
        "--workdir",
        str(work),
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "== targets ==" in result.stdout
    return {**json.loads(out.read_text(encoding="utf-8")), "workdir": work}


def runs(report: dict, jobs: str, tool: str = "deepdive") -> dict[str, dict]:
    found = {r["scenario"]: r for r in report["runs"] if r["tool"] == tool and r["jobs"] == jobs}
    assert sorted(found) == sorted(SCENARIOS)
    return found


@pytest.mark.parametrize("jobs", ["1", "auto"])
def test_every_scenario_is_measured_and_succeeds(report, jobs):
    for scenario, run in runs(report, jobs).items():
        assert run["ok"], (scenario, run.get("log_tail"))
        assert run["wall_s"] > 0 and run["cpu_s"] > 0, scenario
        assert 5 < run["max_rss_mib"] < 8000, scenario
        assert run["read"] is not None, f"{scenario}: no 'updating environment' line was parsed"


@pytest.mark.parametrize("jobs", ["1", "auto"])
def test_clean_build_reads_every_post_and_the_fixed_pages(report, jobs):
    clean = runs(report, jobs)["clean"]
    fixed_pages = clean["docs_in_site"] - POSTS
    assert fixed_pages >= 1  # at least the home page
    assert clean["read"] == POSTS + fixed_pages
    assert clean["pages_written"] >= POSTS + fixed_pages
    if jobs == "1":  # serial reading prints one line per document
        assert len(clean["read_names"]) == clean["read"]
        assert sum(name.startswith("posts/") for name in clean["read_names"]) == POSTS


@pytest.mark.parametrize("jobs", ["1", "auto"])
def test_incremental_scenarios_read_exactly_what_changed(report, jobs):
    found = runs(report, jobs)
    nochange = found["nochange"]
    assert nochange["sphinx"]["skipped"], "make html starts Sphinx when nothing changed"
    assert nochange["read"] == 0 and nochange["pages_written"] == 0
    assert not any(found[s]["sphinx"]["skipped"] for s in ("clean", "edit", "add", "retag"))
    edit = found["edit"]
    assert edit["read"] == 1
    if edit["read_names_exact"]:
        assert edit["read_names"] == edit["expected_read"]
    assert 1 <= edit["pages_written"] < found["clean"]["pages_written"]
    add = found["add"]
    assert add["sphinx"]["added"] == 1
    assert add["docs_in_site"] == found["clean"]["docs_in_site"] + 1
    retag = found["retag"]
    assert retag["read"] == 1
    if retag["read_names_exact"]:
        assert retag["read_names"] == retag["expected_read"]


def test_targets_are_judged_on_the_numbers_and_say_n_a_without_a_comparison(report):
    summary = report["summary"][str(POSTS)]["deepdive"]
    for jobs in ("1", "auto"):
        for scenario in SCENARIOS:
            assert summary[jobs][scenario]["wall_s"] > 0
    targets = {(t["jobs"], t["target"]): t for t in report["targets"]}
    for jobs in ("1", "auto"):
        assert targets[(jobs, "no-change rebuild re-reads 0 sources")]["status"] == "PASS"
        assert targets[(jobs, "one-post edit re-reads exactly that post")]["status"] == "PASS"
    # Nikola and plain ABlog were switched off: the targets that need them say so, not guess.
    assert targets[("auto", "clean build ≤ 1.5× Nikola")]["status"] == "N/A"
    assert targets[("auto", "clean build ≤ 0.5× plain ABlog")]["status"] == "N/A"
    assert targets[("1", "no-change rebuild ≤ 0.1× Nikola")]["status"] == "N/A"
    assert report["meta"]["tools"] == ["deepdive", "deepdive-pdf"]


def test_with_pdfs_a_clean_build_prints_every_post_and_an_edit_prints_one(report):
    jobs = "auto"  # make html's default, the one -j the bench prints PDFs with
    assert not [r for r in report["runs"] if r["tool"] == "deepdive-pdf" and r["jobs"] != jobs]
    found = runs(report, jobs, tool="deepdive-pdf")
    assert found["clean"]["sphinx"]["pdfs_printed"] == POSTS
    assert found["edit"]["sphinx"]["pdfs_printed"] == 1
    assert found["edit"]["sphinx"]["pdfs_unchanged"] == POSTS - 1
    target = next(
        t
        for t in report["targets"]
        if t["jobs"] == jobs and t["target"] == "one-post edit prints only that post's PDF again"
    )
    assert target["status"] == "PASS" and target["detail"].startswith(
        f"printed 1, kept {POSTS - 1}"
    )


def test_no_build_process_outlives_the_benchmark(report):
    workdir = str(report["workdir"])
    left = []
    for proc in Path("/proc").iterdir():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if os.readlink(proc / "cwd").startswith(workdir) and state != "Z":
                left.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    assert left == []
