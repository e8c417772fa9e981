"""``python -m nxpop3.cli``: the same as the ``nxpop3`` command."""
import sys

from nxpop3.cli.parser import main

sys.exit(main())
