"""ML2 mechanism driver that binds every port on any host, with no agent.

Ports become ACTIVE at once with vif_type 'ovs' so nova's network model is satisfied; nothing is plugged
(nova's fake virt driver plugs nothing either). Networks, subnets, routers, security groups, quotas and IPAM
are all real neutron; only the data path is missing.
"""

from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class NoopMechanismDriver(api.MechanismDriver):
    def initialize(self):
        """Nothing to connect to."""

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(
                segment[api.ID],
                portbindings.VIF_TYPE_OVS,
                {portbindings.CAP_PORT_FILTER: True, portbindings.OVS_HYBRID_PLUG: False},
                status=constants.PORT_STATUS_ACTIVE,
            )
            return

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def filter_hosts_with_segment_access(self, context, segments, candidate_hosts, agent_getter):
        return set(candidate_hosts)
