"""``python -m deepdive.tools.importer SRC [--dest posts]``."""

import sys

from deepdive.tools.importer import main

sys.exit(main())
