"""``python -m proofs.checker CERT [--problem PROBLEM]``."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
