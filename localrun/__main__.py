"""`python -m localrun <command>`: what ./mlops runs."""

import sys

from localrun.cli import main

sys.exit(main())
