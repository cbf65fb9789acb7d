"""The matching app's pages, one module per part (the same names as ``matching.services``):
``intake``, ``offers``, ``checkins``, ``switching``, ``patients``, ``abroad``. ``urls.py`` lists
the routes."""
