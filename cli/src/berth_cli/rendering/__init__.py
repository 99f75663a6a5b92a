"""Everything berth draws on a terminal: tables, plans, progress. Commands call these; services never do."""
