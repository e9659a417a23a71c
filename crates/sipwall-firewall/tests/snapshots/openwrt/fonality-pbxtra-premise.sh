#!/bin/sh
# sipwall rules: profile fonality-pbxtra-premise (Fonality PBXtra (premise-based server)),
#   OpenWrt (fw4, UCI)
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

# SIP ALG off: fw4 attaches the sip helper (udp/5060) to every zone with auto_helper (default
#   on) and no masquerading when kmod-nf-nathelper-extra is installed; auto_helper 0 in the
#   defaults section turns it off in every zone (research §3.10; openwrt/firewall4 fw4.uc). A
#   zone with an explicit `list helper 'sip'` still gets it: check `uci show firewall | grep
#   helper`. To be sure, `opkg remove kmod-nf-nathelper-extra` (also removes the other helpers).
#   SIP ports of this profile: udp/5060 tcp/5060.
uci set firewall.@defaults[0].auto_helper='0'

# hygiene: ports never forwarded or opened from the WAN (to the LAN and the router)
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

uci set firewall.sipwall_sip_inbound_in_udp_whitelisted=rule
uci set firewall.sipwall_sip_inbound_in_udp_whitelisted.name='sipwall: sip-inbound-in-udp-whitelisted'
uci set firewall.sipwall_sip_inbound_in_udp_whitelisted.src='wan'
uci set firewall.sipwall_sip_inbound_in_udp_whitelisted.dest='lan'
uci set firewall.sipwall_sip_inbound_in_udp_whitelisted.proto='udp'
uci add_list firewall.sipwall_sip_inbound_in_udp_whitelisted.src_ip='203.0.113.0/24'
uci add_list firewall.sipwall_sip_inbound_in_udp_whitelisted.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_sip_inbound_in_udp_whitelisted.dest_port='5060'
uci set firewall.sipwall_sip_inbound_in_udp_whitelisted.target='ACCEPT'
uci set firewall.sipwall_sip_inbound_in_tcp=rule
uci set firewall.sipwall_sip_inbound_in_tcp.name='sipwall: sip-inbound-in-tcp'
uci set firewall.sipwall_sip_inbound_in_tcp.src='wan'
uci set firewall.sipwall_sip_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_sip_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_sip_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_sip_inbound_in_tcp.dest_port='5060'
uci set firewall.sipwall_sip_inbound_in_tcp.target='ACCEPT'
uci set firewall.sipwall_rtp_inbound_in_udp=rule
uci set firewall.sipwall_rtp_inbound_in_udp.name='sipwall: rtp-inbound-in-udp'
uci set firewall.sipwall_rtp_inbound_in_udp.src='wan'
uci set firewall.sipwall_rtp_inbound_in_udp.dest='lan'
uci set firewall.sipwall_rtp_inbound_in_udp.proto='udp'
uci add_list firewall.sipwall_rtp_inbound_in_udp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_rtp_inbound_in_udp.dest_port='10000-20000'
uci set firewall.sipwall_rtp_inbound_in_udp.target='ACCEPT'
uci set firewall.sipwall_hud_inbound_in_tcp=rule
uci set firewall.sipwall_hud_inbound_in_tcp.name='sipwall: hud-inbound-in-tcp'
uci set firewall.sipwall_hud_inbound_in_tcp.src='wan'
uci set firewall.sipwall_hud_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_hud_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_hud_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_hud_inbound_in_tcp.dest_port='5222'
uci set firewall.sipwall_hud_inbound_in_tcp.target='ACCEPT'
uci set firewall.sipwall_hud_server_inbound_in_tcp=rule
uci set firewall.sipwall_hud_server_inbound_in_tcp.name='sipwall: hud-server-inbound-in-tcp'
uci set firewall.sipwall_hud_server_inbound_in_tcp.src='wan'
uci set firewall.sipwall_hud_server_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_hud_server_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_hud_server_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_hud_server_inbound_in_tcp.dest_port='5269'
uci set firewall.sipwall_hud_server_inbound_in_tcp.target='ACCEPT'
uci set firewall.sipwall_iax2_inbound_in_udp=rule
uci set firewall.sipwall_iax2_inbound_in_udp.name='sipwall: iax2-inbound-in-udp'
uci set firewall.sipwall_iax2_inbound_in_udp.src='wan'
uci set firewall.sipwall_iax2_inbound_in_udp.dest='lan'
uci set firewall.sipwall_iax2_inbound_in_udp.proto='udp'
uci add_list firewall.sipwall_iax2_inbound_in_udp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_iax2_inbound_in_udp.dest_port='4569'
uci set firewall.sipwall_iax2_inbound_in_udp.target='ACCEPT'
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp=rule
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp.name='sipwall: hudmobile-audio-inbound-in-udp'
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp.src='wan'
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp.dest='lan'
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp.proto='udp'
uci add_list firewall.sipwall_hudmobile_audio_inbound_in_udp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_hudmobile_audio_inbound_in_udp.dest_port='4000-4031'
uci set firewall.sipwall_hudmobile_audio_inbound_in_udp.target='ACCEPT'
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp=rule
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp.name='sipwall: hudmobile-audio-inbound-in-tcp'
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp.src='wan'
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_hudmobile_audio_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_hudmobile_audio_inbound_in_tcp.dest_port='4000-4031'
uci set firewall.sipwall_hudmobile_audio_inbound_in_tcp.target='ACCEPT'
uci set firewall.sipwall_https_inbound_in_tcp=rule
uci set firewall.sipwall_https_inbound_in_tcp.name='sipwall: https-inbound-in-tcp'
uci set firewall.sipwall_https_inbound_in_tcp.src='wan'
uci set firewall.sipwall_https_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_https_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_https_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_https_inbound_in_tcp.dest_port='443'
uci set firewall.sipwall_https_inbound_in_tcp.target='ACCEPT'
uci set firewall.sipwall_screen_sharing_inbound_in_tcp=rule
uci set firewall.sipwall_screen_sharing_inbound_in_tcp.name='sipwall: screen-sharing-inbound-in-tcp'
uci set firewall.sipwall_screen_sharing_inbound_in_tcp.src='wan'
uci set firewall.sipwall_screen_sharing_inbound_in_tcp.dest='lan'
uci set firewall.sipwall_screen_sharing_inbound_in_tcp.proto='tcp'
uci add_list firewall.sipwall_screen_sharing_inbound_in_tcp.dest_ip='192.168.1.10'
uci add_list firewall.sipwall_screen_sharing_inbound_in_tcp.dest_port='8997'
uci set firewall.sipwall_screen_sharing_inbound_in_tcp.target='ACCEPT'
uci set firewall.sipwall_ftp_out_tcp=rule
uci set firewall.sipwall_ftp_out_tcp.name='sipwall: ftp-out-tcp'
uci set firewall.sipwall_ftp_out_tcp.src='lan'
uci set firewall.sipwall_ftp_out_tcp.dest='wan'
uci set firewall.sipwall_ftp_out_tcp.proto='tcp'
uci add_list firewall.sipwall_ftp_out_tcp.dest_port='21'
uci set firewall.sipwall_ftp_out_tcp.target='ACCEPT'
uci set firewall.sipwall_dns_out_udp=rule
uci set firewall.sipwall_dns_out_udp.name='sipwall: dns-out-udp'
uci set firewall.sipwall_dns_out_udp.src='lan'
uci set firewall.sipwall_dns_out_udp.dest='wan'
uci set firewall.sipwall_dns_out_udp.proto='udp'
uci add_list firewall.sipwall_dns_out_udp.dest_port='53'
uci set firewall.sipwall_dns_out_udp.target='ACCEPT'
uci set firewall.sipwall_dns_out_tcp=rule
uci set firewall.sipwall_dns_out_tcp.name='sipwall: dns-out-tcp'
uci set firewall.sipwall_dns_out_tcp.src='lan'
uci set firewall.sipwall_dns_out_tcp.dest='wan'
uci set firewall.sipwall_dns_out_tcp.proto='tcp'
uci add_list firewall.sipwall_dns_out_tcp.dest_port='53'
uci set firewall.sipwall_dns_out_tcp.target='ACCEPT'
uci set firewall.sipwall_web_out_tcp=rule
uci set firewall.sipwall_web_out_tcp.name='sipwall: web-out-tcp'
uci set firewall.sipwall_web_out_tcp.src='lan'
uci set firewall.sipwall_web_out_tcp.dest='wan'
uci set firewall.sipwall_web_out_tcp.proto='tcp'
uci add_list firewall.sipwall_web_out_tcp.dest_port='80'
uci add_list firewall.sipwall_web_out_tcp.dest_port='8080'
uci set firewall.sipwall_web_out_tcp.target='ACCEPT'
uci set firewall.sipwall_ntp_out_udp=rule
uci set firewall.sipwall_ntp_out_udp.name='sipwall: ntp-out-udp'
uci set firewall.sipwall_ntp_out_udp.src='lan'
uci set firewall.sipwall_ntp_out_udp.dest='wan'
uci set firewall.sipwall_ntp_out_udp.proto='udp'
uci add_list firewall.sipwall_ntp_out_udp.dest_port='123'
uci set firewall.sipwall_ntp_out_udp.target='ACCEPT'
uci set firewall.sipwall_https_out_tcp=rule
uci set firewall.sipwall_https_out_tcp.name='sipwall: https-out-tcp'
uci set firewall.sipwall_https_out_tcp.src='lan'
uci set firewall.sipwall_https_out_tcp.dest='wan'
uci set firewall.sipwall_https_out_tcp.proto='tcp'
uci add_list firewall.sipwall_https_out_tcp.dest_port='443'
uci set firewall.sipwall_https_out_tcp.target='ACCEPT'
uci set firewall.sipwall_vpn_tunnel_out_tcp=rule
uci set firewall.sipwall_vpn_tunnel_out_tcp.name='sipwall: vpn-tunnel-out-tcp'
uci set firewall.sipwall_vpn_tunnel_out_tcp.src='lan'
uci set firewall.sipwall_vpn_tunnel_out_tcp.dest='wan'
uci set firewall.sipwall_vpn_tunnel_out_tcp.proto='tcp'
uci add_list firewall.sipwall_vpn_tunnel_out_tcp.dest_port='8000'
uci set firewall.sipwall_vpn_tunnel_out_tcp.target='ACCEPT'
uci set firewall.sipwall_sip_outbound_out_udp=rule
uci set firewall.sipwall_sip_outbound_out_udp.name='sipwall: sip-outbound-out-udp'
uci set firewall.sipwall_sip_outbound_out_udp.src='lan'
uci set firewall.sipwall_sip_outbound_out_udp.dest='wan'
uci set firewall.sipwall_sip_outbound_out_udp.proto='udp'
uci add_list firewall.sipwall_sip_outbound_out_udp.dest_port='5060'
uci set firewall.sipwall_sip_outbound_out_udp.target='ACCEPT'
uci set firewall.sipwall_sip_outbound_out_tcp=rule
uci set firewall.sipwall_sip_outbound_out_tcp.name='sipwall: sip-outbound-out-tcp'
uci set firewall.sipwall_sip_outbound_out_tcp.src='lan'
uci set firewall.sipwall_sip_outbound_out_tcp.dest='wan'
uci set firewall.sipwall_sip_outbound_out_tcp.proto='tcp'
uci add_list firewall.sipwall_sip_outbound_out_tcp.dest_port='5060'
uci set firewall.sipwall_sip_outbound_out_tcp.target='ACCEPT'
uci set firewall.sipwall_rtp_outbound_out_udp=rule
uci set firewall.sipwall_rtp_outbound_out_udp.name='sipwall: rtp-outbound-out-udp'
uci set firewall.sipwall_rtp_outbound_out_udp.src='lan'
uci set firewall.sipwall_rtp_outbound_out_udp.dest='wan'
uci set firewall.sipwall_rtp_outbound_out_udp.proto='udp'
uci add_list firewall.sipwall_rtp_outbound_out_udp.dest_port='10000-20000'
uci set firewall.sipwall_rtp_outbound_out_udp.target='ACCEPT'
uci set firewall.sipwall_hud_outbound_out_tcp=rule
uci set firewall.sipwall_hud_outbound_out_tcp.name='sipwall: hud-outbound-out-tcp'
uci set firewall.sipwall_hud_outbound_out_tcp.src='lan'
uci set firewall.sipwall_hud_outbound_out_tcp.dest='wan'
uci set firewall.sipwall_hud_outbound_out_tcp.proto='tcp'
uci add_list firewall.sipwall_hud_outbound_out_tcp.dest_port='5222'
uci set firewall.sipwall_hud_outbound_out_tcp.target='ACCEPT'
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp=rule
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp.name='sipwall: hud-external-chat-outbound-out-tcp'
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp.src='lan'
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp.dest='wan'
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp.proto='tcp'
uci add_list firewall.sipwall_hud_external_chat_outbound_out_tcp.dest_port='5269'
uci set firewall.sipwall_hud_external_chat_outbound_out_tcp.target='ACCEPT'
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp=rule
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp.name='sipwall: hudmobile-audio-outbound-out-udp'
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp.src='lan'
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp.dest='wan'
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp.proto='udp'
uci add_list firewall.sipwall_hudmobile_audio_outbound_out_udp.dest_port='4000-4031'
uci set firewall.sipwall_hudmobile_audio_outbound_out_udp.target='ACCEPT'

