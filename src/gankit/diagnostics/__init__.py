"""Diagnostics of trained runs (gankit inspect)."""
