"""The course tooling, apart from the teaching library: grader, exercise builder, notebook tools, course map, book, benchmark and the `course` command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .bench import (DEFAULT_STRATEGIES, STRATEGIES, format_table, load_data, make_strategy, read_ratings_csv, run_benchmark, tune)  # noqa: F401
    from .book import (BookError, WIDGET_NOTE, index_markdown, rewrite_links, stage, toctree_markdown)  # noqa: F401
    from .cloud import (BOOTSTRAP_TAG, add_to_notebook, badges, bootstrap_source, project_info)  # noqa: F401
    from .coursemap import (Chapter, chapters, map_markdown, nav_markdown, parse_time, readme_with_map, sync)  # noqa: F401
    from .exercises import (MarkerError, RELEASE_INCLUDE, add_nbgrader_metadata, check, exercise_header, make_exercise_notebook, nbgrader_cell_metadata, nbgrader_course, release, strip_hidden_tests, strip_solutions, sync_metadata)  # noqa: F401
    from .grade import (ExerciseResult, GradeReport, classify_error, clip, find_submissions, grade_batch, grade_notebook, scan_source)  # noqa: F401
    from .nbtools import (COURSE_NOTEBOOK_DIRS, clean_notebook, execute_notebook, lint_notebook, lint_paths, write_atomic)  # noqa: F401

_EXPORTS = {
    "DEFAULT_STRATEGIES": ".bench",
    "STRATEGIES": ".bench",
    "format_table": ".bench",
    "load_data": ".bench",
    "make_strategy": ".bench",
    "read_ratings_csv": ".bench",
    "run_benchmark": ".bench",
    "tune": ".bench",
    "BookError": ".book",
    "WIDGET_NOTE": ".book",
    "index_markdown": ".book",
    "rewrite_links": ".book",
    "stage": ".book",
    "toctree_markdown": ".book",
    "BOOTSTRAP_TAG": ".cloud",
    "add_to_notebook": ".cloud",
    "badges": ".cloud",
    "bootstrap_source": ".cloud",
    "project_info": ".cloud",
    "Chapter": ".coursemap",
    "chapters": ".coursemap",
    "map_markdown": ".coursemap",
    "nav_markdown": ".coursemap",
    "parse_time": ".coursemap",
    "readme_with_map": ".coursemap",
    "sync": ".coursemap",
    "MarkerError": ".exercises",
    "RELEASE_INCLUDE": ".exercises",
    "add_nbgrader_metadata": ".exercises",
    "check": ".exercises",
    "exercise_header": ".exercises",
    "make_exercise_notebook": ".exercises",
    "nbgrader_cell_metadata": ".exercises",
    "nbgrader_course": ".exercises",
    "release": ".exercises",
    "strip_hidden_tests": ".exercises",
    "strip_solutions": ".exercises",
    "sync_metadata": ".exercises",
    "ExerciseResult": ".grade",
    "GradeReport": ".grade",
    "classify_error": ".grade",
    "clip": ".grade",
    "find_submissions": ".grade",
    "grade_batch": ".grade",
    "grade_notebook": ".grade",
    "scan_source": ".grade",
    "COURSE_NOTEBOOK_DIRS": ".nbtools",
    "clean_notebook": ".nbtools",
    "execute_notebook": ".nbtools",
    "lint_notebook": ".nbtools",
    "lint_paths": ".nbtools",
    "write_atomic": ".nbtools",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
