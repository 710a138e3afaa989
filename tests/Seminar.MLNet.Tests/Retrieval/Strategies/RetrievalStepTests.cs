using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet.Tests.Retrieval.Strategies;

public class RecentWindowTests
{
    [Fact]
    public void Keeps_the_last_N_real_behaviours_oldest_first_skipping_padding()
    {
        long[] items = { 5, 0, 7, 8, 0, 9, 0 };
        var positions = new int[3];
        Assert.Equal(3, RecentWindow.LastReal(items, 3, positions));
        Assert.Equal(new[] { 2, 3, 5 }, positions);
    }

    [Fact]
    public void A_short_or_padding_only_history_keeps_what_it_has()
    {
        var positions = new int[4];
        Assert.Equal(2, RecentWindow.LastReal(new long[] { 0, 4, 0, 6 }, 4, positions));
        Assert.Equal(new[] { 1, 3 }, positions[..2]);
        Assert.Equal(0, RecentWindow.LastReal(new long[] { 0, 0 }, 4, positions));
        Assert.Equal(0, RecentWindow.LastReal(ReadOnlySpan<long>.Empty, 4, positions));
    }

    [Fact]
    public void A_window_below_one_or_a_short_buffer_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RecentWindow.LastReal(new long[] { 1 }, 0, new int[1]));
        Assert.Throws<ArgumentException>(() => RecentWindow.LastReal(new long[] { 1, 2, 3 }, 3, new int[2]));
    }
}

public class SimHashTests
{
    // D = 2; rows: +x, −x, +y, x+y, x−y.
    static readonly float[] Rotation = { 1, 0, -1, 0, 0, 1, 1, 1, 1, -1 };

    [Fact]
    public void Bit_i_is_set_where_the_projection_on_row_i_is_positive_least_significant_first()
    {
        var projections = new float[5];
        var words = new ulong[1];
        SimHash.Signature(Rotation, new float[] { 2, 1 }, 64, projections, words);
        Assert.Equal(new float[] { 2, -2, 1, 3, 1 }, projections);
        Assert.Equal(0b11101UL, words[0]);
        SimHash.Signature(Rotation, new float[] { -1, 3 }, 64, projections, words);
        Assert.Equal(0b01110UL, words[0]);   // −x·(−1, 3) = 1 > 0; x + y = 2 > 0; x − y = −4
    }

    [Fact]
    public void A_zero_projection_gives_a_zero_bit()
    {
        var words = new ulong[1];
        SimHash.Signature(Rotation, new float[] { 1, 1 }, 64, new float[5], words);
        Assert.Equal(0b01101UL, words[0]);   // x − y = 0
    }

    [Fact]
    public void Narrow_words_hold_one_hash_function_each()
    {
        var words = new ulong[SimHash.Words(5, 2)];
        Assert.Equal(3, words.Length);
        SimHash.Pack(new float[] { 1, -1, -1, 1, 0.5f }, 2, words);
        Assert.Equal(new ulong[] { 0b01, 0b10, 0b1 }, words);
    }

    [Fact]
    public void Sixty_five_bits_take_two_words()
    {
        var projections = Enumerable.Range(0, 65).Select(i => i % 2 == 0 ? 1f : -1f).ToArray();
        var words = new ulong[SimHash.Words(65, 64)];
        SimHash.Pack(projections, 64, words);
        Assert.Equal(0x5555555555555555UL, words[0]);
        Assert.Equal(1UL, words[1]);
    }
}

public class HammingTopKTests
{
    [Fact]
    public void Keeps_the_nearest_best_first_with_equal_distances_to_the_earlier_index()
    {
        ulong target = 0b1010;
        //                        d=2     d=1     d=0     d=1     d=4     d=1
        ulong[] signatures = { 0b0110, 0b1011, 0b1010, 0b1110, 0b0101, 0b0010 };
        var selected = new int[4];
        int kept = HammingTopK.Select(new[] { target }, signatures, 4, new int[6], new int[65], selected);
        Assert.Equal(4, kept);
        Assert.Equal(new[] { 2, 1, 3, 5 }, selected);
        kept = HammingTopK.Select(new[] { target }, signatures, 2, new int[6], new int[65], selected);
        Assert.Equal(new[] { 2, 1 }, selected[..kept]);
    }

    [Fact]
    public void All_equal_distances_keep_the_first_k_in_order()
    {
        var selected = new int[3];
        int kept = HammingTopK.Select(new ulong[] { 0 }, new ulong[] { 1, 2, 4, 8, 16 }, 3, new int[5], new int[65], selected);
        Assert.Equal(3, kept);
        Assert.Equal(new[] { 0, 1, 2 }, selected);
    }

    [Fact]
    public void Fewer_signatures_than_k_keep_them_all_and_multi_word_distances_add_up()
    {
        // Two words each: distances 64 + 0 = 64 and 0 + 1 = 1.
        ulong[] signatures = { ulong.MaxValue, 5, 0, 4 };
        var selected = new int[5];
        var distances = new int[2];
        int kept = HammingTopK.Select(new ulong[] { 0, 5 }, signatures, 5, distances, new int[129], selected);
        Assert.Equal(2, kept);
        Assert.Equal(new[] { 1, 0 }, selected[..2]);
        Assert.Equal(new[] { 64, 1 }, distances);
        Assert.Equal(0, HammingTopK.Select(new ulong[] { 0 }, ReadOnlySpan<ulong>.Empty, 5, distances, new int[65], selected));
    }
}

public class CollisionWeightsTests
{
    [Fact]
    public void Each_behaviour_weighs_the_average_over_functions_of_its_normalised_collisions()
    {
        // m = 2 functions. Target codes (3, 1). Behaviours: (3, 1), (3, 0), (2, 1), (0, 0).
        ulong[] codes = { 3, 1, 3, 0, 2, 1, 0, 0 };
        var weights = new float[4];
        var counts = new int[2];
        Assert.Equal(2, CollisionWeights.Compute(new ulong[] { 3, 1 }, codes, weights, counts));
        Assert.Equal(new[] { 2, 2 }, counts);
        // Behaviour 0 collides under both (1/2 + 1/2) / 2; 1 under function 0 only; 2 under function 1 only; 3 under none.
        Assert.Equal(new[] { 0.5f, 0.25f, 0.25f, 0f }, weights);
    }

    [Fact]
    public void A_function_without_collisions_leaves_the_weights_summing_below_one()
    {
        ulong[] codes = { 1, 7, 1, 6 };
        var weights = new float[2];
        Assert.Equal(1, CollisionWeights.Compute(new ulong[] { 1, 5 }, codes, weights, new int[2]));
        Assert.Equal(new[] { 0.25f, 0.25f }, weights);
        Assert.Equal(0, CollisionWeights.Compute(new ulong[] { 2, 5 }, codes, weights, new int[2]));
        Assert.Equal(new[] { 0f, 0f }, weights);
    }
}
