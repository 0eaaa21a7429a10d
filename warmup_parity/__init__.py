"""Cross-framework tooling: the ``warmup-parity`` command (imports both frameworks)."""
