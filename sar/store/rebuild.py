"""Rebuilding a table in a migration: what SQLite's ALTER TABLE cannot do (a CHECK on a
column, a column anywhere but last), with every row, index, trigger and view kept."""

from __future__ import annotations

from sar.errors import StoreError


def columns_of(db, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info([{table}])").fetchall()]


def rebuild_table(db, table: str, create_sql: str, fill: dict[str, str] | None = None) -> None:
    """Replace `table` by one made by `create_sql` (SQLite cannot add a CHECK to a
    column, nor a column anywhere but last), keeping every row, the table's indexes
    and triggers, and every view. `fill` gives SQL for new columns.

    Runs in the migration's transaction, where PRAGMA foreign_keys cannot be turned
    off. So the new table is not renamed into place, which would leave the rows that
    refer to this one counted as orphans and the commit refused: the rows wait in a
    holding table, the table is dropped and made again under its own name, and
    re-inserting them settles the deferred foreign key count. (sqlite-utils'
    transform() cannot add a CHECK, and gets past that count only by switching
    defer_foreign_keys off again, which SQLite does not document as clearing it.)"""
    fill = fill or {}
    # A row that points nowhere (written with foreign keys off, as the sqlite3 shell
    # does) cannot be inserted again while they are on: refuse before changing anything.
    dangling = db.execute(f"PRAGMA foreign_key_check([{table}])").fetchall()
    if dangling:
        raise StoreError(
            f"{len(dangling)} row(s) of the database's table {table} point at rows that "
            f"do not exist (the first: id {dangling[0][1]}, in {dangling[0][2]}), so it "
            "was left as it was. Correct or remove them (PRAGMA foreign_key_check in "
            "the sqlite3 shell lists them), then run sar again")
    old = columns_of(db, table)
    hold = f"_{table}_rebuilding"
    kept = [sql for (sql,) in db.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL ORDER BY rowid", [table]).fetchall()]
    views = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view' "
                       "ORDER BY rowid").fetchall()
    db.execute("PRAGMA defer_foreign_keys = ON")  # off again when the transaction ends
    for name, _ in views:  # a view of a missing table stops the CREATE below
        db.execute(f"DROP VIEW [{name}]")
    db.execute(f"CREATE TABLE [{hold}] AS SELECT * FROM [{table}]")
    db.execute(f"DROP TABLE [{table}]")
    db.execute(create_sql)
    new = columns_of(db, table)
    lost = [c for c in old if c not in new]
    if lost:  # raised inside the migration's transaction: nothing stays changed
        raise StoreError(f"the database's table {table} has columns this sar does not "
                         f"know ({', '.join(lost)}); it was left as it was")
    copied = [c for c in new if c in old and c not in fill]
    targets = ", ".join(f"[{c}]" for c in [*copied, *fill])
    sources = ", ".join([*(f"[{c}]" for c in copied), *fill.values()])
    db.execute(f"INSERT INTO [{table}] ({targets}) SELECT {sources} FROM [{hold}]")
    db.execute(f"DROP TABLE [{hold}]")
    for sql in [*kept, *(sql for _, sql in views)]:
        db.execute(sql)
