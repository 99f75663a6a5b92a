"""A real Prometheus server for tests (Debian's /usr/bin/prometheus), and recorded exporter observations."""
