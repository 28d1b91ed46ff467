import ArgumentParser
import Coordinator
import Store
import Wire

/// A run config's `pulls:` section as benchmark options: how the server answers pulls.
struct PullOptions: ParsableArguments {
    /// The codecs a delta pull may use (fp32+zstd would be no smaller than the arena).
    static let deltaCodecs = GradientCodecs.names.filter { $0 != GradientCodecName.fp32Zstd.rawValue }

    @Option(help: "How the server answers pulls: exact (the whole arena, lossless) or a delta codec (\(PullOptions.deltaCodecs.joined(separator: ", "))), as the run config's pulls.codec.")
    var pullCodec: String = "exact"

    @Option(help: "Kept fraction of a top-k pull codec (pulls.k).")
    var pullK: Double = 0.01

    @Option(help: "Publications per delta chain before an exact resync (pulls.resync_every).")
    var resyncEvery: Int = RunConfig.Pulls.defaultResyncEvery

    func validate() throws {
        guard pullCodec == "exact" || Self.deltaCodecs.contains(pullCodec) else {
            throw ValidationError("--pull-codec must be exact or one of \(Self.deltaCodecs.joined(separator: ", ")), got \(pullCodec)")
        }
        guard pullK > 0 && pullK <= 1 else { throw ValidationError("--pull-k must lie in (0, 1], got \(pullK)") }
        guard resyncEvery >= 1 else { throw ValidationError("--resync-every must be positive, got \(resyncEvery)") }
    }

    var isExact: Bool { pullCodec == "exact" }

    /// The server's pull policy these options name.
    func policy() throws -> PullPolicy {
        isExact ? .exact : .delta(codec: try GradientCodecs.named(pullCodec, k: pullK), resyncEvery: UInt64(resyncEvery))
    }

    /// One line saying how pulls are answered.
    var summary: String {
        isExact ? "exact (fp32+zstd arena)"
            : "delta, \(pullCodec)" + (pullCodec.hasPrefix("topk") ? " k \(pullK)" : "") + ", resync every \(resyncEvery) publications"
    }
}
