"""Measure the author's edit loop: our configuration against plain ABlog and Nikola on one corpus.

Run it as ``make bench`` (or ``.venv/bin/python bench/run.py --help``). It generates N research-like
posts, builds them with each tool, then makes the edits an author makes, one at a time, and measures
each rebuild. Medians go to a table on stdout, every raw run to ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _corpus as corpus  # noqa: E402
import _measure as measure  # noqa: E402

ROOT = corpus.ROOT
BENCH = Path(__file__).resolve().parent
NIKOLA_VENV = BENCH / ".venv-nikola"
# Pinned so numbers from different days compare; python-markdown-math lets Markdown carry math.
NIKOLA_REQUIREMENTS = ["Nikola==8.3.3", "Markdown>=3.5", "Jinja2>=3", "python-markdown-math>=0.8"]

SCENARIOS = ["clean", "nochange", "edit", "add", "retag"]
SCENARIO_LABELS = {
    "clean": "clean build",
    "nochange": "no-change rebuild",
    "edit": "one-post edit",
    "add": "add one post",
    "retag": "retag one post",
}
STRICT = ["-W", "--keep-going", "-n"]  # what `make html` passes


@dataclass
class Tool:
    """One generator and configuration, built on one corpus variant."""

    name: str
    label: str
    flavour: str
    cites: bool
    pdfs: bool = False  # deepdive_pdf on: measured at the base corpus size only

    @property
    def is_sphinx(self) -> bool:
        return self.flavour != corpus.NIKOLA


# -- Nikola's own virtualenv -----------------------------------------------------------------------


def nikola_bin() -> Path:
    return NIKOLA_VENV / "bin" / "nikola"


def ensure_nikola(log) -> tuple[bool, str]:
    """Create ``bench/.venv-nikola`` with Nikola in it on first use; say why if we cannot."""
    marker = NIKOLA_VENV / ".installed"
    wanted = "\n".join(NIKOLA_REQUIREMENTS)
    if marker.exists() and marker.read_text() == wanted and nikola_bin().exists():
        return True, nikola_version()
    log(
        f"installing {', '.join(NIKOLA_REQUIREMENTS)} into {NIKOLA_VENV.relative_to(ROOT)} "
        "(first run only)..."
    )
    try:
        if not (NIKOLA_VENV / "bin" / "python").exists():
            subprocess.run(
                [sys.executable, "-m", "venv", str(NIKOLA_VENV)],
                check=True,
                capture_output=True,
                text=True,
                timeout=600,
            )
        subprocess.run(
            [
                str(NIKOLA_VENV / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *NIKOLA_REQUIREMENTS,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        check = subprocess.run(
            [str(nikola_bin()), "version"], capture_output=True, text=True, timeout=120
        )
        if check.returncode != 0 or "ERROR" in check.stdout + check.stderr:
            return False, f"`nikola version` failed: {(check.stdout + check.stderr).strip()[-500:]}"
    except subprocess.CalledProcessError as error:
        return False, f"installing Nikola failed: {(error.stdout or '') + (error.stderr or '')}"[
            -1500:
        ]
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"installing Nikola failed: {error}"
    marker.write_text(wanted)
    return True, nikola_version()


def nikola_version() -> str:
    result = subprocess.run(
        [str(NIKOLA_VENV / "bin" / "python"), "-c", "import nikola; print(nikola.__version__)"],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() or "unknown"


# -- Building --------------------------------------------------------------------------------------


def build_command(tool: Tool, jobs: str) -> list[str]:
    if tool.is_sphinx:
        ours = tool.flavour == corpus.DEEPDIVE
        strict = STRICT if ours else ["--keep-going", "-n"]
        return [
            sys.executable,
            "-m",
            "deepdive.pipeline" if ours else "sphinx",  # ours: exactly what `make html` runs
            "-b",
            "dirhtml",
            *strict,
            "-j",
            jobs,
            "-d",
            "_build/doctrees",
            ".",
            "_build/html",
        ]
    command = [str(nikola_bin()), "build"]
    if jobs != "1":
        command += ["-n", str(os.cpu_count() or 1) if jobs == "auto" else jobs]
    return command


def output_dir(site: Path, tool: Tool) -> Path:
    return site / "_build" / "html" if tool.is_sphinx else site / "output"


def build_env() -> dict[str, str]:
    """The environment a developer's shell gives `make html`: no preview or base-URL overrides."""
    env = dict(os.environ)
    for name in ("DEEPDIVE_DRAFTS", "DEEPDIVE_BASE_URL", "DEEPDIVE_CNAME"):
        env.pop(name, None)
    if corpus.ROOT != ROOT:  # --repo: its deepdive package comes before the installed one
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(corpus.ROOT), env.get("PYTHONPATH")]))
        if not (corpus.ROOT / "node_modules").is_dir() and (ROOT / "node_modules").is_dir():
            env.setdefault("DEEPDIVE_NODE_MODULES", str(ROOT / "node_modules"))
    return env


