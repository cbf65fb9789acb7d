"""Scheduling pages, one module per subdomain as in ``services``: ``booking`` (book, my
sessions, a session's page), ``availability`` (the therapist's hours, time off and session
settings), ``calendar`` (the therapist's week), ``feeds`` (calendar files and private feeds) and
``notes`` (the therapist's private session notes). ``scheduling/urls.py`` lists the routes."""
