#!/usr/bin/env bash
# Regenerates the Sockeye test fixtures in Fixtures/.
#
#   sudo Fixtures/scripts/make-fixtures.sh            # everything (real captures + crafted files)
#   sudo Fixtures/scripts/make-fixtures.sh crafted    # only craft.py output (no root, no network needed)
#   sudo Fixtures/scripts/make-fixtures.sh tcp-refused udp-exchange   # selected captures (names without .pcap)
#   Fixtures/scripts/make-fixtures.sh --list
#
# Needs root, iproute2, ethtool, tcpdump, dumpcap (tshark package), nftables, python3 (stdlib only).
# All traffic stays inside network namespaces created here (skfx-*), on 10.77.0.0/16 and fd77::/64,
# or on the loopback device of such a namespace.  Every namespace is deleted again after each
# capture and on exit.  Each capture is bounded in time (timeouts on every step).
#
# Real captures are not byte-for-byte reproducible (ISNs, timestamps, ports, IP IDs change), so after
# regenerating, recompute the README packet counts and Fixtures/expected-flows.tsv with
#   python3 Fixtures/scripts/flows.py --tsv > Fixtures/expected-flows.tsv
# and check them against tshark (see README "Verification").
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(dirname "$HERE")"
WORK="${SOCKEYE_FX_WORK:-/tmp/sockeye-fixtures}"
TRAFFIC="python3 $HERE/traffic.py"
NS_C=skfx-c; NS_S=skfx-s; NS_M=skfx-m; NS_L=skfx-lo
ALL_NS="$NS_C $NS_S $NS_M $NS_L"
MAC_C=02:77:00:00:00:01; MAC_S=02:77:00:00:00:02
IP_C=10.77.0.1; IP_S=10.77.0.2; IP6_C=fd77::1; IP6_S=fd77::2
CAP_PID=""; BG_PIDS=""

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

del_namespaces() {
    local ns
    for ns in $ALL_NS; do
        if ip netns list | grep -qw "$ns"; then ip netns del "$ns" 2>/dev/null || true; fi
    done
}

cleanup() {
    local p
    if [ -n "$CAP_PID" ]; then kill -INT "$CAP_PID" 2>/dev/null || true; wait "$CAP_PID" 2>/dev/null || true; fi
    for p in $BG_PIDS; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    CAP_PID=""; BG_PIDS=""
    del_namespaces
}
trap cleanup EXIT

offload_off() {   # ns iface
    ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec "$1" ethtool -K "$2" sg off >/dev/null 2>&1 || true
}

reset_ctl() { rm -rf "$WORK/ctl"; mkdir -p "$WORK/ctl"; }

# Two namespaces joined by one veth pair: client vc (10.77.0.1, fd77::1) <-> server vs (10.77.0.2, fd77::2).
setup_pair() {   # [offloads: off|on]
    local offl="${1:-off}"
    cleanup
    ip netns add "$NS_C"; ip netns add "$NS_S"
    ip link add vc netns "$NS_C" address "$MAC_C" type veth peer name vs netns "$NS_S" address "$MAC_S"
    ip -n "$NS_C" addr add "$IP_C/24" dev vc
    ip -n "$NS_S" addr add "$IP_S/24" dev vs
    ip -n "$NS_C" addr add "$IP6_C/64" dev vc nodad
    ip -n "$NS_S" addr add "$IP6_S/64" dev vs nodad
    for ns in "$NS_C" "$NS_S"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_C" link set vc up; ip -n "$NS_S" link set vs up
    ip -n "$NS_C" neigh replace "$IP_S" lladdr "$MAC_S" dev vc nud permanent
    ip -n "$NS_S" neigh replace "$IP_C" lladdr "$MAC_C" dev vs nud permanent
    ip -n "$NS_C" neigh replace "$IP6_S" lladdr "$MAC_S" dev vc nud permanent
    ip -n "$NS_S" neigh replace "$IP6_C" lladdr "$MAC_C" dev vs nud permanent
    if [ "$offl" = off ]; then offload_off "$NS_C" vc; offload_off "$NS_S" vs; fi
    reset_ctl
}

# One namespace with only its loopback device (checksum offload: CHECKSUM_PARTIAL on lo).
setup_lo() {
    cleanup
    ip netns add "$NS_L"
    ip -n "$NS_L" link set lo up
    reset_ctl
}