def docname(post: corpus.Post, tool: Tool) -> str:
    return f"posts/{post.path_stem}" if tool.is_sphinx else f"cache/posts/{post.slug}.html"


def count_docs(site: Path, tool: Tool) -> int:
    """Source documents in a site: what a clean build must read."""
    if tool.is_sphinx:
        # Parts below the site only: the site itself may sit in a folder called _build.
        return sum(1 for p in site.rglob("*.md") if "_build" not in p.relative_to(site).parts)
    return sum(1 for folder in ("posts", "pages") for _ in (site / folder).glob("*.md"))


class Sequence:
    """One tool's fresh copy of the site, built once per scenario after the author's next edit."""

    def __init__(
        self,
        tool: Tool,
        jobs: str,
        template: Path,
        work: Path,
        data: corpus.Corpus,
        posts: int,
        repeat: int,
    ) -> None:
        self.tool, self.jobs, self.data, self.posts, self.repeat = tool, jobs, data, posts, repeat
        self.site = work / f"{posts}-{tool.name}-j{jobs}-r{repeat}"
        if self.site.exists():
            shutil.rmtree(self.site)
        shutil.copytree(template, self.site, symlinks=True)
        self.logs = work / "logs"
        self.logs.mkdir(exist_ok=True)
        self.command = build_command(tool, jobs)
        self.results: list[dict] = []
        self.env = build_env()

    def step(self, scenario: str, timeout: float) -> dict:
        """Make ``scenario``'s edit, build, and measure the build."""
        tool, data, site = self.tool, self.data, self.site
        base = {
            "posts": self.posts,
            "tool": tool.name,
            "jobs": self.jobs,
            "repeat": self.repeat,
            "scenario": scenario,
        }
        if self.results and self.results[-1]["timed_out"]:
            # A hung build leaves nothing to rebuild incrementally; say so instead of hanging again.
            record = {
                **base,
                "ok": False,
                "timed_out": True,
                "returncode": None,
                "read": None,
                "skipped": "an earlier build in this sequence timed out",
            }
            self.results.append(record)
            return record
        expected: list[str] = []
        if scenario == "edit":
            corpus.append_sentence(corpus.post_path(site, data.edited, tool.flavour))
            expected = [docname(data.edited, tool)]
        elif scenario == "add":
            corpus.add_post(site, data, tool.flavour)
            expected = [docname(data.extra, tool)]
        elif scenario == "retag":
            path = corpus.post_path(site, data.retag_target, tool.flavour)
            corpus.retag(path, tool.flavour, corpus.retagged(data.retag_target))
            expected = [docname(data.retag_target, tool)]
        outdir = output_dir(site, tool)
        docs = count_docs(site, tool)
        before = measure.snapshot(outdir)
        log = self.logs / f"{site.name}-{scenario}.log"
        usage = measure.run_measured(self.command, site, self.env, log, timeout)
        after = measure.snapshot(outdir)
        text = log.read_text(encoding="utf-8", errors="replace")
        wrote = measure.written(before, after)
        shown = {sys.executable: "python", str(nikola_bin()): "nikola"}
        record = {
            **base,
            "command": " ".join(shown.get(part, part) for part in self.command),
            "ok": usage.returncode == 0 and not usage.timed_out,
            "returncode": usage.returncode,
            "timed_out": usage.timed_out,
            "wall_s": round(usage.wall_s, 4),
            "cpu_s": round(usage.cpu_s, 4),
            "user_s": round(usage.user_s, 4),
            "sys_s": round(usage.sys_s, 4),
            "max_rss_mib": round(usage.max_rss_mib, 1),
            "docs_in_site": docs,
            "expected_read": expected,
            "pages_written": wrote.pages,
            "files_written": wrote.files,
            "pages_written_sample": wrote.pages_list,
        }
        if tool.is_sphinx:
            parsed = measure.parse_sphinx(text)
            record.update(
                read=parsed.read,
                read_names=parsed.read_names,
                read_names_exact=parsed.read_names_exact,
                sphinx=measure.as_dict(parsed),
            )
        else:
            parsed = measure.parse_nikola(text)
            record.update(
                read=parsed.compiled,
                read_names=parsed.compiled_names,
                read_names_exact=True,
                nikola=measure.as_dict(parsed),
            )
        if not record["ok"]:
            record["log_tail"] = text[-4000:]
        self.results.append(record)
        return record

    def close(self, keep: bool) -> None:
        if not keep:
            shutil.rmtree(self.site, ignore_errors=True)


