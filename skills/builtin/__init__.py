"""Built-in skills: declarations in catalog.py, behaviour in the sibling modules."""
