"""A deterministic corpus of research-like posts in three flavours: ours, plain ABlog, Nikola."""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Flavours of the same corpus: each renders the same post model the way its tool expects it.
DEEPDIVE = "deepdive"  # our configuration: MyST, YAML front matter, {cite:p}, series
ABLOG = "ablog"  # plain ABlog + sphinxcontrib-bibtex: MyST, per-post {bibliography}
NIKOLA = "nikola"  # Nikola Markdown with its metadata comment; no citations

TAGS = [
    "mcmc",
    "bayesian",
    "variational-inference",
    "optimisation",
    "gaussian-processes",
    "deep-learning",
    "information-theory",
    "probability",
    "statistics",
    "kernels",
    "diffusion-models",
    "numerics",
]
CATEGORIES = ["Research Deep Dives", "Tutorials", "Paper Notes", "Essays"]
FIRST_DAY = date(2019, 1, 7)
DAYS_BETWEEN_POSTS = 3
SERIES_EVERY = 12  # posts 12k, 12k+1, 12k+2 form the 3-part series number k
SECTIONS = 5
PARAGRAPHS_PER_SECTION = 3
BIB_ENTRIES = 60


def _words(text: str) -> list[str]:
    return text.split()


WORDS = _words(
    "posterior prior likelihood evidence sampler chain proposal kernel gradient energy "
    "momentum integrator leapfrog step size mass matrix divergence entropy estimator "
    "variance bias expectation density measure transport flow map coupling bound objective "
    "family mean field amortised encoder decoder latent observation noise schedule score "
    "diffusion process drift volatility martingale mixing time spectral gap conductance "
    "Lipschitz smoothness convexity curvature Hessian preconditioner trajectory acceptance "
    "rejection detailed balance invariant stationary ergodic sequence approximation error "
    "analysis rate limit regime dimension scaling marginal conditional joint factor graph "
    "message passing update iterate fixed point operator norm inner product basis feature "
    "random projection sketch eigenvalue eigenvector trace determinant logarithm partition "
    "function normalising constant importance weight resampling particle filter smoother "
    "state space model observation sequence horizon control policy"
)
TITLE_WORDS = _words(
    "Hamiltonian Langevin Metropolis Gibbs Variational Stochastic Annealed Tempered "
    "Sequential Riemannian Kernel Gaussian Neural Implicit Score Diffusion Optimal Entropic "
    "Wasserstein Stein Bayesian Adaptive Preconditioned Spectral Sparse Low-Rank Mirror "
    "Proximal Natural"
)
TITLE_NOUNS = _words(
    "Dynamics Inference Sampling Estimators Bounds Flows Processes Kernels Transport "
    "Gradients Descent Filters Models Couplings Objectives Integrators Divergences "
    "Embeddings"
)
SYMBOLS = [
    r"\theta",
    r"x",
    r"z",
    r"\mu",
    r"\sigma^2",
    r"\lambda",
    r"p(x)",
    r"q_\phi(z)",
    r"\nabla U",
    r"\varepsilon",
    r"\mathcal{L}",
    r"\beta",
    r"\eta_t",
    r"\Sigma",
    r"K(x, x')",
]
EQUATIONS = [
    r"\mathbb{E}_{p}[f] = \int f(\theta)\, p(\theta \mid x)\, \mathrm{d}\theta",
    r"\log p(x) \ge \mathbb{E}_{q_\phi(z)}\left[\log p(x, z) - \log q_\phi(z)\right]",
    r"H(\theta, r) = U(\theta) + \tfrac{1}{2} r^\top M^{-1} r",
    r"\mathrm{d}X_t = -\nabla U(X_t)\, \mathrm{d}t + \sqrt{2}\, \mathrm{d}W_t",
    r"\alpha(\theta, \theta') = \min\left\{1, "
    r"\frac{p(\theta')\, q(\theta \mid \theta')}{p(\theta)\, q(\theta' \mid \theta)}\right\}",
    r"\mathrm{KL}(q \,\|\, p) = \int q(z) \log \frac{q(z)}{p(z \mid x)}\, \mathrm{d}z",
    r"k(x, x') = \sigma^2 \exp\left(-\frac{\|x - x'\|^2}{2 \ell^2}\right)",
    r"\theta_{t+1} = \theta_t - \eta_t\, \widehat{\nabla \mathcal{L}}(\theta_t)",
    r"W_2^2(\mu, \nu) = \inf_{\pi \in \Pi(\mu, \nu)} \int \|x - y\|^2\, \mathrm{d}\pi(x, y)",
    r"\operatorname{Var}\left[\hat{I}_N\right] = \frac{1}{N} \operatorname{Var}_p[f]",
]
ALIGNED = (
    r"\begin{aligned}"
    "\n"
    r"  r_{1/2} &= r_0 - \tfrac{\epsilon}{2} \nabla U(\theta_0) \\"
    "\n"
    r"  \theta_1 &= \theta_0 + \epsilon M^{-1} r_{1/2} \\"
    "\n"
    r"  r_1 &= r_{1/2} - \tfrac{\epsilon}{2} \nabla U(\theta_1)"
    "\n"
    r"\end{aligned}"
)
CODE = '''import numpy as np


def leapfrog(theta, r, grad_u, eps, steps):
    """Integrate Hamiltonian dynamics with the leapfrog scheme."""
    r = r - 0.5 * eps * grad_u(theta)
    for _ in range(steps - 1):
        theta = theta + eps * r
        r = r - eps * grad_u(theta)
    theta = theta + eps * r
    r = r - 0.5 * eps * grad_u(theta)
    return theta, -r


rng = np.random.default_rng({seed})
print(leapfrog(rng.normal(size=3), rng.normal(size=3), lambda t: t, 0.1, {steps}))'''

