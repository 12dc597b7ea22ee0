"""`python -m nlpkit ...` runs the `nlpkit` command line."""

import sys

from nlpkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
