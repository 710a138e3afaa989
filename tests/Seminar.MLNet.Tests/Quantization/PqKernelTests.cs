using Seminar.MLNet.Quantization;
using Xunit;

namespace Seminar.MLNet.Tests.Quantization;

public class PqKernelTests
{
    [Fact]
    public void LookupTablesAreDotProductsOfTheRequestWithEachCentroid()
    {
        var rng = new Random(1);
        var books = PqKernelFixtures.Books(rng, coarse: false, 7, 256, 3);
        var tables = new PqLookupTables(books, heads: 3);
        var u = PqKernelFixtures.Requests(rng, 3, 8, coarse: false);
        tables.Build(u);
        for (int h = 0; h < 3; h++)
            for (int s = 0; s < books.SubSpaces; s++)
            {
                var q = books.Sets[Array.FindLastIndex(books.SetOffsets, o => o <= s)];
                int c = books.SubSpaceOf[s];
                for (int k = 0; k < q.Centroids; k++)
                {
                    double expected = 0;
                    float sequential = 0;
                    for (int j = 0; j < 2; j++)
                    {
                        float x = u[h * 8 + c * 2 + j], y = q.Codebook.Span[(c * q.Centroids + k) * 2 + j];
                        expected += (double)x * y;
                        sequential += x * y;
                    }
                    float entry = tables.Float[(h * books.SubSpaces + s) * 256 + k];
                    Assert.InRange(entry - expected, -1e-5, 1e-5);
                    // Products and sums rounded separately, in dimension order, whatever the vector width.
                    Assert.Equal(sequential, entry);
                }
            }
    }

