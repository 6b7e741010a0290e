"""FFmpeg knowledge: pure planners and parsers, plus `run`, the one place that starts ffmpeg."""
