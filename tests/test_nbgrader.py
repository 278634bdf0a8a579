"""The real nbgrader round trip, every chapter: generate_assignment, then autograde.

One nbgrader course folder holds all chapters (written by
``course exercises nbgrader``, as INSTRUCTORS.md says); three
students submit every chapter:

* ``solved``: nbgrader's release notebook with the solutions typed in;
* ``untouched``: nbgrader's release notebook as handed out;
* ``one_wrong``: the course's own exercises/ notebook (it carries the same
  nbgrader metadata), solved except one plausible mistake in one exercise.

Two nbgrader commands grade everything (``"*"`` = every assignment), so the
whole test costs about four minutes on a busy 2-core machine.  nbgrader is in the
instructors' extra (``pip install -e ".[instructors]"``), not in the students'
requirements; without it this module is skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.tools import exercises

pytest.importorskip(
    "nbgrader", reason='nbgrader is the instructors\' extra: pip install -e ".[instructors]"'
)

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))
NBGRADER = [sys.executable, "-m", "nbgrader"]

#: One plausible mistake per chapter, (exercise, correct text, wrong text), in an exercise that
#: no later exercise of the chapter builds on (4.3 calls the student's 4.1 and 4.2: a wrong 4.1
#: or 4.2 would cost 4.3 too), so exactly one point is lost. Each is a mistake the exercise's
#: self-check names in a hint (course_lib/checks/chNN.py).
WRONG_ANSWERS = {
    "01": (
        "1.1",
        "return 2.0 * (y_pred - y_true) / y_true.size",
        "return (y_pred - y_true) / y_true.size",
    ),
    # the decay starts one step late: step t = 0 should use the full learning rate
    "02": (
        "2.2",
        "rate = learning_rate / (1 + decay * t)",
        "rate = learning_rate / (1 + decay * (t + 1))",
    ),
    # RMSProp's running average instead of Adagrad's sum
    "03": (
        "3.1",
        "accumulator = accumulator + grad**2",
        "accumulator = 0.9 * accumulator + 0.1 * grad**2",
    ),
    "04": ("4.3", '"b1": delta1.sum(axis=0)', '"b1": delta1.mean(axis=0)'),
    "05": (
        "5.1",
        "return ordered.iloc[:cut], ordered.iloc[cut:]",
        "return ordered.iloc[cut:], ordered.iloc[:cut]",
    ),
    # each tensor clipped on its own instead of by the global norm
    "06": (
        "6.3",
        "clipped, norm = tf.clip_by_global_norm(grads, clip_norm)",
        "clipped, norm = [tf.clip_by_norm(g, clip_norm) for g in grads], tf.linalg.global_norm(grads)",
    ),
    "07": ("7.1", "f = 2 * p * r / (p + r)", "f = p * r / (p + r)"),
    # the CUSUM statistic not clamped at 0
    "08": (
        "8.1",
        "self.s = max(0.0, self.s + x - self.reference - self.delta)",
        "self.s = self.s + x - self.reference - self.delta",
    ),
    # the slot drawn among the capacity slots, not among the t + 1 items seen
    "09": ("9.1", "j = rng.integers(0, t + 1)", "j = rng.integers(0, capacity)"),
    # a segment of exactly min_rows rows skipped
    "10": ("10.2", "if mask.sum() < min_rows:", "if mask.sum() <= min_rows:"),
    # an event exactly `window` days old kept
    "11": (
        "11.2",
        "keep = (days > day - window) & (days <= day)",
        "keep = (days >= day - window) & (days <= day)",
    ),
    "12": ("12.1", "sensitivity / epsilon", "epsilon / sensitivity"),
}


def _solution_sources(chapter: str) -> dict[str, str]:
    nb = nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4)
    exercises.add_nbgrader_metadata(nb, chapter)
    return {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def _student_copy(base: Path, chapter: str, wrong: tuple[str, str, str] | None = None):
    """``base`` with every exercise cell answered as in solutions/ (one mutated if asked)."""
    nb = nbformat.read(base, as_version=4)
    answers = _solution_sources(chapter)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id in answers and cell.metadata["nbgrader"].get("solution"):
            source = answers[grade_id]
            if wrong and grade_id == "exercise_" + wrong[0].replace(".", "_"):
                assert wrong[1] in source, (
                    f"solutions/{chapter}.ipynb changed: the text {wrong[1]!r} of exercise "
                    f"{wrong[0]} is gone; update WRONG_ANSWERS in {Path(__file__).name}"
                )
                source = source.replace(wrong[1], wrong[2])
            cell.source = source
    return nb


def _run(command: list[str], cwd: Path, timeout: int) -> str:
    done = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """Scores ``{student: {assignment: {grade_id: score}}}`` and max scores, after autograde."""
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("nbgrader-course")
    assert exercises.main(["nbgrader", str(course)]) == 0
    _run(NBGRADER + ["generate_assignment", "*", "--force"], course, timeout=300)
    for chapter in CHAPTERS:
        release = course / "release" / chapter / f"{chapter}.ipynb"
        assert release.is_file(), f"nbgrader made no release notebook for {chapter}"
        text = release.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        submissions = {
            "solved": _student_copy(release, chapter),
            "untouched": nbformat.read(release, as_version=4),
            "one_wrong": _student_copy(
                ROOT / "exercises" / f"{chapter}.ipynb", chapter, WRONG_ANSWERS.get(chapter[:2])
            ),
        }
        for student, nb in submissions.items():
            target = course / "submitted" / student / chapter / f"{chapter}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
    _run(NBGRADER + ["autograde", "*", "--force"], course, timeout=1200)
    # the guide's regrade of one student's chapter (same notebook: same scores)
    _run(
        NBGRADER + ["autograde", CHAPTERS[0], "--student", "one_wrong", "--force"],
        course,
        timeout=300,
    )
    scores, max_scores = {}, {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for assignment in gb.assignments:
            max_scores[assignment.name] = assignment.max_score
            for student in ("solved", "untouched", "one_wrong"):
                submission = gb.find_submission(assignment.name, student)
                scores.setdefault(student, {})[assignment.name] = {
                    grade.name: grade.score
                    for notebook in submission.notebooks
                    for grade in notebook.grades
                }
    _run(NBGRADER + ["export", "--to", str(course / "grades.csv")], course, timeout=120)
    yield {"scores": scores, "max": max_scores, "course": course}
    shutil.rmtree(course, ignore_errors=True)


def _n_exercises(chapter: str) -> int:
    return len(_solution_sources(chapter))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solutions_get_full_marks(gradebook, chapter):
    scores = gradebook["scores"]["solved"][chapter]
    assert gradebook["max"][chapter] == _n_exercises(chapter) > 0
    assert scores == {grade_id: 1.0 for grade_id in scores}, scores


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_notebook_scores_zero(gradebook, chapter):
    scores = gradebook["scores"]["untouched"][chapter]
    assert len(scores) == _n_exercises(chapter)
    assert sum(scores.values()) == 0, scores


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_one_wrong_answer_loses_exactly_that_exercise(gradebook, chapter):
    exercise = WRONG_ANSWERS[chapter[:2]][0]
    scores = gradebook["scores"]["one_wrong"][chapter]
    wrong = "check_" + exercise.replace(".", "_")
    assert scores[wrong] == 0, scores
    assert all(score == 1.0 for grade_id, score in scores.items() if grade_id != wrong), scores


def test_nbgrader_exports_one_row_per_student_and_assignment(gradebook):
    lines = (gradebook["course"] / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("assignment,")
    assert len(lines) == 1 + 3 * len(CHAPTERS)
    assert any(re.match(r"01_loss_functions,.*,solved,.*", line) for line in lines)
