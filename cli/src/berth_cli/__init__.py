"""berth's operator CLI."""