# client vc <-> m1 [relay.py, 20 ms each way] m2 <-> vs server; same L2 segment 10.77.0.0/24.
setup_relay() {
    cleanup
    ip netns add "$NS_C"; ip netns add "$NS_S"; ip netns add "$NS_M"
    ip netns exec "$NS_M" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
    ip link add vc netns "$NS_C" address "$MAC_C" type veth peer name m1 netns "$NS_M"
    ip link add vs netns "$NS_S" address "$MAC_S" type veth peer name m2 netns "$NS_M"
    ip -n "$NS_C" addr add "$IP_C/24" dev vc
    ip -n "$NS_S" addr add "$IP_S/24" dev vs
    for ns in "$NS_C" "$NS_S" "$NS_M"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_C" link set vc up; ip -n "$NS_S" link set vs up
    ip -n "$NS_M" link set m1 up promisc on; ip -n "$NS_M" link set m2 up promisc on
    ip -n "$NS_C" neigh replace "$IP_S" lladdr "$MAC_S" dev vc nud permanent
    ip -n "$NS_S" neigh replace "$IP_C" lladdr "$MAC_C" dev vs nud permanent
    offload_off "$NS_C" vc; offload_off "$NS_S" vs; offload_off "$NS_M" m1; offload_off "$NS_M" m2
    reset_ctl
}

wait_for() {   # file seconds
    local i n=$(( ${2:-5} * 50 ))
    for ((i = 0; i < n; i++)); do [ -e "$1" ] && return 0; sleep 0.02; done
    die "timeout waiting for $1"
}

# start_cap NS IFACE OUTFILE [tcpdump options...] -- FILTER...
start_cap() {
    local ns="$1" ifc="$2" out="$3"; shift 3
    local opts=() ; while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
    [ "${1:-}" = "--" ] && shift
    rm -f "$out" "$WORK/cap.err"
    ip netns exec "$ns" tcpdump -i "$ifc" -B 131072 --immediate-mode -U -Z root -w "$out" "${opts[@]}" "$@" 2>"$WORK/cap.err" &
    CAP_PID=$!
    local i; for ((i = 0; i < 250; i++)); do grep -q "listening on" "$WORK/cap.err" 2>/dev/null && break; sleep 0.02; done
    grep -q "listening on" "$WORK/cap.err" || die "tcpdump did not start: $(cat "$WORK/cap.err")"
    sleep 0.2
}

start_dumpcap() {   # NS IFACE OUTFILE FILTER
    rm -f "$3" "$WORK/cap.err"
    ip netns exec "$1" dumpcap -q -i "$2" -B 128 -f "$4" -w "$3" 2>"$WORK/cap.err" &
    CAP_PID=$!
    local i; for ((i = 0; i < 250; i++)); do grep -q "Capturing on" "$WORK/cap.err" 2>/dev/null && break; sleep 0.02; done
    grep -q "Capturing on" "$WORK/cap.err" || die "dumpcap did not start: $(cat "$WORK/cap.err")"
    sleep 0.5
}

stop_cap() {
    sleep 0.3
    kill -INT "$CAP_PID"; wait "$CAP_PID" || true; CAP_PID=""
    if grep -q "packets dropped by kernel" "$WORK/cap.err"; then
        grep -q "^0 packets dropped by kernel" "$WORK/cap.err" || die "kernel drops: $(cat "$WORK/cap.err")"
    fi
    grep -E "captured|dropped|Packets" "$WORK/cap.err" >&2 || true
}

server_bg() {   # NS SCENARIO [extra args]
    local ns="$1" scen="$2"; shift 2
    timeout 40 ip netns exec "$ns" $TRAFFIC server "$scen" --ctl "$WORK/ctl" "$@" &
    BG_PIDS="$BG_PIDS $!"
    wait_for "$WORK/ctl/ready" 5
}

client_run() {   # NS SCENARIO [extra args]
    local ns="$1" scen="$2"; shift 2
    timeout 40 ip netns exec "$ns" $TRAFFIC client "$scen" --ctl "$WORK/ctl" "$@"
}

finish_bg() {   # wait for background servers (bounded by their own timeout)
    local p; for p in $BG_PIDS; do wait "$p" || true; done; BG_PIDS=""
}

save() {   # tmpfile name
    mkdir -p "$(dirname "$OUT/$2")"
    cp "$1" "$OUT/$2"
    log "wrote $2 ($(stat -c %s "$OUT/$2") bytes)"
}

