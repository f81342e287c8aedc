"""Publishing: what the public sees of the data, in the shapes they already use.

``police_uk`` answers the data.police.uk-compatible API (``/api``), ``shapes`` holds its JSON
shapes, ``cache`` keeps serialised answers per data version and ``rate_limit`` the per-client
leaky bucket. ``figures`` (the crime map's counts) is the map page's.
"""
