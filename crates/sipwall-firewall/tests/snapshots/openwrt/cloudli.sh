#!/bin/sh
# sipwall rules: profile cloudli (Cloudli), OpenWrt (fw4, UCI)
#
# Not (fully) expressed by OpenWrt (fw4, UCI), do it elsewhere:
# - fqdn: fw4 takes no DNS names in rules: the ipsets sipwall_*_v4/_v6 start empty; resolve
#   proxy.example.net and add the addresses (uci add_list firewall.SET.entry=ADDR; uci commit
#   firewall; service firewall reload), and refresh them when the provider's DNS changes
# - forward-default: the profile wants other forwarded traffic dropped; OpenWrt's default
#   `config forwarding` lan -> wan accepts all LAN traffic, so the outbound rules below narrow
#   nothing while it exists. Delete that forwarding only if this router carries nothing but VoIP
#   (not done here)
# - source-nat: source NAT is the WAN zone's `option masq '1'` (OpenWrt's default; check with
#   `uci show firewall | grep masq`); fw4 masquerade keeps the inside port when it is free, but
#   Linux guarantees no endpoint-independent mapping when two inside hosts use the same port
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
#   SIP ports of this profile: udp/5060,5065.
uci set firewall.@defaults[0].auto_helper='0'

# DNS names: fw4 rules take addresses only; one set per name and family, empty until you add its
#   addresses (list entry).
uci set firewall.sipwall_proxy_example_net_1c79_v4=ipset
uci set firewall.sipwall_proxy_example_net_1c79_v4.name='sipwall_proxy_example_net_1c79_v4'
uci set firewall.sipwall_proxy_example_net_1c79_v4.comment='addresses of proxy.example.net'
uci set firewall.sipwall_proxy_example_net_1c79_v4.family='ipv4'
uci add_list firewall.sipwall_proxy_example_net_1c79_v4.match='ip'
uci set firewall.sipwall_proxy_example_net_1c79_v6=ipset
uci set firewall.sipwall_proxy_example_net_1c79_v6.name='sipwall_proxy_example_net_1c79_v6'
uci set firewall.sipwall_proxy_example_net_1c79_v6.comment='addresses of proxy.example.net'
uci set firewall.sipwall_proxy_example_net_1c79_v6.family='ipv6'
uci add_list firewall.sipwall_proxy_example_net_1c79_v6.match='ip'

