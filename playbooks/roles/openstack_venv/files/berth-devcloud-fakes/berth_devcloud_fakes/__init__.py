"""Drivers that let berth's devcloud run real OpenStack APIs without hypervisors or network agents.

Never install these on a production site: they report capacity that does not exist and ports that are not
plugged anywhere.
"""
