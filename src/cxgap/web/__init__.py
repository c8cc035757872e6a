"""The web application: public survey pages (FastAPI); ``create_app`` builds it."""
