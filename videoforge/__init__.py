"""videoforge: a self-hosted video transcoding service."""

__version__ = "0.1.0"