EDIT_SENTENCE = (
    "An added sentence: the estimator's variance shrinks like $N^{-1}$ as the sample grows."
)


@dataclass
class BibEntry:
    key: str
    text: str


@dataclass
class Post:
    """One post, independent of any tool's syntax; flavours render it."""

    index: int
    slug: str
    title: str
    day: date
    tags: list[str]
    category: str
    description: str
    series: str | None
    series_order: int | None
    # Each section: (label, heading, blocks); a block is ("p", tokens), ("eq", label, tex)
    # or ("code", text).
    intro: list[tuple]
    sections: list[tuple[str, str, list[tuple]]] = field(default_factory=list)
    cites: bool = False

    @property
    def path_stem(self) -> str:
        return f"{self.day.year}/{self.slug}"


class Generator:
    """Deterministic text from a seed: the same seed and index always give the same post."""

    def __init__(self, seed: int, citations: bool) -> None:
        self.seed = seed
        self.citations = citations
        self.bib = self._bib_entries()

    def _rng(self, *salt: object) -> random.Random:
        return random.Random(f"{self.seed}:" + ":".join(map(str, salt)))

    def _bib_entries(self) -> list[BibEntry]:
        rng = self._rng("bib")
        # Surnames starting with Q, X, Y, Z and one year per entry keep the "alpha" labels
        # (initials + year) unique and clear of the real references.bib.
        surnames = _words(
            "Quillen Quenouille Xiang Xue Yamada Yoshida Yates Zhou Zellner Zabczyk Quintana Xie "
            "Ylvisaker Zolotarev Quine Zygmund"
        )
        journals = [
            "Journal of Machine Learning Research",
            "Annals of Statistics",
            "Biometrika",
            "Bernoulli",
            "Statistics and Computing",
            "Journal of the Royal Statistical Society: Series B",
        ]
        entries = []
        for n in range(BIB_ENTRIES):
            first, second = rng.sample(surnames, 2)
            year = 1950 + n
            key = f"bench{first.lower()}{year}"
            title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 8))).capitalize()
            text = (
                f"@article{{{key},\n"
                f"  author  = {{{first}, A. and {second}, B.}},\n"
                f"  title   = {{{title}}},\n"
                f"  journal = {{{rng.choice(journals)}}},\n"
                f"  volume  = {{{rng.randint(1, 80)}}},\n"
                f"  pages   = {{{rng.randint(1, 400)}--{rng.randint(401, 900)}}},\n"
                f"  year    = {{{year}}},\n"
                f"}}\n"
            )
            entries.append(BibEntry(key, text))
        return entries

    def sentence(self, rng: random.Random, words: int | None = None) -> str:
        text = " ".join(rng.choice(WORDS) for _ in range(words or rng.randint(9, 18)))
        return text[0].upper() + text[1:]

    def paragraph(
        self, rng: random.Random, post_index: int, eq_labels: list[str], total: int
    ) -> list[tuple]:
        """Prose with inline math, equation references, citations and links to other posts."""
        tokens: list[tuple] = []
        for _ in range(rng.randint(4, 6)):
            tokens.append(("text", self.sentence(rng) + " with "))
            tokens.append(("math", rng.choice(SYMBOLS)))
            roll = rng.random()
            if roll < 0.25 and eq_labels:
                tokens.append(("text", ", as in "))
                tokens.append(("eq", rng.choice(eq_labels)))
            elif roll < 0.4 and self.citations:
                tokens.append(("text", " "))
                tokens.append(
                    ("cite", sorted(rng.sample(self.bib, rng.randint(1, 2)), key=lambda e: e.key))
                )
            elif roll < 0.55 and total > 1:
                other = rng.choice([i for i in range(total) if i != post_index])
                tokens.append(("text", "; see "))
                tokens.append(("ref", other, rng.randint(1, SECTIONS)))
            tokens.append(("text", ". "))
        return tokens

    def post(self, index: int, total: int) -> Post:
        """Post ``index`` of a corpus of ``total``; its cross-post links stay inside the corpus."""
        rng = self._rng("post", index)
        title = f"{rng.choice(TITLE_WORDS)} {rng.choice(TITLE_NOUNS)}, part of study {index}"
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower().split(",")[0]).strip("-") + f"-{index:04d}"
        block, position = divmod(index, SERIES_EVERY)
        series = f"Study series {block + 1}" if position < 3 else None
        post = Post(
            index=index,
            slug=slug,
            title=title,
            day=FIRST_DAY + timedelta(days=DAYS_BETWEEN_POSTS * index),
            tags=sorted(rng.sample(TAGS, rng.randint(2, 3))),
            category=CATEGORIES[index % len(CATEGORIES)],
            description=self.sentence(rng, 12) + ".",
            series=series,
            series_order=position + 1 if series else None,
            intro=[
                (
                    "p",
                    [
                        ("text", self.sentence(rng) + " and "),
                        ("math", r"\mathbb{E}_p[f]"),
                        ("text", ". " + self.sentence(rng) + "."),
                    ],
                )
            ],
        )
        eq_number = 0
        code_section = rng.randint(1, SECTIONS)
        for s in range(1, SECTIONS + 1):
            label = f"p{index:04d}-s{s}"
            heading = f"{rng.choice(TITLE_WORDS)} {rng.choice(TITLE_NOUNS).lower()} ({s})"
            blocks: list[tuple] = []
            labels_here: list[str] = []
            for p in range(PARAGRAPHS_PER_SECTION):
                if p == 1 or (p == 2 and s % 2):
                    eq_number += 1
                    eq_label = f"p{index:04d}-eq{eq_number}"
                    tex = ALIGNED if eq_number == 3 else rng.choice(EQUATIONS)
                    blocks.append(("eq", eq_label, tex))
                    labels_here.append(eq_label)
                blocks.append(("p", self.paragraph(rng, index, labels_here, total)))
            if s == code_section:
                blocks.append(("code", CODE.format(seed=index, steps=rng.randint(5, 50))))
            post.sections.append((label, heading, blocks))
        post.cites = any(
            token[0] == "cite"
            for _, _, blocks in post.sections
            for block in blocks
            if block[0] == "p"
            for token in block[1]
        )
        return post


