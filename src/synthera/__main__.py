"""`python -m synthera` runs the command line."""

from synthera.cli import main

main()
