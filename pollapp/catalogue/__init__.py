"""The catalogue: poll files, and loading them into the database."""
