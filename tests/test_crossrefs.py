"""A broken reference fails the build with the post, the line and the label probably meant."""

from __future__ import annotations

from conftest import post

TARGET = post("2024-01-01", "Target", "(hmc-leapfrog)=\n## Leapfrog\n\n$$E = mc^2$$ (hmc-energy)\n")


def failed_with(build, *fragments: str) -> None:
    assert build.returncode != 0
    assert "Traceback" not in build.output
    # Ours replaces Sphinx's own terse message instead of adding to it.
    assert "undefined label" not in build.output
    assert "A title or caption not found" not in build.output
    assert "failed to create a cross reference" not in build.output.lower()
    for fragment in fragments:
        assert fragment in build.output, build.output


def test_a_misspelt_section_label_names_the_line_and_the_likely_label(build_site):
    build = build_site(
        {
            "posts/2024/target.md": TARGET,
            "posts/2024/a.md": post("2024-02-01", "A", "See {ref}`hmc-leapfog`."),
        }
    )
    failed_with(
        build,
        "posts/2024/a.md:6:",
        "no label 'hmc-leapfog'",
        "Did you mean 'hmc-leapfrog' (in posts/2024/target.md)?",
        "(name)=",
    )


def test_a_missing_equation_label_says_how_to_label_one(build_site):
    build = build_site(
        {
            "posts/2024/target.md": TARGET,
            "posts/2024/a.md": post("2024-02-01", "A", "By {eq}`hmc-enrgy`."),
        }
    )
    failed_with(build, "posts/2024/a.md:6:", "Did you mean 'hmc-energy'", "$$ (name)")


def test_references_that_resolve_build_cleanly(build_site):
    build = build_site(
        {
            "posts/2024/target.md": TARGET,
            "posts/2024/a.md": post(
                "2024-02-01", "A", "See {ref}`hmc-leapfrog` and {eq}`hmc-energy`."
            ),
        }
    )
    assert build.returncode == 0, build.output


def test_each_broken_reference_is_reported_once(build_site):
    build = build_site(
        {
            "posts/2024/target.md": TARGET,
            "posts/2024/a.md": post("2024-02-01", "A", "See {ref}`hmc-leapfog`."),
        }
    )
    warnings = [line for line in build.output.splitlines() if ": WARNING: " in line]
    assert sum("no label 'hmc-leapfog'" in line for line in warnings) == 1, build.output
