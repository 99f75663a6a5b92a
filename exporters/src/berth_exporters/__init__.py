"""berth's Prometheus capacity exporter.

Collectors observe OpenStack in the background (bulk list calls, a few per-project quota reads), the
refresher turns the latest observations into metric families, and every scrape serves that cached,
complete snapshot at once. Nothing here blocks a scrape on OpenStack.
"""