# Standard veth capture of one scenario on the client's interface.
veth_scenario() {   # outname scenario filter [tcpdump opts]
    local name="$1" scen="$2" filter="$3"; shift 3
    setup_pair off
    start_cap "$NS_C" vc "$WORK/$name" "$@" -- "$filter"
    case "$scen" in refused|syn-noanswer) ;; *) server_bg "$NS_S" "$scen" ;; esac
    client_run "$NS_C" "$scen"
    finish_bg
    stop_cap
    cleanup
    save "$WORK/$name" "$name"
}

# ----------------------------------------------------------------------------- captures

fx_tcp_handshake_data_fin()   { veth_scenario tcp-handshake-data-fin.pcap fin-client "tcp port 7777"; }
fx_tcp_server_closes_first()  { veth_scenario tcp-server-closes-first.pcap fin-server "tcp port 7777"; }
fx_tcp_refused()              { veth_scenario tcp-refused.pcap refused "tcp"; }
fx_tcp_abort_client()         { veth_scenario tcp-abort-client.pcap abort-client "tcp port 7777"; }
fx_tcp_abort_server()         { veth_scenario tcp-abort-server.pcap abort-server "tcp port 7777"; }
fx_tcp_half_close()           { veth_scenario tcp-half-close.pcap half-close "tcp port 7777"; }
fx_tcp_port_reuse()           { veth_scenario tcp-port-reuse.pcap port-reuse "tcp port 7777"; }
fx_tcp_many_concurrent()      { veth_scenario tcp-many-concurrent.pcap many "tcp port 7777"; }
fx_udp_exchange()             { veth_scenario udp-exchange.pcap udp "udp"; }
fx_nanosecond()               { veth_scenario nanosecond.pcap nano "tcp port 7777" --time-stamp-precision=nano; }
# -s 64 with TCP timestamps off: data/ACK/FIN segments keep their 20-byte TCP header but lose payload,
# while the SYN and SYN-ACK (32-byte TCP header with options) are cut inside the TCP options.
fx_snaplen_truncated() {
    setup_pair off
    ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_timestamps=0
    ip netns exec "$NS_S" sysctl -qw net.ipv4.tcp_timestamps=0
    SERVER_NS=$NS_S mixed_capture snaplen-truncated.pcap snaplen "$NS_C" vc "$IP_S" "tcp or udp" -- -s 64
}

fx_tcp_syn_no_answer() {
    setup_pair off
    ip netns exec "$NS_S" nft -f - <<'EOF'
table inet skfx {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 7777 drop
    }
}
EOF
    start_cap "$NS_C" vc "$WORK/tcp-syn-no-answer.pcap" -- "tcp port 7777"
    client_run "$NS_C" syn-noanswer
    stop_cap
    cleanup
    save "$WORK/tcp-syn-no-answer.pcap" tcp-syn-no-answer.pcap
}

fx_tcp_open_at_end() {
    setup_pair off
    start_cap "$NS_C" vc "$WORK/tcp-open-at-end.pcap" -- "tcp port 7777"
    server_bg "$NS_S" open-at-end
    timeout 40 ip netns exec "$NS_C" $TRAFFIC client open-at-end --ctl "$WORK/ctl" &
    local cpid=$!
    wait_for "$WORK/ctl/established" 10
    stop_cap                                  # 3 connections still ESTABLISHED
    touch "$WORK/ctl/release"
    wait "$cpid" || true
    finish_bg
    cleanup
    save "$WORK/tcp-open-at-end.pcap" tcp-open-at-end.pcap
}

fx_tcp_midstream() {
    setup_pair off
    server_bg "$NS_S" midstream
    timeout 40 ip netns exec "$NS_C" $TRAFFIC client midstream --ctl "$WORK/ctl" &
    local cpid=$!
    wait_for "$WORK/ctl/connected" 10         # handshake already done
    start_cap "$NS_C" vc "$WORK/tcp-midstream.pcap" -- "tcp port 7777"
    touch "$WORK/ctl/go"
    wait "$cpid" || true
    finish_bg
    stop_cap
    cleanup
    save "$WORK/tcp-midstream.pcap" tcp-midstream.pcap
}

fx_tcp_options_ecn_tfo() {
    setup_pair off
    ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_ecn=1 net.ipv4.tcp_fastopen=3
    ip netns exec "$NS_S" sysctl -qw net.ipv4.tcp_ecn=2 net.ipv4.tcp_fastopen=3
    start_cap "$NS_C" vc "$WORK/tcp-options-ecn-tfo.pcap" -- "tcp port 7777"
    server_bg "$NS_S" ecn-tfo
    client_run "$NS_C" ecn-tfo
    finish_bg
    stop_cap
    cleanup
    save "$WORK/tcp-options-ecn-tfo.pcap" tcp-options-ecn-tfo.pcap
}

