"""Cross-cutting configuration of the service shell."""
