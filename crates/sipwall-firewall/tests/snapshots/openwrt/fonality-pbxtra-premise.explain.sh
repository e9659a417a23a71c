#!/bin/sh
# sipwall rules: profile fonality-pbxtra-premise (Fonality PBXtra (premise-based server)),
#   OpenWrt (fw4, UCI)
#
# Documents the sources below cite:
#   seed: Fonality PBXtra: port forwarding and VoIP traffic (hosted and premise-based servers)
#     (shared/seeds/004_015e8008060435a0.txt)
#
# Not (fully) expressed by OpenWrt (fw4, UCI), do it elsewhere:
# - forward-default: the profile wants other forwarded traffic dropped; OpenWrt's default
#   `config forwarding` lan -> wan accepts all LAN traffic, so the outbound rules below narrow
#   nothing while it exists. Delete that forwarding only if this router carries nothing but VoIP
#   (not done here)
# - source-nat: source NAT is the WAN zone's `option masq '1'` (OpenWrt's default; check with
#   `uci show firewall | grep masq`); fw4 masquerade keeps the inside port when it is free
# - udp-timeout-global: UCI has no per-port conntrack timeout: /etc/sysctl.d/90-sipwall.conf
#   raises the global UDP timeouts to 90 s unreplied / 180 s stream for all UDP, not only the
#   profile's ports (more conntrack entries kept longer; never below OpenWrt's 60/180)
# - brute-force: fw4 has no per-source rate limit with a ban (its `limit` option is one rate for
#   all sources, which would drop legitimate calls): not rendered; keep the PBX's
#   failed-authentication ban or fail2ban on
#
# Zones: WAN zone "wan", LAN zone "lan". Run as root on the router: sh FILE. Every section is
#   named sipwall_*; the script first deletes all sipwall_* sections, so running it again
#   replaces the last run and touches nothing else. Uncommitted uci changes of your own are
#   committed with it: check `uci changes firewall` first.

set -e
for s in $(uci -q show firewall | sed -n 's/^firewall\.\(sipwall_[A-Za-z0-9_]*\)=.*/\1/p'); do uci delete "firewall.$s"; done

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
# SIP ALG off: fw4 attaches the sip helper (udp/5060) to every zone with auto_helper (default
#   on) and no masquerading when kmod-nf-nathelper-extra is installed; auto_helper 0 in the
#   defaults section turns it off in every zone (research §3.10; openwrt/firewall4 fw4.uc). A
#   zone with an explicit `list helper 'sip'` still gets it: check `uci show firewall | grep
#   helper`. To be sure, `opkg remove kmod-nf-nathelper-extra` (also removes the other helpers).
#   SIP ports of this profile: udp/5060 tcp/5060.
uci set firewall.@defaults[0].auto_helper='0'