# -- Summaries -------------------------------------------------------------------------------------


def median_of(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r["ok"] and r.get(key) is not None]
    return statistics.median(values) if values else None


def summarise(runs: list[dict]) -> dict:
    """Medians per (posts, tool, jobs, scenario)."""
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault((run["posts"], run["tool"], run["jobs"], run["scenario"]), []).append(run)
    summary: dict = {}
    for (posts, tool, jobs, scenario), group in groups.items():
        walls = [r["wall_s"] for r in group if r["ok"]]
        summary.setdefault(str(posts), {}).setdefault(tool, {}).setdefault(jobs, {})[scenario] = {
            "runs": len(group),
            "failed": sum(not r["ok"] for r in group),
            "wall_s": median_of(group, "wall_s"),
            "wall_min_s": min(walls) if walls else None,
            "wall_max_s": max(walls) if walls else None,
            "cpu_s": median_of(group, "cpu_s"),
            "max_rss_mib": median_of(group, "max_rss_mib"),
            "read": median_of(group, "read"),
            "pdfs_printed": (group[-1].get("sphinx") or {}).get("pdfs_printed"),
            "pdfs_unchanged": (group[-1].get("sphinx") or {}).get("pdfs_unchanged"),
            "pages_written": median_of(group, "pages_written"),
            "files_written": median_of(group, "files_written"),
            "read_names": group[-1].get("read_names", [])[:20],
            "expected_read": group[-1].get("expected_read", []),
            "read_names_exact": group[-1].get("read_names_exact", True),
            "config_changed": (group[-1].get("sphinx") or {}).get("config_changed", ""),
            "env_reason": (group[-1].get("sphinx") or {}).get("env_reason", ""),
            "rebuild_all": (group[-1].get("sphinx") or {}).get("rebuild_all", ""),
        }
    return summary


def cell(summary: dict, posts: int, tool: str, jobs: str, scenario: str) -> dict | None:
    return summary.get(str(posts), {}).get(tool, {}).get(jobs, {}).get(scenario)


def ratio(a: dict | None, b: dict | None, key: str = "wall_s") -> float | None:
    if not a or not b or a.get(key) is None or not b.get(key):
        return None
    return a[key] / b[key]


