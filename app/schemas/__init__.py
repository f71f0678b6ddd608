"""Request and response schemas, kept apart from the ORM models (XCreate / XUpdate / XRead)."""
