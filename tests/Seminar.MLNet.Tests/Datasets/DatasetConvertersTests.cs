using Seminar.MLNet.Datasets.Converters;

namespace Seminar.MLNet.Tests.Datasets;

public class DatasetConvertersTests
{
    [Theory]
    [InlineData("recbole", typeof(RecBoleConverter))]
    [InlineData("jdsearch", typeof(JdSearchConverter))]
    [InlineData("UniSRec", typeof(UniSRecConverter))]
    public void Get_returns_the_converter_for_a_format(string format, Type type)
    {
        var c = DatasetConverters.Get(format);
        Assert.IsType(type, c);
        Assert.Equal(format.ToLowerInvariant(), c.Format);
    }

    [Fact]
    public void Get_rejects_an_unknown_format_listing_the_valid_ones()
    {
        var ex = Assert.Throws<ArgumentException>(() => DatasetConverters.Get("csv"));
        Assert.Contains("csv", ex.Message);
        foreach (var f in new[] { "recbole", "jdsearch", "unisrec" }) Assert.Contains(f, ex.Message);
    }
}
