"""The exercise generator: markers, indentation, errors, build/check."""

from __future__ import annotations

import nbformat
import pytest

from course_lib.tools import exercises
from course_lib.tools.exercises import (
    MarkerError,
    make_exercise_notebook,
    strip_hidden_tests,
    strip_solutions,
)
from tests.notebook_fixtures import solution_notebook, write


def test_solution_block_replaced_at_its_indentation():
    src = (
        "# Exercise 3.2: Write the loop.\nfor i in range(3):\n    if i:\n"
        "        ### BEGIN SOLUTION\n        x = i\n        ### END SOLUTION\n    y = 1"
    )
    out = strip_solutions(src, "nb, cell 1")
    assert out.splitlines() == [
        "# Exercise 3.2: Write the loop.",
        "for i in range(3):",
        "    if i:",
        "        # YOUR CODE HERE",
        '        raise NotImplementedError("Exercise 3.2: Write the loop.")',
        "    y = 1",
    ]


def test_quotes_in_instruction_are_escaped():
    src = '# Exercise 1.2: Return "x".\ndef f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION'
    out = strip_solutions(src, "nb")
    compile(out, "<cell>", "exec")  # still valid Python
    assert 'NotImplementedError("Exercise 1.2: Return \\"x\\".")' in out


def test_hidden_tests_removed():
    src = "check_1_1(f)\n### BEGIN HIDDEN TESTS\nassert f(1) == 1\n### END HIDDEN TESTS"
    assert strip_hidden_tests(src, "nb") == "check_1_1(f)"


@pytest.mark.parametrize(
    "src, message",
    [
        ("# Exercise 1.1: x\n### BEGIN SOLUTION\nx = 1", "never closed"),
        ("# Exercise 1.1: x\n### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "nested"),
        ("# Exercise 1.1: x\n### END SOLUTION", "without a"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "needs a line '# Exercise N.M"),
    ],
)
def test_bad_markers_name_the_place(src, message):
    with pytest.raises(MarkerError, match=message) as info:
        strip_solutions(src, "solutions/01_x.ipynb, cell 4")
    assert "solutions/01_x.ipynb, cell 4" in str(info.value)


def test_unterminated_hidden_tests_in_notebook_names_file_and_cell():
    nb = solution_notebook()
    nb.cells[3].source = "check_90_1(mean)\n### BEGIN HIDDEN TESTS\nassert True"
    with pytest.raises(MarkerError, match=r"90_fixture.ipynb, cell 3: .*never closed"):
        make_exercise_notebook(nb, "90_fixture.ipynb")


def test_generated_notebook_has_no_solutions_outputs_or_hidden_tests():
    nb = solution_notebook()
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="hi")]
    nb.cells[2].execution_count = 7
    out = make_exercise_notebook(nb, "90_fixture.ipynb")
    text = nbformat.writes(out)
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text
    assert "np.sum(x)" not in text
    assert 'raise NotImplementedError(\\"Exercise 90.1: Return the mean of x.\\")' in text
    assert all(c.get("outputs", []) == [] for c in out.cells)
    assert all(c.get("execution_count") is None for c in out.cells if c.cell_type == "code")
    assert nb.cells[2].execution_count == 7  # the source notebook is untouched


def test_build_then_check_then_stale(tmp_path):
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    write(solution_notebook(), sol / "90_fixture.ipynb")
    assert exercises.check(sol, ex) == [
        "exercises/90_fixture.ipynb is missing",
        "solutions/90_fixture.ipynb lacks nbgrader's cell metadata (run `course exercises "
        "metadata solutions/90_fixture.ipynb`)",
    ]
    assert exercises.main(["metadata", str(sol / "90_fixture.ipynb")]) == 0
    assert exercises.check(sol, ex) == ["exercises/90_fixture.ipynb is missing"]
    assert [p.name for p in exercises.build(sol, ex)] == ["90_fixture.ipynb"]
    assert exercises.check(sol, ex) == []
    assert exercises.build(sol, ex) == []  # nothing to rewrite: deterministic output
    # editing a solution without rebuilding makes the check fail
    nb = nbformat.read(sol / "90_fixture.ipynb", as_version=4)
    nb.cells[0].source += "\n\nA new paragraph."
    nbformat.write(nb, sol / "90_fixture.ipynb")
    assert exercises.check(sol, ex) == [
        "exercises/90_fixture.ipynb differs from what solutions/90_fixture.ipynb generates"
    ]
    assert exercises.main(["check", "--solutions", str(sol), "--exercises", str(ex)]) == 1
    assert exercises.main(["build", "--solutions", str(sol), "--exercises", str(ex)]) == 0
    assert exercises.main(["check", "--solutions", str(sol), "--exercises", str(ex)]) == 0


