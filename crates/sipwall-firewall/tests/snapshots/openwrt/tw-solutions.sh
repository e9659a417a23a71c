#!/bin/sh
# sipwall rules: profile tw-solutions (TW Solutions Hosted VoIP), OpenWrt (fw4, UCI)
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
#   SIP ports of this profile: udp/5060-5080.
uci set firewall.@defaults[0].auto_helper='0'

uci set firewall.sipwall_sip_out_udp=rule
uci set firewall.sipwall_sip_out_udp.name='sipwall: sip-out-udp'
uci set firewall.sipwall_sip_out_udp.src='lan'
uci set firewall.sipwall_sip_out_udp.dest='wan'
uci set firewall.sipwall_sip_out_udp.proto='udp'
uci add_list firewall.sipwall_sip_out_udp.dest_ip='18.231.46.68'
uci add_list firewall.sipwall_sip_out_udp.dest_ip='52.67.38.195'
uci add_list firewall.sipwall_sip_out_udp.dest_ip='177.20.192.0/20'
uci add_list firewall.sipwall_sip_out_udp.dest_ip='187.60.48.0/20'
uci add_list firewall.sipwall_sip_out_udp.dest_ip='200.155.7.160/27'
uci add_list firewall.sipwall_sip_out_udp.dest_ip='200.198.186.96/27'
uci add_list firewall.sipwall_sip_out_udp.dest_ip='200.201.192.0/18'
uci add_list firewall.sipwall_sip_out_udp.dest_ip='200.219.237.64/27'
uci add_list firewall.sipwall_sip_out_udp.dest_ip='200.219.251.0/27'
uci add_list firewall.sipwall_sip_out_udp.dest_port='5060-5080'
uci set firewall.sipwall_sip_out_udp.target='ACCEPT'
uci set firewall.sipwall_rtp_out_udp=rule
uci set firewall.sipwall_rtp_out_udp.name='sipwall: rtp-out-udp'
uci set firewall.sipwall_rtp_out_udp.src='lan'
uci set firewall.sipwall_rtp_out_udp.dest='wan'
uci set firewall.sipwall_rtp_out_udp.proto='udp'
uci add_list firewall.sipwall_rtp_out_udp.dest_port='10000-60000'
uci set firewall.sipwall_rtp_out_udp.target='ACCEPT'
uci set firewall.sipwall_web_out_tcp=rule
uci set firewall.sipwall_web_out_tcp.name='sipwall: web-out-tcp'
uci set firewall.sipwall_web_out_tcp.src='lan'
uci set firewall.sipwall_web_out_tcp.dest='wan'
uci set firewall.sipwall_web_out_tcp.proto='tcp'
uci add_list firewall.sipwall_web_out_tcp.dest_port='80'
uci add_list firewall.sipwall_web_out_tcp.dest_port='443'
uci set firewall.sipwall_web_out_tcp.target='ACCEPT'
uci set firewall.sipwall_ntp_out_udp=rule
uci set firewall.sipwall_ntp_out_udp.name='sipwall: ntp-out-udp'
uci set firewall.sipwall_ntp_out_udp.src='lan'
uci set firewall.sipwall_ntp_out_udp.dest='wan'
uci set firewall.sipwall_ntp_out_udp.proto='udp'
uci add_list firewall.sipwall_ntp_out_udp.dest_port='123'
uci set firewall.sipwall_ntp_out_udp.target='ACCEPT'
uci set firewall.sipwall_remote_support_out_udp=rule
uci set firewall.sipwall_remote_support_out_udp.name='sipwall: remote-support-out-udp'
uci set firewall.sipwall_remote_support_out_udp.src='lan'
uci set firewall.sipwall_remote_support_out_udp.dest='wan'
uci set firewall.sipwall_remote_support_out_udp.proto='udp'
uci add_list firewall.sipwall_remote_support_out_udp.dest_port='5938'
uci set firewall.sipwall_remote_support_out_udp.target='ACCEPT'
uci set firewall.sipwall_remote_support_out_tcp=rule
uci set firewall.sipwall_remote_support_out_tcp.name='sipwall: remote-support-out-tcp'
uci set firewall.sipwall_remote_support_out_tcp.src='lan'
uci set firewall.sipwall_remote_support_out_tcp.dest='wan'
uci set firewall.sipwall_remote_support_out_tcp.proto='tcp'
uci add_list firewall.sipwall_remote_support_out_tcp.dest_port='5938'
uci set firewall.sipwall_remote_support_out_tcp.target='ACCEPT'

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
