"""Readers' suggestions: a title a poll is missing, an entry a reader would take away,
and the editors' queue of them."""
