"""The checkers that policies call, each declared once in `registry.REGISTRY`."""
