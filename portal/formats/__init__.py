"""Date formats of our own for Django's locale machinery (settings.FORMAT_MODULE_PATH)."""
