"""A nova fake hypervisor whose size comes from the environment of its nova-compute process.

nova loads virt drivers only from the nova.virt package, so the nova_compute role installs a one-line
shim `nova/virt/berth_fake.py` that re-exports this class (compute_driver = berth_fake.SizedFakeDriver).
Each fake host runs its own nova-compute with BERTH_FAKE_VCPUS / _MEMORY_MB / _LOCAL_GB set from the
site's cloud.yml, so placement sees exactly the declared capacity.

It extends FakeDriverWithoutFakeNodes, which behaves like a real single-node driver: one node named after
the host, whose UUID is persisted in `compute_id` under the process's state_path. (The plain FakeDriver
keeps none, and nova then refuses to restart a compute service it has seen before.)
"""

import os

from nova.virt import fake


def _size(name, default):
    return int(os.environ.get(name, default))


class SizedFakeDriver(fake.FakeDriverWithoutFakeNodes):
    vcpus = _size("BERTH_FAKE_VCPUS", 16)
    memory_mb = _size("BERTH_FAKE_MEMORY_MB", 65536)
    local_gb = _size("BERTH_FAKE_LOCAL_GB", 500)
