"""Reading inputs: Python files and notebooks (decoding, cell mapping)."""
