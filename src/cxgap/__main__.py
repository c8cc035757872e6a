"""``python -m cxgap`` runs the command line."""

from cxgap.cli import main

main()
