#!/bin/bash
# Real VXLAN traffic between two network namespaces (see Fixtures/README.md).
# usage: sudo bash Fixtures/scripts/encap/make-vxlan.sh Fixtures/encap/vxlan-tcp-udp.pcap
set -e
A=sxa$$; B=sxb$$
cleanup() { ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; }
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip link add va type veth peer name vb
ip link set va netns $A; ip link set vb netns $B
ip -n $A addr add 192.0.2.1/24 dev va; ip -n $B addr add 192.0.2.2/24 dev vb
for n in $A:va $B:vb; do ns=${n%%:*}; d=${n##*:}
  ip netns exec $ns ethtool -K $d tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
  ip -n $ns link set $d up; ip -n $ns link set lo up; done
ip -n $A link add vx0 type vxlan id 42 remote 192.0.2.2 local 192.0.2.1 dstport 4789 dev va
ip -n $B link add vx0 type vxlan id 42 remote 192.0.2.1 local 192.0.2.2 dstport 4789 dev vb
ip -n $A addr add 10.42.0.1/24 dev vx0; ip -n $B addr add 10.42.0.2/24 dev vx0
ip -n $A addr add fd42::1/64 dev vx0 nodad; ip -n $B addr add fd42::2/64 dev vx0 nodad
for ns in $A $B; do ip netns exec $ns ethtool -K vx0 tx off rx off tso off gso off gro off >/dev/null 2>&1 || true; ip -n $ns link set vx0 up; done
ip netns exec $A tcpdump -i va -w "$1" -B 65536 -s 0 udp port 4789 2>"$1.err" & TD=$!
sleep 1.5
ip netns exec $B python3 "$(dirname "$0")/vxlan-server.py" & SV=$!
sleep 0.7
ip netns exec $A python3 "$(dirname "$0")/vxlan-client.py"
sleep 1
kill $SV 2>/dev/null || true
kill -INT $TD; wait $TD || true
cat "$1.err"; rm -f "$1.err"
