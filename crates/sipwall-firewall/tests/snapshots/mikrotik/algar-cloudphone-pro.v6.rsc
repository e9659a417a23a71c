# sipwall rules: profile algar-cloudphone-pro (Algar Telecom CloudPhone Pro), MikroTik RouterOS
#   v6
#
# Not (fully) expressed by MikroTik RouterOS v6, do it elsewhere:
# - fqdn: the DNS names (dps.digivox.com.br, ucpro.algartelem.com.br,
#   webrtc.ucpro.algartelem.com.br, webrtc2.ucpro.algartelem.com.br,
#   contact.ucpro.algartelem.com.br, contact2.ucpro.algartelem.com.br, omni.algartelem.com.br,
#   chat.ucpro.algartelem.com.br, public-chat.ucpro.algartelem.com.br,
#   upload-chat.ucpro.algartelem.com.br, upload-public-chat.ucpro.algartelem.com.br,
#   webrtc2.ucpro.algartelecom.com.br, app.squad.us, update.squad.us, gstaticadssl.l.google.com,
#   update.googleapis.com, s3-1-w.amazonaws.com) are address-list entries: RouterOS resolves
#   each with its own DNS client (/ip dns needs a server) and keeps the addresses as dynamic
#   entries, re-resolved as their DNS TTL runs out (MikroTik docs, Address-lists); IPv4 (A
#   records) only here; on RouterOS v6 DNS names in address lists need a late 6.x release (6.36
#   or later by the changelog, not verified here [?]): on an older release the `add` fails, so
#   upgrade or enter the addresses
# - forward-default: the profile wants other forwarded traffic dropped; the RouterOS default
#   configuration forwards everything from the LAN, so the last rule of chain sipwall-forward (a
#   LAN-to-WAN drop) is added disabled: enable it only if this router carries nothing but VoIP
# - source-nat: source NAT is a srcnat masquerade on the WAN interface without to-ports, which
#   keeps the inside port when it is free (Linux NAT), but RouterOS guarantees no
#   endpoint-independent mapping when two inside hosts use the same port; the default
#   configuration already has one (`defconf: masquerade`), sipwall's is harmless beside it
# - udp-timeout-global: RouterOS has no per-port connection-tracking timeout: udp-timeout=5m and
#   udp-stream-timeout=5m apply to all UDP (more connections kept longer; never below the
#   defaults 10s / 3m)
# - session-ttl: session lifetime of 43200 s for the dedicated firewall policy towards the
#   CloudPhone SBC (FortiGate `set session-ttl 43200`, 12 h): RouterOS has no per-rule session
#   TTL; sessions use the connection-tracking timeouts
# - dedicated-rule: Create a firewall policy of its own for the CloudPhone traffic, towards the
#   IP/FQDN of the CloudPhone SBC, allowing the needed ports (or all ports and protocols), so
#   its session lifetime and offload settings can be changed without touching other traffic.:
#   the sipwall-forward chain is that dedicated rule set
# - disable-hardware-offload: Turn off ASIC (hardware) session offload on the CloudPhone policy,
#   if the firewall has it.: the default configuration's FastTrack rule
#   (action=fasttrack-connection) bypasses the firewall for established traffic; the
#   sipwall-forward chain accepts established SIP and RTP before it, so VoIP is never
#   fasttracked
# - clear-sessions-after-change: After the changes, clear the existing sessions towards the
#   CloudPhone (or reboot) so that the new settings take effect.: after the script: `/ip
#   firewall connection remove [find]` (drops every tracked connection) or reboot
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
#   all, whatever its ports= list. SIP ports of this profile: udp/any tcp/any. Check: /ip
#   firewall service-port print where name=sip
/ip firewall service-port
set sip disabled=yes