# hygiene: ports never forwarded or opened from the WAN (to the LAN and the router)
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
uci set firewall.sipwall_never_forward_tcp_21=rule
uci set firewall.sipwall_never_forward_tcp_21.name='sipwall: never forward ftp 21'
uci set firewall.sipwall_never_forward_tcp_21.src='wan'
uci set firewall.sipwall_never_forward_tcp_21.dest='*'
uci set firewall.sipwall_never_forward_tcp_21.proto='tcp'
uci add_list firewall.sipwall_never_forward_tcp_21.dest_port='21'
uci set firewall.sipwall_never_forward_tcp_21.target='DROP'
uci set firewall.sipwall_never_open_tcp_21=rule
uci set firewall.sipwall_never_open_tcp_21.name='sipwall: never open ftp 21'
uci set firewall.sipwall_never_open_tcp_21.src='wan'
uci set firewall.sipwall_never_open_tcp_21.proto='tcp'
uci add_list firewall.sipwall_never_open_tcp_21.dest_port='21'
uci set firewall.sipwall_never_open_tcp_21.target='DROP'
# never forward tcp/22 (ssh)
#   requirement: security.never_forward[22]
#     source: seed § Inbound ports that must not allow unsolicited inbound connections —
#       "Don't forward: 22 SSH."
#     source: seed § Security considerations — "If port 22 is forwarded to the PBX without IP
#       restrictions, it will be subjected to thousands of brute-force username/password
#       combination attacks per second."
#     source: seed § Security considerations — "but it should not be exposed in any case."
uci set firewall.sipwall_never_forward_tcp_22=rule
uci set firewall.sipwall_never_forward_tcp_22.name='sipwall: never forward ssh 22'
uci set firewall.sipwall_never_forward_tcp_22.src='wan'
uci set firewall.sipwall_never_forward_tcp_22.dest='*'
uci set firewall.sipwall_never_forward_tcp_22.proto='tcp'
uci add_list firewall.sipwall_never_forward_tcp_22.dest_port='22'
uci set firewall.sipwall_never_forward_tcp_22.target='DROP'
uci set firewall.sipwall_never_open_tcp_22=rule
uci set firewall.sipwall_never_open_tcp_22.name='sipwall: never open ssh 22'
uci set firewall.sipwall_never_open_tcp_22.src='wan'
uci set firewall.sipwall_never_open_tcp_22.proto='tcp'
uci add_list firewall.sipwall_never_open_tcp_22.dest_port='22'
uci set firewall.sipwall_never_open_tcp_22.target='DROP'
# never forward udp/69 (tftp)
#   requirement: security.never_forward[69]
#     source: seed § Inbound ports that must not allow unsolicited inbound connections —
#       "Don't forward: 69 TFTP."
#     source: seed § Inbound ports that must not allow unsolicited inbound connections — "Or
#       at worst, they should be restricted to a very narrow range of IP addresses (use
#       whitelists)."
#     source: seed § Security considerations — "Likewise, ports 21 (FTP), 69 (TFTP), and 80
#       (HTTP) should not be forwarded inbound."
uci set firewall.sipwall_never_forward_udp_69=rule
uci set firewall.sipwall_never_forward_udp_69.name='sipwall: never forward tftp 69'
uci set firewall.sipwall_never_forward_udp_69.src='wan'
uci set firewall.sipwall_never_forward_udp_69.dest='*'
uci set firewall.sipwall_never_forward_udp_69.proto='udp'
uci add_list firewall.sipwall_never_forward_udp_69.dest_port='69'
uci set firewall.sipwall_never_forward_udp_69.target='DROP'
uci set firewall.sipwall_never_open_udp_69=rule
uci set firewall.sipwall_never_open_udp_69.name='sipwall: never open tftp 69'
uci set firewall.sipwall_never_open_udp_69.src='wan'
uci set firewall.sipwall_never_open_udp_69.proto='udp'
uci add_list firewall.sipwall_never_open_udp_69.dest_port='69'
uci set firewall.sipwall_never_open_udp_69.target='DROP'
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
uci set firewall.sipwall_never_forward_tcp_80=rule
uci set firewall.sipwall_never_forward_tcp_80.name='sipwall: never forward http 80'
uci set firewall.sipwall_never_forward_tcp_80.src='wan'
uci set firewall.sipwall_never_forward_tcp_80.dest='*'
uci set firewall.sipwall_never_forward_tcp_80.proto='tcp'
uci add_list firewall.sipwall_never_forward_tcp_80.dest_port='80'
uci set firewall.sipwall_never_forward_tcp_80.target='DROP'
uci set firewall.sipwall_never_open_tcp_80=rule
uci set firewall.sipwall_never_open_tcp_80.name='sipwall: never open http 80'
uci set firewall.sipwall_never_open_tcp_80.src='wan'
uci set firewall.sipwall_never_open_tcp_80.proto='tcp'
uci add_list firewall.sipwall_never_open_tcp_80.dest_port='80'
uci set firewall.sipwall_never_open_tcp_80.target='DROP'
# never forward udp/53 (dns)
#   requirement: security.never_forward[53]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
uci set firewall.sipwall_never_forward_udp_53=rule
uci set firewall.sipwall_never_forward_udp_53.name='sipwall: never forward dns 53'
uci set firewall.sipwall_never_forward_udp_53.src='wan'
uci set firewall.sipwall_never_forward_udp_53.dest='*'
uci set firewall.sipwall_never_forward_udp_53.proto='udp'
uci add_list firewall.sipwall_never_forward_udp_53.dest_port='53'
uci set firewall.sipwall_never_forward_udp_53.target='DROP'
uci set firewall.sipwall_never_open_udp_53=rule
uci set firewall.sipwall_never_open_udp_53.name='sipwall: never open dns 53'
uci set firewall.sipwall_never_open_udp_53.src='wan'
uci set firewall.sipwall_never_open_udp_53.proto='udp'
uci add_list firewall.sipwall_never_open_udp_53.dest_port='53'
uci set firewall.sipwall_never_open_udp_53.target='DROP'
# never forward tcp/53 (dns)
#   requirement: security.never_forward[53]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
uci set firewall.sipwall_never_forward_tcp_53=rule
uci set firewall.sipwall_never_forward_tcp_53.name='sipwall: never forward dns 53'
uci set firewall.sipwall_never_forward_tcp_53.src='wan'
uci set firewall.sipwall_never_forward_tcp_53.dest='*'
uci set firewall.sipwall_never_forward_tcp_53.proto='tcp'
uci add_list firewall.sipwall_never_forward_tcp_53.dest_port='53'
uci set firewall.sipwall_never_forward_tcp_53.target='DROP'
uci set firewall.sipwall_never_open_tcp_53=rule
uci set firewall.sipwall_never_open_tcp_53.name='sipwall: never open dns 53'
uci set firewall.sipwall_never_open_tcp_53.src='wan'
uci set firewall.sipwall_never_open_tcp_53.proto='tcp'
uci add_list firewall.sipwall_never_open_tcp_53.dest_port='53'
uci set firewall.sipwall_never_open_tcp_53.target='DROP'
# never forward udp/123 (ntp)
#   requirement: security.never_forward[123]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
uci set firewall.sipwall_never_forward_udp_123=rule
uci set firewall.sipwall_never_forward_udp_123.name='sipwall: never forward ntp 123'
uci set firewall.sipwall_never_forward_udp_123.src='wan'
uci set firewall.sipwall_never_forward_udp_123.dest='*'
uci set firewall.sipwall_never_forward_udp_123.proto='udp'
uci add_list firewall.sipwall_never_forward_udp_123.dest_port='123'
uci set firewall.sipwall_never_forward_udp_123.target='DROP'
uci set firewall.sipwall_never_open_udp_123=rule
uci set firewall.sipwall_never_open_udp_123.name='sipwall: never open ntp 123'
uci set firewall.sipwall_never_open_udp_123.src='wan'
uci set firewall.sipwall_never_open_udp_123.proto='udp'
uci add_list firewall.sipwall_never_open_udp_123.dest_port='123'
uci set firewall.sipwall_never_open_udp_123.target='DROP'
# never forward tcp/8000 (vpn-tunnel)
#   requirement: security.never_forward[8000]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
uci set firewall.sipwall_never_forward_tcp_8000=rule
uci set firewall.sipwall_never_forward_tcp_8000.name='sipwall: never forward vpn-tunnel 8000'
uci set firewall.sipwall_never_forward_tcp_8000.src='wan'
uci set firewall.sipwall_never_forward_tcp_8000.dest='*'
uci set firewall.sipwall_never_forward_tcp_8000.proto='tcp'
uci add_list firewall.sipwall_never_forward_tcp_8000.dest_port='8000'
uci set firewall.sipwall_never_forward_tcp_8000.target='DROP'
uci set firewall.sipwall_never_open_tcp_8000=rule
uci set firewall.sipwall_never_open_tcp_8000.name='sipwall: never open vpn-tunnel 8000'
uci set firewall.sipwall_never_open_tcp_8000.src='wan'
uci set firewall.sipwall_never_open_tcp_8000.proto='tcp'
uci add_list firewall.sipwall_never_open_tcp_8000.dest_port='8000'
uci set firewall.sipwall_never_open_tcp_8000.target='DROP'
# never forward tcp/8080 (http)
#   requirement: security.never_forward[8080]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "Do not forward these ports*, but
#       traffic should be allowed outbound (originating from the PBX) for:"
uci set firewall.sipwall_never_forward_tcp_8080=rule
uci set firewall.sipwall_never_forward_tcp_8080.name='sipwall: never forward http 8080'
uci set firewall.sipwall_never_forward_tcp_8080.src='wan'
uci set firewall.sipwall_never_forward_tcp_8080.dest='*'
uci set firewall.sipwall_never_forward_tcp_8080.proto='tcp'
uci add_list firewall.sipwall_never_forward_tcp_8080.dest_port='8080'
uci set firewall.sipwall_never_forward_tcp_8080.target='DROP'
uci set firewall.sipwall_never_open_tcp_8080=rule
uci set firewall.sipwall_never_open_tcp_8080.name='sipwall: never open http 8080'
uci set firewall.sipwall_never_open_tcp_8080.src='wan'
uci set firewall.sipwall_never_open_tcp_8080.proto='tcp'
uci add_list firewall.sipwall_never_open_tcp_8080.dest_port='8080'
uci set firewall.sipwall_never_open_tcp_8080.target='DROP'

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
uci set firewall.sipwall_sip_inbound_in_udp_whitelisted=rule
uci set firewall.sipwall_sip_inbound_in_udp_whitelisted.name='sipwall: sip-inbound-in-udp-whitelisted'
uci set firewall.sipwall_sip_inbound_in_udp_whitelisted.src='wan'
uci set firewall.sipwall_sip_inbound_in_udp_whitelisted.dest='lan'
uci set firewall.sipwall_sip_inbound_in_udp_whitelisted.proto='udp'
uci add_list firewall.sipwall_sip_inbound_in_udp_whitelisted.src_ip='203.0.113.0/24'
uci add_list firewall.sipwall_sip_inbound_in_udp_whitelisted.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_sip_inbound_in_udp_whitelisted.dest_port='5060'
uci set firewall.sipwall_sip_inbound_in_udp_whitelisted.target='ACCEPT'
# sip-inbound-in-tcp (inbound)
#   requirement: flows[sip-inbound]
#     source: seed § Premise-based servers — "5060 UDP - SIP registration, used by remote
#       phones and VoIP carriers."
#     source: seed § Premise-based servers — "5060 TCP & UDP - SIP for HUDweb and HUDmobile
#       softphones."
#     source: seed § Premise-based servers — "For remote phones, remote HUD, and VoIP
#       providers to work, these ports must be forwarded inbound to the PBX."
uci set firewall.sipwall_sip_inbound_in_tcp=rule
uci set firewall.sipwall_sip_inbound_in_tcp.name='sipwall: sip-inbound-in-tcp'
uci set firewall.sipwall_sip_inbound_in_tcp.src='wan'
uci set firewall.sipwall_sip_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_sip_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_sip_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_sip_inbound_in_tcp.dest_port='5060'
uci set firewall.sipwall_sip_inbound_in_tcp.target='ACCEPT'
# rtp-inbound-in-udp (inbound)
#   requirement: flows[rtp-inbound]
#     source: seed § Premise-based servers — "10000-20000 UDP - RTP voice traffic."
#     source: seed § Premise-based servers — "(audio travels over a randomly selected pair of
#       ports in this range)"
uci set firewall.sipwall_rtp_inbound_in_udp=rule
uci set firewall.sipwall_rtp_inbound_in_udp.name='sipwall: rtp-inbound-in-udp'
uci set firewall.sipwall_rtp_inbound_in_udp.src='wan'
uci set firewall.sipwall_rtp_inbound_in_udp.dest='lan'
uci set firewall.sipwall_rtp_inbound_in_udp.proto='udp'
uci add_list firewall.sipwall_rtp_inbound_in_udp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_rtp_inbound_in_udp.dest_port='10000-20000'
uci set firewall.sipwall_rtp_inbound_in_udp.target='ACCEPT'
# hud-inbound-in-tcp (inbound)
#   requirement: flows[hud-inbound]
#     source: seed § Premise-based servers — "5222 TCP - HUD, used by remote HUD3 clients,
#       HUDweb, and HUDMobile."
uci set firewall.sipwall_hud_inbound_in_tcp=rule
uci set firewall.sipwall_hud_inbound_in_tcp.name='sipwall: hud-inbound-in-tcp'
uci set firewall.sipwall_hud_inbound_in_tcp.src='wan'
uci set firewall.sipwall_hud_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_hud_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_hud_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_hud_inbound_in_tcp.dest_port='5222'
uci set firewall.sipwall_hud_inbound_in_tcp.target='ACCEPT'
# hud-server-inbound-in-tcp (inbound, optional)
#   requirement: flows[hud-server-inbound]
#     source: seed § Premise-based servers — "(5269 TCP is additionally used for external
#       chat contacts and linked servers)"
uci set firewall.sipwall_hud_server_inbound_in_tcp=rule
uci set firewall.sipwall_hud_server_inbound_in_tcp.name='sipwall: hud-server-inbound-in-tcp'
uci set firewall.sipwall_hud_server_inbound_in_tcp.src='wan'
uci set firewall.sipwall_hud_server_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_hud_server_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_hud_server_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_hud_server_inbound_in_tcp.dest_port='5269'
uci set firewall.sipwall_hud_server_inbound_in_tcp.target='ACCEPT'
# iax2-inbound-in-udp (inbound, optional)
#   requirement: flows[iax2-inbound]
#     source: seed § Premise-based servers — "4569 UDP - IAX2 registration and audio, for
#       linked servers."
#     source: seed § Premise-based servers — "Unless, of course, you know that you don't use
#       linked servers (skip port 4569 if so)."
uci set firewall.sipwall_iax2_inbound_in_udp=rule
uci set firewall.sipwall_iax2_inbound_in_udp.name='sipwall: iax2-inbound-in-udp'
uci set firewall.sipwall_iax2_inbound_in_udp.src='wan'
uci set firewall.sipwall_iax2_inbound_in_udp.dest='lan'
uci set firewall.sipwall_iax2_inbound_in_udp.proto='udp'
uci add_list firewall.sipwall_iax2_inbound_in_udp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_iax2_inbound_in_udp.dest_port='4569'
uci set firewall.sipwall_iax2_inbound_in_udp.target='ACCEPT'
# hudmobile-audio-inbound-in-udp (inbound, optional)
#   requirement: flows[hudmobile-audio-inbound]
#     source: seed § Premise-based servers — "4000-4031 TCP & UDP - only if you have
#       HUDMobile."
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp=rule
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp.name='sipwall: hudmobile-audio-inbound-in-udp'
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp.src='wan'
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp.dest='lan'
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp.proto='udp'
uci add_list firewall.sipwall_hudmobile_audio_inbound_in_udp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_hudmobile_audio_inbound_in_udp.dest_port='4000-4031'
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp.target='ACCEPT'
# hudmobile-audio-inbound-in-tcp (inbound, optional)
#   requirement: flows[hudmobile-audio-inbound]
#     source: seed § Premise-based servers — "4000-4031 TCP & UDP - only if you have
#       HUDMobile."
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp=rule
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp.name='sipwall: hudmobile-audio-inbound-in-tcp'
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp.src='wan'
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_hudmobile_audio_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_hudmobile_audio_inbound_in_tcp.dest_port='4000-4031'
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp.target='ACCEPT'
# https-inbound-in-tcp (inbound, optional)
#   requirement: flows[https-inbound]
#     source: seed § Premise-based servers — "443 TCP - Don't forward by default, but if
#       HUDmobile is not connecting, try forwarding this."
#     source: seed § ALLOW OUTBOUND (on-site servers): — "*-With the exception of 443, which
#       may be required for remote HUDmobile users - if you use HUDmobile."
uci set firewall.sipwall_https_inbound_in_tcp=rule
uci set firewall.sipwall_https_inbound_in_tcp.name='sipwall: https-inbound-in-tcp'
uci set firewall.sipwall_https_inbound_in_tcp.src='wan'
uci set firewall.sipwall_https_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_https_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_https_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_https_inbound_in_tcp.dest_port='443'
uci set firewall.sipwall_https_inbound_in_tcp.target='ACCEPT'
# screen-sharing-inbound-in-tcp (inbound, optional)
#   requirement: flows[screen-sharing-inbound]
#     source: seed § Premise-based servers — "8997 TCP - only if you have HUD Desktop screen
#       sharing. (legacy)"
uci set firewall.sipwall_screen_sharing_inbound_in_tcp=rule
uci set firewall.sipwall_screen_sharing_inbound_in_tcp.name='sipwall: screen-sharing-inbound-in-tcp'
uci set firewall.sipwall_screen_sharing_inbound_in_tcp.src='wan'
uci set firewall.sipwall_screen_sharing_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_screen_sharing_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_screen_sharing_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_screen_sharing_inbound_in_tcp.dest_port='8997'
uci set firewall.sipwall_screen_sharing_inbound_in_tcp.target='ACCEPT'
# ftp-out-tcp (outbound)
#   requirement: flows[ftp]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "21 TCP - FTP for phone config
#       downloads (and server updates, if premise-based)."
#     source: seed § Inbound ports that must not allow unsolicited inbound connections —
#       "(but don't block outbound access to remote FTP servers)"
uci set firewall.sipwall_ftp_out_tcp=rule
uci set firewall.sipwall_ftp_out_tcp.name='sipwall: ftp-out-tcp'
uci set firewall.sipwall_ftp_out_tcp.src='lan'
uci set firewall.sipwall_ftp_out_tcp.dest='wan'
uci set firewall.sipwall_ftp_out_tcp.proto='tcp'
uci add_list firewall.sipwall_ftp_out_tcp.dest_port='21'
uci set firewall.sipwall_ftp_out_tcp.target='ACCEPT'
# dns-out-udp (outbound)
#   requirement: flows[dns]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "53 TCP/UDP - DNS, or Domain Name
#       Service. Used for resolving hostnames such as "vpn1.fonality.com"."
uci set firewall.sipwall_dns_out_udp=rule
uci set firewall.sipwall_dns_out_udp.name='sipwall: dns-out-udp'
uci set firewall.sipwall_dns_out_udp.src='lan'
uci set firewall.sipwall_dns_out_udp.dest='wan'
uci set firewall.sipwall_dns_out_udp.proto='udp'
uci add_list firewall.sipwall_dns_out_udp.dest_port='53'
uci set firewall.sipwall_dns_out_udp.target='ACCEPT'
# dns-out-tcp (outbound)
#   requirement: flows[dns]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "53 TCP/UDP - DNS, or Domain Name
#       Service. Used for resolving hostnames such as "vpn1.fonality.com"."
uci set firewall.sipwall_dns_out_tcp=rule
uci set firewall.sipwall_dns_out_tcp.name='sipwall: dns-out-tcp'
uci set firewall.sipwall_dns_out_tcp.src='lan'
uci set firewall.sipwall_dns_out_tcp.dest='wan'
uci set firewall.sipwall_dns_out_tcp.proto='tcp'
uci add_list firewall.sipwall_dns_out_tcp.dest_port='53'
uci set firewall.sipwall_dns_out_tcp.target='ACCEPT'
# web-out-tcp (outbound)
#   requirement: flows[web]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "80 & 8080 TCP - HTTP. Required for
#       the PBXtra to determine its public IP address, and download updates/patches."
#     source: seed § Hosted / remote customers — "80 & 8080 TCP - web admin panel, and
#       certain HUD config functions."
uci set firewall.sipwall_web_out_tcp=rule
uci set firewall.sipwall_web_out_tcp.name='sipwall: web-out-tcp'
uci set firewall.sipwall_web_out_tcp.src='lan'
uci set firewall.sipwall_web_out_tcp.dest='wan'
uci set firewall.sipwall_web_out_tcp.proto='tcp'
uci add_list firewall.sipwall_web_out_tcp.dest_port='80'
uci add_list firewall.sipwall_web_out_tcp.dest_port='8080'
uci set firewall.sipwall_web_out_tcp.target='ACCEPT'
# ntp-out-udp (outbound)
#   requirement: flows[ntp]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "123 UDP - NTP, or Network Time
#       Protocol. Used for time and date settings."
#     source: seed § Hosted / remote customers — "123 UDP - time for deskphones."
uci set firewall.sipwall_ntp_out_udp=rule
uci set firewall.sipwall_ntp_out_udp.name='sipwall: ntp-out-udp'
uci set firewall.sipwall_ntp_out_udp.src='lan'
uci set firewall.sipwall_ntp_out_udp.dest='wan'
uci set firewall.sipwall_ntp_out_udp.proto='udp'
uci add_list firewall.sipwall_ntp_out_udp.dest_port='123'
uci set firewall.sipwall_ntp_out_udp.target='ACCEPT'
# https-out-tcp (outbound)
#   requirement: flows[https]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "443 TCP - HTTPS. HUD clients also
#       use this when first setting up their username."
#     source: seed § Hosted / remote customers — "443 TCP - HUD authentication."
uci set firewall.sipwall_https_out_tcp=rule
uci set firewall.sipwall_https_out_tcp.name='sipwall: https-out-tcp'
uci set firewall.sipwall_https_out_tcp.src='lan'
uci set firewall.sipwall_https_out_tcp.dest='wan'
uci set firewall.sipwall_https_out_tcp.proto='tcp'
uci add_list firewall.sipwall_https_out_tcp.dest_port='443'
uci set firewall.sipwall_https_out_tcp.target='ACCEPT'
# vpn-tunnel-out-tcp (outbound)
#   requirement: flows[vpn-tunnel]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "8000 TCP - VPN tunnel. Required by
#       the Web Admin Panel - the PBX establishes a couple of SSH VPN tunnels back to the
#       Fonality datacenter on this port."
#     source: seed § ALLOW OUTBOUND (on-site servers): — "(some larger firewalls block
#       outbound traffic on TCP port 8000 unless you add an exception.)"
uci set firewall.sipwall_vpn_tunnel_out_tcp=rule
uci set firewall.sipwall_vpn_tunnel_out_tcp.name='sipwall: vpn-tunnel-out-tcp'
uci set firewall.sipwall_vpn_tunnel_out_tcp.src='lan'
uci set firewall.sipwall_vpn_tunnel_out_tcp.dest='wan'
uci set firewall.sipwall_vpn_tunnel_out_tcp.proto='tcp'
uci add_list firewall.sipwall_vpn_tunnel_out_tcp.dest_port='8000'
uci set firewall.sipwall_vpn_tunnel_out_tcp.target='ACCEPT'
# sip-outbound-out-udp (outbound)
#   requirement: flows[sip-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "5060 UDP - call setup and teardown for desk
#       phones."
#     source: seed § Hosted / remote customers — "5060 TCP & UDP - call setup and teardown
#       for HUDweb and HUDmobile softphones."
uci set firewall.sipwall_sip_outbound_out_udp=rule
uci set firewall.sipwall_sip_outbound_out_udp.name='sipwall: sip-outbound-out-udp'
uci set firewall.sipwall_sip_outbound_out_udp.src='lan'
uci set firewall.sipwall_sip_outbound_out_udp.dest='wan'
uci set firewall.sipwall_sip_outbound_out_udp.proto='udp'
uci add_list firewall.sipwall_sip_outbound_out_udp.dest_port='5060'
uci set firewall.sipwall_sip_outbound_out_udp.target='ACCEPT'
# sip-outbound-out-tcp (outbound)
#   requirement: flows[sip-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "5060 UDP - call setup and teardown for desk
#       phones."
#     source: seed § Hosted / remote customers — "5060 TCP & UDP - call setup and teardown
#       for HUDweb and HUDmobile softphones."
uci set firewall.sipwall_sip_outbound_out_tcp=rule
uci set firewall.sipwall_sip_outbound_out_tcp.name='sipwall: sip-outbound-out-tcp'
uci set firewall.sipwall_sip_outbound_out_tcp.src='lan'
uci set firewall.sipwall_sip_outbound_out_tcp.dest='wan'
uci set firewall.sipwall_sip_outbound_out_tcp.proto='tcp'
uci add_list firewall.sipwall_sip_outbound_out_tcp.dest_port='5060'
uci set firewall.sipwall_sip_outbound_out_tcp.target='ACCEPT'
# rtp-outbound-out-udp (outbound)
#   requirement: flows[rtp-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "10000-20000 UDP - RTP voice traffic."
uci set firewall.sipwall_rtp_outbound_out_udp=rule
uci set firewall.sipwall_rtp_outbound_out_udp.name='sipwall: rtp-outbound-out-udp'
uci set firewall.sipwall_rtp_outbound_out_udp.src='lan'
uci set firewall.sipwall_rtp_outbound_out_udp.dest='wan'
uci set firewall.sipwall_rtp_outbound_out_udp.proto='udp'
uci add_list firewall.sipwall_rtp_outbound_out_udp.dest_port='10000-20000'
uci set firewall.sipwall_rtp_outbound_out_udp.target='ACCEPT'
# hud-outbound-out-tcp (outbound, optional)
#   requirement: flows[hud-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "5222 TCP - HUD status and control."
uci set firewall.sipwall_hud_outbound_out_tcp=rule
uci set firewall.sipwall_hud_outbound_out_tcp.name='sipwall: hud-outbound-out-tcp'
uci set firewall.sipwall_hud_outbound_out_tcp.src='lan'
uci set firewall.sipwall_hud_outbound_out_tcp.dest='wan'
uci set firewall.sipwall_hud_outbound_out_tcp.proto='tcp'
uci add_list firewall.sipwall_hud_outbound_out_tcp.dest_port='5222'
uci set firewall.sipwall_hud_outbound_out_tcp.target='ACCEPT'
# hud-external-chat-outbound-out-tcp (outbound, optional)
#   requirement: flows[hud-external-chat-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "5269 TCP - (optional) HUD external chat
#       contacts such as Jabber and Google Chat."
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp=rule
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp.name='sipwall: hud-external-chat-outbound-out-tcp'
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp.src='lan'
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp.dest='wan'
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp.proto='tcp'
uci add_list firewall.sipwall_hud_external_chat_outbound_out_tcp.dest_port='5269'
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp.target='ACCEPT'
# hudmobile-audio-outbound-out-udp (outbound, optional)
#   requirement: flows[hudmobile-audio-outbound]
#     source: seed § ALLOW OUTBOUND (on-site servers): — "The PBX connects outbound on the
#       following ports, in addition to the above."
#     source: seed § Hosted / remote customers — "4000-4031 UDP - audio for HUDmobile.
#       (pending)"
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp=rule
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp.name='sipwall: hudmobile-audio-outbound-out-udp'
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp.src='lan'
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp.dest='wan'
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp.proto='udp'
uci add_list firewall.sipwall_hudmobile_audio_outbound_out_udp.dest_port='4000-4031'
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp.target='ACCEPT'

