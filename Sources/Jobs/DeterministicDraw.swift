/// Numbers in 0..<1 that are the same for the same index on every run (SplitMix64): the
/// simulated providers' failures and the load generator's mix draw from it, so runs repeat.
public enum DeterministicDraw {
    public static func unit(_ n: Int) -> Double {
        var z = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}
