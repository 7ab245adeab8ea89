"""``python -m stockopt`` runs the command line."""

from .commands.cli import main

main()