# hygiene: whitelisted ports are closed to every other source (after the allow rules above; the
#   port forwards below are restricted to the same sources)
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
uci set firewall.sipwall_whitelist_forward_udp=rule
uci set firewall.sipwall_whitelist_forward_udp.name='sipwall: source whitelist'
uci set firewall.sipwall_whitelist_forward_udp.src='wan'
uci set firewall.sipwall_whitelist_forward_udp.dest='*'
uci set firewall.sipwall_whitelist_forward_udp.proto='udp'
uci add_list firewall.sipwall_whitelist_forward_udp.dest_port='5060'
uci set firewall.sipwall_whitelist_forward_udp.target='DROP'
uci set firewall.sipwall_whitelist_input_udp=rule
uci set firewall.sipwall_whitelist_input_udp.name='sipwall: source whitelist'
uci set firewall.sipwall_whitelist_input_udp.src='wan'
uci set firewall.sipwall_whitelist_input_udp.proto='udp'
uci add_list firewall.sipwall_whitelist_input_udp.dest_port='5060'
uci set firewall.sipwall_whitelist_input_udp.target='DROP'

# no DMZ / exposed host
#   requirement: security.no_dmz
#     source: seed § Security considerations — "Avoid placing the PBX in a DMZ."
#     source: seed § Security considerations — "We do not recommend placing the PBX, a phone,
#       or any server in a de-militarized zone, as a DMZ exposes all running services on it to
#       potential attack."
#     source: seed § Security considerations — "It's sometimes useful for troubleshooting
#       phone registration issues, but should not be used in a production environment."
# no DMZ host: only the ports listed below are forwarded (the inside port is the outside port).
# port forward sip-inbound-udp to 192.168.1.10
#   requirement: flows[sip-inbound]
#     source: seed § Premise-based servers — "5060 UDP - SIP registration, used by remote
#       phones and VoIP carriers."
#     source: seed § Premise-based servers — "5060 TCP & UDP - SIP for HUDweb and HUDmobile
#       softphones."
#     source: seed § Premise-based servers — "For remote phones, remote HUD, and VoIP
#       providers to work, these ports must be forwarded inbound to the PBX."
uci set firewall.sipwall_fwd_sip_inbound_udp=redirect
uci set firewall.sipwall_fwd_sip_inbound_udp.name='sipwall: sip-inbound-udp from 203.0.113.0/24'
uci set firewall.sipwall_fwd_sip_inbound_udp.src='wan'
uci set firewall.sipwall_fwd_sip_inbound_udp.dest='lan'
uci set firewall.sipwall_fwd_sip_inbound_udp.proto='udp'
uci set firewall.sipwall_fwd_sip_inbound_udp.src_ip='203.0.113.0/24'
uci set firewall.sipwall_fwd_sip_inbound_udp.src_dport='5060'
uci set firewall.sipwall_fwd_sip_inbound_udp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_sip_inbound_udp.target='DNAT'
# port forward sip-inbound-tcp to 192.168.1.10
#   requirement: flows[sip-inbound]
#     source: seed § Premise-based servers — "5060 UDP - SIP registration, used by remote
#       phones and VoIP carriers."
#     source: seed § Premise-based servers — "5060 TCP & UDP - SIP for HUDweb and HUDmobile
#       softphones."
#     source: seed § Premise-based servers — "For remote phones, remote HUD, and VoIP
#       providers to work, these ports must be forwarded inbound to the PBX."
uci set firewall.sipwall_fwd_sip_inbound_tcp=redirect
uci set firewall.sipwall_fwd_sip_inbound_tcp.name='sipwall: sip-inbound-tcp'
uci set firewall.sipwall_fwd_sip_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_sip_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_sip_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_sip_inbound_tcp.src_dport='5060'
uci set firewall.sipwall_fwd_sip_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_sip_inbound_tcp.target='DNAT'
# port forward rtp-inbound-udp to 192.168.1.10
#   requirement: flows[rtp-inbound]
#     source: seed § Premise-based servers — "10000-20000 UDP - RTP voice traffic."
#     source: seed § Premise-based servers — "(audio travels over a randomly selected pair of
#       ports in this range)"
uci set firewall.sipwall_fwd_rtp_inbound_udp=redirect
uci set firewall.sipwall_fwd_rtp_inbound_udp.name='sipwall: rtp-inbound-udp'
uci set firewall.sipwall_fwd_rtp_inbound_udp.src='wan'
uci set firewall.sipwall_fwd_rtp_inbound_udp.dest='lan'
uci set firewall.sipwall_fwd_rtp_inbound_udp.proto='udp'
uci set firewall.sipwall_fwd_rtp_inbound_udp.src_dport='10000-20000'
uci set firewall.sipwall_fwd_rtp_inbound_udp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_rtp_inbound_udp.target='DNAT'
# port forward hud-inbound-tcp to 192.168.1.10
#   requirement: flows[hud-inbound]
#     source: seed § Premise-based servers — "5222 TCP - HUD, used by remote HUD3 clients,
#       HUDweb, and HUDMobile."
uci set firewall.sipwall_fwd_hud_inbound_tcp=redirect
uci set firewall.sipwall_fwd_hud_inbound_tcp.name='sipwall: hud-inbound-tcp'
uci set firewall.sipwall_fwd_hud_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_hud_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_hud_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_hud_inbound_tcp.src_dport='5222'
uci set firewall.sipwall_fwd_hud_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_hud_inbound_tcp.target='DNAT'
# port forward hud-server-inbound-tcp to 192.168.1.10
#   requirement: flows[hud-server-inbound]
#     source: seed § Premise-based servers — "(5269 TCP is additionally used for external
#       chat contacts and linked servers)"
uci set firewall.sipwall_fwd_hud_server_inbound_tcp=redirect
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.name='sipwall: hud-server-inbound-tcp'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.src_dport='5269'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.target='DNAT'
# port forward iax2-inbound-udp to 192.168.1.10
#   requirement: flows[iax2-inbound]
#     source: seed § Premise-based servers — "4569 UDP - IAX2 registration and audio, for
#       linked servers."
#     source: seed § Premise-based servers — "Unless, of course, you know that you don't use
#       linked servers (skip port 4569 if so)."
uci set firewall.sipwall_fwd_iax2_inbound_udp=redirect
uci set firewall.sipwall_fwd_iax2_inbound_udp.name='sipwall: iax2-inbound-udp'
uci set firewall.sipwall_fwd_iax2_inbound_udp.src='wan'
uci set firewall.sipwall_fwd_iax2_inbound_udp.dest='lan'
uci set firewall.sipwall_fwd_iax2_inbound_udp.proto='udp'
uci set firewall.sipwall_fwd_iax2_inbound_udp.src_dport='4569'
uci set firewall.sipwall_fwd_iax2_inbound_udp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_iax2_inbound_udp.target='DNAT'
# port forward hudmobile-audio-inbound-udp to 192.168.1.10
#   requirement: flows[hudmobile-audio-inbound]
#     source: seed § Premise-based servers — "4000-4031 TCP & UDP - only if you have
#       HUDMobile."
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp=redirect
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.name='sipwall: hudmobile-audio-inbound-udp'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.src='wan'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.dest='lan'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.proto='udp'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.src_dport='4000-4031'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.target='DNAT'
# port forward hudmobile-audio-inbound-tcp to 192.168.1.10
#   requirement: flows[hudmobile-audio-inbound]
#     source: seed § Premise-based servers — "4000-4031 TCP & UDP - only if you have
#       HUDMobile."
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp=redirect
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.name='sipwall: hudmobile-audio-inbound-tcp'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.src_dport='4000-4031'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.target='DNAT'
# port forward https-inbound-tcp to 192.168.1.10
#   requirement: flows[https-inbound]
#     source: seed § Premise-based servers — "443 TCP - Don't forward by default, but if
#       HUDmobile is not connecting, try forwarding this."
#     source: seed § ALLOW OUTBOUND (on-site servers): — "*-With the exception of 443, which
#       may be required for remote HUDmobile users - if you use HUDmobile."
uci set firewall.sipwall_fwd_https_inbound_tcp=redirect
uci set firewall.sipwall_fwd_https_inbound_tcp.name='sipwall: https-inbound-tcp'
uci set firewall.sipwall_fwd_https_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_https_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_https_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_https_inbound_tcp.src_dport='443'
uci set firewall.sipwall_fwd_https_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_https_inbound_tcp.target='DNAT'
# port forward screen-sharing-inbound-tcp to 192.168.1.10
#   requirement: flows[screen-sharing-inbound]
#     source: seed § Premise-based servers — "8997 TCP - only if you have HUD Desktop screen
#       sharing. (legacy)"
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp=redirect
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.name='sipwall: screen-sharing-inbound-tcp'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.src_dport='8997'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.target='DNAT'

# udp idle timeout 90 s (destination ports 4000-4031,4569,5060,10000-20000)
#   requirement: nat.binding_lifetime
#     source: seed § Tip 3: UDP Timeouts — "it may be necessary to raise UDP timeouts to 90
#       seconds to ensure that phones don't briefly become unreachable (which can happen if the
#       timeouts are at 30 seconds)."
#     source: seed § Tip 3: UDP Timeouts — "These may be found under Firewall: Access Rules
#       on some models, Advanced: Network, or Advanced: Conntrack/Netfilter on others"
# UDP timeouts: UCI has no per-port conntrack timeout, so the global sysctls are raised for all
#   UDP (OpenWrt defaults 60 / 180 s, openwrt/openwrt
#   package/kernel/linux/files/sysctl-nf-conntrack.conf; never lowered here).
#   /etc/sysctl.d/90-sipwall.conf is read after OpenWrt's own 11-nf-conntrack.conf at boot.
cat > /etc/sysctl.d/90-sipwall.conf <<'EOF'
net.netfilter.nf_conntrack_udp_timeout=90
net.netfilter.nf_conntrack_udp_timeout_stream=180
EOF
sysctl -p /etc/sysctl.d/90-sipwall.conf

uci commit firewall
service firewall reload