# hygiene: whitelisted ports are closed to every other source (after the allow rules above; the
#   port forwards below are restricted to the same sources)
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

# no DMZ host: only the ports listed below are forwarded (the inside port is the outside port).
uci set firewall.sipwall_fwd_sip_inbound_udp=redirect
uci set firewall.sipwall_fwd_sip_inbound_udp.name='sipwall: sip-inbound-udp from 203.0.113.0/24'
uci set firewall.sipwall_fwd_sip_inbound_udp.src='wan'
uci set firewall.sipwall_fwd_sip_inbound_udp.dest='lan'
uci set firewall.sipwall_fwd_sip_inbound_udp.proto='udp'
uci set firewall.sipwall_fwd_sip_inbound_udp.src_ip='203.0.113.0/24'
uci set firewall.sipwall_fwd_sip_inbound_udp.src_dport='5060'
uci set firewall.sipwall_fwd_sip_inbound_udp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_sip_inbound_udp.target='DNAT'
uci set firewall.sipwall_fwd_sip_inbound_tcp=redirect
uci set firewall.sipwall_fwd_sip_inbound_tcp.name='sipwall: sip-inbound-tcp'
uci set firewall.sipwall_fwd_sip_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_sip_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_sip_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_sip_inbound_tcp.src_dport='5060'
uci set firewall.sipwall_fwd_sip_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_sip_inbound_tcp.target='DNAT'
uci set firewall.sipwall_fwd_rtp_inbound_udp=redirect
uci set firewall.sipwall_fwd_rtp_inbound_udp.name='sipwall: rtp-inbound-udp'
uci set firewall.sipwall_fwd_rtp_inbound_udp.src='wan'
uci set firewall.sipwall_fwd_rtp_inbound_udp.dest='lan'
uci set firewall.sipwall_fwd_rtp_inbound_udp.proto='udp'
uci set firewall.sipwall_fwd_rtp_inbound_udp.src_dport='10000-20000'
uci set firewall.sipwall_fwd_rtp_inbound_udp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_rtp_inbound_udp.target='DNAT'
uci set firewall.sipwall_fwd_hud_inbound_tcp=redirect
uci set firewall.sipwall_fwd_hud_inbound_tcp.name='sipwall: hud-inbound-tcp'
uci set firewall.sipwall_fwd_hud_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_hud_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_hud_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_hud_inbound_tcp.src_dport='5222'
uci set firewall.sipwall_fwd_hud_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_hud_inbound_tcp.target='DNAT'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp=redirect
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.name='sipwall: hud-server-inbound-tcp'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.src_dport='5269'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_hud_server_inbound_tcp.target='DNAT'
uci set firewall.sipwall_fwd_iax2_inbound_udp=redirect
uci set firewall.sipwall_fwd_iax2_inbound_udp.name='sipwall: iax2-inbound-udp'
uci set firewall.sipwall_fwd_iax2_inbound_udp.src='wan'
uci set firewall.sipwall_fwd_iax2_inbound_udp.dest='lan'
uci set firewall.sipwall_fwd_iax2_inbound_udp.proto='udp'
uci set firewall.sipwall_fwd_iax2_inbound_udp.src_dport='4569'
uci set firewall.sipwall_fwd_iax2_inbound_udp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_iax2_inbound_udp.target='DNAT'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp=redirect
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.name='sipwall: hudmobile-audio-inbound-udp'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.src='wan'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.dest='lan'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.proto='udp'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.src_dport='4000-4031'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_udp.target='DNAT'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp=redirect
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.name='sipwall: hudmobile-audio-inbound-tcp'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.src_dport='4000-4031'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_hudmobile_audio_inbound_tcp.target='DNAT'
uci set firewall.sipwall_fwd_https_inbound_tcp=redirect
uci set firewall.sipwall_fwd_https_inbound_tcp.name='sipwall: https-inbound-tcp'
uci set firewall.sipwall_fwd_https_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_https_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_https_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_https_inbound_tcp.src_dport='443'
uci set firewall.sipwall_fwd_https_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_https_inbound_tcp.target='DNAT'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp=redirect
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.name='sipwall: screen-sharing-inbound-tcp'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.src='wan'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.dest='lan'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.proto='tcp'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.src_dport='8997'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.dest_ip='192.168.1.10'
uci set firewall.sipwall_fwd_screen_sharing_inbound_tcp.target='DNAT'

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
