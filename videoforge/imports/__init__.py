"""Imports: a video fetched from a URL a user gave, then accepted like an upload. The job is
a `Job` of kind `import` (see submit.py for why), run by the same pipeline."""