def compute_ratios(
    summary: dict, tools: list[Tool], sizes: list[int], jobs_list: list[str]
) -> dict:
    """Our wall time over each other tool's per scenario (Nikola: the corpus without citations)."""
    names = {t.name for t in tools}
    ours_for_nikola = "deepdive-nocite" if "deepdive-nocite" in names else "deepdive"
    out: dict = {}
    for posts in sizes:
        for jobs in jobs_list:
            for scenario in SCENARIOS:
                entry = {}
                pairs = {"ablog": "deepdive", "nikola": ours_for_nikola}
                for other, ours in pairs.items():
                    if other in names:
                        a = cell(summary, posts, ours, jobs, scenario)
                        b = cell(summary, posts, other, jobs, scenario)
                        entry[f"vs_{other}"] = ratio(a, b)
                        entry[f"vs_{other}_cpu"] = ratio(a, b, "cpu_s")
                out.setdefault(str(posts), {}).setdefault(jobs, {})[scenario] = entry
    return out


def base_size(sizes: list[int]) -> int:
    """The corpus size most targets are read at (and the only one PDFs are printed at)."""
    return 100 if 100 in sizes else min(sizes)


def pdf_jobs(jobs_list: list[str]) -> str:
    """The one -j value PDFs are printed with: make html's default (auto) when it is measured."""
    return "auto" if "auto" in jobs_list else jobs_list[0]


def tools_at(
    tools: list[Tool], posts: int, sizes: list[int], jobs: str, jobs_list: list[str]
) -> list[Tool]:
    """The tools measured at this size and -j: our build with PDFs at one of each only."""
    at_base = posts == base_size(sizes) and jobs == pdf_jobs(jobs_list)
    return [t for t in tools if not t.pdfs or at_base]


def evaluate_targets(
    summary: dict, tools: list[Tool], sizes: list[int], jobs_list: list[str], nikola_note: str
) -> list[dict]:
    """The goals from the project brief, each PASS, FAIL or N/A with the numbers behind it."""
    names = {t.name for t in tools}
    ours_vs_nikola = "deepdive-nocite" if "deepdive-nocite" in names else "deepdive"
    base = base_size(sizes)
    big = 500 if 500 in sizes else max(sizes)
    targets = []

    def add(jobs: str, name: str, passed: bool | None, detail: str, posts: int = base) -> None:
        status = "N/A" if passed is None else ("PASS" if passed else "FAIL")
        targets.append(
            {"posts": posts, "jobs": jobs, "target": name, "status": status, "detail": detail}
        )

    def vs(
        jobs: str, scenario: str, other: str, limit: float, ours: str, posts: int = base
    ) -> None:
        other_label = "Nikola" if other == "nikola" else "plain ABlog"
        label = f"{SCENARIO_LABELS[scenario]} ≤ {limit:g}× {other_label}"
        if posts != base:
            label += f" at {posts} posts"
        if other not in names:
            why = nikola_note if other == "nikola" else "plain ABlog not run (--no-ablog)"
            add(jobs, label, None, why, posts)
            return
        a, b = (
            cell(summary, posts, ours, jobs, scenario),
            cell(summary, posts, other, jobs, scenario),
        )
        r = ratio(a, b)
        if r is None:
            add(jobs, label, False, "a build failed, see the runs", posts)
        else:
            cpu = ratio(a, b, "cpu_s")
            add(
                jobs,
                label,
                r <= limit,
                f"{a['wall_s']:.2f} s / {b['wall_s']:.2f} s = {r:.2f}× (cpu {fmt(cpu)}×)",
                posts,
            )

    for jobs in jobs_list:
        ours = cell(summary, base, "deepdive", jobs, "nochange")
        if ours is None or ours["read"] is None:
            add(jobs, "no-change rebuild re-reads 0 sources", False, "build failed")
        else:
            add(
                jobs,
                "no-change rebuild re-reads 0 sources",
                ours["read"] == 0,
                f"re-read {ours['read']:g}: {', '.join(ours['read_names'][:5]) or '-'}",
            )
        vs(jobs, "nochange", "nikola", 0.1, ours_vs_nikola)
        edit = cell(summary, base, "deepdive", jobs, "edit")
        name = "one-post edit re-reads exactly that post"
        if edit is None or edit["read"] is None:
            add(jobs, name, False, "build failed")
        else:
            exact = edit["read"] == 1 and (
                not edit["read_names_exact"] or edit["read_names"] == edit["expected_read"]
            )
            add(
                jobs,
                name,
                exact,
                f"re-read {edit['read']:g}: {', '.join(edit['read_names'][:5]) or '-'}",
            )
        vs(jobs, "edit", "nikola", 1, ours_vs_nikola)
        if big != base:
            vs(jobs, "edit", "nikola", 1, ours_vs_nikola, posts=big)
        vs(jobs, "clean", "nikola", 1.5, ours_vs_nikola, posts=big)
        vs(jobs, "clean", "ablog", 0.5, "deepdive")
        if "deepdive-pdf" in names and jobs == pdf_jobs(jobs_list):
            printing = cell(summary, base, "deepdive-pdf", jobs, "edit")
            name = "one-post edit prints only that post's PDF again"
            if printing is None or printing["pdfs_printed"] is None:
                add(jobs, name, False, "build failed, or it printed no PDF line")
            else:
                plain = cell(summary, base, "deepdive", jobs, "edit")
                extra = (
                    f"; {printing['wall_s'] - plain['wall_s']:+.2f} s over the edit without PDFs"
                    if plain and plain["wall_s"] is not None and printing["wall_s"] is not None
                    else ""
                )
                add(
                    jobs,
                    name,
                    printing["pdfs_printed"] == 1,
                    f"printed {printing['pdfs_printed']}, kept {printing['pdfs_unchanged']}{extra}",
                )
        label = f"{base}→{big} posts: one-post edit grows < 2×"
        if big == base:
            add(jobs, label, None, "needs two corpus sizes (--posts 100,500)")
        else:
            r = ratio(
                cell(summary, big, "deepdive", jobs, "edit"),
                cell(summary, base, "deepdive", jobs, "edit"),
            )
            if r is None:
                add(jobs, label, False, "a build failed")
            else:
                add(jobs, label, r < 2, f"×{r:.2f}")
    return targets


