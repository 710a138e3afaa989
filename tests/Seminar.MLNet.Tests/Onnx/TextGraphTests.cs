using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using Seminar.MLNet.Onnx;
using Xunit.Abstractions;

namespace Seminar.MLNet.Tests.Onnx;

public sealed class TextGraphTests : IDisposable
{
    private readonly ITestOutputHelper _out;
    private readonly string _dir = Directory.CreateTempSubdirectory("seminar-onnx-").FullName;

    public TextGraphTests(ITestOutputHelper output) => _out = output;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static readonly string[] ItemKeys = { "a", "b" };
    internal static readonly long[] ItemValues = { 1, 2 };
    internal static readonly string[] QueryKeys = { "a", "b", "日本" };
    internal static readonly long[] QueryValues = { 1, 2, 3 };

    /// <summary>Items [1,L] -> ItemIds [1,L]; Query [1,1] (ML.NET feeds a scalar column as [1,1]) -> split on " " -> QueryIds [1,1,M] + QueryTokenCount [1,1].</summary>
    internal static byte[] BuildTextGraph()
    {
        var b = new OnnxGraphBuilder("text");
        var items = b.AddInput("Items", TensorProto.Types.DataType.String, 1, "L");
        var query = b.AddInput("Query", TensorProto.Types.DataType.String, 1, 1);
        b.AddOutput("ItemIds", TensorProto.Types.DataType.Int64, 1, "L");
        b.AddOutput("QueryIds", TensorProto.Types.DataType.Int64, 1, 1, "M");
        b.AddOutput("QueryTokenCount", TensorProto.Types.DataType.Int64, 1, 1);
        b.LabelEncoder(items, ItemKeys, ItemValues, 0, output: "ItemIds");
        var (tokens, lengths) = b.StringSplit(query, " ", lengths: "QueryTokenCount");
        b.LabelEncoder(tokens, QueryKeys, QueryValues, 0, output: "QueryIds");
        return b.ToBytes();
    }

    public static TheoryData<string[], string, long[], long[], long> Rows => new()
    {
        { new[] { "a", "b", "c" }, "a b", new long[] { 1, 2, 0 }, new long[] { 1, 2 }, 2 },
        { Array.Empty<string>(), "", Array.Empty<long>(), Array.Empty<long>(), 0 },
        { new[] { "b" }, "ünïcödé b 日本", new long[] { 2 }, new long[] { 0, 2, 3 }, 3 },
        { new[] { "a", "A" }, "b", new long[] { 1, 0 }, new long[] { 2 }, 1 },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void OrtRunsTextGraph(string[] items, string query, long[] itemIds, long[] queryIds, long tokenCount)
    {
        using var session = new InferenceSession(BuildTextGraph());
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("Items", new DenseTensor<string>(items, new[] { 1, items.Length })),
            NamedOnnxValue.CreateFromTensor("Query", new DenseTensor<string>(new[] { query }, new[] { 1, 1 })),
        };
        using var results = session.Run(inputs);
        var byName = results.ToDictionary(r => r.Name);
        var ids = byName["ItemIds"].AsTensor<long>();
        var q = byName["QueryIds"].AsTensor<long>();
        var n = byName["QueryTokenCount"].AsTensor<long>();
        _out.WriteLine($"ItemIds dims [{string.Join(",", ids.Dimensions.ToArray())}] QueryIds dims [{string.Join(",", q.Dimensions.ToArray())}] = {string.Join(",", q.ToArray())} count {n.ToArray()[0]}");
        Assert.Equal(new[] { 1, items.Length }, ids.Dimensions.ToArray());
        Assert.Equal(itemIds, ids.ToArray());
        Assert.Equal(queryIds, q.ToArray());
        Assert.Equal(tokenCount, n.ToArray()[0]);
    }

    public sealed class TextRow
    {
        public string[] Items { get; set; } = Array.Empty<string>();
        public string Query { get; set; } = "";
    }

    [Fact]
    public void MlNetRunsTextGraph()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows.Select(r => new TextRow { Items = (string[])r[0], Query = (string)r[1] }).ToList());
        _out.WriteLine($"Items column type: {data.Schema["Items"].Type}");
        var transformer = OnnxTransformerFactory.CreateTransformer(ml, BuildTextGraph(), Path.Combine(_dir, "text.onnx"), data,
            new[] { "Items", "Query" }, new[] { "ItemIds", "QueryIds", "QueryTokenCount" });
        var scored = transformer.Transform(data);
        foreach (var name in new[] { "ItemIds", "QueryIds", "QueryTokenCount" })
            _out.WriteLine($"{name}: {scored.Schema[name].Type} (size {(scored.Schema[name].Type as VectorDataViewType)?.Size})");
        var ids = scored.GetColumn<VBuffer<long>>("ItemIds").Select(v => v.DenseValues().ToArray()).ToArray();
        var q = scored.GetColumn<VBuffer<long>>("QueryIds").Select(v => v.DenseValues().ToArray()).ToArray();
        var n = scored.GetColumn<VBuffer<long>>("QueryTokenCount").Select(v => v.DenseValues().ToArray()).ToArray();
        var expected = Rows.ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            _out.WriteLine($"row {i}: [{string.Join(",", ids[i])}] [{string.Join(",", q[i])}] [{string.Join(",", n[i])}]");
        }
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal((long[])expected[i][2], ids[i]);
            Assert.Equal((long[])expected[i][3], q[i]);
            Assert.Equal(new[] { (long)expected[i][4] }, n[i]);
        }
    }
}
