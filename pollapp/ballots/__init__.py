"""Ballots: casting and replacing them, importing them, and the running tally."""
