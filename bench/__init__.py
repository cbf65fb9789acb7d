"""Benchmarks: ``python -m bench`` (``make bench``) runs them all and prints one table each.

They are not tests: nothing passes or fails on a number. Each compares the project with a
baseline measured in the same run, so the ratios mean more than the absolute times.
"""
