"""Scheduling pages, one module per audience: ``patient`` (book, my sessions), ``practice``
(the therapist's availability and calendar), ``notes`` (the therapist's private session notes),
``calendar`` (calendar files and private feeds)."""
