"""Segments as the unit of work: an HLS output published segment by segment while it is
encoded (a growing EVENT playlist, ended by EXT-X-ENDLIST), and a new attempt that resumes after
the last published segment instead of starting over."""
