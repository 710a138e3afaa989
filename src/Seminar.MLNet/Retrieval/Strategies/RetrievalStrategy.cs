namespace Seminar.MLNet;

/// <summary>
/// How the PSU chooses the behaviours its ESU attends to. Every strategy shares the PSU's embeddings, pair fusion,
/// value and output projections and head; only the search stage differs, so one network trains as SEMINAR's GSU or as
/// each of its predecessors.
/// </summary>
public enum RetrievalStrategy
{
    /// <summary>
    /// SEMINAR's exact GSU: per head, the top-K behaviours by the attention score itself, then softmax over them.
    /// This is also TWIN (the same score for search and for the exact stage). The default.
    /// </summary>
    Exact = 0,

    /// <summary>
    /// DIN: target attention over only the most recent real (non-padding) behaviours (the PSU options' recent window, default 50);
    /// per head, the top-K of those (all of them when K is at least the window).
    /// </summary>
    Recent = 1,

    /// <summary>
    /// SIM soft search: top-K behaviours by the inner product of separately learned retrieval item embeddings (one set
    /// shared by the heads), then the normal ESU over them. Training adds SIM's auxiliary retrieval loss.
    /// </summary>
    SoftSearch = 2,

    /// <summary>
    /// ETA: SimHash signatures (sign bits of fixed random rotations) of the fused pair vectors; the K behaviours nearest the
    /// target's signature in Hamming distance (one set shared by the heads; equal distances go to the earlier behaviour), then the normal ESU.
    /// </summary>
    SimHash = 3,

    /// <summary>
    /// SDIM: several SimHash functions of a few bits each; behaviours whose signature collides with the target's are
    /// averaged per function and the functions averaged. Those weights replace the softmax (no top-K, no attention scores),
    /// the same for every head, before the usual value and output projections.
    /// </summary>
    HashCollision = 4,
}
