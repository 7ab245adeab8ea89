"""The decomposition engine. The extensive form (every scenario in one LP, HiGHS) is
``stockopt.solver.highs``; ``benders`` solves the same phases by the L-shaped method
(``stockopt solve --engine benders``, and ``--engine auto`` on large scenario sets), its
subproblems in ``blocks`` and its master in ``master``, in one process or under
``mpiexec -n R`` (mpi4py, the optional ``[mpi]`` extra; one process needs no MPI).
"""