# -- Rendering -------------------------------------------------------------------------------------


def _inline(tokens: list[tuple], flavour: str, posts: dict[int, Post]) -> str:
    out = []
    for token in tokens:
        kind = token[0]
        if kind == "text":
            out.append(token[1])
        elif kind == "math":
            out.append(f"${token[1]}$")
        elif kind == "eq":
            out.append(f"$\\eqref{{{token[1]}}}$" if flavour == NIKOLA else f"{{eq}}`{token[1]}`")
        elif kind == "cite":
            keys = ",".join(entry.key for entry in token[1])
            out.append(f"{{cite:p}}`{keys}`")
        elif kind == "ref":
            other = posts[token[1]]
            label = f"p{other.index:04d}-s{token[2]}"
            if flavour == NIKOLA:
                heading = other.sections[token[2] - 1][1]
                out.append(f"[{heading}](link://slug/{other.slug}#{label})")
            else:
                out.append(f"{{ref}}`{label}`")
    return "".join(out).rstrip()


def render(post: Post, flavour: str, posts: dict[int, Post]) -> str:
    """The text of ``post``'s source file for ``flavour``."""
    lines: list[str] = []
    if flavour == NIKOLA:
        lines += [
            "<!--",
            f".. title: {post.title}",
            f".. slug: {post.slug}",
            f".. date: {post.day.isoformat()} 09:00:00 UTC",
            f".. tags: {', '.join(post.tags)}",
            f".. category: {post.category}",
            f".. description: {post.description}",
            ".. type: text",
            ".. has_math: true",
            "-->",
            "",
        ]
    else:
        tags = f"[{', '.join(post.tags)}]" if flavour == DEEPDIVE else ", ".join(post.tags)
        lines += [
            "---",
            f"date: {post.day.isoformat()}",
            f"tags: {tags}",
            f"category: {post.category}",
            f"description: {post.description}",
        ]
        if post.series and flavour == DEEPDIVE:
            lines += [f"series: {post.series}", f"series_order: {post.series_order}"]
        lines += ["---", f"# {post.title}", ""]
    for block in post.intro:
        lines += [_inline(block[1], flavour, posts), ""]
    lines += ["<!-- TEASER_END -->" if flavour == NIKOLA else "<!-- more -->", ""]
    for label, heading, blocks in post.sections:
        if flavour == NIKOLA:
            lines += [f"## {heading} {{#{label}}}", ""]
        else:
            lines += [f"({label})=", f"## {heading}", ""]
        for block in blocks:
            if block[0] == "p":
                lines += [_inline(block[1], flavour, posts), ""]
            elif block[0] == "eq":
                if flavour == NIKOLA:
                    lines += ["$$", f"{block[2]} \\label{{{block[1]}}}", "$$", ""]
                else:
                    lines += ["$$", block[2], f"$$ ({block[1]})", ""]
            elif block[0] == "code":
                lines += ["```python", block[1], "```", ""]
    if flavour == ABLOG and post.cites:
        lines += [
            "## References",
            "",
            "```{bibliography}",
            ":filter: docname in docnames",
            "```",
            "",
        ]
    return "\n".join(lines)


