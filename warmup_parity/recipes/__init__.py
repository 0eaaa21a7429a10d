"""Configs shipped with ``warmup-parity``: the demo runs and the default table (TOML)."""
