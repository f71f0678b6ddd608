"""Digital twin & testing platform: a pure simulation engine (``app.engine``) and a service shell."""
