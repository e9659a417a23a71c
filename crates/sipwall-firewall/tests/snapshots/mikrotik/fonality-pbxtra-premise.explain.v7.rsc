# sipwall rules: profile fonality-pbxtra-premise (Fonality PBXtra (premise-based server)),
#   MikroTik RouterOS v7
#
# Documents the sources below cite:
#   seed: Fonality PBXtra: port forwarding and VoIP traffic (hosted and premise-based servers)
#     (shared/seeds/004_015e8008060435a0.txt)
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

# SIP ALG / helper off
#   requirement: sip_alg
#     source: seed § Tip 1: Disable "SIP ALG" and other SIP-related helper services on the
#       router/firewall — "the following items should be disabled: "SIP ALG", "SIP Session
#       Helper", "SIP Fixup", "SIP Debug", "SIP NAT Traversal" should be turned off."
#     source: seed § Tip 2: Malformed SIP packets will cause problems. — "If the SIP packet
#       has been modified in any way the packet may be discarded leading to dropped calls or the
#       inability to connect a call."
#     source: seed § Tip 2: Malformed SIP packets will cause problems. — "Common names for
#       some of these features are "SIP Fixup", "SIP Debug", "SIP NAT Traversal" or "SIP ALG",
#       but there are many other names as well."
#     source: seed § Tip 2: Malformed SIP packets will cause problems. — "one-way audio if
#       FONcall does not know where to send RTP packets because of a malformed source port."
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
# never forward tcp/21 (ftp)
#   requirement: security.never_forward[21]
#     source: seed § Inbound ports that must not allow unsolicited inbound connections —
#       "Don't forward: 21 FTP."
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
#     source: seed § Inbound ports that must not allow unsolicited inbound connections — "Or
#       at worst, they should be restricted to a very narrow range of IP addresses (use
#       whitelists)."
#     source: seed § Security considerations — "Likewise, ports 21 (FTP), 69 (TFTP), and 80
#       (HTTP) should not be forwarded inbound."
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=21 comment="sipwall: never forward ftp 21"
add chain=sipwall-input action=drop protocol=tcp dst-port=21 comment="sipwall: never open ftp 21"
# never forward tcp/22 (ssh)
#   requirement: security.never_forward[22]
#     source: seed § Inbound ports that must not allow unsolicited inbound connections —
#       "Don't forward: 22 SSH."
#     source: seed § Security considerations — "If port 22 is forwarded to the PBX without IP
#       restrictions, it will be subjected to thousands of brute-force username/password
#       combination attacks per second."
#     source: seed § Security considerations — "but it should not be exposed in any case."
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=22 comment="sipwall: never forward ssh 22"
add chain=sipwall-input action=drop protocol=tcp dst-port=22 comment="sipwall: never open ssh 22"
# never forward udp/69 (tftp)
#   requirement: security.never_forward[69]
#     source: seed § Inbound ports that must not allow unsolicited inbound connections —
#       "Don't forward: 69 TFTP."
#     source: seed § Inbound ports that must not allow unsolicited inbound connections — "Or
#       at worst, they should be restricted to a very narrow range of IP addresses (use
#       whitelists)."
#     source: seed § Security considerations — "Likewise, ports 21 (FTP), 69 (TFTP), and 80
#       (HTTP) should not be forwarded inbound."
add chain=sipwall-forward action=drop in-interface=ether1 protocol=udp dst-port=69 comment="sipwall: never forward tftp 69"
add chain=sipwall-input action=drop protocol=udp dst-port=69 comment="sipwall: never open tftp 69"
# never forward tcp/80 (http)
#   requirement: security.never_forward[80]
#     source: seed § Inbound ports that must not allow unsolicited inbound connections —
#       "Don't forward: 80 HTTP."
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
#     source: seed § Inbound ports that must not allow unsolicited inbound connections —
#       "Don't expose phones to the Internet. At a minimum, inbound Internet access to TCP port
#       80 (HTTP) on the phone must be blocked."
#     source: seed § Security considerations — "Likewise, ports 21 (FTP), 69 (TFTP), and 80
#       (HTTP) should not be forwarded inbound."
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=80 comment="sipwall: never forward http 80"
add chain=sipwall-input action=drop protocol=tcp dst-port=80 comment="sipwall: never open http 80"
# never forward udp/53 (dns)
#   requirement: security.never_forward[53]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=udp dst-port=53 comment="sipwall: never forward dns 53"
add chain=sipwall-input action=drop protocol=udp dst-port=53 comment="sipwall: never open dns 53"
# never forward tcp/53 (dns)
#   requirement: security.never_forward[53]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=53 comment="sipwall: never forward dns 53"
add chain=sipwall-input action=drop protocol=tcp dst-port=53 comment="sipwall: never open dns 53"
# never forward udp/123 (ntp)
#   requirement: security.never_forward[123]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=udp dst-port=123 comment="sipwall: never forward ntp 123"
add chain=sipwall-input action=drop protocol=udp dst-port=123 comment="sipwall: never open ntp 123"
# never forward tcp/8000 (vpn-tunnel)
#   requirement: security.never_forward[8000]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=8000 comment="sipwall: never forward vpn-tunnel 8000"
add chain=sipwall-input action=drop protocol=tcp dst-port=8000 comment="sipwall: never open vpn-tunnel 8000"
# never forward tcp/8080 (http)
#   requirement: security.never_forward[8080]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=8080 comment="sipwall: never forward http 8080"
add chain=sipwall-input action=drop protocol=tcp dst-port=8080 comment="sipwall: never open http 8080"
# source whitelist udp/5060: only 203.0.113.0/24
#   requirement: security.sip_source_whitelist
#     source: seed § Security considerations — "Whitelisting - only allow certain IPs to
#       connect to port 5060 SIP."
#     source: seed § Security considerations — "If your router/firewall supports it, restrict
#       what IP addresses can connect to SIP port 5060 (UDP)."
#     source: seed § Premise-based servers — "NOTE: when performing port forwarding on your
#       network, be sure to only allow trusted sources! Allowing untrusted sources can result in
#       unsolicited registrants to your system."
#     source: seed § Security considerations — "Be aware, there is no guarantee that the VoIP
#       provider will *always* use that IP, unless they explicitly say so."
# hygiene: udp/5060 from the WAN only from 203.0.113.0/24 (forward and input)
add chain=sipwall-forward action=drop in-interface=ether1 protocol=udp dst-port=5060 src-address=!203.0.113.0/24 comment="sipwall: source whitelist"
add chain=sipwall-input action=drop protocol=udp dst-port=5060 src-address=!203.0.113.0/24 comment="sipwall: source whitelist"
# brute-force limit sip-udp
#   requirement: security.brute_force
#     source: seed § Security considerations — "Enable SIP brute force detection."
#     source: seed § Security considerations — "(requires PBX software version 2010.1.20+) We
#       recommend enabling this on the Web Admin Panel under the Options: Settings tab."
#     source: seed § Security considerations — "For example: after 20 incorrect attempts,
#       block the IP address for 1 hour."
# brute force: more than 20 new udp sessions to port 5060 per 60 s (window assumed: the profile
#   gives none) from one source bans it for 3600 s (dst-limit per src-address, MikroTik wiki
#   Bruteforce login prevention)
add chain=sipwall-forward action=drop in-interface=ether1 protocol=udp dst-port=5060 src-address-list=sipwall-bf-sip-udp-ban comment="sipwall: brute-force ban sip-udp"
add chain=sipwall-forward action=jump jump-target=sipwall-bf-sip-udp connection-state=new in-interface=ether1 protocol=udp dst-port=5060 comment="sipwall: brute-force limit sip-udp"
add chain=sipwall-bf-sip-udp action=return dst-limit=20/1m,20,src-address/1m comment="sipwall: brute-force limit sip-udp"
add chain=sipwall-bf-sip-udp action=add-src-to-address-list address-list=sipwall-bf-sip-udp-ban address-list-timeout=1h comment="sipwall: brute-force ban sip-udp"
add chain=sipwall-bf-sip-udp action=drop comment="sipwall: brute-force ban sip-udp"
# brute-force limit sip-tcp
#   requirement: security.brute_force
#     source: seed § Security considerations — "Enable SIP brute force detection."
#     source: seed § Security considerations — "(requires PBX software version 2010.1.20+) We
#       recommend enabling this on the Web Admin Panel under the Options: Settings tab."
#     source: seed § Security considerations — "For example: after 20 incorrect attempts,
#       block the IP address for 1 hour."
# brute force: more than 20 new tcp sessions to port 5060 per 60 s (window assumed: the profile
#   gives none) from one source bans it for 3600 s (dst-limit per src-address, MikroTik wiki
#   Bruteforce login prevention)
add chain=sipwall-forward action=drop in-interface=ether1 protocol=tcp dst-port=5060 src-address-list=sipwall-bf-sip-tcp-ban comment="sipwall: brute-force ban sip-tcp"
add chain=sipwall-forward action=jump jump-target=sipwall-bf-sip-tcp connection-state=new in-interface=ether1 protocol=tcp dst-port=5060 comment="sipwall: brute-force limit sip-tcp"
add chain=sipwall-bf-sip-tcp action=return dst-limit=20/1m,20,src-address/1m comment="sipwall: brute-force limit sip-tcp"
add chain=sipwall-bf-sip-tcp action=add-src-to-address-list address-list=sipwall-bf-sip-tcp-ban address-list-timeout=1h comment="sipwall: brute-force ban sip-tcp"
add chain=sipwall-bf-sip-tcp action=drop comment="sipwall: brute-force ban sip-tcp"
# sip-inbound-in-udp-whitelisted (inbound)
#   requirement: flows[sip-inbound]
#     source: seed § Premise-based servers — "5060 UDP - SIP registration, used by remote
#       phones and VoIP carriers."
#     source: seed § Premise-based servers — "5060 TCP & UDP - SIP for HUDweb and HUDmobile
#       softphones."
#     source: seed § Premise-based servers — "For remote phones, remote HUD, and VoIP
#       providers to work, these ports must be forwarded inbound to the PBX."
#   requirement: security.sip_source_whitelist
#     source: seed § Security considerations — "Whitelisting - only allow certain IPs to
#       connect to port 5060 SIP."
#     source: seed § Security considerations — "If your router/firewall supports it, restrict
#       what IP addresses can connect to SIP port 5060 (UDP)."
#     source: seed § Premise-based servers — "NOTE: when performing port forwarding on your
#       network, be sure to only allow trusted sources! Allowing untrusted sources can result in
#       unsolicited registrants to your system."
#     source: seed § Security considerations — "Be aware, there is no guarantee that the VoIP
#       provider will *always* use that IP, unless they explicitly say so."
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp src-address=203.0.113.0/24 dst-address=192.168.1.10 dst-port=5060 comment="sipwall: sip-inbound-in-udp-whitelisted"
# sip-inbound-in-tcp (inbound)
#   requirement: flows[sip-inbound]
#     source: seed § Premise-based servers — "5060 UDP - SIP registration, used by remote
#       phones and VoIP carriers."
#     source: seed § Premise-based servers — "5060 TCP & UDP - SIP for HUDweb and HUDmobile
#       softphones."
#     source: seed § Premise-based servers — "For remote phones, remote HUD, and VoIP
#       providers to work, these ports must be forwarded inbound to the PBX."
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=5060 comment="sipwall: sip-inbound-in-tcp"
# rtp-inbound-in-udp (inbound)
#   requirement: flows[rtp-inbound]
#     source: seed § Premise-based servers — "10000-20000 UDP - RTP voice traffic."
#     source: seed § Premise-based servers — "(audio travels over a randomly selected pair of
#       ports in this range)"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp dst-address=192.168.1.10 dst-port=10000-20000 comment="sipwall: rtp-inbound-in-udp"
# hud-inbound-in-tcp (inbound)
#   requirement: flows[hud-inbound]
#     source: seed § Premise-based servers — "5222 TCP - HUD, used by remote HUD3 clients,
#       HUDweb, and HUDMobile."
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=5222 comment="sipwall: hud-inbound-in-tcp"
# hud-server-inbound-in-tcp (inbound, optional)
#   requirement: flows[hud-server-inbound]
#     source: seed § Premise-based servers — "(5269 TCP is additionally used for external
#       chat contacts and linked servers)"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=5269 comment="sipwall: hud-server-inbound-in-tcp"
# iax2-inbound-in-udp (inbound, optional)
#   requirement: flows[iax2-inbound]
#     source: seed § Premise-based servers — "4569 UDP - IAX2 registration and audio, for
#       linked servers."
#     source: seed § Premise-based servers — "Unless, of course, you know that you don't use
#       linked servers (skip port 4569 if so)."
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp dst-address=192.168.1.10 dst-port=4569 comment="sipwall: iax2-inbound-in-udp"
# hudmobile-audio-inbound-in-udp (inbound, optional)
#   requirement: flows[hudmobile-audio-inbound]
#     source: seed § Premise-based servers — "4000-4031 TCP & UDP - only if you have
#       HUDMobile."
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=udp dst-address=192.168.1.10 dst-port=4000-4031 comment="sipwall: hudmobile-audio-inbound-in-udp"
# hudmobile-audio-inbound-in-tcp (inbound, optional)
#   requirement: flows[hudmobile-audio-inbound]
#     source: seed § Premise-based servers — "4000-4031 TCP & UDP - only if you have
#       HUDMobile."
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=4000-4031 comment="sipwall: hudmobile-audio-inbound-in-tcp"
# https-inbound-in-tcp (inbound, optional)
#   requirement: flows[https-inbound]
#     source: seed § Premise-based servers — "443 TCP - Don't forward by default, but if
#       HUDmobile is not connecting, try forwarding this."
#     source: seed § ALLOW OUTBOUND (on-site servers): — "*-With the exception of 443, which
#       may be required for remote HUDmobile users - if you use HUDmobile."
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=443 comment="sipwall: https-inbound-in-tcp"
# screen-sharing-inbound-in-tcp (inbound, optional)
#   requirement: flows[screen-sharing-inbound]
#     source: seed § Premise-based servers — "8997 TCP - only if you have HUD Desktop screen
#       sharing. (legacy)"
add chain=sipwall-forward action=accept in-interface=ether1 out-interface=bridge protocol=tcp dst-address=192.168.1.10 dst-port=8997 comment="sipwall: screen-sharing-inbound-in-tcp"
# ftp-out-tcp (outbound)
#   requirement: flows[ftp]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "21 TCP - FTP for phone config
#       downloads (and server updates, if premise-based)."
#     source: seed § Inbound ports that must not allow unsolicited inbound connections —
#       "(but don't block outbound access to remote FTP servers)"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=21 comment="sipwall: ftp-out-tcp"
# dns-out-udp (outbound)
#   requirement: flows[dns]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "53 TCP/UDP - DNS, or Domain Name
#       Service. Used for resolving hostnames such as "vpn1.fonality.com"."
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=53 comment="sipwall: dns-out-udp"
# dns-out-tcp (outbound)
#   requirement: flows[dns]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "53 TCP/UDP - DNS, or Domain Name
#       Service. Used for resolving hostnames such as "vpn1.fonality.com"."
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=53 comment="sipwall: dns-out-tcp"
# web-out-tcp (outbound)
#   requirement: flows[web]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "80 & 8080 TCP - HTTP. Required for
#       the PBXtra to determine its public IP address, and download updates/patches."
#     source: seed § Hosted / remote customers — "80 & 8080 TCP - web admin panel, and
#       certain HUD config functions."
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=80,8080 comment="sipwall: web-out-tcp"
# ntp-out-udp (outbound)
#   requirement: flows[ntp]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "123 UDP - NTP, or Network Time
#       Protocol. Used for time and date settings."
#     source: seed § Hosted / remote customers — "123 UDP - time for deskphones."
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=123 comment="sipwall: ntp-out-udp"
# https-out-tcp (outbound)
#   requirement: flows[https]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "443 TCP - HTTPS. HUD clients also
#       use this when first setting up their username."
#     source: seed § Hosted / remote customers — "443 TCP - HUD authentication."
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=443 comment="sipwall: https-out-tcp"
# vpn-tunnel-out-tcp (outbound)
#   requirement: flows[vpn-tunnel]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "8000 TCP - VPN tunnel. Required by
#       the Web Admin Panel - the PBX establishes a couple of SSH VPN tunnels back to the
#       Fonality datacenter on this port."
#     source: seed § ALLOW OUTBOUND (on-site servers): — "(some larger firewalls block
#       outbound traffic on TCP port 8000 unless you add an exception.)"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=8000 comment="sipwall: vpn-tunnel-out-tcp"
# sip-outbound-out-udp (outbound)
#   requirement: flows[sip-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "5060 UDP - call setup and teardown for desk
#       phones."
#     source: seed § Hosted / remote customers — "5060 TCP & UDP - call setup and teardown
#       for HUDweb and HUDmobile softphones."
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=5060 comment="sipwall: sip-outbound-out-udp"
# sip-outbound-out-tcp (outbound)
#   requirement: flows[sip-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "5060 UDP - call setup and teardown for desk
#       phones."
#     source: seed § Hosted / remote customers — "5060 TCP & UDP - call setup and teardown
#       for HUDweb and HUDmobile softphones."
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=5060 comment="sipwall: sip-outbound-out-tcp"
# rtp-outbound-out-udp (outbound)
#   requirement: flows[rtp-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "10000-20000 UDP - RTP voice traffic."
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=10000-20000 comment="sipwall: rtp-outbound-out-udp"
# hud-outbound-out-tcp (outbound, optional)
#   requirement: flows[hud-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "5222 TCP - HUD status and control."
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=5222 comment="sipwall: hud-outbound-out-tcp"
# hud-external-chat-outbound-out-tcp (outbound, optional)
#   requirement: flows[hud-external-chat-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "5269 TCP - (optional) HUD external chat
#       contacts such as Jabber and Google Chat."
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=tcp dst-port=5269 comment="sipwall: hud-external-chat-outbound-out-tcp"
# hudmobile-audio-outbound-out-udp (outbound, optional)
#   requirement: flows[hudmobile-audio-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "4000-4031 UDP - audio for HUDmobile.
#       (pending)"
add chain=sipwall-forward action=accept in-interface=bridge out-interface=ether1 protocol=udp dst-port=4000-4031 comment="sipwall: hudmobile-audio-outbound-out-udp"
# forward default drop: disabled, enable it only if this router carries nothing but VoIP (see
#   forward-default above)
add chain=sipwall-forward action=drop in-interface=bridge out-interface=ether1 disabled=yes comment="sipwall: forward default drop"
# move the two jump rules to the top of forward and input (before the default configuration's
#   drop rules and FastTrack)
/ip firewall filter move [find where comment="sipwall: jump input"] destination=0
/ip firewall filter move [find where comment="sipwall: jump forward"] destination=0