uci set firewall.sipwall_sip_out_udp=rule
uci set firewall.sipwall_sip_out_udp.name='sipwall: sip-out-udp'
uci set firewall.sipwall_sip_out_udp.src='lan'
uci set firewall.sipwall_sip_out_udp.dest='wan'
uci set firewall.sipwall_sip_out_udp.proto='udp'
uci set firewall.sipwall_sip_out_udp.family='ipv4'
uci set firewall.sipwall_sip_out_udp.ipset='sipwall_proxy_example_net_1c79_v4 dest'
uci add_list firewall.sipwall_sip_out_udp.src_port='5060'
uci add_list firewall.sipwall_sip_out_udp.dest_port='5065'
uci set firewall.sipwall_sip_out_udp.target='ACCEPT'
uci set firewall.sipwall_sip_out_udp_1=rule
uci set firewall.sipwall_sip_out_udp_1.name='sipwall: sip-out-udp'
uci set firewall.sipwall_sip_out_udp_1.src='lan'
uci set firewall.sipwall_sip_out_udp_1.dest='wan'
uci set firewall.sipwall_sip_out_udp_1.proto='udp'
uci set firewall.sipwall_sip_out_udp_1.family='ipv6'
uci set firewall.sipwall_sip_out_udp_1.ipset='sipwall_proxy_example_net_1c79_v6 dest'
uci add_list firewall.sipwall_sip_out_udp_1.src_port='5060'
uci add_list firewall.sipwall_sip_out_udp_1.dest_port='5065'
uci set firewall.sipwall_sip_out_udp_1.target='ACCEPT'
uci set firewall.sipwall_sip_in_udp=rule
uci set firewall.sipwall_sip_in_udp.name='sipwall: sip-in-udp'
uci set firewall.sipwall_sip_in_udp.src='wan'
uci set firewall.sipwall_sip_in_udp.dest='lan'
uci set firewall.sipwall_sip_in_udp.proto='udp'
uci set firewall.sipwall_sip_in_udp.family='ipv4'
uci set firewall.sipwall_sip_in_udp.ipset='sipwall_proxy_example_net_1c79_v4 src'
uci add_list firewall.sipwall_sip_in_udp.src_port='5065'
uci add_list firewall.sipwall_sip_in_udp.dest_port='5060'
uci set firewall.sipwall_sip_in_udp.target='ACCEPT'
uci set firewall.sipwall_sip_in_udp_1=rule
uci set firewall.sipwall_sip_in_udp_1.name='sipwall: sip-in-udp'
uci set firewall.sipwall_sip_in_udp_1.src='wan'
uci set firewall.sipwall_sip_in_udp_1.dest='lan'
uci set firewall.sipwall_sip_in_udp_1.proto='udp'
uci set firewall.sipwall_sip_in_udp_1.family='ipv6'
uci set firewall.sipwall_sip_in_udp_1.ipset='sipwall_proxy_example_net_1c79_v6 src'
uci add_list firewall.sipwall_sip_in_udp_1.src_port='5065'
uci add_list firewall.sipwall_sip_in_udp_1.dest_port='5060'
uci set firewall.sipwall_sip_in_udp_1.target='ACCEPT'
uci set firewall.sipwall_rtp_out_udp=rule
uci set firewall.sipwall_rtp_out_udp.name='sipwall: rtp-out-udp'
uci set firewall.sipwall_rtp_out_udp.src='lan'
uci set firewall.sipwall_rtp_out_udp.dest='wan'
uci set firewall.sipwall_rtp_out_udp.proto='udp'
uci set firewall.sipwall_rtp_out_udp.family='ipv4'
uci set firewall.sipwall_rtp_out_udp.ipset='sipwall_proxy_example_net_1c79_v4 dest'
uci add_list firewall.sipwall_rtp_out_udp.dest_port='10000-40000'
uci set firewall.sipwall_rtp_out_udp.target='ACCEPT'
uci set firewall.sipwall_rtp_out_udp_1=rule
uci set firewall.sipwall_rtp_out_udp_1.name='sipwall: rtp-out-udp'
uci set firewall.sipwall_rtp_out_udp_1.src='lan'
uci set firewall.sipwall_rtp_out_udp_1.dest='wan'
uci set firewall.sipwall_rtp_out_udp_1.proto='udp'
uci set firewall.sipwall_rtp_out_udp_1.family='ipv6'
uci set firewall.sipwall_rtp_out_udp_1.ipset='sipwall_proxy_example_net_1c79_v6 dest'
uci add_list firewall.sipwall_rtp_out_udp_1.dest_port='10000-40000'
uci set firewall.sipwall_rtp_out_udp_1.target='ACCEPT'
uci set firewall.sipwall_rtp_in_udp=rule
uci set firewall.sipwall_rtp_in_udp.name='sipwall: rtp-in-udp'
uci set firewall.sipwall_rtp_in_udp.src='wan'
uci set firewall.sipwall_rtp_in_udp.dest='lan'
uci set firewall.sipwall_rtp_in_udp.proto='udp'
uci set firewall.sipwall_rtp_in_udp.family='ipv4'
uci set firewall.sipwall_rtp_in_udp.ipset='sipwall_proxy_example_net_1c79_v4 src'
uci add_list firewall.sipwall_rtp_in_udp.src_port='10000-40000'
uci set firewall.sipwall_rtp_in_udp.target='ACCEPT'
uci set firewall.sipwall_rtp_in_udp_1=rule
uci set firewall.sipwall_rtp_in_udp_1.name='sipwall: rtp-in-udp'
uci set firewall.sipwall_rtp_in_udp_1.src='wan'
uci set firewall.sipwall_rtp_in_udp_1.dest='lan'
uci set firewall.sipwall_rtp_in_udp_1.proto='udp'
uci set firewall.sipwall_rtp_in_udp_1.family='ipv6'
uci set firewall.sipwall_rtp_in_udp_1.ipset='sipwall_proxy_example_net_1c79_v6 src'
uci add_list firewall.sipwall_rtp_in_udp_1.src_port='10000-40000'
uci set firewall.sipwall_rtp_in_udp_1.target='ACCEPT'
uci set firewall.sipwall_cloud_pbx_provisioning_out_tcp=rule
uci set firewall.sipwall_cloud_pbx_provisioning_out_tcp.name='sipwall: cloud-pbx-provisioning-out-tcp'
uci set firewall.sipwall_cloud_pbx_provisioning_out_tcp.src='lan'
uci set firewall.sipwall_cloud_pbx_provisioning_out_tcp.dest='wan'
uci set firewall.sipwall_cloud_pbx_provisioning_out_tcp.proto='tcp'
uci add_list firewall.sipwall_cloud_pbx_provisioning_out_tcp.dest_port='8445-8447'
uci set firewall.sipwall_cloud_pbx_provisioning_out_tcp.target='ACCEPT'

uci commit firewall
service firewall reload
