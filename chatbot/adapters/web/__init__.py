"""The built-in web chat: a static page and a small JSON API on the one server."""