def post_path(site: Path, post: Post, flavour: str) -> Path:
    if flavour == NIKOLA:
        return site / "posts" / f"{post.slug}.md"
    return site / "posts" / f"{post.path_stem}.md"


# -- Sites -----------------------------------------------------------------------------------------

ABLOG_CONF = '''"""Plain ABlog: what an ABlog + MyST + sphinxcontrib-bibtex user writes."""

project = "Deep Dives"
author = "Ada Quant"
copyright = "2024-2026, Ada Quant"
extensions = ["myst_parser", "ablog", "sphinxcontrib.bibtex"]
root_doc = "index"
language = "en"
exclude_patterns = ["_build", ".venv"]
html_theme = "pydata_sphinx_theme"
html_title = project
html_baseurl = {baseurl!r}
html_static_path = []
myst_enable_extensions = [
    "dollarmath", "amsmath", "colon_fence", "deflist", "smartquotes", "attrs_inline"
]
myst_heading_anchors = 3
blog_title = project
blog_baseurl = html_baseurl
blog_path = "blog"
blog_post_pattern = "posts/*/*"
post_auto_orphan = True
bibtex_bibfiles = ["references.bib"]
# Per-post bibliographies list a shared key more than once; every ABlog blog has to silence that.
suppress_warnings = ["bibtex.duplicate_citation"]
'''


