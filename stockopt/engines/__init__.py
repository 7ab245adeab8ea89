"""Alternative solve engines. The default engine (extensive form, HiGHS) is ``stockopt.run``.

``mpisppy_engine`` (the decomposition) and ``mpisppy_run`` (``stockopt solve --engine
mpisppy``): scenario decomposition on mpi-sppy under MPI. Importing this package needs
nothing beyond the core dependencies; importing either module needs the ``[mpi]`` extra
(mpi-sppy, mpi4py and an MPI).
"""
