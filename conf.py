"""Sphinx configuration for the Deep Dives blog."""

import os

# -- Site identity: the one place to say who writes this blog and where it lives ---------------
project = "Deep Dives"
author = "Ada Quant"
copyright = "2024–2026, Ada Quant"
deepdive_author_bio = "Long-form notes on probabilistic machine learning, sampling and inference."
deepdive_social_links = [
    {"name": "GitHub", "url": "https://github.com/deep-dives", "icon": "fa-brands fa-github"},
    {
        "name": "Mastodon",
        "url": "https://mathstodon.xyz/@deepdives",
        "icon": "fa-brands fa-mastodon",
    },
    {"name": "X / Twitter", "url": "https://x.com/deepdives", "icon": "fa-brands fa-x-twitter"},
    {"name": "Email", "url": "mailto:hello@deep-dives.example", "icon": "fa-solid fa-envelope"},
]
deepdive_newsletter_url = "https://buttondown.com/deepdives"
# The public address of the site, used by canonical links, feeds, the sitemap and OpenGraph.
# A project site looks like https://user.github.io/repo/; CI may override it for a fork.
html_baseurl = os.environ.get("DEEPDIVE_BASE_URL", "https://deep-dives.github.io/blog/")
# A custom domain (e.g. "blog.example.org") writes a CNAME file for GitHub Pages.
deepdive_cname = os.environ.get("DEEPDIVE_CNAME", "")

# -- Posts -------------------------------------------------------------------------------------
deepdive_posts_dir = "posts"
deepdive_posts_per_page = 10
deepdive_timezone = "UTC"
# `make live` sets DEEPDIVE_DRAFTS=1 to preview drafts; the published build never reads them.
deepdive_show_drafts = os.environ.get("DEEPDIVE_DRAFTS") == "1"

# -- Sphinx --------------------------------------------------------------------------------------
extensions = [
    "myst_nb",
    "deepdive",
    "sphinx_proof",
    # {grid}, {card}, {dropdown}, {tab-set}: coloured by the theme in light and dark mode
    "sphinx_design",
    "sphinx_copybutton",
    "sphinxext.opengraph",
    "sphinx_sitemap",
    "notfound.extension",
]
root_doc = "index"
language = "en"
include_patterns = ["index.md", "about.md", "posts/**", "categories/**"]
# Folders Sphinx would otherwise walk on every build looking for sources.
exclude_patterns = [
    "_build",
    ".venv",
    ".venv-*",
    ".git",
    "node_modules",
    "bench",
    "tests",
    "deepdive",
    ".github",
    "**/.ipynb_checkpoints",
]
templates_path = ["_templates"]
html_static_path = ["_static"]
nitpicky = True
# Figures, tables, code blocks, equations and theorems are numbered per post.
numfig = True

# -- MyST --------------------------------------------------------------------------------------
myst_enable_extensions = [
    "dollarmath",
    "amsmath",
    "colon_fence",
    "deflist",
    "smartquotes",
    "attrs_inline",
]
myst_heading_anchors = 3

# -- Notebooks ---------------------------------------------------------------------------------
# A post may be a Jupyter notebook (.ipynb, front matter in its first Markdown cell) or a MyST text
# notebook (.md with `file_format: mystnb` and a `kernelspec`). myst-nb runs its code at build time
# and keeps the outputs in _build/.jupyter_cache: a notebook runs again only when its code changes.
# A .ipynb saved with its outputs is published as saved, not run (deepdive.post.notebooks).
# A failing cell fails the build, reported at its file and line by deepdive.post.notebooks.
# To publish one post without running it: `mystnb: {execution_mode: "off"}` in its front matter.
nb_execution_mode = "cache"
nb_execution_cache_path = os.path.join(os.path.dirname(__file__), "_build", ".jupyter_cache")
nb_execution_raise_on_error = True
nb_execution_timeout = 60  # seconds per cell
nb_merge_streams = True
# sphinx-proof: {prf:definition}, {prf:theorem}, {prf:lemma}, {prf:proof}, ... numbered per post.
# Its "Proof Index" page is not a page a blog wants.
html_domain_indices = False
# Nor is Sphinx's general index (an empty page here: posts have no index entries).
html_use_index = False

