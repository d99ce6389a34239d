"""`python -m eventfilter` runs the command line."""

from eventfilter.entrypoints.cli import main

main()
