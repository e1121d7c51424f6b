# Appended to the small test site's conf.py: the same macros as the real site's conf.py.
deepdive_math_macros = {
    "\\R": "\\mathbb{R}",
    "\\E": "\\mathbb{E}",
    "\\KL": "\\mathrm{KL}",
    "\\argmax": "\\operatorname*{argmax}",
}
