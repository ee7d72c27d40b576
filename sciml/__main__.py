"""``python -m sciml`` runs the command line."""

from sciml.cli import main

main()
