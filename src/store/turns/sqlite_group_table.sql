-- The scratch table a SQLite group's turns go through, created on every connection of the
-- writing pool (temporary tables are the connection's own).
CREATE TEMP TABLE IF NOT EXISTS group_turns (place INTEGER PRIMARY KEY, id INTEGER NOT NULL,
now INTEGER NOT NULL, version INTEGER NOT NULL, flow TEXT NOT NULL, step TEXT, state TEXT NOT NULL,
status TEXT NOT NULL, mid TEXT, no_notices INTEGER NOT NULL, lines BLOB NOT NULL,
secrets BLOB NOT NULL, applied INTEGER NOT NULL)
