"""Each post's schema.org JSON-LD is valid schema.org: checked against schema-dts, Google's
TypeScript types generated from the schema.org vocabulary, by the TypeScript compiler. An unknown
property, or a value of a type schema.org does not allow there, fails to compile."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from browser.support import NODE_MODULES, SETUP_HINT, missing_tool
from conftest import post

TSC = NODE_MODULES / "typescript" / "bin" / "tsc"
SCHEMA_DTS = NODE_MODULES / "schema-dts"


def compile_errors(documents: dict[str, dict], folder: Path) -> str:
    """The compiler's errors for each ``{name: JSON-LD}`` typed as a schema.org BlogPosting
    (empty when every one is valid)."""
    if not (TSC.is_file() and SCHEMA_DTS.is_dir()):
        missing_tool("TypeScript and schema-dts", f"{TSC} not found; {SETUP_HINT}")
    node = shutil.which("node")
    assert node, "Node.js runs KaTeX at build time, so it is installed"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in documents.items():
        (folder / f"{name}.ts").write_text(
            'import type { BlogPosting, WithContext } from "schema-dts";\n\n'
            f"export const post: WithContext<BlogPosting> = {json.dumps(data, indent=1)};\n",
            encoding="utf-8",
        )
    options = {
        "strict": True,
        "noEmit": True,
        "types": [],
        "module": "esnext",
        "moduleResolution": "bundler",
        "paths": {"schema-dts": [str(SCHEMA_DTS)]},
    }
    config = {"compilerOptions": options, "files": [f"{name}.ts" for name in documents]}
    (folder / "tsconfig.json").write_text(json.dumps(config), encoding="utf-8")
    result = subprocess.run(
        [node, str(TSC), "-p", str(folder / "tsconfig.json")],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    return "" if result.returncode == 0 else (result.stdout + result.stderr)


def post_json_ld(real_site) -> dict[str, dict]:
    """The JSON-LD of every post page of the real site, by the post's folder name."""
    found = {}
    for page in sorted(real_site.outdir.glob("posts/*/*/index.html")):
        scripts = real_site.html(page.parent.relative_to(real_site.outdir).as_posix()).select(
            'script[type="application/ld+json"]'
        )
        for script in scripts:
            found[page.parent.name] = json.loads(script.string)
    return found


def misspelt(data: dict) -> None:
    data["headlinee"] = data.pop("headline")


def number_date(data: dict) -> None:
    data["datePublished"] = 2024


def unknown_type(data: dict) -> None:
    data["author"][0]["@type"] = "Persona"


# What schema.org does not define, each in a copy of a real post's JSON-LD, and what the compiler
# says of it.
BROKEN = {
    misspelt: "'\"headlinee\"' does not exist",
    number_date: "not assignable",
    unknown_type: "Persona",
}


@pytest.fixture(scope="module")
def checked(real_site, tmp_path_factory) -> tuple[list[str], dict[str, str]]:
    """The real site's posts' JSON-LD and the broken copies, compiled in one run of the compiler
    (each run takes seconds): the posts' names, and the errors of each document that has any."""
    documents = post_json_ld(real_site)
    posts = sorted(documents)
    for change in BROKEN:
        data = copy.deepcopy(documents["hamiltonian-monte-carlo"])
        change(data)
        documents[change.__name__] = data
    errors = compile_errors(documents, tmp_path_factory.mktemp("json-ld"))
    by_name = {
        name: " ".join(line for line in errors.splitlines() if line.startswith(f"{name}.ts("))
        for name in documents
    }
    return posts, {name: reported for name, reported in by_name.items() if reported}


def test_every_posts_json_ld_is_a_valid_schema_org_blog_posting(checked):
    posts, errors = checked
    assert len(posts) >= 7
    assert sorted(errors) == sorted(change.__name__ for change in BROKEN), errors


def test_a_post_with_a_doi_and_a_licence_of_its_own_is_valid_too(build_site, tmp_path):
    site = build_site(
        {
            "posts/ranking.md": post(
                "2024-03-07",
                "Ranking",
                "Text.",
                doi="10.59350/abcd-1234",
                license="CC-BY-SA-4.0",
                author="Ada Quant and Bo Li",
                description="Ranking players from their games.",
            )
        }
    )
    assert site.returncode == 0, site.output
    (script,) = site.html("posts/ranking/").select('script[type="application/ld+json"]')
    data = json.loads(script.string)
    assert data["identifier"]["value"] == "10.59350/abcd-1234"
    assert compile_errors({"ranking": data}, tmp_path / "check") == ""


def test_the_check_rejects_what_schema_org_does_not_define(checked):
    _, errors = checked
    for change, complaint in BROKEN.items():
        assert complaint in errors.get(change.__name__, ""), (change.__name__, errors)
