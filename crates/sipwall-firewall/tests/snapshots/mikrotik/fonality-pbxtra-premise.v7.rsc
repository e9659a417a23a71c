# sipwall rules: profile fonality-pbxtra-premise (Fonality PBXtra (premise-based server)),
#   MikroTik RouterOS v7
#
# Not (fully) expressed by MikroTik RouterOS v7, do it elsewhere:
# - forward-default: the profile wants other forwarded traffic dropped; the RouterOS default
#   configuration forwards everything from the LAN, so the last rule of chain sipwall-forward (a
#   LAN-to-WAN drop) is added disabled: enable it only if this router carries nothing but VoIP
# - source-nat: source NAT is a srcnat masquerade on the WAN interface without to-ports, which
#   keeps the inside port when it is free (Linux NAT); the default configuration already has one
#   (`defconf: masquerade`), sipwall's is harmless beside it
# - udp-timeout-global: RouterOS has no per-port connection-tracking timeout: udp-timeout=90s
#   and udp-stream-timeout=3m apply to all UDP, not only the profile's ports (more connections
#   kept longer; never below the defaults 10s / 3m)
# - brute-force: the ban counts new sessions per source (dst-limit), not failed SIP
#   authentications, which a packet filter cannot see; keep the PBX's own failed-authentication
#   ban on
#
# Interfaces: WAN "ether1", LAN "bridge". Paste into a terminal or run /import file-name=FILE.
#   Every item sipwall adds has a comment starting with "sipwall"; the first commands remove the
#   previous run's items, so running it again replaces them and touches nothing else. IPv4 only
#   (/ip firewall). Check afterwards with /export.

/ip firewall filter remove [find where comment~"^sipwall"]
/ip firewall nat remove [find where comment~"^sipwall"]
/ip firewall address-list remove [find where dynamic=no list~"^sipwall-"]

# SIP ALG off: the sip service port (the SIP helper; on by default with ports=5060,5061) is
#   disabled, the same command on v6 and v7 (research §2, §3.7). Disabled, it hooks no port at
#   all, whatever its ports= list. SIP ports of this profile: udp/5060 tcp/5060. Check: /ip
#   firewall service-port print where name=sip
/ip firewall service-port
set sip disabled=yes

