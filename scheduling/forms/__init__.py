"""The scheduling app's forms, one module per subdomain as in ``services``: ``availability``,
``booking`` and ``notes``. They read what was typed; the services decide what may be saved."""
