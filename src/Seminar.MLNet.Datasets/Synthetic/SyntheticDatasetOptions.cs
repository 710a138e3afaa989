namespace Seminar.MLNet.Datasets.Synthetic;

/// <summary>
/// Options of <see cref="SyntheticDatasetGenerator"/>. Every property has a default that gives a
/// small dataset (300 users x ~400 events, 3,000 items) with known structure: latent interests that
/// recur over a long history, misaligned modality vectors, interest vocabularies for titles and
/// queries, cold item ids that occur only early in the timeline, and labels drawn from the true
/// target-history relevance. <see cref="Validate"/> checks the values.
/// </summary>
public sealed class SyntheticDatasetOptions
{
    /// <summary>Seed of <see cref="System.Random"/>; the same seed and options give byte-identical files. Default 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Number of latent interests K; each has a centroid and a token vocabulary. Default 24.</summary>
    public int Interests { get; set; } = 24;

    /// <summary>Dimension of the latent space of interest centroids and item vectors. Default 16.</summary>
    public int LatentDimension { get; set; } = 16;

    /// <summary>Tokens per interest vocabulary, named <c>t&lt;k&gt;_&lt;j&gt;</c>. Default 12.</summary>
    public int InterestVocabularySize { get; set; } = 12;

    /// <summary>Shared generic tokens, named <c>g&lt;j&gt;</c>, that carry no interest. Default 40.</summary>
    public int GenericVocabularySize { get; set; } = 40;

    /// <summary>Number of items in the catalog. Default 3,000.</summary>
    public int Items { get; set; } = 3000;

    /// <summary>Standard deviation of an item's latent vector around its interest centroid. Default 0.6.</summary>
    public double ItemLatentNoise { get; set; } = 0.6;

    /// <summary>Dimension of the <c>text</c> modality vectors. Default 32.</summary>
    public int TextDimension { get; set; } = 32;

    /// <summary>Dimension of the <c>image</c> modality vectors. Default 48.</summary>
    public int ImageDimension { get; set; } = 48;

    /// <summary>Standard deviation of the noise added to each modality vector after its random linear map. Default 0.3.</summary>
    public double FeatureNoise { get; set; } = 0.3;

    /// <summary>Fewest tokens in an item title. Default 3.</summary>
    public int TitleMinTokens { get; set; } = 3;

    /// <summary>Most tokens in an item title. Default 6.</summary>
    public int TitleMaxTokens { get; set; } = 6;

    /// <summary>Probability that a title token is generic rather than from the item's interest vocabulary. Default 0.25.</summary>
    public double TitleGenericTokenProbability { get; set; } = 0.25;

    /// <summary>Probability that the <c>cat_&lt;k&gt;</c> attribute names the item's true interest (else a random one). Default 0.8.</summary>
    public double CategoryAccuracy { get; set; } = 0.8;

    /// <summary>Number of brands; each item gets a random <c>brand_&lt;b&gt;</c> attribute. Default 200.</summary>
    public int Brands { get; set; } = 200;

    /// <summary>Standard deviation of the fixed per-item bias added to the label logit. Default 0.5.</summary>
    public double ItemBiasStd { get; set; } = 0.5;

    /// <summary>
    /// Share of items flagged cold. Cold items occur only in events before <see cref="ColdUntil"/>; a cold
    /// item drawn later is replaced by a non-cold item of the same interest. Default 0.2.
    /// </summary>
    public double ColdItemShare { get; set; } = 0.2;

    /// <summary>Fraction of the time range after which cold items no longer occur. Default 0.5.</summary>
    public double ColdUntil { get; set; } = 0.5;

    /// <summary>Number of users. Default 300.</summary>
    public int Users { get; set; } = 300;

    /// <summary>Fewest interests per user. Default 3.</summary>
    public int MinInterestsPerUser { get; set; } = 3;

    /// <summary>Most interests per user. Default 5.</summary>
    public int MaxInterestsPerUser { get; set; } = 5;

    /// <summary>
    /// Mean events per user; each user's count is uniform in [0.5, 1.5] times this, or exactly this when
    /// <see cref="ExactEventsPerUser"/> is set. Default 400.
    /// </summary>
    public int MeanEventsPerUser { get; set; } = 400;

    /// <summary>When true every user has exactly <see cref="MeanEventsPerUser"/> events. Default false.</summary>
    public bool ExactEventsPerUser { get; set; }

    /// <summary>Timestamps are integers in [0, TimeRange); each user's events span the whole range. Default 1,000,000,000.</summary>
    public long TimeRange { get; set; } = 1_000_000_000;

    /// <summary>Probability that the user's active interest stays the same from one event to the next. Default 0.97.</summary>
    public double InterestStayProbability { get; set; } = 0.97;

    /// <summary>Probability that an event's item comes from the active interest (else a uniformly random item). Default 0.6.</summary>
    public double ActiveInterestItemProbability { get; set; } = 0.6;

    /// <summary>Probability that an event has a non-empty search query (else it is browsing). Default 0.5.</summary>
    public double QueryProbability { get; set; } = 0.5;

    /// <summary>Fewest tokens in a non-empty query. Default 1.</summary>
    public int QueryMinTokens { get; set; } = 1;

    /// <summary>Most tokens in a non-empty query. Default 3.</summary>
    public int QueryMaxTokens { get; set; } = 3;

    /// <summary>Probability that a query token is generic rather than from the item's interest vocabulary. Default 0.1.</summary>
    public double QueryGenericTokenProbability { get; set; } = 0.1;

