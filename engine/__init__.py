"""Rearguard's engine: profiles, planning, execution, verification, state and the command line.

Pure Python; never imports Qt or the gui package.
"""

__version__ = "0.1.0"
