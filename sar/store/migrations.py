"""Forward-only schema migrations, named mNNN_what.

Each runs in one transaction with the record of it having run (sqlite-utils
Migrations). A database that has migrations this version does not know was made
by a newer sar and is refused rather than guessed at.

A migration that has shipped is never edited, even to fix it: homes it has run on
are recorded as having it and will not run it again. A fix is a new migration
(m010 for m009). tests/data/schemas/ holds each released schema, frozen.
"""

from __future__ import annotations

from sar.store import migrations_from_m011, migrations_until_m010
from sar.store.migration_registry import migrations

# Names the tests and earlier code read here.
EMAIL_HASH_UNKNOWN = migrations_until_m010.EMAIL_HASH_UNKNOWN
M011_ALLOWED = migrations_from_m011.M011_ALLOWED
M015_PURPOSES = migrations_from_m011.M015_PURPOSES

# The names of the migrations this sar knows, in order (db.py refuses a database
# that has others: a newer sar made it).
KNOWN = migrations.names
