"""Render stored docutils fragments (excerpts) to HTML for the page they will appear on."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING
from urllib.parse import quote

from docutils import nodes
from docutils.utils import new_document
from sphinx import addnodes
from sphinx.builders import Builder
from sphinx.util import logging
from sphinx.util.images import get_image_size
from sphinx.util.osutil import relative_uri

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def render_fragment(app: Sphinx, fragment: list[nodes.Node], pagename: str, source: str) -> str:
    """HTML for ``fragment``, taken from document ``source``, as it appears on page ``pagename``.

    References and image paths are resolved relative to ``pagename``; links within ``source``
    (footnotes, citations, its own sections) point back into ``source``, and the fragment's ids
    are dropped so that several excerpts on one page never repeat an id.
    """
    builder = app.builder
    document = new_document("<deepdive-fragment>", builder.docsettings.copy())
    for node in fragment:
        document.append(node.deepcopy())
    to_source = builder.get_relative_uri(pagename, source)
    for footnote_ref in list(document.findall(nodes.footnote_reference)):
        link = nodes.reference(
            "",
            "",
            refuri=f"{to_source}#{footnote_ref.get('refid', '')}",
            classes=["footnote-reference"],
        )
        link += nodes.superscript(text=footnote_ref.astext())
        footnote_ref.replace_self(link)
    for element in document.findall(nodes.Element):
        if element.get("ids"):
            element["ids"] = []
        if isinstance(element, nodes.reference) and element.get("refid"):
            element["refuri"] = f"{to_source}#{element['refid']}"
            del element["refid"]
    for xref in document.findall(addnodes.pending_xref):
        xref["refdoc"] = pagename
    # A broken reference in an excerpt was already reported where the post itself was resolved.
    with logging.suppress_logging():
        app.env.resolve_references(document, pagename, builder)

    # What Sphinx's translator takes from the builder's state of the page being written, the
    # fragment carries itself: its images and downloads get addresses relative to ``pagename``,
    # and math notes the page through ``PAGE_ATTR``. Section and figure numbers and permalinks,
    # the rest of that state, are looked up by id, and the fragment has none.
    _address_files(builder, document, pagename)
    document[PAGE_ATTR] = pagename
    visitor = builder.create_translator(document, builder)
    document.walkabout(visitor)
    return "".join(visitor.fragment)


PAGE_ATTR = "deepdive_page"


def _address_files(builder, document: nodes.document, pagename: str) -> None:
    """Point the fragment's images and downloads at their copies, relative to ``pagename``."""
    # Picks each image's file and has it copied to _images, as when the post is written: a listing
    # page written before the post would otherwise point at the source. The HTML builder's own
    # version also links scaled images to their full size, through the page being written.
    Builder.post_process_images(builder, document)
    page = builder.get_target_uri(pagename)
    images, downloads = relative_uri(page, builder.imagedir), relative_uri(page, "_downloads")
    for image in document.findall(nodes.image):
        source = image["uri"]
        if source not in builder.images:
            continue  # an image elsewhere on the web, or one Sphinx did not copy
        if "scale" in image and not ("width" in image and "height" in image):
            # The translator sizes a scaled image from its source file, which it finds by this uri.
            size = get_image_size(builder.srcdir / source)
            if size is not None:
                image.setdefault("width", str(size[0]))
                image.setdefault("height", str(size[1]))
        image["uri"] = posixpath.join(images, quote(builder.images[source]))
    for download in document.findall(addnodes.download_reference):
        if "filename" in download and "refuri" not in download:
            download["refuri"] = posixpath.join(downloads, quote(download["filename"]))