def real_baseurl() -> str:
    """``html_baseurl`` as the real conf.py sets it (its default, ignoring the environment)."""
    match = re.search(
        r'html_baseurl\s*=\s*os\.environ\.get\("[A-Z_]+",\s*"([^"]+)"\)',
        (ROOT / "conf.py").read_text(),
    )
    if match:
        return match.group(1)
    match = re.search(r'html_baseurl\s*=\s*"([^"]+)"', (ROOT / "conf.py").read_text())
    return match.group(1) if match else "https://example.org/"


def bibliography_text(generator: Generator) -> str:
    """The real site's references.bib (if any) followed by the generated entries."""
    real = ROOT / "references.bib"
    head = real.read_text(encoding="utf-8") + "\n" if real.exists() else ""
    return (
        head
        + "% -- generated by bench/_corpus.py --\n\n"
        + "\n".join(e.text for e in generator.bib)
    )


INDEX_PAGE = """# Deep Dives

Long, careful articles on probabilistic machine learning: samplers, variational inference and the
mathematics underneath them, written to be read slowly.

```{toctree}
:hidden:

about
```
"""
# The real about.md links to real posts; the corpus has its own fixed page of the same kind.
ABOUT_PAGE = """# About

Deep Dives is a research blog. Each post takes one idea from machine learning or statistics and
follows it all the way down: where it comes from, why it works, what it costs, and how to implement
it, with numbered equations such as $\\mathbb{E}_p[f]$, references and code.

## How posts are written

- **Derivations are complete.** Steps that textbooks call "straightforward" are written out.
- **Numbers are computed, not remembered.** Every number comes from a short program in the post.
- **Claims are sourced.** Each post ends with a reference list.
"""


def write_sphinx_site(
    site: Path, flavour: str, posts: list[Post], generator: Generator, pdfs: bool = False
) -> None:
    """Our full configuration (copied from the real site) or plain ABlog's, with ``posts``; ours
    prints each post's PDF only with ``pdfs`` (neither ABlog nor Nikola prints any)."""
    site.mkdir(parents=True)
    index = INDEX_PAGE
    if flavour == DEEPDIVE:
        shutil.copy2(ROOT / "conf.py", site / "conf.py")
        with (site / "conf.py").open("a", encoding="utf-8") as conf:
            conf.write(f"\ndeepdive_pdf = {pdfs}\n")
        for folder in ("_templates", "_static"):
            if (ROOT / folder).is_dir():
                shutil.copytree(ROOT / folder, site / folder)
    else:
        (site / "conf.py").write_text(ABLOG_CONF.format(baseurl=real_baseurl()), encoding="utf-8")
        index += "\n## Recent posts\n\n```{postlist} 10\n:excerpts:\n```\n"
    (site / "index.md").write_text(index, encoding="utf-8")
    (site / "about.md").write_text(ABOUT_PAGE, encoding="utf-8")
    (site / "references.bib").write_text(bibliography_text(generator), encoding="utf-8")
    by_index = {p.index: p for p in posts}
    for post in posts:
        path = post_path(site, post, flavour)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(post, flavour, by_index), encoding="utf-8")


