"""``python -m deepdive.build``: what ``make html`` runs (see :mod:`deepdive.build.command`)."""

import sys

from deepdive.build.command import main

sys.exit(main())
