"""Scheduling pages, one module per audience: ``patient`` (book, my sessions), ``practice``
(the therapist's availability and calendar), ``calendar`` (calendar files and private feeds)."""
