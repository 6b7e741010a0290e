"""Jobs: the durable job store, and the two executors (Celery workers, in-process threads)."""
