"""Site backups: the operator's key and the encrypted archive (berth cloud backup|restore)."""
