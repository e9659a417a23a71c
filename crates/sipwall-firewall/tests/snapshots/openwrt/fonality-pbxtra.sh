#!/bin/sh
# sipwall rules: profile fonality-pbxtra (Fonality PBXtra (hosted)), OpenWrt (fw4, UCI)
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
uci set firewall.sipwall_hudmobile_audio_out_udp=rule
uci set firewall.sipwall_hudmobile_audio_out_udp.name='sipwall: hudmobile-audio-out-udp'
uci set firewall.sipwall_hudmobile_audio_out_udp.src='lan'
uci set firewall.sipwall_hudmobile_audio_out_udp.dest='wan'
uci set firewall.sipwall_hudmobile_audio_out_udp.proto='udp'
uci add_list firewall.sipwall_hudmobile_audio_out_udp.dest_port='4000-4031'
uci set firewall.sipwall_hudmobile_audio_out_udp.target='ACCEPT'
uci set firewall.sipwall_sip_out_udp=rule
uci set firewall.sipwall_sip_out_udp.name='sipwall: sip-out-udp'
uci set firewall.sipwall_sip_out_udp.src='lan'
uci set firewall.sipwall_sip_out_udp.dest='wan'
uci set firewall.sipwall_sip_out_udp.proto='udp'
uci add_list firewall.sipwall_sip_out_udp.dest_port='5060'
uci set firewall.sipwall_sip_out_udp.target='ACCEPT'
uci set firewall.sipwall_sip_out_tcp=rule
uci set firewall.sipwall_sip_out_tcp.name='sipwall: sip-out-tcp'
uci set firewall.sipwall_sip_out_tcp.src='lan'
uci set firewall.sipwall_sip_out_tcp.dest='wan'
uci set firewall.sipwall_sip_out_tcp.proto='tcp'
uci add_list firewall.sipwall_sip_out_tcp.dest_port='5060'
uci set firewall.sipwall_sip_out_tcp.target='ACCEPT'
uci set firewall.sipwall_hud_out_tcp=rule
uci set firewall.sipwall_hud_out_tcp.name='sipwall: hud-out-tcp'
uci set firewall.sipwall_hud_out_tcp.src='lan'
uci set firewall.sipwall_hud_out_tcp.dest='wan'
uci set firewall.sipwall_hud_out_tcp.proto='tcp'
uci add_list firewall.sipwall_hud_out_tcp.dest_port='5222'
uci set firewall.sipwall_hud_out_tcp.target='ACCEPT'
uci set firewall.sipwall_hud_external_chat_out_tcp=rule
uci set firewall.sipwall_hud_external_chat_out_tcp.name='sipwall: hud-external-chat-out-tcp'
uci set firewall.sipwall_hud_external_chat_out_tcp.src='lan'
uci set firewall.sipwall_hud_external_chat_out_tcp.dest='wan'
uci set firewall.sipwall_hud_external_chat_out_tcp.proto='tcp'
uci add_list firewall.sipwall_hud_external_chat_out_tcp.dest_port='5269'
uci set firewall.sipwall_hud_external_chat_out_tcp.target='ACCEPT'
uci set firewall.sipwall_rtp_out_udp=rule
uci set firewall.sipwall_rtp_out_udp.name='sipwall: rtp-out-udp'
uci set firewall.sipwall_rtp_out_udp.src='lan'
uci set firewall.sipwall_rtp_out_udp.dest='wan'
uci set firewall.sipwall_rtp_out_udp.proto='udp'
uci add_list firewall.sipwall_rtp_out_udp.dest_port='10000-20000'
uci set firewall.sipwall_rtp_out_udp.target='ACCEPT'

# no DMZ host: only the ports listed below are forwarded (the inside port is the outside port).

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
