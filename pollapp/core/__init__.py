"""The pure core: ballots in, scores and ranks out.

Nothing here imports Flask or SQLAlchemy or holds a sentence for a reader;
errors carry a code and data, and the words are chosen where they are shown.
"""