# -- Printing --------------------------------------------------------------------------------------


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def print_tables(
    summary: dict,
    ratios: dict,
    tools: list[Tool],
    sizes: list[int],
    jobs_list: list[str],
    repeat: int,
) -> None:
    names = {t.name for t in tools}
    ours_vs_nikola = "deepdive-nocite" if "deepdive-nocite" in names else "deepdive"
    for posts in sizes:
        for jobs in jobs_list:
            print(f"\n== {posts} posts, -j {jobs} ({os.cpu_count()} cores), median of {repeat} ==")
            print(
                f"{'scenario':<18} {'tool':<26} {'wall s':>8} {'cpu s':>8} {'re-read':>8} "
                f"{'pages':>6} {'peak MiB':>9} {'ours ÷ it: wall (cpu)':>22}"
            )
            for scenario in SCENARIOS:
                first = True
                for tool in tools:
                    c = cell(summary, posts, tool.name, jobs, scenario)
                    if c is None:
                        continue
                    rel = ""
                    if tool.name in ("ablog", "nikola"):
                        entry = ratios[str(posts)][jobs][scenario]
                        rel = (
                            f"{fmt(entry.get('vs_' + tool.name))}× "
                            f"({fmt(entry.get('vs_' + tool.name + '_cpu'))}×)"
                        )
                    failed = f"  FAILED {c['failed']}/{c['runs']}" if c["failed"] else ""
                    print(
                        f"{SCENARIO_LABELS[scenario] if first else '':<18} {tool.label:<26} "
                        f"{fmt(c['wall_s']):>8} {fmt(c['cpu_s']):>8} {fmt(c['read'], 'g'):>8} "
                        f"{fmt(c['pages_written'], 'g'):>6} {fmt(c['max_rss_mib'], '.0f'):>9} "
                        f"{rel:>22}{failed}"
                    )
                    first = False
            notes = set()
            for tool in tools:
                for scenario in SCENARIOS:
                    c = cell(summary, posts, tool.name, jobs, scenario)
                    if c and tool.is_sphinx and scenario != "clean":
                        if c["config_changed"]:
                            notes.add(
                                f"{tool.label}: Sphinx says the configuration changed on rebuilds "
                                f"({c['config_changed']})"
                            )
                        if c["env_reason"]:
                            notes.add(f"{tool.label}: re-reads because [{c['env_reason']}]")
                        if c["rebuild_all"]:
                            notes.add(f"{tool.label}: {c['rebuild_all']}")
            for note in sorted(notes):
                print(f"  note: {note}")
    if "nikola" in names:
        print(
            f"\n'ours ÷ it' on Nikola rows compares {ours_vs_nikola} "
            "(the same corpus without citations)."
        )