# address lists: addresses, prefixes and DNS names (RouterOS resolves the names and adds their
#   addresses as dynamic entries)
/ip firewall address-list
add list=sipwall-sip-out-udp-dst address=187.72.201.43 comment="sipwall: sip-out-udp destinations"
add list=sipwall-sip-out-udp-dst address=187.72.201.45 comment="sipwall: sip-out-udp destinations"
add list=sipwall-sip-out-udp-dst address=189.112.195.169 comment="sipwall: sip-out-udp destinations"
add list=sipwall-webrtc-web-out-tcp-dst address=187.72.201.32 comment="sipwall: webrtc-web-out-tcp destinations"
add list=sipwall-webrtc-web-out-tcp-dst address=187.72.201.41 comment="sipwall: webrtc-web-out-tcp destinations"
add list=sipwall-license-fqdn-out-tcp-dst address=dps.digivox.com.br comment="sipwall: license-fqdn-out-tcp destinations"
add list=sipwall-web-fqdn-out-tcp-dst address=ucpro.algartelem.com.br comment="sipwall: web-fqdn-out-tcp destinations"
add list=sipwall-webrtc-web-fqdn-out-tcp-dst address=webrtc.ucpro.algartelem.com.br comment="sipwall: webrtc-web-fqdn-out-tcp destinations"
add list=sipwall-webrtc-web-fqdn-out-tcp-dst address=webrtc2.ucpro.algartelem.com.br comment="sipwall: webrtc-web-fqdn-out-tcp destinations"
add list=sipwall-sip-fqdn-out-udp-dst address=contact.ucpro.algartelem.com.br comment="sipwall: sip-fqdn-out-udp destinations"
add list=sipwall-sip-fqdn-out-udp-dst address=contact2.ucpro.algartelem.com.br comment="sipwall: sip-fqdn-out-udp destinations"
add list=sipwall-omnipro-web-fqdn-out-tcp-dst address=omni.algartelem.com.br comment="sipwall: omnipro-web-fqdn-out-tcp destinations"
add list=sipwall-chat-fqdn-out-tcp-dst address=chat.ucpro.algartelem.com.br comment="sipwall: chat-fqdn-out-tcp destinations"
add list=sipwall-chat-fqdn-out-tcp-dst address=public-chat.ucpro.algartelem.com.br comment="sipwall: chat-fqdn-out-tcp destinations"
add list=sipwall-chat-fqdn-out-tcp-dst address=upload-chat.ucpro.algartelem.com.br comment="sipwall: chat-fqdn-out-tcp destinations"
add list=sipwall-chat-fqdn-out-tcp-dst address=upload-public-chat.ucpro.algartelem.com.br comment="sipwall: chat-fqdn-out-tcp destinations"
add list=sipwall-stun-fqdn-out-udp-dst address=webrtc2.ucpro.algartelecom.com.br comment="sipwall: stun-fqdn-out-udp destinations"
add list=sipwall-squad-fqdn-out-tcp-dst address=app.squad.us comment="sipwall: squad-fqdn-out-tcp destinations"
add list=sipwall-squad-fqdn-out-tcp-dst address=update.squad.us comment="sipwall: squad-fqdn-out-tcp destinations"
add list=sipwall-api-fqdn-out-tcp-dst address=gstaticadssl.l.google.com comment="sipwall: api-fqdn-out-tcp destinations"
add list=sipwall-api-fqdn-out-tcp-dst address=update.googleapis.com comment="sipwall: api-fqdn-out-tcp destinations"
add list=sipwall-api-fqdn-out-tcp-dst address=s3-1-w.amazonaws.com comment="sipwall: api-fqdn-out-tcp destinations"
add list=sipwall-squad-out-tcp-dst address=100.27.36.199 comment="sipwall: squad-out-tcp destinations"
add list=sipwall-squad-out-tcp-dst address=172.217.28.131 comment="sipwall: squad-out-tcp destinations"

