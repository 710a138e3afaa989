using Seminar.MLNet.Evaluation.Retrieval;

namespace Seminar.MLNet.Tests.Retrieval;

/// <summary>Recall over long histories only, over all, and by length band, on a hand example.</summary>
public class RecallSummaryTests
{
    [Fact]
    public void Only_histories_longer_than_4K_count_and_the_bands_split_the_rest()
    {
        // K = 2: recall counts lengths of at least 9; bands [1, 2], [3, 4], [5, 8], [9, 16], [17, 32], [33, ∞).
        var perRequest = new List<(int, double)> { (1, 1.0), (2, 1.0), (5, 0.5), (9, 0.5), (16, 0.25), (40, 0.0) };
        var s = RecallSummary.Of(2, perRequest);
        Assert.Equal(9, s.MinLength);
        Assert.Equal(3, s.LongRequests);
        Assert.Equal((0.5 + 0.25 + 0.0) / 3, s.Long, 12);
        Assert.Equal(6, s.Requests);
        Assert.Equal((1 + 1 + 0.5 + 0.5 + 0.25 + 0.0) / 6, s.All, 12);
        Assert.Equal(new (int, int?, int, double)[] { (1, 2, 2, 1.0), (5, 8, 1, 0.5), (9, 16, 2, 0.375), (33, null, 1, 0.0) },
            s.ByLength.Select(b => (b.MinLength, b.MaxLength, b.Requests, b.Recall)));
    }

    [Fact]
    public void Without_a_long_history_recall_is_NaN_and_without_any_history_all_is_one()
    {
        var shortOnly = RecallSummary.Of(50, new List<(int, double)> { (120, 1.0), (200, 0.96) });
        Assert.True(double.IsNaN(shortOnly.Long));
        Assert.Equal(0, shortOnly.LongRequests);
        Assert.Equal(0.98, shortOnly.All, 12);
        var band = Assert.Single(shortOnly.ByLength);   // (2K, 4K] = [101, 200]
        Assert.Equal((101, 200, 2), (band.MinLength, band.MaxLength ?? 0, band.Requests));

        var none = RecallSummary.Of(50, new List<(int, double)>());
        Assert.True(double.IsNaN(none.Long));
        Assert.Equal(1.0, none.All);
        Assert.Empty(none.ByLength);
        Assert.Throws<ArgumentOutOfRangeException>(() => RecallSummary.Of(0, new List<(int, double)>()));
    }
}
