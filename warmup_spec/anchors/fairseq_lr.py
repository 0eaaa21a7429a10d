"""Placeholder: filled by its port."""
