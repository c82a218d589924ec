from . import edm  # noqa: F401  (registers the objectives)