def print_targets(targets: list[dict]) -> None:
    print("\n== targets ==")
    for t in targets:
        print(
            f"  [{t['status']:<4}] {t['posts']} posts, -j {t['jobs']:<4} {t['target']:<48} "
            f"{t['detail']}"
        )


# -- Profiling -------------------------------------------------------------------------------------


def profile(template: Path, data: corpus.Corpus, work: Path, results_dir: Path, posts: int) -> dict:
    """cProfile a serial clean build and a serial one-post edit of our site; time per package."""
    import pstats

    site = work / f"profile-{posts}"
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(template, site)
    out = {}
    for scenario in ("clean", "edit"):
        if scenario == "edit":
            corpus.append_sentence(corpus.post_path(site, data.edited, corpus.DEEPDIVE))
        prof = results_dir / f"profile-{posts}-{scenario}.prof"
        command = [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(prof),
            "-m",
            "sphinx",
            "-b",
            "dirhtml",
            *STRICT,
            "-j",
            "1",
            "-d",
            "_build/doctrees",
            ".",
            "_build/html",
        ]
        subprocess.run(command, cwd=site, env=build_env(), capture_output=True, text=True)
        if not prof.exists():
            continue
        stats = pstats.Stats(str(prof))
        by_package: dict[str, float] = {}
        total = 0.0
        for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
            by_package[_package_of(filename)] = by_package.get(_package_of(filename), 0.0) + tottime
            total += tottime
        top = sorted(by_package.items(), key=lambda kv: -kv[1])[:15]
        out[scenario] = {
            "total_s": round(total, 3),
            "prof": str(prof),
            "by_package_s": {k: round(v, 3) for k, v in top},
        }
        print(
            f"\n== profile: {posts} posts, {SCENARIO_LABELS[scenario]}, -j 1 (own time by package, "
            f"{total:.1f} s total) =="
        )
        for package, seconds in top:
            print(f"  {package:<28} {seconds:7.2f} s  {100 * seconds / total:5.1f}%")
        cumulative = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])
        print("  heaviest calls outside Sphinx's and docutils' own machinery (cumulative):")
        shown = 0
        for (filename, line, func), (_, _, _, cumtime, _) in cumulative:
            package = _package_of(filename)
            core = package.startswith("sphinx") or package in ("docutils", "python", "builtins")
            if core or package in ("cProfile", "runpy") or func.startswith("<"):
                continue
            print(f"    {cumtime:7.2f} s  {package}: {func} ({Path(filename).name}:{line})")
            shown += 1
            if shown == 12:
                break
    shutil.rmtree(site, ignore_errors=True)
    return out