def test_orphan_exercise_is_reported(tmp_path):
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    sol.mkdir()
    write(solution_notebook(), ex / "91_orphan.ipynb")
    assert exercises.check(sol, ex) == [
        "exercises/91_orphan.ipynb has no solutions/91_orphan.ipynb"
    ]


def test_repository_exercises_are_in_sync():
    """exercises/ must be exactly what `course exercises build` writes."""
    problems = exercises.check()
    assert not problems, "\n".join(problems) + "\nRun: course exercises build"


def _nbgrader(nb):
    return [c.metadata.get("nbgrader") for c in nb.cells]


def test_nbgrader_metadata_marks_exercise_and_check_cells_only():
    nb = exercises.add_nbgrader_metadata(solution_notebook(), "90_fixture.ipynb")
    meta = _nbgrader(nb)
    assert meta[0] is None and meta[1] is None  # markdown and setup cells stay ordinary
    assert meta[2] == {
        "grade": False,
        "grade_id": "exercise_90_1",
        "locked": False,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }
    assert meta[3] == {
        "grade": True,
        "grade_id": "check_90_1",
        "locked": True,
        "points": 1,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    assert [m["grade_id"] for m in meta if m] == [
        "exercise_90_1",
        "check_90_1",
        "exercise_90_2",
        "check_90_2",
    ]


def test_generated_exercises_carry_the_nbgrader_metadata():
    """A student's exercises notebook is a submission nbgrader can match to its gradebook."""
    out = make_exercise_notebook(solution_notebook(), "90_fixture.ipynb")
    assert [m["grade_id"] for m in _nbgrader(out) if m] == [
        "exercise_90_1",
        "check_90_1",
        "exercise_90_2",
        "check_90_2",
    ]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda nb: nb.cells.append(nbformat.v4.new_code_cell("check_90_1(mean)")),
            "second cell with nbgrader id 'check_90_1'",
        ),
        (
            lambda nb: nb.cells.append(
                nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
            ),
            "without a line '# Exercise N.M",
        ),
    ],
)
def test_nbgrader_metadata_refuses_what_nbgrader_would(mutate, message):
    nb = solution_notebook()
    mutate(nb)
    with pytest.raises(MarkerError, match=message):
        exercises.add_nbgrader_metadata(nb, "90_fixture.ipynb")


def test_metadata_command_changes_only_cell_metadata_and_is_idempotent(tmp_path):
    path = write(solution_notebook(), tmp_path / "90_fixture.ipynb")
    before = nbformat.read(path, as_version=4)
    before.cells[1].metadata["tags"] = ["nbval-check-output"]
    nbformat.write(before, path)
    assert exercises.sync_metadata([path]) == [path]
    after = nbformat.read(path, as_version=4)
    assert [c.source for c in after.cells] == [c.source for c in before.cells]
    assert [c.id for c in after.cells] == [c.id for c in before.cells]
    assert after.cells[1].metadata == {"tags": ["nbval-check-output"]}  # other metadata kept
    assert exercises.sync_metadata([path]) == []
    # a stale entry on a cell that is no longer an exercise is removed
    after.cells[1].metadata["nbgrader"] = {"solution": True, "grade_id": "old"}
    nbformat.write(after, path)
    assert exercises.sync_metadata([path]) == [path]
    assert "nbgrader" not in nbformat.read(path, as_version=4).cells[1].metadata


def test_nbgrader_course_folder(tmp_path, capsys):
    sol = tmp_path / "solutions"
    write(solution_notebook(), sol / "90_fixture.ipynb")
    course = tmp_path / "course"
    assert exercises.main(["nbgrader", str(course), "--solutions", str(sol)]) == 0
    source = nbformat.read(course / "source" / "90_fixture" / "90_fixture.ipynb", as_version=4)
    assert [m["grade_id"] for m in _nbgrader(source) if m][:2] == ["exercise_90_1", "check_90_1"]
    config = (course / "nbgrader_config.py").read_text(encoding="utf-8")
    assert "COURSE_LIB_GRADING_RECORD" in config and "c.Execute.timeout" in config
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    assert exercises.main(["nbgrader", str(course), "--solutions", str(sol)]) == 2
    assert "--force" in capsys.readouterr().err
    assert exercises.main(["nbgrader", str(course), "--solutions", str(sol), "--force"]) == 0


def test_cli_folder_argument_is_required(capsys):
    with pytest.raises(SystemExit):
        exercises.main(["release"])
    assert "release needs exactly one folder, got 0" in capsys.readouterr().err
