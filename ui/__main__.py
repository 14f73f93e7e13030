"""python -m ui: serve the chat page and the API on RAG_HOST:RAG_PORT."""

from settings import get_settings

from .server import serve

serve(get_settings())
