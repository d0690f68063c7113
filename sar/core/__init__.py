"""The pure core: deadlines, the request lifecycle, references.

Nothing here reads a clock, a file or a database: today's date and the facts are
arguments, so every rule can be tested on its own.
"""
