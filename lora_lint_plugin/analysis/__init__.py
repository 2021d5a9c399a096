"""Analysis on ``ast``: prefilter, scopes, value resolution, and the typed model of each training setup."""
