#!/bin/sh
# sipwall rules: profile rfc-baseline (RFC baseline for SIP through NAT), OpenWrt (fw4, UCI)
#
# Not (fully) expressed by OpenWrt (fw4, UCI), do it elsewhere:
# - forward-default: the profile wants other forwarded traffic dropped; OpenWrt's default
#   `config forwarding` lan -> wan accepts all LAN traffic, so the outbound rules below narrow
#   nothing while it exists. Delete that forwarding only if this router carries nothing but VoIP
#   (not done here)
# - source-nat: source NAT is the WAN zone's `option masq '1'` (OpenWrt's default; check with
#   `uci show firewall | grep masq`); fw4 masquerade keeps the inside port when it is free, but
#   Linux guarantees no endpoint-independent mapping when two inside hosts use the same port
# - udp-timeout-global: UCI has no per-port conntrack timeout: /etc/sysctl.d/90-sipwall.conf
#   raises the global UDP timeouts to 300 s unreplied / 300 s stream for all UDP, not only the
#   profile's ports (more conntrack entries kept longer; never below OpenWrt's 60/180)
# - hairpinning: Two phones behind the same NAT reach each other through their public mappings.:
#   fw4 adds NAT reflection to each redirect by default (`option reflection 1`); for
#   outbound-only flows it is not rendered
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
#   SIP ports of this profile: udp/5060 tcp/5060-5061.
uci set firewall.@defaults[0].auto_helper='0'

uci set firewall.sipwall_sip_udp_tcp_out_udp=rule
uci set firewall.sipwall_sip_udp_tcp_out_udp.name='sipwall: sip-udp-tcp-out-udp'
uci set firewall.sipwall_sip_udp_tcp_out_udp.src='lan'
uci set firewall.sipwall_sip_udp_tcp_out_udp.dest='wan'
uci set firewall.sipwall_sip_udp_tcp_out_udp.proto='udp'
uci add_list firewall.sipwall_sip_udp_tcp_out_udp.dest_port='5060'
uci set firewall.sipwall_sip_udp_tcp_out_udp.target='ACCEPT'
uci set firewall.sipwall_sip_udp_tcp_out_tcp=rule
uci set firewall.sipwall_sip_udp_tcp_out_tcp.name='sipwall: sip-udp-tcp-out-tcp'
uci set firewall.sipwall_sip_udp_tcp_out_tcp.src='lan'
uci set firewall.sipwall_sip_udp_tcp_out_tcp.dest='wan'
uci set firewall.sipwall_sip_udp_tcp_out_tcp.proto='tcp'
uci add_list firewall.sipwall_sip_udp_tcp_out_tcp.dest_port='5060'
uci set firewall.sipwall_sip_udp_tcp_out_tcp.target='ACCEPT'
uci set firewall.sipwall_sip_tls_out_tcp=rule
uci set firewall.sipwall_sip_tls_out_tcp.name='sipwall: sip-tls-out-tcp'
uci set firewall.sipwall_sip_tls_out_tcp.src='lan'
uci set firewall.sipwall_sip_tls_out_tcp.dest='wan'
uci set firewall.sipwall_sip_tls_out_tcp.proto='tcp'
uci add_list firewall.sipwall_sip_tls_out_tcp.dest_port='5061'
uci set firewall.sipwall_sip_tls_out_tcp.target='ACCEPT'
uci set firewall.sipwall_stun_out_udp=rule
uci set firewall.sipwall_stun_out_udp.name='sipwall: stun-out-udp'
uci set firewall.sipwall_stun_out_udp.src='lan'
uci set firewall.sipwall_stun_out_udp.dest='wan'
uci set firewall.sipwall_stun_out_udp.proto='udp'
uci add_list firewall.sipwall_stun_out_udp.dest_port='3478'
uci set firewall.sipwall_stun_out_udp.target='ACCEPT'

# UDP timeouts: UCI has no per-port conntrack timeout, so the global sysctls are raised for all
#   UDP (OpenWrt defaults 60 / 180 s, openwrt/openwrt
#   package/kernel/linux/files/sysctl-nf-conntrack.conf; never lowered here).
#   /etc/sysctl.d/90-sipwall.conf is read after OpenWrt's own 11-nf-conntrack.conf at boot.
cat > /etc/sysctl.d/90-sipwall.conf <<'EOF'
net.netfilter.nf_conntrack_udp_timeout=300
net.netfilter.nf_conntrack_udp_timeout_stream=300
EOF
sysctl -p /etc/sysctl.d/90-sipwall.conf

uci commit firewall
service firewall reload
