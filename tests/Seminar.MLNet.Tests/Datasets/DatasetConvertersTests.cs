using Seminar.MLNet.Datasets.Converters;

namespace Seminar.MLNet.Tests.Datasets;

public class DatasetConvertersTests
{
    [Theory]
    [InlineData("recbole", typeof(RecBoleConverter))]
    [InlineData("jdsearch", typeof(JdSearchConverter))]
    [InlineData("UniSRec", typeof(UniSRecConverter))]
    [InlineData("s3rec", typeof(S3RecConverter))]
    public void Get_returns_the_converter_for_a_format(string format, Type type)
    {
        var c = DatasetConverters.Get(format);
        Assert.IsType(type, c);
        Assert.Equal(format.ToLowerInvariant(), c.Format);
    }

    [Fact]
    public void Get_passes_the_dataset_name_to_s3rec_and_other_formats_ignore_it()
    {
        Assert.Equal("Toys_and_Games", Assert.IsType<S3RecConverter>(DatasetConverters.Get("S3Rec", " Toys_and_Games ")).Name);
        Assert.Null(Assert.IsType<S3RecConverter>(DatasetConverters.Get("s3rec")).Name);
        Assert.IsType<RecBoleConverter>(DatasetConverters.Get("recbole", "ignored"));
    }

    [Fact]
    public void Get_rejects_an_unknown_format_listing_the_valid_ones()
    {
        var ex = Assert.Throws<ArgumentException>(() => DatasetConverters.Get("csv"));
        Assert.Contains("csv", ex.Message);
        foreach (var f in new[] { "recbole", "jdsearch", "unisrec", "s3rec" }) Assert.Contains(f, ex.Message);
    }
}
