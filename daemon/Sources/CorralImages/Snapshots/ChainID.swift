import CorralRegistry

/// Chain IDs name a layer together with everything under it (image-spec):
/// chainID(L0) = diffID(L0), chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)).
public enum ChainID {
    public static func compute(_ diffIDs: [String]) -> [String] {
        var chain: [String] = []
        for diffID in diffIDs {
            if let parent = chain.last {
                chain.append(Digest.of(Array((parent + " " + diffID).utf8)).description)
            } else {
                chain.append(diffID)
            }
        }
        return chain
    }
}
