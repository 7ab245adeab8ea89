"""``python -m stockopt`` runs the command line."""

from .cli import main

main()
