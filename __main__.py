"""`python -m talkrig` runs the command line."""

from .cli import run

run()