NIKOLA_CONF = '''
# -- Deep Dives benchmark overrides ----------------------------------------------------------------
BLOG_TITLE = "Deep Dives"
BLOG_AUTHOR = "Ada Quant"
SITE_URL = {baseurl!r}
BLOG_DESCRIPTION = "Long-form notes on probabilistic machine learning."
POSTS = (("posts/*.md", "posts", "post.tmpl"),)
PAGES = (("pages/*.md", "pages", "page.tmpl"),)
# Math in Markdown: python-markdown-math keeps $...$ away from Markdown; MathJax renders it.
MARKDOWN_EXTENSIONS = ["markdown.extensions.fenced_code", "markdown.extensions.codehilite",
                       "markdown.extensions.extra", "mdx_math"]
MARKDOWN_EXTENSION_CONFIGS = {{DEFAULT_LANG: {{"mdx_math": {{"enable_dollar_delimiter": True}}}}}}
MATHJAX_CONFIG = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({{TeX: {{equationNumbers: {{autoNumber: "AMS"}}}}}});
</script>"""
'''


def write_nikola_site(site: Path, posts: list[Post], nikola_bin: Path) -> None:
    """``nikola init --quiet``, our overrides appended to its conf.py, the posts in its format."""
    import subprocess

    subprocess.run(
        [str(nikola_bin), "init", "--quiet", str(site)], check=True, capture_output=True, text=True
    )
    with (site / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(NIKOLA_CONF.format(baseurl=real_baseurl()))
    (site / "pages").mkdir(exist_ok=True)
    about = ABOUT_PAGE.split("\n", 1)
    (site / "pages" / "about.md").write_text(
        "<!--\n.. title: About\n.. slug: about\n.. date: 2024-01-01 00:00:00 UTC\n"
        ".. type: text\n-->\n\n" + about[1].lstrip(),
        encoding="utf-8",
    )
    (site / "posts").mkdir(exist_ok=True)
    by_index = {p.index: p for p in posts}
    for post in posts:
        post_path(site, post, NIKOLA).write_text(render(post, NIKOLA, by_index), encoding="utf-8")


# -- The edits the benchmark makes -----------------------------------------------------------------


def append_sentence(path: Path) -> None:
    """One-post edit: an author adds a sentence at the end of the post."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + EDIT_SENTENCE + "\n")


def retagged(post: Post) -> list[str]:
    """A different tag set: drop the first tag, add the first vocabulary tag the post lacks."""
    new = next(tag for tag in TAGS if tag not in post.tags)
    return sorted(post.tags[1:] + [new])


def retag(path: Path, flavour: str, tags: list[str]) -> None:
    """Retag one post by rewriting its tags line, as an author would."""
    text = path.read_text(encoding="utf-8")
    if flavour == NIKOLA:
        new, count = re.subn(r"(?m)^\.\. tags: .*$", ".. tags: " + ", ".join(tags), text, count=1)
    elif flavour == DEEPDIVE:
        new, count = re.subn(r"(?m)^tags: .*$", f"tags: [{', '.join(tags)}]", text, count=1)
    else:
        new, count = re.subn(r"(?m)^tags: .*$", "tags: " + ", ".join(tags), text, count=1)
    if count != 1:
        raise RuntimeError(f"no tags line in {path}")
    path.write_text(new, encoding="utf-8")


@dataclass
class Corpus:
    """The posts of one benchmark size, plus the extra post the "add one post" scenario writes."""

    posts: list[Post]
    extra: Post
    edited: Post
    retag_target: Post
    generator: Generator


def make_corpus(count: int, seed: int, citations: bool) -> Corpus:
    generator = Generator(seed, citations)
    posts = [generator.post(i, count) for i in range(count)]
    extra = generator.post(count, count)  # links only to existing posts
    extra = replace(extra, series=None, series_order=None)
    edited = posts[count // 2]
    retag_target = posts[count // 4] if count > 1 else posts[0]
    return Corpus(posts, extra, edited, retag_target, generator)


def add_post(site: Path, corpus: Corpus, flavour: str) -> Path:
    by_index = {p.index: p for p in corpus.posts + [corpus.extra]}
    path = post_path(site, corpus.extra, flavour)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(corpus.extra, flavour, by_index), encoding="utf-8")
    return path
