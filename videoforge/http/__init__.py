"""HTTP: the FastAPI app, one router module per resource, and what only HTTP needs (uploads,
ranges, security headers, the web page). Handlers translate; the domain decides."""
