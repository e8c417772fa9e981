"""``python -m nxpop3.board HOST PORT USER PASSWORD [--apop] [--delete]``."""
import sys

from nxpop3.board.runner import main

sys.exit(main())