def _package_of(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    parts = Path(filename).parts
    if "site-packages" in parts:
        index = parts.index("site-packages")
        name = parts[index + 1] if index + 1 < len(parts) else "?"
        if name == "sphinx" and index + 2 < len(parts):
            return f"sphinx.{Path(parts[index + 2]).stem}"
        return name.removesuffix(".py")
    if "deepdive" in parts:
        return "deepdive"
    return "python"


# -- Main ------------------------------------------------------------------------------------------


def citations_landed() -> bool:
    """Our citations feature is there when deepdive loads a ``citations`` module."""
    init = (corpus.ROOT / "deepdive" / "__init__.py").read_text()
    return any(
        (corpus.ROOT / "deepdive" / path).exists() and module in init
        for path, module in [
            ("research/citations.py", "deepdive.research.citations"),
            ("citations.py", "deepdive.citations"),  # before the package had subpackages
        ]
    )


def git_state() -> dict:
    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", "-C", str(corpus.ROOT), *args], capture_output=True, text=True
        )
        return result.stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty_files": len(git("status", "--porcelain").splitlines()),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--posts", default="100,500", help="corpus sizes, comma-separated (default 100,500)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement; the table shows medians"
    )
    parser.add_argument(
        "--jobs", default="1,auto", help="sphinx-build -j values to measure (default 1,auto)"
    )
    parser.add_argument(
        "--seed", type=int, default=20240301, help="corpus seed (same seed, same posts)"
    )
    parser.add_argument(
        "--citations",
        choices=["auto", "on", "off"],
        default="auto",
        help="cite references.bib keys in posts; auto = on once deepdive/research/citations.py is loaded",
    )
    parser.add_argument(
        "--repo",
        default=str(ROOT),
        help="the Deep Dives checkout whose conf.py, _templates, _static and deepdive/ to measure "
        "(default: this one; e.g. a `git archive` of another commit)",
    )
    parser.add_argument("--no-nikola", action="store_true", help="skip the Nikola comparison")
    parser.add_argument(
        "--no-pdf", action="store_true", help="skip our build with PDFs (at the base size)"
    )
    parser.add_argument("--no-ablog", action="store_true", help="skip the plain-ABlog comparison")
    parser.add_argument(
        "--out", default=str(BENCH / "results" / "latest.json"), help="where the JSON goes"
    )
    parser.add_argument("--workdir", help="where corpora are built (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the built sites and logs")
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds before one build is killed"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also cProfile a serial clean build and edit of our site at the smallest size",
    )
    parser.add_argument("--check-targets", action="store_true", help="exit 2 when a target fails")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus.ROOT = Path(args.repo).resolve()
    git_at_start = git_state()  # others may commit while a long run goes on
    # SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so the running build is killed with us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes = [int(n) for n in args.posts.split(",") if n.strip()]
    jobs_list = [j.strip() for j in args.jobs.split(",") if j.strip()]
    cites = args.citations == "on" or (args.citations == "auto" and citations_landed())
    started = time.perf_counter()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    nikola_ok, nikola_note = False, "Nikola not run (--no-nikola)"
    if not args.no_nikola:
        nikola_ok, detail = ensure_nikola(log)
        nikola_note = f"Nikola {detail}" if nikola_ok else f"Nikola unavailable: {detail}"
        if not nikola_ok:
            print(
                "\n!! NIKOLA COULD NOT BE INSTALLED OR RUN, its comparisons are skipped:\n"
                f"   {detail}\n"
            )

    with_cites = " (cites)" if cites else ""
    tools = [Tool("deepdive", f"make html{with_cites}", corpus.DEEPDIVE, cites)]
    if not args.no_ablog:
        tools.append(
            Tool("ablog", "plain ABlog" + (" (cites)" if cites else ""), corpus.ABLOG, cites)
        )
    if nikola_ok:
        if cites:
            tools.append(Tool("deepdive-nocite", "make html (no cites)", corpus.DEEPDIVE, False))
        tools.append(Tool("nikola", f"Nikola {nikola_version()}", corpus.NIKOLA, False))
    if not args.no_pdf:
        tools.append(Tool("deepdive-pdf", "make html, PDFs", corpus.DEEPDIVE, cites, pdfs=True))

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="deepdive-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results_dir = Path(args.out).parent
    results_dir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    if load_before[0] > 0.5 * (os.cpu_count() or 1):
        print(
            f"!! the machine is busy (load {load_before[0]:.1f} on {os.cpu_count()} cores): "
            "timings will be noisy"
        )

    corpora: dict[tuple[int, bool], corpus.Corpus] = {}
    templates: dict[tuple[int, str], Path] = {}
    for posts in sizes:
        for tool in tools_at(tools, posts, sizes, pdf_jobs(jobs_list), jobs_list):
            data = corpora.setdefault(
                (posts, tool.cites), corpus.make_corpus(posts, args.seed, tool.cites)
            )
            template = work / "templates" / f"{posts}-{tool.name}"
            if template.exists():
                shutil.rmtree(template)
            if tool.is_sphinx:
                corpus.write_sphinx_site(
                    template, tool.flavour, data.posts, data.generator, pdfs=tool.pdfs
                )
            else:
                corpus.write_nikola_site(template, data.posts, nikola_bin())
            templates[(posts, tool.name)] = template

    runs: list[dict] = []
    total = (
        args.repeat
        * len(SCENARIOS)
        * sum(len(tools_at(tools, p, sizes, j, jobs_list)) for p in sizes for j in jobs_list)
    )
    done = 0
    for repeat in range(1, args.repeat + 1):
        for posts in sizes:
            for jobs in jobs_list:
                # Every tool takes the same scenario at nearly the same moment, in an order that
                # rotates each repeat, so load from elsewhere on the machine falls on all alike.
                here = tools_at(tools, posts, sizes, jobs, jobs_list)
                shift = (repeat - 1) % len(here)
                order = here[shift:] + here[:shift]
                sequences = [
                    Sequence(
                        t,
                        jobs,
                        templates[(posts, t.name)],
                        work / "runs",
                        corpora[(posts, t.cites)],
                        posts,
                        repeat,
                    )
                    for t in order
                ]
                for scenario in SCENARIOS:
                    for sequence in sequences:
                        done += 1
                        log(
                            f"[{done}/{total}] {posts} posts, -j {jobs}, run {repeat}: "
                            f"{SCENARIO_LABELS[scenario]}, {sequence.tool.label} "
                            f"({time.perf_counter() - started:.0f} s so far)"
                        )
                        record = sequence.step(scenario, args.timeout)
                        if not record["ok"] and not record.get("skipped"):
                            log(
                                f"   !! build failed (exit {record['returncode']}):\n"
                                + record.get("log_tail", "")[-1500:]
                            )
                        runs.append(record)
                for sequence in sequences:
                    sequence.close(args.keep)

    summary = summarise(runs)
    ratios = compute_ratios(summary, tools, sizes, jobs_list)
    targets = evaluate_targets(summary, tools, sizes, jobs_list, nikola_note)
    print_tables(summary, ratios, tools, sizes, jobs_list, args.repeat)
    print_targets(targets)
    profiled = {}
    if args.profile:
        smallest = min(sizes)
        profiled = profile(
            templates[(smallest, "deepdive")],
            corpora[(smallest, cites)],
            work,
            results_dir,
            smallest,
        )

    elapsed = time.perf_counter() - started
    import sphinx

    report = {
        "meta": {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "argv": sys.argv[1:] if argv is None else argv,
            "posts": sizes,
            "jobs": jobs_list,
            "repeat": args.repeat,
            "seed": args.seed,
            "citations": cites,
            "tools": [t.name for t in tools],
            "nikola": nikola_note,
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "sphinx": sphinx.__version__,
            "platform": platform.platform(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "elapsed_s": round(elapsed, 1),
            "repo": str(corpus.ROOT),
            "git": git_at_start,
            "edited_post": {str(p): docname(corpora[(p, cites)].edited, tools[0]) for p in sizes},
            "workdir": str(work) if args.keep else None,
        },
        "summary": summary,
        "ratios": ratios,
        "targets": targets,
        "profile": profiled,
        "runs": runs,
    }
    Path(args.out).write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    print(f"\nraw results: {args.out}   ({elapsed:.0f} s)")
    if not args.keep and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)

    ours_failed = any(not r["ok"] for r in runs if r["tool"].startswith("deepdive"))
    if ours_failed:
        print(
            "!! some builds of our configuration FAILED; see 'log_tail' in the JSON",
            file=sys.stderr,
        )
        return 1
    if args.check_targets and any(t["status"] == "FAIL" for t in targets):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
