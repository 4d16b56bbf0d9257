import CPcap

extension CaptureDevice {
    /// libpcap's version string (`pcap_lib_version(3PCAP)`), e.g. "libpcap version 1.10.3 (with TPACKET_V3)".
    public static var libraryVersion: String { String(cString: pcap_lib_version()) }
}
