"""``python -m course_utils``: see :mod:`course_utils.cli`."""

import sys

from .cli import main

sys.exit(main())
