import Testing
import Pcap

@Suite("DataLink numbers")
struct DataLinkTests {
    @Test("DLT <-> LINKTYPE mapping")
    func mapping() {
        #if os(Linux)
        #expect(DataLink.rawIP == 12)
        #endif
        #expect(DataLink.linkType(fromDLT: DataLink.rawIP) == 101)
        #expect(DataLink.dlt(fromLinkType: 101) == DataLink.rawIP)
        for same: Int32 in [0, 1, 113, 276, 228, 229] {
            #expect(DataLink.linkType(fromDLT: same) == same)
            #expect(DataLink.dlt(fromLinkType: same) == same)
        }
    }

    @Test("libpcap names")
    func names() {
        #expect(DataLink.name(ofDLT: 1) == "EN10MB")
        #expect(DataLink.name(ofDLT: 113) == "LINUX_SLL")
        #expect(DataLink.name(ofDLT: 9999) == nil)
    }
}