/ip firewall filter
add chain=forward action=jump jump-target=sipwall-forward comment="sipwall: jump forward"
add chain=input action=jump jump-target=sipwall-input in-interface=ether1 comment="sipwall: jump input"
# other replies and related traffic go back to the main chains (the default configuration
#   accepts or FastTracks them there)
add chain=sipwall-forward action=return connection-state=established,related comment="sipwall: established"
add chain=sipwall-input action=return connection-state=established,related comment="sipwall: established"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address=45.63.1.46 dst-port=80,443 comment="sipwall: license-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-address-list=sipwall-sip-out-udp-dst dst-port=5060-5061,5080 comment="sipwall: sip-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-sip-out-udp-dst dst-port=5060-5061,5080 comment="sipwall: sip-out-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address-list=sipwall-sip-out-udp-dst src-port=5060-5061,5080 comment="sipwall: sip-in-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp src-address-list=sipwall-sip-out-udp-dst src-port=5060-5061,5080 comment="sipwall: sip-in-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-address-list=sipwall-sip-out-udp-dst dst-port=10000-65535 comment="sipwall: rtp-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-sip-out-udp-dst dst-port=10000-65535 comment="sipwall: rtp-out-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address-list=sipwall-sip-out-udp-dst src-port=10000-65535 comment="sipwall: rtp-in-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp src-address-list=sipwall-sip-out-udp-dst src-port=10000-65535 comment="sipwall: rtp-in-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address=187.72.201.30/31 dst-port=80,443 comment="sipwall: web-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address=187.72.201.31 dst-port=5222,5280,5422 comment="sipwall: chat-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-webrtc-web-out-tcp-dst dst-port=80,443 comment="sipwall: webrtc-web-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-address-list=sipwall-webrtc-web-out-tcp-dst dst-port=10000-65535 comment="sipwall: webrtc-rtp-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-webrtc-web-out-tcp-dst dst-port=10000-65535 comment="sipwall: webrtc-rtp-out-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address-list=sipwall-webrtc-web-out-tcp-dst src-port=10000-65535 comment="sipwall: webrtc-rtp-in-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp src-address-list=sipwall-webrtc-web-out-tcp-dst src-port=10000-65535 comment="sipwall: webrtc-rtp-in-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address=187.72.201.40 dst-port=80,443 comment="sipwall: omnipro-web-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-address=187.72.201.40 dst-port=10000-65535 comment="sipwall: omnipro-media-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address=187.72.201.40 dst-port=10000-65535 comment="sipwall: omnipro-media-out-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address=187.72.201.40 src-port=10000-65535 comment="sipwall: omnipro-media-in-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp src-address=187.72.201.40 src-port=10000-65535 comment="sipwall: omnipro-media-in-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-license-fqdn-out-tcp-dst dst-port=80,443 comment="sipwall: license-fqdn-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-web-fqdn-out-tcp-dst dst-port=80,443 comment="sipwall: web-fqdn-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-webrtc-web-fqdn-out-tcp-dst dst-port=80,443 comment="sipwall: webrtc-web-fqdn-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-address-list=sipwall-sip-fqdn-out-udp-dst dst-port=5060-5061,5080 comment="sipwall: sip-fqdn-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-sip-fqdn-out-udp-dst dst-port=5060-5061,5080 comment="sipwall: sip-fqdn-out-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address-list=sipwall-sip-fqdn-out-udp-dst src-port=5060-5061,5080 comment="sipwall: sip-fqdn-in-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp src-address-list=sipwall-sip-fqdn-out-udp-dst src-port=5060-5061,5080 comment="sipwall: sip-fqdn-in-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-address-list=sipwall-sip-fqdn-out-udp-dst dst-port=10000-65535 comment="sipwall: rtp-fqdn-out-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address-list=sipwall-sip-fqdn-out-udp-dst src-port=10000-65535 comment="sipwall: rtp-fqdn-in-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-omnipro-web-fqdn-out-tcp-dst dst-port=80,443 comment="sipwall: omnipro-web-fqdn-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-omnipro-web-fqdn-out-tcp-dst dst-port=5222,5280,5422 comment="sipwall: omnipro-chat-fqdn-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-chat-fqdn-out-tcp-dst dst-port=80,443,5222,5280,5422 comment="sipwall: chat-fqdn-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-address-list=sipwall-stun-fqdn-out-udp-dst dst-port=3478,5349 comment="sipwall: stun-fqdn-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-stun-fqdn-out-udp-dst dst-port=3478,5349 comment="sipwall: stun-fqdn-out-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address-list=sipwall-stun-fqdn-out-udp-dst src-port=3478,5349 comment="sipwall: stun-fqdn-in-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp src-address-list=sipwall-stun-fqdn-out-udp-dst src-port=3478,5349 comment="sipwall: stun-fqdn-in-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-squad-fqdn-out-tcp-dst dst-port=80,443 comment="sipwall: squad-fqdn-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-api-fqdn-out-tcp-dst dst-port=80,443 comment="sipwall: api-fqdn-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-address=187.72.201.41 dst-port=3478,5349 comment="sipwall: stun-out-udp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address=187.72.201.41 dst-port=3478,5349 comment="sipwall: stun-out-tcp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address=187.72.201.41 src-port=3478,5349 comment="sipwall: stun-in-udp"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp src-address=187.72.201.41 src-port=3478,5349 comment="sipwall: stun-in-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address-list=sipwall-squad-out-tcp-dst dst-port=80,443 comment="sipwall: squad-out-tcp"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-address=172.217.29.3 dst-port=80,443 comment="sipwall: api-out-tcp"
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
set udp-timeout=5m udp-stream-timeout=5m

