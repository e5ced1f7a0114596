"""Storage: the one place that knows SQLite from PostgreSQL (engine settings,
the writers' turn, the driver statement, the tally triggers, holding ballots)."""
