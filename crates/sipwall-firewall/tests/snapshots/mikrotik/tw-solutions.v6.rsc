# sipwall rules: profile tw-solutions (TW Solutions Hosted VoIP), MikroTik RouterOS v6
#
# Not (fully) expressed by MikroTik RouterOS v6, do it elsewhere:
# - forward-default: the profile wants other forwarded traffic dropped; the RouterOS default
#   configuration forwards everything from the LAN, so the last rule of chain sipwall-forward (a
#   LAN-to-WAN drop) is added disabled: enable it only if this router carries nothing but VoIP
# - source-nat: source NAT is a srcnat masquerade on the WAN interface without to-ports, which
#   keeps the inside port when it is free (Linux NAT); the default configuration already has one
#   (`defconf: masquerade`), sipwall's is harmless beside it
# - udp-timeout-global: RouterOS has no per-port connection-tracking timeout: udp-timeout=90s
#   and udp-stream-timeout=3m apply to all UDP, not only the profile's ports (more connections
#   kept longer; never below the defaults 10s / 3m)
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
#   all, whatever its ports= list. SIP ports of this profile: udp/5060-5080. Check: /ip firewall
#   service-port print where name=sip
/ip firewall service-port
set sip disabled=yes

# address lists: addresses, prefixes and DNS names (RouterOS resolves the names and adds their
#   addresses as dynamic entries)
/ip firewall address-list
add list=sipwall-sip-out-udp-dst address=18.231.46.68 comment="sipwall: sip-out-udp destinations"
add list=sipwall-sip-out-udp-dst address=52.67.38.195 comment="sipwall: sip-out-udp destinations"
add list=sipwall-sip-out-udp-dst address=177.20.192.0/20 comment="sipwall: sip-out-udp destinations"
add list=sipwall-sip-out-udp-dst address=187.60.48.0/20 comment="sipwall: sip-out-udp destinations"
add list=sipwall-sip-out-udp-dst address=200.155.7.160/27 comment="sipwall: sip-out-udp destinations"
add list=sipwall-sip-out-udp-dst address=200.198.186.96/27 comment="sipwall: sip-out-udp destinations"
add list=sipwall-sip-out-udp-dst address=200.201.192.0/18 comment="sipwall: sip-out-udp destinations"
add list=sipwall-sip-out-udp-dst address=200.219.237.64/27 comment="sipwall: sip-out-udp destinations"
add list=sipwall-sip-out-udp-dst address=200.219.251.0/27 comment="sipwall: sip-out-udp destinations"

/ip firewall filter
add chain=forward action=jump jump-target=sipwall-forward comment="sipwall: jump forward"
add chain=input action=jump jump-target=sipwall-input in-interface=ether1 comment="sipwall: jump input"
# established udp VoIP traffic (ports 5060-5080,10000-60000) accepted here, so the default
#   configuration's FastTrack rule never offloads it (offloaded SIP and RTP lose their
#   connection-tracking updates)
add chain=sipwall-forward action=accept connection-state=established,related protocol=udp port=5060-5080,10000-60000 comment="sipwall: VoIP not fasttracked"
# other replies and related traffic go back to the main chains (the default configuration
#   accepts or FastTracks them there)
add chain=sipwall-forward action=return connection-state=established,related comment="sipwall: established"
add chain=sipwall-input action=return connection-state=established,related comment="sipwall: established"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-address-list=sipwall-sip-out-udp-dst dst-port=5060-5080 comment="sipwall: sip-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=10000-60000 comment="sipwall: rtp-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=80,443 comment="sipwall: web-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=123 comment="sipwall: ntp-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=5938 comment="sipwall: remote-support-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=5938 comment="sipwall: remote-support-out-tcp"
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

# UDP timeouts: RouterOS has one global value per state, raised here for all UDP (defaults
#   udp-timeout=10s for one-way, udp-stream-timeout=3m for two-way traffic, MikroTik wiki
#   Manual:IP/Firewall/Connection_tracking; same names and defaults in v7; never lowered here)
/ip firewall connection tracking
set udp-timeout=90s udp-stream-timeout=3m

