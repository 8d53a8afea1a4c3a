"""Data sets: real ones loaded from their standard files, and small generated ones."""
from .toy import and_gate, or_gate, truth_table, xor_gate  # noqa: F401
