"""``python -m deltaprop ...``: the same as the ``deltaprop`` command."""

import sys

from deltaprop.cli import main

sys.exit(main())
