"""``python -m partstream``: the command line (see :mod:`partstream.cli`)."""

import sys

from .cli import main

sys.exit(main())
