"""`berth lab`: pristine Linux hosts on this machine (namespaces + an overlay root + sshd), for rehearsing a
site. plan.py is pure (names, addresses, the generated inventory); tree.py, network.py, host.py and
aptproxy.py do the I/O; service.py is what the commands call."""
