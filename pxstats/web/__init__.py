"""The web interface: static pages (pages.py, templates/) and the request page (app.py)."""
