"""``course``: one command for the course's tools.

    course grade SUBMISSION.ipynb            # grade one notebook (or --batch DIR)
    course exercises build                   # exercises/ from solutions/ (also check,
                                             # metadata, release, nbgrader)
    course nb execute notebooks/01_*.ipynb   # run notebooks in place (also clean, lint)
    course map                               # navigation, course map, badges
    course bench                             # compare the update strategies
    course shop --out datasets               # regenerate the simulated shop
    course book build                        # the static HTML book
    course layers                            # the layers' re-exports (contributors)

``course --help`` lists the commands, ``course <command> --help`` shows that
tool's own options.  Each command runs the ``main(argv)`` of one module, so
``python -m course_lib.tools.grade ...`` (and the others) keep working.

>>> main(["--help"])  # doctest: +ELLIPSIS
usage: course <command> [options]
...
  grade      Grade a student's exercises notebook, or a folder of submissions (--batch).
...
0
>>> main(["grades"])  # the message goes to stderr
2
"""

from __future__ import annotations

import difflib
import importlib
import sys
from typing import NamedTuple

__all__ = ["Command", "COMMANDS", "main"]


class Command(NamedTuple):
    """One ``course`` sub-command: the module whose ``main(argv)`` runs it, and one line."""

    module: str
    summary: str


#: The sub-commands of ``course``, in the order ``course --help`` lists them.
COMMANDS: dict[str, Command] = {
    "grade": Command(
        "course_lib.tools.grade",
        "Grade a student's exercises notebook, or a folder of submissions (--batch).",
    ),
    "exercises": Command(
        "course_lib.tools.exercises",
        "Exercises from solutions: build, check, metadata, release, nbgrader.",
    ),
    "nb": Command("course_lib.tools.nbtools", "Notebooks: execute (in place), clean, lint."),
    "map": Command(
        "course_lib.tools.coursemap",
        "Regenerate the navigation, the course map and the Colab/Binder badges (--check).",
    ),
    "bench": Command("course_lib.tools.bench", "Benchmark the update strategies on a stream."),
    "shop": Command("course_lib.data.shop", "Regenerate the simulated shop's data files."),
    "book": Command("course_lib.tools.book", "Build the static HTML book of the lessons."),
    "layers": Command(
        "course_lib.tools.layers",
        "Regenerate each course_lib layer's __init__.py from its modules (--check).",
    ),
}


def usage() -> str:
    """The text of ``course --help``: one line per command."""
    width = max(map(len, COMMANDS))
    lines = [
        "usage: course <command> [options]",
        "",
        "The tools of the course 'Continual Learning for E-commerce Models'.",
        "",
        "commands:",
    ]
    lines += [f"  {name:<{width}}  {command.summary}" for name, command in COMMANDS.items()]
    lines += [
        "",
        "Run `course <command> --help` for the options of one command, e.g. `course grade --help`.",
    ]
    return "\n".join(lines)


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name, list(COMMANDS), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return (
        f"course: unknown command {name!r}; {hint}choose one of: {', '.join(COMMANDS)} "
        "(course --help lists them)"
    )


def main(argv: list[str] | None = None) -> int:
    """Run ``course <command> [options]``; return the exit status (0 = success)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(_unknown(name), file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(COMMANDS[name].module)
    except ModuleNotFoundError as exc:
        if exc.name != COMMANDS[name].module:
            raise
        print(
            f"course {name}: this copy of the course has no {exc.name} (the student "
            "release leaves the grader out)",
            file=sys.stderr,
        )
        return 2
    try:
        status = module.main(rest)
    except SystemExit as exit_:  # argparse's --help (0) and usage errors (2)
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
