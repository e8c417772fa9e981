"""``python -m nxpop3``: the same as the ``nxpop3`` command."""
import sys

from nxpop3.cli import main

sys.exit(main())
