"""Host preflight over SSH (paramiko) or locally. Import submodules lazily: several pull in paramiko."""
