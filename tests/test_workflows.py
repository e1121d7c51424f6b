"""The GitHub Actions workflows: what they run, who may write, what is pinned; lint-clean."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
VERSION_COMMENT = re.compile(r"^\s+# v\d+\.\d+\.\d+\b")


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.y*ml"))


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    found = [s for s in steps(job) if s.get("uses", "").startswith(action + "@")]
    assert len(found) == 1, f"expected one step using {action}, found {len(found)}"
    return found[0]


def run_lines(job: dict[str, Any]) -> list[str]:
    return [line.strip() for s in steps(job) for line in s.get("run", "").splitlines()]


def tool(name: str) -> str:
    """A linter installed next to this Python (the project's venv) or on PATH."""
    path = shutil.which(
        name, path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    )
    assert path, f"{name} is not installed: it comes with the dev lock (requirements/py3.X-dev.txt)"
    return path


@pytest.fixture(scope="module")
def build() -> dict[str, Any]:
    return load("build.yml")


@pytest.fixture(scope="module")
def links() -> dict[str, Any]:
    return load("links.yml")


@pytest.fixture(scope="module")
def newest() -> dict[str, Any]:
    return load("newest.yml")


def supported_pythons() -> list[str]:
    """The Python versions pyproject.toml's classifiers name, e.g. ["3.11", "3.12", "3.13"]."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    prefix = "Programming Language :: Python :: 3."
    return [
        c.removeprefix("Programming Language :: Python :: ")
        for c in project["classifiers"]
        if c.startswith(prefix) and c.removeprefix(prefix).isdigit()
    ]


# -- Triggers and the deploy gate ------------------------------------------------------------------


def test_every_push_and_pull_request_is_built(build):
    assert {"push", "pull_request"} <= set(build["on"])
    assert "pull_request_target" not in build["on"]
    assert build["on"]["push"] is None or "branches" not in build["on"]["push"]


def test_deploy_runs_only_for_a_push_to_main_after_a_good_build(build):
    deploy = build["jobs"]["deploy"]
    condition = " ".join(deploy["if"].split())
    assert condition == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert deploy["needs"] in ("build", ["build"])
    assert "continue-on-error" not in deploy and "continue-on-error" not in build["jobs"]["build"]
    (step,) = steps(deploy)
    assert step["uses"].startswith("actions/deploy-pages@") and step["id"] == "deployment"


def test_deploy_publishes_to_the_github_pages_environment_one_at_a_time(build):
    deploy = build["jobs"]["deploy"]
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": "${{ steps.deployment.outputs.page_url }}",
    }
    assert deploy["concurrency"]["group"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert build["concurrency"]["group"]


# -- Permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_every_workflow_reads_only_by_default(path):
    assert load(path.name)["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_only_the_deploy_job_may_write_or_mint_tokens(path):
    for name, job in load(path.name)["jobs"].items():
        permissions = job.get("permissions", {})
        assert isinstance(permissions, dict), f"{path.name}:{name}: permissions must be a mapping"
        if (path.name, name) == ("build.yml", "deploy"):
            assert permissions == {"pages": "write", "id-token": "write"}
        else:
            elevated = {k: v for k, v in permissions.items() if v != "read" or k == "id-token"}
            assert elevated == {}, f"{path.name}:{name} asks for {elevated}"


# -- Pinning and checkout ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*workflow_files()], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version_beside_it(path):
    lines = [
        m for line in path.read_text(encoding="utf-8").splitlines() if (m := USES_LINE.match(line))
    ]
    assert lines, f"{path.name} uses no actions?"
    for match in lines:
        ref = match["ref"].strip("'\"")
        assert SHA_PIN.match(ref), f"{path.name}: {ref} is not pinned to a 40-hex commit SHA"
        assert VERSION_COMMENT.match(match["comment"]), (
            f"{path.name}: {ref} lacks a '# vX.Y.Z' comment"
        )
    parsed = [
        s["uses"] for job in load(path.name)["jobs"].values() for s in steps(job) if "uses" in s
    ]
    assert len(parsed) == len(lines), "every `uses:` should sit on its own line"


def test_each_action_has_one_pin_across_all_workflows():
    pins: dict[str, set[str]] = {}
    for path in workflow_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if match := USES_LINE.match(line):
                action, _, sha = match["ref"].partition("@")
                pins.setdefault(action, set()).add(f"{sha}{match['comment']}".strip())
    assert {a: p for a, p in pins.items() if len(p) > 1} == {}


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_checkout_never_leaves_credentials_behind(path):
    for job in load(path.name)["jobs"].values():
        for step in steps(job):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False


# -- What the build job does ---------------------------------------------------------------------


def test_the_build_runs_on_every_supported_python_each_with_its_own_lock(build):
    job = build["jobs"]["build"]
    assert job["strategy"]["matrix"] == {"python": supported_pythons()}
    assert job["strategy"]["fail-fast"] is False
    setup = step_using(job, "actions/setup-python")
    assert setup["with"] == {
        "python-version": "${{ matrix.python }}",
        "cache": "pip",
        "cache-dependency-path": "requirements/py${{ matrix.python }}-dev.txt",
    }
    for version in supported_pythons():
        assert (ROOT / f"requirements/py{version}-dev.txt").is_file()
    # make picks the newest Python on PATH unless told: it is told the one set up.
    tell = next(s for s in steps(job) if "PYTHON=" in s.get("run", ""))
    assert tell["env"] == {"PYTHON_PATH": f"${{{{ steps.{setup['id']}.outputs.python-path }}}}"}
    assert tell["run"].strip() == 'echo "PYTHON=$PYTHON_PATH" >> "$GITHUB_ENV"'
    html = next(s for s in steps(job) if "make html" in s.get("run", ""))
    assert steps(job).index(setup) < steps(job).index(tell) < steps(job).index(html)


def test_one_python_uploads_the_site_and_the_deploy_waits_for_all(build):
    job = build["jobs"]["build"]
    upload = step_using(job, "actions/upload-pages-artifact")
    assert upload["if"] == f"matrix.python == '{supported_pythons()[-1]}'"
    # `needs: build` waits for every job of the matrix, and any failure skips the deploy.
    assert build["jobs"]["deploy"]["needs"] in ("build", ["build"])


def test_the_build_is_strict_tested_link_checked_then_uploaded_in_that_order(build):
    job = build["jobs"]["build"]
    commands = run_lines(job)
    order = [
        commands.index(c)
        for c in (
            "make html",
            ".venv/bin/python -m deepdive.tools.linkcheck _build/html",
            "make test",
        )
    ]
    assert order == sorted(order)
    upload = step_using(job, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "_build/html"
    assert steps(job).index(upload) == len(steps(job)) - 1


def test_a_push_reuses_the_last_build_of_the_same_code_and_reads_only_changed_sources(build):
    job = build["jobs"]["build"]
    code_hash = next(s for s in steps(job) if s.get("id") == "cache-key")["env"]["CODE_HASH"]
    for code in ("requirements/**", "package-lock.json", "conf.py", "deepdive/**", "_templates/**"):
        assert f"'{code}'" in code_hash
    assert "posts" not in code_hash  # a new post must not throw the cache away
    restore = step_using(job, "actions/cache/restore")
    save = step_using(job, "actions/cache/save")
    prefix = "${{ steps.cache-key.outputs.prefix }}"
    assert restore["with"]["restore-keys"] == prefix
    assert restore["with"]["key"] == save["with"]["key"] == prefix + "${{ github.sha }}"
    assert restore["with"]["path"] == save["with"]["path"] == "_build"
    assert save["if"] == "github.event_name == 'push'"  # a pull request never writes a cache
    commands = run_lines(job)
    order = [
        commands.index(c)
        for c in (
            "$PYTHON deepdive/tools/sourcetimes.py restore _build/sourcetimes.json",
            "make html",
            "$PYTHON deepdive/tools/sourcetimes.py save _build/sourcetimes.json",
        )
    ]
    assert order == sorted(order)
    assert steps(job).index(restore) < steps(job).index(save)


def test_the_build_is_dated_by_its_commit_in_utc_at_the_pages_address(build):
    assert build["env"]["TZ"] == "UTC"
    job = build["jobs"]["build"]
    checkout = step_using(job, "actions/checkout")
    assert checkout["with"].get("fetch-depth", 1) >= 1  # the last commit must be there
    commands = run_lines(job)
    assert 'echo "SOURCE_DATE_EPOCH=$(git log -1 --pretty=%ct)" >> "$GITHUB_ENV"' in commands
    pages = step_using(job, "actions/configure-pages")
    html = next(s for s in steps(job) if "make html" in s.get("run", ""))
    assert html["env"]["PAGES_BASE_URL"] == f"${{{{ steps.{pages['id']}.outputs.base_url }}}}"
    assert html["run"].splitlines() == [
        'if [ -n "$PAGES_BASE_URL" ]; then export DEEPDIVE_BASE_URL="${PAGES_BASE_URL%/}/"; fi',
        "make html",
    ]
    assert steps(job).index(pages) < steps(job).index(html)


# -- The weekly external link check -------------------------------------------------------------


def test_external_links_are_checked_weekly_apart_from_deploys(links, build):
    assert set(links["on"]) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in links["on"]["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert (day, month) == ("*", "*") and weekday.isdigit()
    assert any("-b linkcheck" in line for line in run_lines(links["jobs"]["linkcheck"]))
    # Nothing in the build waits on it, so a dead link elsewhere never holds a deploy back.
    assert "workflow_run" not in build["on"]
    assert all("linkcheck" not in str(job.get("needs", "")) for job in build["jobs"].values())


# -- The weekly build with the newest dependencies -------------------------------------------------


def assert_installs_without_a_lock_then_builds_and_tests(job: dict[str, Any], install: str) -> None:
    """The job tells make the Python it set up, installs with ``install`` (not from a lock),
    then builds the site and runs the tests."""
    commands = run_lines(job)
    assert 'echo "PYTHON=$PYTHON_PATH" >> "$GITHUB_ENV"' in commands
    order = [commands.index(c) for c in (install, "make html", "make test")]
    assert order == sorted(order)
    assert not any("requirements/" in line for line in commands)


def makefile_recipe(target: str) -> str:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]


def test_newest_dependencies_are_built_and_tested_weekly_on_every_python(newest):
    assert set(newest["on"]) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in newest["on"]["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert (day, month) == ("*", "*") and weekday.isdigit()
    job = newest["jobs"]["newest"]
    assert job["strategy"]["matrix"] == {"python": supported_pythons()}
    assert job["strategy"]["fail-fast"] is False
    setup = step_using(job, "actions/setup-python")
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    assert "cache" not in setup["with"]  # a cache keyed on nothing that changes would go stale
    # No lock: make newest installs the newest versions the ranges allow, then the same build
    # and tests as every push.
    assert_installs_without_a_lock_then_builds_and_tests(job, "make newest")


def test_make_newest_upgrades_to_what_pyproject_allows_without_a_lock():
    recipe = makefile_recipe("newest")
    assert "--upgrade --upgrade-strategy eager" in recipe and "-e '.[dev]'" in recipe
    assert "-r " not in recipe and "--require-hashes" not in recipe


def test_lowest_dependencies_are_built_and_tested_weekly_on_the_oldest_python(newest):
    job = newest["jobs"]["oldest"]
    setup = step_using(job, "actions/setup-python")
    oldest_python = min(supported_pythons(), key=lambda v: tuple(map(int, v.split("."))))
    assert setup["with"]["python-version"] == oldest_python
    assert_installs_without_a_lock_then_builds_and_tests(job, "make oldest")


def test_make_oldest_installs_each_lower_bound_in_a_new_venv_without_a_lock():
    recipe = makefile_recipe("oldest")
    assert "--resolution lowest-direct" in recipe and "-e '.[dev]'" in recipe
    # A venv holding newer versions would keep them: the lowest ones go into a new venv.
    assert recipe.index("rm -rf $(VENV)") < recipe.index("--resolution lowest-direct")
    assert "-r " not in recipe and "--require-hashes" not in recipe


def test_dependabot_bumps_actions_python_and_node_packages():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert {"github-actions", "pip", "npm"} <= ecosystems


# -- Linters ---------------------------------------------------------------------------------------


def test_actionlint_reports_nothing():
    result = subprocess.run(
        [tool("actionlint"), "-no-color"], cwd=ROOT, capture_output=True, text=True
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_zizmor_reports_nothing():
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--color", "never", ".github/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout


def test_a_push_of_posts_alone_skips_the_suite_and_everything_else_runs_it(build):
    job = build["jobs"]["build"]
    (changes,) = [s for s in steps(job) if s.get("id") == "changes"]
    (test,) = [s for s in steps(job) if s.get("run") == "make test"]
    assert changes["if"] == "github.event_name == 'push'"  # a pull request always runs the suite
    assert "deepdive/tools/contentonly.py" in changes["run"]
    assert "--no-renames" in changes["run"]  # code moved into posts/ is listed where it left
    assert test["if"] == "steps.changes.outputs.only_content != 'true'"
    assert steps(job).index(changes) < steps(job).index(test)
    # The strict build and the link check still run on every push.
    for command in ("make html", ".venv/bin/python -m deepdive.tools.linkcheck _build/html"):
        (step,) = [s for s in steps(job) if command in s.get("run", "")]
        assert "if" not in step
