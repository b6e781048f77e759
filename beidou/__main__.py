"""``python -m beidou watch SOURCE`` / ``simulate``: see beidou.cli."""

import sys

from beidou.cli import main

sys.exit(main())