mixed_capture() {   # outname scenario ns iface addr filter [server args] -- [tcpdump opts]
    local name="$1" scen="$2" ns="$3" ifc="$4" addr="$5" filter="$6"; shift 6
    local sargs=(); while [ $# -gt 0 ] && [ "$1" != "--" ]; do sargs+=("$1"); shift; done
    [ "${1:-}" = "--" ] && shift
    start_cap "$ns" "$ifc" "$WORK/$name" "$@" -- "$filter"
    server_bg "$SERVER_NS" "$scen" "${sargs[@]}"
    client_run "$ns" "$scen" --addr "$addr"
    touch "$WORK/ctl/stop"
    finish_bg
    stop_cap
    cleanup
    save "$WORK/$name" "$name"
}

fx_ipv6_tcp_udp() {
    setup_pair off
    SERVER_NS=$NS_S mixed_capture ipv6-tcp-udp.pcap ipv6 "$NS_C" vc "$IP6_S" "ip6 and (tcp or udp)" --v6
}

fx_ipv4_options() {
    setup_pair off
    SERVER_NS=$NS_S mixed_capture ipv4-options.pcap ipopts "$NS_C" vc "$IP_S" "ip and (tcp or udp)"
}

# This kernel has no 8021q module ("type vlan" links) and no bridge VLAN filtering, so the tagged link
# is made in user space: client vc <-> m1 [relay] m2 <=trunk=> m3 [relay] m4 <-> vs server, all m* in
# skfx-m.  relay.py pushes the tag(s) on frames it sends into m2/m3 and pops them on frames it receives
# there; the capture runs on m2, so every frame on it carries the tag(s).  $1 = tag spec, $2 = out name.
trunk_capture() {
    local tagspec="$1" name="$2"
    cleanup
    ip netns add "$NS_C"; ip netns add "$NS_S"; ip netns add "$NS_M"
    for ns in "$NS_C" "$NS_S" "$NS_M"; do   # IPv4 only: no ICMPv6 chatter on the trunk
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
    done
    ip link add vc netns "$NS_C" address "$MAC_C" type veth peer name m1 netns "$NS_M"
    ip link add vs netns "$NS_S" address "$MAC_S" type veth peer name m4 netns "$NS_M"
    ip -n "$NS_M" link add m2 type veth peer name m3
    ip -n "$NS_C" addr add 10.77.100.1/24 dev vc
    ip -n "$NS_S" addr add 10.77.100.2/24 dev vs
    for ns in "$NS_C" "$NS_S" "$NS_M"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_C" link set vc up; ip -n "$NS_S" link set vs up
    for m in m1 m2 m3 m4; do
        ip -n "$NS_M" link set "$m" up promisc on
        offload_off "$NS_M" "$m"
        ip netns exec "$NS_M" ethtool -K "$m" txvlan off rxvlan off >/dev/null 2>&1 || true
    done
    ip -n "$NS_C" neigh replace 10.77.100.2 lladdr "$MAC_S" dev vc nud permanent
    ip -n "$NS_S" neigh replace 10.77.100.1 lladdr "$MAC_C" dev vs nud permanent
    offload_off "$NS_C" vc; offload_off "$NS_S" vs
    reset_ctl
    timeout 40 ip netns exec "$NS_M" python3 "$HERE/relay.py" m1 m2 --pair m3:m4 --delay 0 --duration 30 \
        --tag "m2=$tagspec" --tag "m3=$tagspec" --stop "$WORK/ctl/relay-stop" --ready "$WORK/ctl/relay-ready" &
    BG_PIDS="$BG_PIDS $!"
    wait_for "$WORK/ctl/relay-ready" 5
    start_cap "$NS_M" m2 "$WORK/$name"    # no filter: only relayed test traffic crosses m2
    server_bg "$NS_S" vlan
    client_run "$NS_C" vlan --addr 10.77.100.2
    touch "$WORK/ctl/stop" "$WORK/ctl/relay-stop"
    finish_bg
    stop_cap
    cleanup
    save "$WORK/$name" "$name"
}
fx_vlan_8021q() { trunk_capture 8100:100 vlan-8021q.pcap; }
fx_vlan_qinq()  { trunk_capture 88a8:200,8100:100 vlan-qinq.pcap; }

fx_lo_offload_partial() {
    setup_lo
    SERVER_NS=$NS_L mixed_capture lo-offload-partial.pcap lo "$NS_L" lo 127.0.0.1 "tcp or udp"
}

any_capture() {   # outname linktype
    setup_lo
    start_cap "$NS_L" any "$WORK/$1" -y "$2" -- "tcp port 7777"
    server_bg "$NS_L" fin-client
    client_run "$NS_L" fin-client --addr 127.0.0.1
    finish_bg
    stop_cap
    cleanup
    save "$WORK/$1" "$1"
}
fx_any_sll2() { any_capture any-sll2.pcap LINUX_SLL2; }
fx_any_sll()  { any_capture any-sll.pcap LINUX_SLL; }

fx_pcapng() {
    setup_pair off
    start_dumpcap "$NS_C" vc "$WORK/tcp-handshake-data-fin.pcapng" "tcp port 7777"
    server_bg "$NS_S" pcapng
    client_run "$NS_C" pcapng
    finish_bg
    stop_cap
    cleanup
    save "$WORK/tcp-handshake-data-fin.pcapng" tcp-handshake-data-fin.pcapng
}

fx_tcp_simultaneous_close() {
    setup_relay
    timeout 40 ip netns exec "$NS_M" python3 "$HERE/relay.py" m1 m2 --delay 0.020 --duration 30 \
        --stop "$WORK/ctl/relay-stop" --ready "$WORK/ctl/relay-ready" &
    BG_PIDS="$BG_PIDS $!"
    wait_for "$WORK/ctl/relay-ready" 5
    start_cap "$NS_C" vc "$WORK/tcp-simultaneous-close.pcap" -- "tcp port 7777"
    server_bg "$NS_S" simclose
    client_run "$NS_C" simclose
    sleep 0.3
    touch "$WORK/ctl/relay-stop"
    finish_bg
    stop_cap
    cleanup
    save "$WORK/tcp-simultaneous-close.pcap" tcp-simultaneous-close.pcap
}

# UDP datagrams of 2500-5000 bytes over a 1280-byte MTU, IPv4 and IPv6, path MTU discovery off:
# the senders' kernels fragment them (fragments.py); the capture shows every fragment.
fx_ip_fragments() {
    setup_pair off
    ip -n "$NS_C" link set vc mtu 1280; ip -n "$NS_S" link set vs mtu 1280
    start_cap "$NS_C" vc "$WORK/ip-fragments.pcap" -- "udp or (ip[6:2] & 0x3fff != 0) or ip6"
    timeout 20 ip netns exec "$NS_S" python3 "$HERE/fragments.py" server "$IP_S" "$IP6_S" &
    BG_PIDS="$BG_PIDS $!"
    wait_for "$WORK/ctl/ready" 5
    timeout 20 ip netns exec "$NS_C" python3 "$HERE/fragments.py" client "$IP_S" "$IP6_S"
    finish_bg
    stop_cap
    cleanup
    save "$WORK/ip-fragments.pcap" reassembly/ip-fragments.pcap
}

fx_crafted() {
    python3 "$HERE/craft.py" --out "$OUT"
}

ALL="tcp-handshake-data-fin tcp-server-closes-first tcp-refused tcp-abort-client tcp-abort-server
tcp-half-close tcp-syn-no-answer tcp-port-reuse tcp-many-concurrent tcp-open-at-end tcp-midstream
tcp-options-ecn-tfo udp-exchange ipv6-tcp-udp vlan-8021q vlan-qinq lo-offload-partial any-sll2 any-sll pcapng
nanosecond snaplen-truncated ipv4-options tcp-simultaneous-close ip-fragments crafted"

main() {
    if [ "${1:-}" = "--list" ]; then echo $ALL; exit 0; fi
    local targets="${*:-$ALL}" t
    if [ "$targets" != crafted ]; then
        [ "$(id -u)" = 0 ] || die "run as root (network namespaces, tcpdump)"
        for tool in ip ethtool tcpdump dumpcap nft python3; do
            command -v "$tool" >/dev/null || die "missing $tool (apt-get install -y iproute2 ethtool tcpdump tshark nftables)"
        done
    fi
    mkdir -p "$WORK"
    for t in $targets; do
        log "fixture: $t"
        "fx_${t//-/_}"
    done
    # crafted files derived from real captures (byte-swapped copy, damaged/) need the captures first
    log "done"
}

main "$@"
