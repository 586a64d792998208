"""`python -m orchestration` is the same as `cvd`."""

import sys

from orchestration.cli import main

sys.exit(main())
