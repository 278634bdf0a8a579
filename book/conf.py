"""Sphinx configuration of the course book (built by ``course book build``).

Do not run ``sphinx-build`` on this folder directly: ``course_lib.tools.book`` first
stages the pages (the executed lessons, the exercises notebooks, the glossary
and an index generated from the course map) next to a copy of this file.
Nothing here downloads anything at build time: no intersphinx, no remote
images, and the notebooks are never executed (their committed outputs are shown).
"""

from course_lib.tools.cloud import project_info

REPOSITORY, _TAG = project_info()

project = "Continual Learning for E-commerce Models"
author = "the course authors"
copyright = "the course authors, MIT licence"
html_title = project

# githubpages writes .nojekyll, so GitHub Pages serves the _static/ and _images/ folders.
extensions = ["myst_nb", "sphinx.ext.githubpages"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The lessons are executed and committed with their outputs: show them, never re-run them.
nb_execution_mode = "off"
nb_merge_streams = True
# Widgets need a live kernel; course_lib.tools.book replaces their views by a note (each explorer
# also draws a static figure), so no widget JavaScript is loaded from a CDN.
nb_ipywidgets_js = {}

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3  # "../index.md#course-map" and "#section" links resolve
myst_dmath_double_inline = True

# Math is rendered in the reader's browser by MathJax, which Sphinx loads from the jsDelivr
# CDN (the build itself needs no network).  Published on GitHub Pages, it renders as on
# any site; opened from a disk without a network connection, formulas stay as TeX source.

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": REPOSITORY,
    "repository_branch": "main",
    "use_repository_button": True,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "navigation_with_keys": True,
}