    /// <summary>
    /// Slope of the label logit <c>Sharpness * (s - Offset) + itemBias</c>, where <c>s</c> is the share of the
    /// user's past positive events whose item has this item's interest. Default 8.
    /// </summary>
    public double LabelSharpness { get; set; } = 8;

    /// <summary>Offset of the label logit (see <see cref="LabelSharpness"/>). Default 0.25, which gives about 41% positives with the other defaults.</summary>
    public double LabelOffset { get; set; } = 0.25;

    /// <summary>Largest allowed <see cref="MeanEventsPerUser"/>.</summary>
    public const int MaxMeanEventsPerUser = 100_000_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option whose value is invalid.</summary>
    public void Validate()
    {
        AtLeast(Interests, 1, nameof(Interests));
        AtLeast(LatentDimension, 1, nameof(LatentDimension));
        AtLeast(InterestVocabularySize, 1, nameof(InterestVocabularySize));
        AtLeast(GenericVocabularySize, 1, nameof(GenericVocabularySize));
        AtLeast(Items, 1, nameof(Items));
        NonNegative(ItemLatentNoise, nameof(ItemLatentNoise));
        AtLeast(TextDimension, 1, nameof(TextDimension));
        AtLeast(ImageDimension, 1, nameof(ImageDimension));
        NonNegative(FeatureNoise, nameof(FeatureNoise));
        AtLeast(TitleMinTokens, 1, nameof(TitleMinTokens));
        AtLeast(TitleMaxTokens, TitleMinTokens, nameof(TitleMaxTokens), $"{nameof(TitleMinTokens)} ({TitleMinTokens})");
        Probability(TitleGenericTokenProbability, nameof(TitleGenericTokenProbability));
        Probability(CategoryAccuracy, nameof(CategoryAccuracy));
        AtLeast(Brands, 1, nameof(Brands));
        NonNegative(ItemBiasStd, nameof(ItemBiasStd));
        if (!(ColdItemShare >= 0 && ColdItemShare < 1))
            throw new ArgumentOutOfRangeException(nameof(ColdItemShare), ColdItemShare, $"{nameof(ColdItemShare)} must be in [0, 1) so that some items stay non-cold; got {ColdItemShare}.");
        if (!(ColdUntil > 0 && ColdUntil <= 1))
            throw new ArgumentOutOfRangeException(nameof(ColdUntil), ColdUntil, $"{nameof(ColdUntil)} must be in (0, 1] (a fraction of the time range); got {ColdUntil}.");
        AtLeast(Users, 1, nameof(Users));
        AtLeast(MinInterestsPerUser, 1, nameof(MinInterestsPerUser));
        AtLeast(MaxInterestsPerUser, MinInterestsPerUser, nameof(MaxInterestsPerUser), $"{nameof(MinInterestsPerUser)} ({MinInterestsPerUser})");
        if (MaxInterestsPerUser > Interests)
            throw new ArgumentOutOfRangeException(nameof(MaxInterestsPerUser), MaxInterestsPerUser, $"{nameof(MaxInterestsPerUser)} must not exceed {nameof(Interests)} ({Interests}); got {MaxInterestsPerUser}.");
        AtLeast(MeanEventsPerUser, 1, nameof(MeanEventsPerUser));
        if (MeanEventsPerUser > MaxMeanEventsPerUser)
            throw new ArgumentOutOfRangeException(nameof(MeanEventsPerUser), MeanEventsPerUser, $"{nameof(MeanEventsPerUser)} must be at most {MaxMeanEventsPerUser}; got {MeanEventsPerUser}.");
        long maxEvents = ExactEventsPerUser ? MeanEventsPerUser : (long)Math.Ceiling(MeanEventsPerUser * 1.5);
        if (TimeRange < 2 * maxEvents)
            throw new ArgumentOutOfRangeException(nameof(TimeRange), TimeRange, $"{nameof(TimeRange)} must be at least twice the largest events per user ({maxEvents}) so timestamps can increase; got {TimeRange}.");
        Probability(InterestStayProbability, nameof(InterestStayProbability));
        Probability(ActiveInterestItemProbability, nameof(ActiveInterestItemProbability));
        Probability(QueryProbability, nameof(QueryProbability));
        AtLeast(QueryMinTokens, 1, nameof(QueryMinTokens));
        AtLeast(QueryMaxTokens, QueryMinTokens, nameof(QueryMaxTokens), $"{nameof(QueryMinTokens)} ({QueryMinTokens})");
        Probability(QueryGenericTokenProbability, nameof(QueryGenericTokenProbability));
        if (!double.IsFinite(LabelSharpness) || LabelSharpness < 0)
            throw new ArgumentOutOfRangeException(nameof(LabelSharpness), LabelSharpness, $"{nameof(LabelSharpness)} must be a finite non-negative number; got {LabelSharpness}.");
        if (!double.IsFinite(LabelOffset))
            throw new ArgumentOutOfRangeException(nameof(LabelOffset), LabelOffset, $"{nameof(LabelOffset)} must be finite; got {LabelOffset}.");
    }

    static void AtLeast(long value, long min, string name, string? minName = null)
    {
        if (value < min)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least {minName ?? min.ToString(System.Globalization.CultureInfo.InvariantCulture)}; got {value}.");
    }

    static void NonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite non-negative number; got {value}.");
    }

    static void Probability(double value, string name)
    {
        if (!(value >= 0 && value <= 1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} is a probability and must be in [0, 1]; got {value}.");
    }
}
