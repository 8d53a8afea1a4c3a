"""Tools for looking inside models: plots (and later summaries, gradient flow)."""
