"""The course's tooling, apart from the teaching library: the `course` command, grader, exercise builder, notebook tools, course map, book and benchmark."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .bench import format_table, run_benchmark
    from .bench_data import load_data, read_ratings_csv
    from .bench_strategies import DEFAULT_STRATEGIES, STRATEGIES, make_strategy, tune, tune_network
    from .book import WIDGET_NOTE, BookError, index_markdown, rewrite_links, stage, toctree_markdown
    from .cli import COMMANDS, Command
    from .cloud import BOOTSTRAP_TAG, add_to_notebook, badges, bootstrap_source, project_info
    from .coursemap import (
        Chapter,
        chapters,
        map_markdown,
        nav_markdown,
        parse_time,
        readme_with_map,
        sync,
    )
    from .exercises import RELEASE_INCLUDE, check, make_exercise_notebook, nbgrader_course, release
    from .grade import (
        ExerciseResult,
        GradeReport,
        classify_error,
        clip,
        find_submissions,
        grade_batch,
        grade_notebook,
        scan_source,
    )
    from .layers import LAYER_DOCS, exports_of, generate, render
    from .nbgrader_metadata import add_nbgrader_metadata, nbgrader_cell_metadata, sync_metadata
    from .nbtools import (
        COURSE_NOTEBOOK_DIRS,
        clean_notebook,
        execute_notebook,
        lint_notebook,
        lint_paths,
        write_atomic,
    )
    from .solution_markers import MarkerError, exercise_header, strip_hidden_tests, strip_solutions

_EXPORTS = {
    "format_table": ".bench",
    "run_benchmark": ".bench",
    "load_data": ".bench_data",
    "read_ratings_csv": ".bench_data",
    "DEFAULT_STRATEGIES": ".bench_strategies",
    "STRATEGIES": ".bench_strategies",
    "make_strategy": ".bench_strategies",
    "tune": ".bench_strategies",
    "tune_network": ".bench_strategies",
    "WIDGET_NOTE": ".book",
    "BookError": ".book",
    "index_markdown": ".book",
    "rewrite_links": ".book",
    "stage": ".book",
    "toctree_markdown": ".book",
    "COMMANDS": ".cli",
    "Command": ".cli",
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
    "RELEASE_INCLUDE": ".exercises",
    "check": ".exercises",
    "make_exercise_notebook": ".exercises",
    "nbgrader_course": ".exercises",
    "release": ".exercises",
    "ExerciseResult": ".grade",
    "GradeReport": ".grade",
    "classify_error": ".grade",
    "clip": ".grade",
    "find_submissions": ".grade",
    "grade_batch": ".grade",
    "grade_notebook": ".grade",
    "scan_source": ".grade",
    "LAYER_DOCS": ".layers",
    "exports_of": ".layers",
    "generate": ".layers",
    "render": ".layers",
    "add_nbgrader_metadata": ".nbgrader_metadata",
    "nbgrader_cell_metadata": ".nbgrader_metadata",
    "sync_metadata": ".nbgrader_metadata",
    "COURSE_NOTEBOOK_DIRS": ".nbtools",
    "clean_notebook": ".nbtools",
    "execute_notebook": ".nbtools",
    "lint_notebook": ".nbtools",
    "lint_paths": ".nbtools",
    "write_atomic": ".nbtools",
    "MarkerError": ".solution_markers",
    "exercise_header": ".solution_markers",
    "strip_hidden_tests": ".solution_markers",
    "strip_solutions": ".solution_markers",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
