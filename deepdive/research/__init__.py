"""Research-article features: math, citations, numbering, cross-references, sidenotes, previews."""
