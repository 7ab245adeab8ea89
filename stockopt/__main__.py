"""``python -m stockopt`` runs the command line (under the signal guard)."""

from .commands.launch import main

main()