    [Fact]
    public void SixteenBitTablesStayWithinHalfAUnitOfTheScaledFloatTables()
    {
        var rng = new Random(2);
        var books = PqKernelFixtures.Books(rng, coarse: false, 256, 40);
        var tables = new PqLookupTables(books, heads: 2);
        tables.Build(PqKernelFixtures.Requests(rng, 2, 8, coarse: false));
        tables.Quantize();
        for (int h = 0; h < 2; h++)
        {
            var valid = Enumerable.Range(0, books.SubSpaces).Select(s => tables.Float.Slice((h * books.SubSpaces + s) * 256, books.ValidCentroids[s]).ToArray()).ToArray();
            float maxRange = valid.Max(v => v.Max() - v.Min());
            float scale = 65535f / maxRange;
            int top = 0;
            for (int s = 0; s < valid.Length; s++)
                for (int k = 0; k < valid[s].Length; k++)
                {
                    int at = (h * books.SubSpaces + s) * 256 + k;
                    int q = 256 * tables.QuantizedHigh[at] + tables.QuantizedLow[at];
                    double exact = (valid[s][k] - valid[s].Min()) * (double)scale;
                    Assert.InRange(q - exact, -0.51, 0.51); // half a unit, plus float rounding of the scaled value
                    top = Math.Max(top, q);
                }
            Assert.Equal(65535, top);
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(63, false)]
    [InlineData(64, true)]
    [InlineData(300, false)]
    [InlineData(1025, true)]
    public void FloatScanEqualsTheNaiveSumExactly(int count, bool coarse)
    {
        var rng = new Random(count);
        var books = PqKernelFixtures.Books(rng, coarse, 256, 5);
        var codes = PqKernelFixtures.Codes(rng, books, count);
        var tables = new PqLookupTables(books, heads: 3);
        tables.Build(PqKernelFixtures.Requests(rng, 3, 8, coarse));
        var scores = new float[3 * count];
        PqScan.Float(codes, count, tables, scores, count);
        for (int h = 0; h < 3; h++)
            for (int l = 0; l < count; l++)
            {
                Assert.Equal(PqKernelFixtures.NaiveFloat(tables, codes, h, l), scores[h * count + l]);
                Assert.Equal(scores[h * count + l], PqScan.FloatOne(codes, l, tables, h));
            }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(255)]
    [InlineData(257)]
    [InlineData(3000)]
    public void ByteScanEqualsTheNaiveIntegerSumExactly(int count)
    {
        var rng = new Random(100 + count);
        var books = PqKernelFixtures.Books(rng, coarse: false, 256, 17, 256);
        var codes = PqKernelFixtures.Codes(rng, books, count);
        var tables = new PqLookupTables(books, heads: 4);
        tables.Build(PqKernelFixtures.Requests(rng, 4, 8, coarse: false));
        tables.Quantize();
        var scores = new ushort[4 * codes.PaddedCount];
        var portable = new ushort[4 * codes.PaddedCount];
        foreach (var table in new[] { tables.QuantizedLow.ToArray(), tables.QuantizedHigh.ToArray() })
        {
            // The portable scan runs on every CPU; Bytes is the VBMI kernel where the CPU has it, else the portable scan.
            PqScan.BytesPortable(codes, table, 4, portable);
            PqScan.Bytes(codes, table, 4, scores);
            for (int h = 0; h < 4; h++)
                for (int l = 0; l < count; l++)
                {
                    int expected = PqKernelFixtures.NaiveBytes(table, codes, h, l);
                    Assert.Equal(expected, portable[h * codes.PaddedCount + l]);
                    Assert.Equal(expected, scores[h * codes.PaddedCount + l]);
                }
            // Padding slots hold code 0 in every sub-space: both scans give the sum of the code-0 entries there.
            Assert.Equal(portable, scores);
        }
    }

    [Theory]
    [InlineData(0, 4, false)]
    [InlineData(1, 4, false)]
    [InlineData(49, 3, false)]
    [InlineData(50, 4, true)]
    [InlineData(101, 4, true)]
    [InlineData(101, 4, false)]
    [InlineData(700, 5, true)]
    [InlineData(5000, 4, false)]
    [InlineData(5000, 2, true)]
    public void RetrieverKeepsTheFloatTopKBestFirstWithTiesToTheEarlierBehaviour(int count, int heads, bool coarse)
    {
        var rng = new Random(count * 10 + heads);
        var books = PqKernelFixtures.Books(rng, coarse, 256, 9, 200);
        var codes = PqKernelFixtures.Codes(rng, books, count);
        var u = PqKernelFixtures.Requests(rng, heads, 8, coarse);
        const int k = 50;
        foreach (var kernel in new[] { PqScanKernel.Auto, PqScanKernel.Float })
        {
            var retriever = new PqRetriever(books, heads, k) { Kernel = kernel };
            var kept = new int[heads * k];
            int n = retriever.Retrieve(u, codes, kept);
            Assert.Equal(Math.Min(k, count), n);
            for (int h = 0; h < heads; h++)
                Assert.Equal(PqKernelFixtures.NaiveTopK(retriever.Tables, codes, h, k), kept.Skip(h * k).Take(n).ToArray());
        }
    }

    [Fact]
    public void CodeBlocksPlaceEachSubSpaceOf64BehavioursContiguously()
    {
        var codes = new PqCodeBlocks(subSpaces: 3);
        codes.Reset(130);
        codes.Set(65, 1, new byte[] { 7, 9 });
        Assert.Equal(4 * 3 * 64, codes.Data.Length); // padded to a group of four blocks
        Assert.Equal(7, codes.Data[(1 * 3 + 1) * 64 + 1]);
        Assert.Equal(9, codes.Data[(1 * 3 + 2) * 64 + 1]);
        Assert.Equal(9, codes.Get(65, 2));
        codes.Reset(10);
        Assert.Equal(0, codes.Get(1, 1)); // reset clears
        Assert.Throws<ArgumentOutOfRangeException>(() => codes.Set(10, 0, new byte[] { 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => codes.Set(0, 2, new byte[] { 1, 2 }));
    }
}
