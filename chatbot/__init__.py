"""The conversation core and its edges."""
