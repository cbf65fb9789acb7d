"""The ground every app stands on: crypto, private storage, upload checks, mail rendering, the
real-time gateway and its close codes, htmx helpers, admin bases and shared choices.

``core`` imports no app of the project (an import-linter contract in ``make lint`` checks it).
"""
