"""Editor accounts: who may use the editors' desk, their logins and what they did there."""
