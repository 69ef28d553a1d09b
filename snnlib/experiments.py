"""Deprecated alias of :mod:`snnlib.figure1` (the Figure 1 runner and chapter 9's helpers), kept for one release.

``from snnlib import experiments`` and ``experiments.<name>`` still reach :mod:`snnlib.figure1`;
``python -m snnlib.experiments figure1|tabular ...`` still runs ``python -m snnlib figure1|tabular ...``, with a
note on stderr. Remove this module in the next release.
"""

import sys


def __getattr__(name: str):
    from snnlib import figure1

    return getattr(figure1, name)


def __dir__() -> list[str]:
    from snnlib import figure1

    return dir(figure1)


if __name__ == "__main__":
    from snnlib.cli import main

    sys.stderr.write("note: 'python -m snnlib.experiments' is now 'python -m snnlib'; this alias goes in the next "
                     "release\n")
    sys.exit(main(prog="python -m snnlib.experiments"))