/ip firewall filter
add chain=forward action=jump jump-target=sipwall-forward comment="sipwall: jump forward"
add chain=input action=jump jump-target=sipwall-input in-interface=ether1 comment="sipwall: jump input"
# established udp VoIP traffic (ports 4000-4031,5060,10000-20000) accepted here, so the default
#   configuration's FastTrack rule never offloads it (offloaded SIP and RTP lose their
#   connection-tracking updates)
add chain=sipwall-forward action=accept connection-state=established,related protocol=udp port=4000-4031,5060,10000-20000 comment="sipwall: VoIP not fasttracked"
# established tcp VoIP traffic (ports 4000-4031,5060) accepted here, so the default
#   configuration's FastTrack rule never offloads it (offloaded SIP and RTP lose their
#   connection-tracking updates)
add chain=sipwall-forward action=accept connection-state=established,related protocol=tcp port=4000-4031,5060 comment="sipwall: VoIP not fasttracked"
# other replies and related traffic go back to the main chains (the default configuration
#   accepts or FastTracks them there)
add chain=sipwall-forward action=return connection-state=established,related comment="sipwall: established"
add chain=sipwall-input action=return connection-state=established,related comment="sipwall: established"
# hygiene: ports never forwarded or opened from the WAN
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=21 comment="sipwall: never forward ftp 21"
add chain=sipwall-input action=drop protocol=tcp dst-port=21 comment="sipwall: never open ftp 21"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=22 comment="sipwall: never forward ssh 22"
add chain=sipwall-input action=drop protocol=tcp dst-port=22 comment="sipwall: never open ssh 22"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=udp dst-port=69 comment="sipwall: never forward tftp 69"
add chain=sipwall-input action=drop protocol=udp dst-port=69 comment="sipwall: never open tftp 69"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=80 comment="sipwall: never forward http 80"
add chain=sipwall-input action=drop protocol=tcp dst-port=80 comment="sipwall: never open http 80"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=udp dst-port=53 comment="sipwall: never forward dns 53"
add chain=sipwall-input action=drop protocol=udp dst-port=53 comment="sipwall: never open dns 53"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=53 comment="sipwall: never forward dns 53"
add chain=sipwall-input action=drop protocol=tcp dst-port=53 comment="sipwall: never open dns 53"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=udp dst-port=123 comment="sipwall: never forward ntp 123"
add chain=sipwall-input action=drop protocol=udp dst-port=123 comment="sipwall: never open ntp 123"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=8000 comment="sipwall: never forward vpn-tunnel 8000"
add chain=sipwall-input action=drop protocol=tcp dst-port=8000 comment="sipwall: never open vpn-tunnel 8000"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=8080 comment="sipwall: never forward http 8080"
add chain=sipwall-input action=drop protocol=tcp dst-port=8080 comment="sipwall: never open http 8080"
# hygiene: udp/5060 from the WAN only from 203.0.113.0/24 (forward and input)
add chain=sipwall-forward action=drop in-interface=ether1 protocol=udp dst-port=5060 src-address=!203.0.113.0/24 comment="sipwall: source whitelist"
add chain=sipwall-input action=drop protocol=udp dst-port=5060 src-address=!203.0.113.0/24 comment="sipwall: source whitelist"
# brute force: more than 20 new udp sessions to port 5060 per 60 s (window assumed: the profile
#   gives none) from one source bans it for 3600 s (dst-limit per src-address, MikroTik wiki
#   Bruteforce login prevention)
add chain=sipwall-forward action=drop in-interface=ether1 protocol=udp dst-port=5060 src-address-list=sipwall-bf-sip-udp-ban comment="sipwall: brute-force ban sip-udp"
add chain=sipwall-forward action=jump jump-target=sipwall-bf-sip-udp connection-state=new in-interface=ether1 protocol=udp dst-port=5060 comment="sipwall: brute-force limit sip-udp"
add chain=sipwall-bf-sip-udp action=return dst-limit=20/1m,20,src-address/1m comment="sipwall: brute-force limit sip-udp"
add chain=sipwall-bf-sip-udp action=add-src-to-address-list address-list=sipwall-bf-sip-udp-ban address-list-timeout=1h comment="sipwall: brute-force ban sip-udp"
add chain=sipwall-bf-sip-udp action=drop comment="sipwall: brute-force ban sip-udp"
# brute force: more than 20 new tcp sessions to port 5060 per 60 s (window assumed: the profile
#   gives none) from one source bans it for 3600 s (dst-limit per src-address, MikroTik wiki
#   Bruteforce login prevention)
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=5060 src-address-list=sipwall-bf-sip-tcp-ban comment="sipwall: brute-force ban sip-tcp"
add chain=sipwall-forward action=jump jump-target=sipwall-bf-sip-tcp connection-state=new in-interface=ether1 protocol=tcp dst-port=5060 comment="sipwall: brute-force limit sip-tcp"
add chain=sipwall-bf-sip-tcp action=return dst-limit=20/1m,20,src-address/1m comment="sipwall: brute-force limit sip-tcp"
add chain=sipwall-bf-sip-tcp action=add-src-to-address-list address-list=sipwall-bf-sip-tcp-ban address-list-timeout=1h comment="sipwall: brute-force ban sip-tcp"
add chain=sipwall-bf-sip-tcp action=drop comment="sipwall: brute-force ban sip-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address=203.0.113.0/24 dst-address=192.168.1.10 dst-port=5060 comment="sipwall: sip-inbound-in-udp-whitelisted"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=5060 comment="sipwall: sip-inbound-in-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp dst-address=192.168.1.10 dst-port=10000-20000 comment="sipwall: rtp-inbound-in-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=5222 comment="sipwall: hud-inbound-in-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=5269 comment="sipwall: hud-server-inbound-in-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp dst-address=192.168.1.10 dst-port=4569 comment="sipwall: iax2-inbound-in-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp dst-address=192.168.1.10 dst-port=4000-4031 comment="sipwall: hudmobile-audio-inbound-in-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=4000-4031 comment="sipwall: hudmobile-audio-inbound-in-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=443 comment="sipwall: https-inbound-in-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=8997 comment="sipwall: screen-sharing-inbound-in-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=21 comment="sipwall: ftp-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=53 comment="sipwall: dns-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=53 comment="sipwall: dns-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=80,8080 comment="sipwall: web-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=123 comment="sipwall: ntp-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=443 comment="sipwall: https-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=8000 comment="sipwall: vpn-tunnel-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=5060 comment="sipwall: sip-outbound-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=5060 comment="sipwall: sip-outbound-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=10000-20000 comment="sipwall: rtp-outbound-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=5222 comment="sipwall: hud-outbound-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=5269 comment="sipwall: hud-external-chat-outbound-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=4000-4031 comment="sipwall: hudmobile-audio-outbound-out-udp"
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
# no DMZ host: only the ports listed below are forwarded (the inside port is the outside port:
#   no to-ports)
add chain=dstnat action=dst-nat in-interface=ether1 protocol=udp src-address=203.0.113.0/24 dst-port=5060 to-addresses=192.168.1.10 comment="sipwall: forward sip-inbound-udp from 203.0.113.0/24"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=5060 to-addresses=192.168.1.10 comment="sipwall: forward sip-inbound-tcp"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=udp dst-port=10000-20000 to-addresses=192.168.1.10 comment="sipwall: forward rtp-inbound-udp"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=5222 to-addresses=192.168.1.10 comment="sipwall: forward hud-inbound-tcp"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=5269 to-addresses=192.168.1.10 comment="sipwall: forward hud-server-inbound-tcp"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=udp dst-port=4569 to-addresses=192.168.1.10 comment="sipwall: forward iax2-inbound-udp"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=udp dst-port=4000-4031 to-addresses=192.168.1.10 comment="sipwall: forward hudmobile-audio-inbound-udp"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=4000-4031 to-addresses=192.168.1.10 comment="sipwall: forward hudmobile-audio-inbound-tcp"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=443 to-addresses=192.168.1.10 comment="sipwall: forward https-inbound-tcp"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=8997 to-addresses=192.168.1.10 comment="sipwall: forward screen-sharing-inbound-tcp"

# UDP timeouts: RouterOS has one global value per state, raised here for all UDP (defaults
#   udp-timeout=10s for one-way, udp-stream-timeout=3m for two-way traffic, MikroTik wiki
#   Manual:IP/Firewall/Connection_tracking; same names and defaults in v7; never lowered here)
/ip firewall connection tracking
set udp-timeout=90s udp-stream-timeout=3m

