"""Alternative solve engines. The default engine (extensive form, HiGHS) is
``stockopt.solver.highs``, run by ``stockopt.commands.solve``.

``mpisppy`` (the decomposition), run by ``stockopt.commands.solve_mpisppy`` (``stockopt
solve --engine mpisppy``): scenario decomposition on mpi-sppy under MPI. Importing this
package needs nothing beyond the core dependencies; importing ``mpisppy`` needs the
``[mpi]`` extra (mpi-sppy, mpi4py and an MPI).
"""
