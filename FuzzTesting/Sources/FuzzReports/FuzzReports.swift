import FuzzCommon

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    FuzzHarness.fuzz(.reports, data, size)
}
