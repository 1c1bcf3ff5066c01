"""Where the course's folders are: the project root, above the installed package.

The authoring tools (the build, the exercise generator, the grader, the script sync) work on the
repository's ``notebooks/``, ``solutions/``, ``exercises/`` and ``python_scripts/``; they find
them from here, one definition for all.
"""

from pathlib import Path

__all__ = ["PROJECT_ROOT"]

#: The repository's top folder (the one holding ``notebooks/`` and ``course_utils/``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
