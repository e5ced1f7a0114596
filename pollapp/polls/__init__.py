"""Polls: their models, and finding, listing and opening or closing them."""
