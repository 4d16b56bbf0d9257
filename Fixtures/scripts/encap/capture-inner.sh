#!/bin/bash
# Real traffic for the tunnel fixtures (see Fixtures/README.md, encap/). Needs root.
# usage: capture-inner.sh OUTDIR   writes OUTDIR/inner-veth.pcap, OUTDIR/vxlan-8472.pcap, OUTDIR/vxlan-8472-inner.pcap
#
# Two namespaces joined by a veth pair (offloads off, so every checksum is complete):
#   client  va 02:90:00:00:00:01  10.90.0.1 fd90::1 (plain)  192.0.2.1 (VXLAN underlay)
#   server  vb 02:90:00:00:00:02  10.90.0.2 fd90::2          192.0.2.2
# plus a kernel VXLAN device vx0 on each side (VNI 100, UDP 8472, Linux's old default port),
# inner 10.91.0.1/2 and fd91::1/2. The client runs encap-traffic.py once over the plain veth
# addresses and once over vx0. Static neighbours and nodad: no ARP/ND frames to capture.
set -e
OUT=$(realpath "$1"); HERE=$(dirname "$(realpath "$0")")
A=skenc-a$$; B=skenc-b$$
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip link add va netns $A address 02:90:00:00:00:01 type veth peer name vb netns $B address 02:90:00:00:00:02
ip -n $A addr add 10.90.0.1/24 dev va; ip -n $B addr add 10.90.0.2/24 dev vb
ip -n $A addr add 192.0.2.1/24 dev va; ip -n $B addr add 192.0.2.2/24 dev vb
ip -n $A addr add fd90::1/64 dev va nodad; ip -n $B addr add fd90::2/64 dev vb nodad
for n in $A:va $B:vb; do ns=${n%%:*}; d=${n##*:}
  ip netns exec $ns ethtool -K $d tx off rx off tso off gso off gro off sg off >/dev/null 2>&1 || true
  ip -n $ns link set $d up; ip -n $ns link set lo up; done
ip -n $A neigh add 10.90.0.2 lladdr 02:90:00:00:00:02 dev va nud permanent
ip -n $B neigh add 10.90.0.1 lladdr 02:90:00:00:00:01 dev vb nud permanent
ip -n $A neigh add 192.0.2.2 lladdr 02:90:00:00:00:02 dev va nud permanent
ip -n $B neigh add 192.0.2.1 lladdr 02:90:00:00:00:01 dev vb nud permanent
ip -n $A -6 neigh add fd90::2 lladdr 02:90:00:00:00:02 dev va nud permanent
ip -n $B -6 neigh add fd90::1 lladdr 02:90:00:00:00:01 dev vb nud permanent
ip -n $A link add vx0 address 02:91:00:00:00:01 type vxlan id 100 remote 192.0.2.2 local 192.0.2.1 dstport 8472 dev va
ip -n $B link add vx0 address 02:91:00:00:00:02 type vxlan id 100 remote 192.0.2.1 local 192.0.2.2 dstport 8472 dev vb
ip -n $A addr add 10.91.0.1/24 dev vx0; ip -n $B addr add 10.91.0.2/24 dev vx0
ip -n $A addr add fd91::1/64 dev vx0 nodad; ip -n $B addr add fd91::2/64 dev vx0 nodad
for ns in $A $B; do ip netns exec $ns ethtool -K vx0 tx off rx off tso off gso off gro off sg off >/dev/null 2>&1 || true; ip -n $ns link set vx0 up; done
ip -n $A neigh add 10.91.0.2 lladdr 02:91:00:00:00:02 dev vx0 nud permanent
ip -n $B neigh add 10.91.0.1 lladdr 02:91:00:00:00:01 dev vx0 nud permanent
ip -n $A -6 neigh add fd91::2 lladdr 02:91:00:00:00:02 dev vx0 nud permanent
ip -n $B -6 neigh add fd91::1 lladdr 02:91:00:00:00:01 dev vx0 nud permanent
sleep 3   # let the link-up MLD reports pass before capturing
TD="timeout 40 ip netns exec $A tcpdump -B 131072 --immediate-mode -U -s 0"
$TD -i va -w "$OUT/inner-veth.pcap" '(tcp or udp) and not udp port 8472' 2>"$OUT/.td1" & PIDS+=($!)
$TD -i va -w "$OUT/vxlan-8472.pcap" 'udp port 8472' 2>"$OUT/.td2" & PIDS+=($!)
$TD -i vx0 -w "$OUT/vxlan-8472-inner.pcap" 'tcp or udp' 2>"$OUT/.td3" & PIDS+=($!)
timeout 40 ip netns exec $B python3 "$HERE/encap-traffic.py" server 10.90.0.2 fd90::2 & PIDS+=($!)
timeout 40 ip netns exec $B python3 "$HERE/encap-traffic.py" server 10.91.0.2 fd91::2 & PIDS+=($!)
sleep 1.5
timeout 30 ip netns exec $A python3 "$HERE/encap-traffic.py" client 10.90.0.2 fd90::2
sleep 0.5
timeout 30 ip netns exec $A python3 "$HERE/encap-traffic.py" client 10.91.0.2 fd91::2
sleep 1
for p in "${PIDS[@]:0:3}"; do kill -INT "$p" 2>/dev/null || true; done
for p in "${PIDS[@]:0:3}"; do wait "$p" 2>/dev/null || true; done
cat "$OUT"/.td1 "$OUT"/.td2 "$OUT"/.td3 >&2; rm -f "$OUT"/.td1 "$OUT"/.td2 "$OUT"/.td3
