"""Production's topology: the proxy configuration and the local supervisor (make serve)."""
