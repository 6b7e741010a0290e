"""Segments as the unit of work: an HLS output published segment by segment while it is
encoded (a growing EVENT playlist, VOD at the end), and a new attempt that resumes after
the last published segment instead of starting over."""
