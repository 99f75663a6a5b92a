"""berth's pure domain: manifests, site model, quotas, capacity admission, IPAM, plans."""
