"""Tests that drive Debian's chromium through Playwright."""

#: How long a browser test waits for an event (a result table, completion hints) before it
#: calls the page hung: far beyond what a loaded machine needs (issue 22), never a pace.
EVENT_WAIT_MS = 60_000
