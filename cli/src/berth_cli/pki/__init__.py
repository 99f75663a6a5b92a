"""The site's own PKI: a CA berth creates and the certificate of the API address it signs (docs/tls.md).

- settings: whether and where a site serves TLS, from its plain group_vars (pure);
- policy:   lifetimes and the decisions (re-issue this certificate? is this CA still usable?) (pure);
- issue:    making and reading keys and certificates with `cryptography` (bytes in, bytes out, no I/O);
- store:    `.berth/<site>/pki/`: keep what is valid byte-for-byte, write what is missing (0600, atomic).

Private keys only ever go to files readable by their owner; no message or log carries one.
"""
