# sipwall rules: profile cloudli (Cloudli), MikroTik RouterOS v6
#
# Not (fully) expressed by MikroTik RouterOS v6, do it elsewhere:
# - fqdn: the DNS names (proxy.example.net) are address-list entries: RouterOS resolves each
#   with its own DNS client (/ip dns needs a server) and keeps the addresses as dynamic entries,
#   re-resolved as their DNS TTL runs out (MikroTik docs, Address-lists); IPv4 (A records) only
#   here; on RouterOS v6 DNS names in address lists need a late 6.x release (6.36 or later by
#   the changelog, not verified here [?]): on an older release the `add` fails, so upgrade or
#   enter the addresses
# - forward-default: the profile wants other forwarded traffic dropped; the RouterOS default
#   configuration forwards everything from the LAN, so the last rule of chain sipwall-forward (a
#   LAN-to-WAN drop) is added disabled: enable it only if this router carries nothing but VoIP
# - source-nat: source NAT is a srcnat masquerade on the WAN interface without to-ports, which
#   keeps the inside port when it is free (Linux NAT), but RouterOS guarantees no
#   endpoint-independent mapping when two inside hosts use the same port; the default
#   configuration already has one (`defconf: masquerade`), sipwall's is harmless beside it
#
# Interfaces: WAN "ether1", LAN "bridge". Paste into a terminal or run /import file-name=FILE.
#   Every item sipwall adds has a comment starting with "sipwall"; the first commands remove the
#   previous run's items, so running it again replaces them and touches nothing else. IPv4 only
#   (/ip firewall). Check afterwards with /export hide-sensitive.

/ip firewall filter remove [find where comment~"^sipwall"]
/ip firewall nat remove [find where comment~"^sipwall"]
/ip firewall address-list remove [find where dynamic=no list~"^sipwall-"]

# SIP ALG off: the sip service port (the SIP helper; on by default with ports=5060,5061) is
#   disabled, the same command on v6 and v7 (research §2, §3.7). Disabled, it hooks no port at
#   all, whatever its ports= list. SIP ports of this profile: udp/5060,5065. Check: /ip firewall
#   service-port print where name=sip
/ip firewall service-port
set sip disabled=yes

# address lists: addresses, prefixes and DNS names (RouterOS resolves the names and adds their
#   addresses as dynamic entries)
/ip firewall address-list
add list=sipwall-sip-out-udp-dst address=proxy.example.net comment="sipwall: sip-out-udp destinations"

/ip firewall filter
add chain=forward action=jump jump-target=sipwall-forward comment="sipwall: jump forward"
add chain=input action=jump jump-target=sipwall-input in-interface=ether1 comment="sipwall: jump input"
# other replies and related traffic go back to the main chains (the default configuration
#   accepts or FastTracks them there)
add chain=sipwall-forward action=return connection-state=established,related comment="sipwall: established"
add chain=sipwall-input action=return connection-state=established,related comment="sipwall: established"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-address-list=sipwall-sip-out-udp-dst src-port=5060 dst-port=5065 comment="sipwall: sip-out-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address-list=sipwall-sip-out-udp-dst src-port=5065 dst-port=5060 comment="sipwall: sip-in-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-address-list=sipwall-sip-out-udp-dst dst-port=10000-40000 comment="sipwall: rtp-out-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address-list=sipwall-sip-out-udp-dst src-port=10000-40000 comment="sipwall: rtp-in-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=8445-8447 comment="sipwall: cloud-pbx-provisioning-out-tcp"
# forward default drop: disabled, enable it only if this router carries nothing but VoIP (see
#   forward-default above)
add chain=sipwall-forward action=drop in-interface=bridge out-interface=ether1 disabled=yes comment="sipwall: forward default drop"
# move the two jump rules to the top of forward and input (before the default configuration's
#   drop rules and FastTrack)
/ip firewall filter move [find where comment="sipwall: jump input"] destination=0
/ip firewall filter move [find where comment="sipwall: jump forward"] destination=0

/ip firewall nat
# source NAT: masquerade without to-ports keeps the inside source port when it is free (research
#   §2: avoid port randomisation)
add chain=srcnat action=masquerade out-interface=ether1 comment="sipwall: source NAT"

