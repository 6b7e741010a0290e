"""A worker's encodes, below the attempt (attempt.py knows the order of the steps): what an
encode works from, and the ladder's encode and packaging."""
