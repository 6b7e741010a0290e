"""Resumable uploads (tus 1.0.0): the protocol's header rules (pure) and the uploads' state in
Redis with their bytes staged on local disk. The HTTP side is `http/tus.py`."""
