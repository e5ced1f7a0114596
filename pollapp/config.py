"""Built-in defaults. ``instance/config.py`` and ``POLLAPP_*`` variables override them."""

from __future__ import annotations

# Production refuses to start without a SECRET_KEY; development makes one.
PRODUCTION = False
SECRET_KEY: str | None = None

SQLALCHEMY_DATABASE_URI: str | None = None  # None: SQLite in the instance folder
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Largest request body accepted; a ballot is a few hundred bytes.
MAX_CONTENT_LENGTH = 64 * 1024

WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session cookie
# Flask-WTF's strict HTTPS check refuses a form without a Referer, which a
# reader's privacy settings may strip; web/security.py checks Origin instead
# (and Referer only when there is no Origin), and the token decides the rest.
WTF_CSRF_SSL_STRICT = False

# Rate limits per client address. Every ballot taken (first or replacing)
# spends RATELIMIT_BALLOTS, high enough for a crowd behind one address (a
# school, an office, a mobile carrier); past it, 429. First ballots past
# RATELIMIT_FIRST_BALLOTS are stored but held for a check, not counted, so a
# client dropping its cookie to vote again gets no more than that counted.
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_BALLOTS = "600 per minute;6000 per hour"
# Windows are fixed (they start on the clock), so a minute's budget could be
# spent twice across a minute's turn; ten-second windows of 4 allow at most
# 28 in any 60 seconds.
RATELIMIT_FIRST_BALLOTS = "4 per 10 seconds;300 per hour"
# Downloads (ballots.csv, results.csv) per client address; 304s are free.
RATELIMIT_DOWNLOADS = "20 per minute;200 per hour"
# Readers' suggestions taken per client address (both kinds together); a
# refused one costs nothing. Each reader keeps one of each kind per poll.
RATELIMIT_SUGGESTIONS = "10 per minute;60 per hour"
# A download is made once per change of the tally and kept. While ballots keep
# coming, one younger than this many seconds is served as it is: a flood of
# downloads then costs the database one export per interval, and a file may lag
# the live results by that long (its Cache-Control says so). 0: always exact.
DOWNLOADS_FRESH_FOR = 10
# How often an open poll's results page asks whether its ranking moved (seconds; a 304 when not).
LIVE_REFRESH_SECONDS = 5
# For this many seconds after the results API answered a watcher 304, the same
# question is answered 304 again before any database work (web/unchanged.py):
# an unchanged refresh costs next to nothing, and a 304 may miss a ballot cast
# through another process for at most this long. 0: the app answers every one.
LIVE_UNCHANGED_SECONDS = 1.0
# After a ballot the embed shows the readers' top 3. A process may show again a
# top it worked out less than this many seconds ago for the same poll, once
# that top counted at least EMBED_TOP_KEPT_FROM ballots (below that one ballot
# can change it): a burst of ballots then costs one tally read a second, and
# the frame's top may miss the latest ballots for that long. 0: always exact.
# The results page is always exact.
EMBED_TOP_FRESH_FOR = 1.0
EMBED_TOP_KEPT_FROM = 100
# Where the kept downloads live; None: "downloads" in the instance folder.
DOWNLOADS_FOLDER: str | None = None
# Where each poll's latest resampling and head-to-head figures are kept for every
# process to start from; None: "figures" in the instance folder.
FIGURES_FOLDER: str | None = None
# Link preview images (web/previews.py) are drawn with these fonts: Noto Sans CJK,
# whose collection holds the Korean face at index 1 (Debian's fonts-noto-cjk).
# Without them an English card is drawn with Pillow's own font and a Korean
# page's preview is the static Korean card; the log says so once.
PREVIEW_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
PREVIEW_BOLD_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
PREVIEW_FONT_INDEX = 1
# How long a browser or a proxy may keep a poll's preview image (seconds).
PREVIEW_MAX_AGE = 300
# How long a process trusts the tag it last read for a poll's preview image
# before reading the tally again (seconds; well inside PREVIEW_MAX_AGE, which
# lets any cache keep the picture longer). 0: read it for every request.
PREVIEW_RECHECK = 2
# Limits kept in memory are per process; production accepts that only when
# told that one process serves the app.
RATELIMIT_ONE_PROCESS = False
# No X-RateLimit-* or Retry-After on answers that were let through: a kept
# download would show one client's counters to the next, and Retry-After on a
# ballot that was taken says "try again" when nothing failed. A 429 still
# carries Retry-After (web/errors.py).
RATELIMIT_HEADERS_ENABLED = False
# When the shared storage (Redis) fails, each process counts in its own memory
# until it is back, and says so once in the log; a ballot never fails for it.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
RATELIMIT_SWALLOW_ERRORS = True

READER_COOKIE = "pollapp_reader"
READER_COOKIE_MAX_AGE = 60 * 60 * 24 * 400  # about 13 months, the longest browsers keep
# The embed's reader cookie (SameSite=None; Secure; Partitioned; Path=/polls/),
# kept by a frame that may keep one; it lasts as long as the site's.
EMBED_READER_COOKIE = "pollapp_embed_reader"
SESSION_COOKIE_SAMESITE = "Lax"
# None: Secure (HTTPS only) in production, not in development. Also applies to the reader cookie.
SESSION_COOKIE_SECURE: bool | None = None
SESSION_COOKIE_HTTPONLY = True

# The host names the app answers to (a list); a request for any other Host is
# refused with 400. None: any (development). Production requires a list.
TRUSTED_HOSTS: list[str] | None = None

# Set to the number of proxies in front of the app (X-Forwarded-For hops to trust).
PROXY_FIX_X_FOR = 0

# The sites that may show the embed (/polls/<slug>/embed) in a frame: a CSP
# frame-ancestors source list, e.g. "https://blog.example"; "*": any site.
# Every other page is never framed.
EMBED_ALLOWED_ORIGINS = "*"

# The editors' desk. Failed logins allowed per client address and per account
# (the email typed, known or not) before logins are refused for a while.
RATELIMIT_LOGINS_PER_ADDRESS = "10 per 15 minutes"
RATELIMIT_LOGINS_PER_ACCOUNT = "10 per 15 minutes"
# How long a desk session lasts from its login, in seconds, however busy; the
# session cookie itself ends with the browser session (no "remember me").
DESK_SESSION_LIFETIME = 12 * 60 * 60