/ip firewall nat
# source NAT keeping ports
# source NAT: masquerade without to-ports keeps the inside source port when it is free (research
#   §2: avoid port randomisation)
add chain=srcnat action=masquerade out-interface=ether1 comment="sipwall: source NAT"
# no DMZ / exposed host
#   requirement: security.no_dmz
#     source: seed § Security considerations — "Avoid placing the PBX in a DMZ."
#     source: seed § Security considerations — "We do not recommend placing the PBX, a phone,
#       or any server in a de-militarized zone, as a DMZ exposes all running services on it to
#       potential attack."
#     source: seed § Security considerations — "It's sometimes useful for troubleshooting
#       phone registration issues, but should not be used in a production environment."
# no DMZ host: only the ports listed below are forwarded (the inside port is the outside port:
#   no to-ports)
# port forward sip-inbound-udp to 192.168.1.10
#   requirement: flows[sip-inbound]
#     source: seed § Premise-based servers — "5060 UDP - SIP registration, used by remote
#       phones and VoIP carriers."
#     source: seed § Premise-based servers — "5060 TCP & UDP - SIP for HUDweb and HUDmobile
#       softphones."
#     source: seed § Premise-based servers — "For remote phones, remote HUD, and VoIP
#       providers to work, these ports must be forwarded inbound to the PBX."
add chain=dstnat action=dst-nat in-interface=ether1 protocol=udp src-address=203.0.113.0/24 dst-port=5060 to-addresses=192.168.1.10 comment="sipwall: forward sip-inbound-udp from 203.0.113.0/24"
# port forward sip-inbound-tcp to 192.168.1.10
#   requirement: flows[sip-inbound]
#     source: seed § Premise-based servers — "5060 UDP - SIP registration, used by remote
#       phones and VoIP carriers."
#     source: seed § Premise-based servers — "5060 TCP & UDP - SIP for HUDweb and HUDmobile
#       softphones."
#     source: seed § Premise-based servers — "For remote phones, remote HUD, and VoIP
#       providers to work, these ports must be forwarded inbound to the PBX."
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=5060 to-addresses=192.168.1.10 comment="sipwall: forward sip-inbound-tcp"
# port forward rtp-inbound-udp to 192.168.1.10
#   requirement: flows[rtp-inbound]
#     source: seed § Premise-based servers — "10000-20000 UDP - RTP voice traffic."
#     source: seed § Premise-based servers — "(audio travels over a randomly selected pair of
#       ports in this range)"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=udp dst-port=10000-20000 to-addresses=192.168.1.10 comment="sipwall: forward rtp-inbound-udp"
# port forward hud-inbound-tcp to 192.168.1.10
#   requirement: flows[hud-inbound]
#     source: seed § Premise-based servers — "5222 TCP - HUD, used by remote HUD3 clients,
#       HUDweb, and HUDMobile."
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=5222 to-addresses=192.168.1.10 comment="sipwall: forward hud-inbound-tcp"
# port forward hud-server-inbound-tcp to 192.168.1.10
#   requirement: flows[hud-server-inbound]
#     source: seed § Premise-based servers — "(5269 TCP is additionally used for external
#       chat contacts and linked servers)"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=5269 to-addresses=192.168.1.10 comment="sipwall: forward hud-server-inbound-tcp"
# port forward iax2-inbound-udp to 192.168.1.10
#   requirement: flows[iax2-inbound]
#     source: seed § Premise-based servers — "4569 UDP - IAX2 registration and audio, for
#       linked servers."
#     source: seed § Premise-based servers — "Unless, of course, you know that you don't use
#       linked servers (skip port 4569 if so)."
add chain=dstnat action=dst-nat in-interface=ether1 protocol=udp dst-port=4569 to-addresses=192.168.1.10 comment="sipwall: forward iax2-inbound-udp"
# port forward hudmobile-audio-inbound-udp to 192.168.1.10
#   requirement: flows[hudmobile-audio-inbound]
#     source: seed § Premise-based servers — "4000-4031 TCP & UDP - only if you have
#       HUDMobile."
add chain=dstnat action=dst-nat in-interface=ether1 protocol=udp dst-port=4000-4031 to-addresses=192.168.1.10 comment="sipwall: forward hudmobile-audio-inbound-udp"
# port forward hudmobile-audio-inbound-tcp to 192.168.1.10
#   requirement: flows[hudmobile-audio-inbound]
#     source: seed § Premise-based servers — "4000-4031 TCP & UDP - only if you have
#       HUDMobile."
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=4000-4031 to-addresses=192.168.1.10 comment="sipwall: forward hudmobile-audio-inbound-tcp"
# port forward https-inbound-tcp to 192.168.1.10
#   requirement: flows[https-inbound]
#     source: seed § Premise-based servers — "443 TCP - Don't forward by default, but if
#       HUDmobile is not connecting, try forwarding this."
#     source: seed § ALLOW OUTBOUND (on-site servers): — "*-With the exception of 443, which
#       may be required for remote HUDmobile users - if you use HUDmobile."
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=443 to-addresses=192.168.1.10 comment="sipwall: forward https-inbound-tcp"
# port forward screen-sharing-inbound-tcp to 192.168.1.10
#   requirement: flows[screen-sharing-inbound]
#     source: seed § Premise-based servers — "8997 TCP - only if you have HUD Desktop screen
#       sharing. (legacy)"
add chain=dstnat action=dst-nat in-interface=ether1 protocol=tcp dst-port=8997 to-addresses=192.168.1.10 comment="sipwall: forward screen-sharing-inbound-tcp"

# udp idle timeout 90 s (destination ports 4000-4031,4569,5060,10000-20000)
#   requirement: nat.binding_lifetime
#     source: seed § Tip 3: UDP Timeouts — "it may be necessary to raise UDP timeouts to 90
#       seconds to ensure that phones don't briefly become unreachable (which can happen if the
#       timeouts are at 30 seconds)."
#     source: seed § Tip 3: UDP Timeouts — "These may be found under Firewall: Access Rules
#       on some models, Advanced: Network, or Advanced: Conntrack/Netfilter on others"
# UDP timeouts: RouterOS has one global value per state, raised here for all UDP (defaults
#   udp-timeout=10s for one-way, udp-stream-timeout=3m for two-way traffic, MikroTik wiki
#   Manual:IP/Firewall/Connection_tracking; same names and defaults in v7; never lowered here)
/ip firewall connection tracking
set udp-timeout=90s udp-stream-timeout=3m

