"""`python -m sar` runs the command line."""

from sar.cli import main

main()
