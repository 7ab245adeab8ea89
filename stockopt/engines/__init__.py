"""Alternative solve engines. The default engine (extensive form, HiGHS) is ``stockopt.run``.

``mpisppy_engine``: scenario decomposition on mpi-sppy under MPI (issue #9, in progress).
Importing this package needs nothing beyond the core dependencies; importing
``mpisppy_engine`` needs the ``[mpi]`` extra (mpi-sppy, mpi4py and an MPI).
"""
