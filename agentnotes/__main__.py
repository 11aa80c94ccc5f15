"""`python -m agentnotes` runs the command line."""

from agentnotes.cli import main

main()
