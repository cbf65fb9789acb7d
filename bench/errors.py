class BenchError(Exception):
    """A benchmark could not measure; the message says why, in words for the person running it."""
