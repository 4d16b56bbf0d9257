#!/bin/bash
# Real ICMP/ICMPv6 errors from the kernel, client — router — server in three network
# namespaces (see Fixtures/README.md, "icmp/").
# usage: sudo bash Fixtures/scripts/make-icmp-errors.sh Fixtures/icmp/icmp-errors.pcap
set -e
C=sic$$; R=sir$$; S=sis$$
cleanup() { for n in $C $R $S; do ip netns del $n 2>/dev/null; done; }
trap cleanup EXIT
for n in $C $R $S; do ip netns add $n; ip -n $n link set lo up; done
ip link add vc type veth peer name vrc; ip link add vs type veth peer name vrs
ip link set vc netns $C; ip link set vrc netns $R; ip link set vrs netns $R; ip link set vs netns $S
ip -n $C addr add 10.70.1.1/24 dev vc;   ip -n $C addr add fd70:1::1/64 dev vc nodad
ip -n $R addr add 10.70.1.254/24 dev vrc; ip -n $R addr add fd70:1::fe/64 dev vrc nodad
ip -n $R addr add 10.70.2.254/24 dev vrs; ip -n $R addr add fd70:2::fe/64 dev vrs nodad
ip -n $S addr add 10.70.2.1/24 dev vs;   ip -n $S addr add fd70:2::1/64 dev vs nodad
for n in $C:vc $R:vrc $R:vrs $S:vs; do ns=${n%%:*}; d=${n##*:}
  ip netns exec $ns ethtool -K $d tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
  ip -n $ns link set $d up; done
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
# ICMP error rate limits off, so every probe gets its answer.
for n in $R $S; do ip netns exec $n sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0; done
ip -n $C route add default via 10.70.1.254; ip -n $C -6 route add default via fd70:1::fe
ip -n $S route add default via 10.70.2.254; ip -n $S -6 route add default via fd70:2::fe
# The router refuses two prefixes: administratively prohibited and host unreachable.
ip -n $R route add prohibit 10.70.3.0/24;    ip -n $R -6 route add prohibit fd70:3::/64
ip -n $R route add unreachable 10.70.4.0/24; ip -n $R -6 route add unreachable fd70:4::/64
sleep 1
ip netns exec $C tcpdump -i vc -w "$1" -B 65536 -s 0 -U 'not arp and not (icmp6 and (ip6[40] >= 133 and ip6[40] <= 137))' 2>"$1.err" & TD=$!
ip netns exec $S python3 "$(dirname "$0")/icmp-server.py" & SV=$!
sleep 1.5
ip netns exec $C python3 "$(dirname "$0")/icmp-client.py"
sleep 1
kill $SV 2>/dev/null || true
kill -INT $TD; wait $TD || true
cat "$1.err"; rm -f "$1.err"
