"""A site's state directory (.berth/<site>/): lock, audit log, IPAM ledger, saved plans, secrets."""
