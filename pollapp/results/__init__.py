"""Results: the editors' order beside the readers', who may see them, and the downloads."""
