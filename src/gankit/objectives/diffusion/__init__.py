from . import edm, sid  # noqa: F401  (registers the objectives)
