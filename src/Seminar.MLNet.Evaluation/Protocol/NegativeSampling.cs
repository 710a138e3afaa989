namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>How sampled negatives are drawn in a period without label-0 events.</summary>
public enum NegativeSampling
{
    /// <summary>
    /// An item's probability is proportional to its positive events (by any user) strictly before the sample's time,
    /// plus one, so that negatives look like what the user could have been shown and cold items stay possible.
    /// </summary>
    Popularity,
    /// <summary>Every item equally likely.</summary>
    Uniform,
}
