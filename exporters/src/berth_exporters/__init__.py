"""berth's Prometheus capacity exporter."""
