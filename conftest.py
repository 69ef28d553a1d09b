"""pytest, for the library tests and the notebooks alike: one BLAS/OpenMP thread per process.

The README's test command runs in two processes on a 2-core machine (pytest-xdist), and the notebooks' kernels
inherit this environment. Two processes of two threads each contended for the two cores: measured on the
project's machine, the full command took 239 s with the default threads and 212 s with one thread per process.
A variable already set in the environment is kept.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