# -- Math ----------------------------------------------------------------------------------------
# Typeset at build time by KaTeX (deepdive.research.math); these macros reach KaTeX and the MathJax fallback.
deepdive_math_macros = {
    "\\R": "\\mathbb{R}",
    "\\E": "\\mathbb{E}",
    "\\KL": "\\mathrm{KL}",
    "\\argmax": "\\operatorname*{argmax}",
}
# Named explicitly so another math extension can never make Sphinx fall back to a CDN's MathJax.
html_math_renderer = "deepdive"

# -- ABlog -------------------------------------------------------------------------------------
blog_title = project
blog_baseurl = html_baseurl
blog_authors = {}
post_auto_orphan = True

# -- Citations ---------------------------------------------------------------------------------
# Cite with {cite:p}`key` / {cite:t}`key`; each post gets its References section automatically.
# A post may keep extra entries in a .bib file beside it (posts/2024/foo.md -> posts/2024/foo.bib).
bibtex_bibfiles = ["references.bib"]
deepdive_citation_style = "numeric"  # or "label" ([Welling2011]) or "author-year"
deepdive_bibliography_page = "bibliography"

# -- Theme -------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
# Follow the reader's system preference until they pick a mode (an unset mode makes the theme
# log an error on every first visit).
html_context = {"default_mode": "auto"}
# Copy buttons on code and on the "Cite this post" entry, not on notebook outputs.
copybutton_selector = "div:not(.output) > div.highlight pre"
html_title = project
html_favicon = "_static/favicon.svg"
html_css_files = ["deepdive.css"]
html_sidebars = {"**": []}
html_show_sourcelink = False
html_copy_source = False
html_permalinks_icon = "#"
html_last_updated_fmt = None
html_theme_options = {
    "navbar_start": ["navbar-logo"],
    "navbar_center": ["deepdive/navbar-links.html"],
    "navbar_end": ["theme-switcher", "deepdive/feed-icon.html"],
    "navbar_persistent": ["search-button"],
    "article_header_start": [],
    "secondary_sidebar_items": ["page-toc"],
    "show_prev_next": False,
    "footer_start": ["copyright", "deepdive/licence.html"],
    "footer_end": [],
    # No "sidebar-ethical-ads" (the theme's default): readers' pages load nothing third-party.
    "primary_sidebar_end": [],
    # The theme renders every navbar and footer template twice per page, once to see whether it
    # is empty. These never are; the feed icon and copyright can be, so they are still checked.
    "templates_skip_empty_check": [
        "navbar-logo.html",
        "deepdive/navbar-links.html",
        "theme-switcher.html",
        "search-button.html",
        "sidebar-nav-bs.html",
        "navbar-nav.html",
    ],
    "show_toc_level": 2,
    "search_bar_text": "Search the posts …",
    "pygments_light_style": "a11y-high-contrast-light",
    "pygments_dark_style": "a11y-high-contrast-dark",
}

# -- Publishing: OpenGraph, sitemap, 404 ----------------------------------------------------------
ogp_site_url = html_baseurl
ogp_site_name = project
ogp_enable_meta_description = False
sitemap_url_scheme = "{link}"
sitemap_show_lastmod = False
notfound_urls_prefix = "/" + html_baseurl.split("://", 1)[1].split("/", 1)[1]
# The page GitHub Pages serves for any missing address, at any depth: so its links and its search
# form start from the site's root.
notfound_context = {
    "title": "Page not found",
    "body": (
        "<h1>Page not found</h1>\n"
        "<p>Nothing is published at this address. If you followed a link to a post, it may have "
        "moved: search for it, or start from the "
        f'<a href="{notfound_urls_prefix}">home page</a> or the '
        f'<a href="{notfound_urls_prefix}archive/">archive of every post</a>.</p>\n'
        f'<form class="dd-search-form" action="{notfound_urls_prefix}search/" method="get" '
        'role="search"><label for="dd-not-found-q">Search the posts for a word</label> '
        '<input id="dd-not-found-q" type="search" name="q"> '
        '<button type="submit">Search</button></form>\n'
    ),
}
ogp_social_cards = {"enable": False}
