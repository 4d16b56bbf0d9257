#ifndef SOCKEYE_CPCAP_SHIM_H
#define SOCKEYE_CPCAP_SHIM_H
#include <pcap/pcap.h>
#include <stdio.h>
#endif
