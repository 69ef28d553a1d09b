"""``python -m snnlib theorems|figure1|tabular [options]``: the one command line (:mod:`snnlib.cli`).

Only the standard library and the light :mod:`snnlib` package load before :func:`snnlib.cli.main` takes over
Ctrl-C and SIGTERM, so that a run stopped while numpy or torch are still importing ends with one line and
exit status 130 or 143.
"""

import sys

from snnlib.cli import main

if __name__ == "__main__":
    sys.exit(main())
