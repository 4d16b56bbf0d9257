import ArgumentParser
import Reports
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The record-field options `analyze` and `live` share: the Community ID and Zeek's
/// `Site::local_nets`. A bad value is a usage error (one line, exit 64).
struct RecordOptions: ParsableArguments {
    /// `--community-id` / `--no-community-id`.
    @Flag(inversion: .prefixedNo,
          help: "Add community_id (Community ID v1 flow hash, as Zeek's community-id-logging, Suricata, Arkime) to every record and live event. On by default; --no-community-id writes Zeek's default conn.log columns only.")
    var communityId = true

    @Option(help: ArgumentHelp("Community ID seed, 0-65535 (default 0, the spec's and Zeek's default).", valueName: "n"))
    var communityIdSeed: UInt16 = 0

    @Option(help: ArgumentHelp("Local networks (Zeek's Site::local_nets), e.g. 10.0.0.0/8,fd00::/8: fill local_orig/local_resp. Default: $SOCKEYE_LOCAL_NETS; unset, they stay '-' (unset), as in Zeek.",
                               valueName: "cidr,..."))
    var localNets: String?

    static let environmentVariable = "SOCKEYE_LOCAL_NETS"

    /// `--local-nets`, else `$SOCKEYE_LOCAL_NETS` (an empty variable counts as unset).
    private var localNetsText: (text: String, source: String)? {
        if let localNets { return (localNets, "--local-nets") }
        if let env = getenv(Self.environmentVariable), env.pointee != 0 {
            return (String(cString: env), Self.environmentVariable)
        }
        return nil
    }

    func validate() throws {
        if let (text, source) = localNetsText {
            do { _ = try LocalNetworks(parsing: text) } catch {
                throw ValidationError("\(source): \(error.description)")
            }
        }
    }

    /// The options every record writer of the run gets (validated: never throws after `validate`).
    var fieldOptions: ConnFieldOptions {
        ConnFieldOptions(communityID: communityId ? CommunityID(seed: communityIdSeed) : nil,
                         localNetworks: localNetsText.flatMap { try? LocalNetworks(parsing: $0.text) })
    }
}
