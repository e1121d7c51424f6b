"""``python -m deepdive.pipeline``: what ``make html`` runs (see :mod:`deepdive.pipeline.command`)."""

import sys

from deepdive.pipeline.command import main

sys.exit(main())
