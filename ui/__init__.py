"""The browser chat (Gradio) and the HTTP API, served together: python -m ui."""

import settings as _settings  # noqa: F401  (offline mode and no analytics before Gradio loads)

from .server import create_app, serve

__all__ = ["create_app", "serve"]
