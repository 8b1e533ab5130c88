"""python -m privsynth"""

from privsynth.cli import entry

entry()
