#!/bin/bash
# Regenerates the tunnel fixtures of Fixtures/encap/ except vxlan-tcp-udp.pcap (make-vxlan.sh).
# See Fixtures/README.md, encap/.
#
#   sudo bash Fixtures/scripts/encap/make-encap.sh OUTDIR
#       captures new real traffic (capture-inner.sh: inner-veth.pcap, vxlan-8472.pcap,
#       vxlan-8472-inner.pcap; needs root, ~10 s), then wraps inner-veth.pcap (wrap.py)
#   bash Fixtures/scripts/encap/make-encap.sh --wrap-only INNER.pcap OUTDIR
#       only the wrapping: deterministic, byte-identical output for the same INNER.pcap
#       (e.g. Fixtures/encap/inner-veth.pcap)
# Needs python3 with scapy (pip install scapy), and for a capture iproute2, ethtool, tcpdump.
set -e
HERE=$(dirname "$(realpath "$0")")
if [ "$1" = "--wrap-only" ]; then
  INNER=$2; OUT=$3
else
  OUT=$1; mkdir -p "$OUT"
  bash "$HERE/capture-inner.sh" "$OUT"
  INNER=$OUT/inner-veth.pcap
fi
mkdir -p "$OUT"
python3 "$HERE/wrap.py" "$INNER" "$OUT"
