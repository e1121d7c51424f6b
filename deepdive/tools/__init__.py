"""Author-facing commands beside the build: the link checker, ``make new``, headless Chromium."""
