"""sar: exercise your data-protection rights from the terminal.

Subject-access, erasure and follow-up letters, sent, logged in an append-only
event log and tracked against the statutory deadline until answered.
"""

__version__ = "0.1.0"
