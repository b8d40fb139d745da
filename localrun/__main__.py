"""`python -m localrun <command>`: what ./mlops runs."""

import sys

from localrun.cli import main

# Guarded: a process that the lifecycle starts (the report worker) imports this module again.
if __name__ == "__main__":
    sys.exit(main())
