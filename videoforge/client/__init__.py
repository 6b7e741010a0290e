"""The client commands' side: an HTTP client, the wire protocol as it reads it, the commands
and how they look. It imports no server code, so `videoforge jobs` starts fast."""
