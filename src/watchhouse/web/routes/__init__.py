"""One module per group of routes; each exposes ``router`` (and optionally ``install(app)``)."""
