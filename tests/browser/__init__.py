"""Tests that drive Debian's chromium through Playwright."""

#: How long a browser test waits for an event (a page loaded, a result table, completion hints)
#: before it calls the page hung: far beyond what a loaded machine needs (issue 22; a page that
#: renders in a second when idle took 42 s at a load of 24 on two cores), never a pace.
EVENT_WAIT_MS = 180_000
