"""berth's OpenStack edge: connect, observe in bulk, live capacity, direct engine."""
