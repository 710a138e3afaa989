using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using Seminar.MLNet.Onnx;
using Xunit.Abstractions;

namespace Seminar.MLNet.Tests.Onnx;

public sealed class FloatGraphTests : IDisposable
{
    private const int D = 3;
    private const int H = 2;
    private static readonly float[] W = { 0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f }; // [D, H] row-major
    private static readonly float[] Bias = { 0.1f, -0.2f };

    private readonly ITestOutputHelper _out;
    private readonly string _dir = Directory.CreateTempSubdirectory("seminar-onnx-").FullName;

    public FloatGraphTests(ITestOutputHelper output) => _out = output;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>X [1, L*D] -> reshape [L, D] -> MatMul W [D, H] -> ReduceSum over L (keepdims) [1, H] -> + Bias -> Sum [1, H].</summary>
    private static byte[] BuildFloatGraph()
    {
        var b = new OnnxGraphBuilder("float");
        var x = b.AddInput("X", TensorProto.Types.DataType.Float, 1, "LD");
        b.AddOutput("Sum", TensorProto.Types.DataType.Float, 1, H);
        var w = b.AddInitializer("W", W, D, H);
        var bias = b.AddInitializer("Bias", Bias, 1, H);
        var rows = b.Reshape(x, new long[] { -1, D });
        var projected = b.MatMul(rows, w);
        var sum = b.ReduceSum(projected, new long[] { 0 }, keepDims: true);
        b.Add(sum, bias, output: "Sum");
        return b.ToBytes();
    }

    private static float[] Expected(float[] x)
    {
        var result = (float[])Bias.Clone();
        for (int l = 0; l < x.Length / D; l++)
            for (int h = 0; h < H; h++)
                for (int d = 0; d < D; d++)
                    result[h] += x[l * D + d] * W[d * H + h];
        return result;
    }

    public sealed class FloatRow
    {
        public float[] X { get; set; } = Array.Empty<float>();
    }

    private static List<FloatRow> Data()
    {
        var rng = new Random(7);
        var rows = new List<FloatRow>();
        foreach (var l in new[] { 4, 0, 1, 25 })
            rows.Add(new FloatRow { X = Enumerable.Range(0, l * D).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray() });
        return rows;
    }

    [Fact]
    public void OrtMatchesCSharp()
    {
        using var session = new InferenceSession(BuildFloatGraph());
        foreach (var row in Data())
        {
            using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("X", new DenseTensor<float>(row.X, new[] { 1, row.X.Length })) });
            var actual = results.Single().AsTensor<float>().ToArray();
            Assert.Equal(Expected(row.X), actual, (a, e) => Math.Abs(a - e) <= 1e-5f);
        }
    }

    [Fact]
    public void MlNetMatchesCSharpAndSurvivesModelZip()
    {
        var ml = new MLContext(seed: 1);
        var rows = Data();
        var data = ml.Data.LoadFromEnumerable(rows);
        var onnxPath = Path.Combine(_dir, "float.onnx");
        var pipeline = OnnxTransformerFactory.CreateEstimator(ml, BuildFloatGraph(), onnxPath, new[] { "X" }, new[] { "Sum" }, intraOpNumThreads: 1)
            .Append(ml.Transforms.Concatenate("Features", "Sum"));
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        _out.WriteLine($"Sum: {scored.Schema["Sum"].Type}; Features: {scored.Schema["Features"].Type}");
        Assert.Equal(NumberDataViewType.Single, ((VectorDataViewType)scored.Schema["Sum"].Type).ItemType);
        Assert.Equal(H, ((VectorDataViewType)scored.Schema["Sum"].Type).Size);
        var before = scored.GetColumn<float[]>("Features").ToArray();
        for (int i = 0; i < rows.Count; i++)
            Assert.Equal(Expected(rows[i].X), before[i], (a, e) => Math.Abs(a - e) <= 1e-5f);

        var zip = Path.Combine(_dir, "model.zip");
        ml.Model.Save(model, data.Schema, zip);
        File.Delete(onnxPath); // the ONNX bytes live inside the zip
        var loaded = new MLContext(seed: 2).Model.Load(zip, out var inputSchema);
        Assert.True(inputSchema.GetColumnOrNull("X").HasValue);
        var after = loaded.Transform(data).GetColumn<float[]>("Features").ToArray();
        for (int i = 0; i < rows.Count; i++) Assert.Equal(before[i], after[i]);
    }

    [Fact]
    public void TextModelZipRoundTripGivesIdenticalIds()
    {
        var ml = new MLContext(seed: 1);
        var rows = new List<TextGraphTests.TextRow>
        {
            new() { Items = new[] { "a", "b", "zz" }, Query = "b a" },
            new() { Items = Array.Empty<string>(), Query = "" },
            new() { Items = new[] { "b" }, Query = "日本" },
        };
        var data = ml.Data.LoadFromEnumerable(rows);
        var onnxPath = Path.Combine(_dir, "text.onnx");
        var model = OnnxTransformerFactory.CreateEstimator(ml, TextGraphTests.BuildTextGraph(), onnxPath,
                new[] { "Items", "Query" }, new[] { "ItemIds", "QueryIds" })
            .Append(ml.Transforms.CopyColumns("ItemIdsCopy", "ItemIds"))
            .Fit(data);
        var before = model.Transform(data);
        var zip = Path.Combine(_dir, "text.zip");
        ml.Model.Save(model, data.Schema, zip);
        File.Delete(onnxPath);
        var after = ml.Model.Load(zip, out _).Transform(data);
        foreach (var col in new[] { "ItemIdsCopy", "QueryIds" })
        {
            var x = before.GetColumn<long[]>(col).ToArray();
            var y = after.GetColumn<long[]>(col).ToArray();
            Assert.Equal(x, y);
        }
        Assert.Equal(new[] { new long[] { 1, 2, 0 }, Array.Empty<long>(), new long[] { 2 } }, after.GetColumn<long[]>("ItemIdsCopy").ToArray());
        Assert.Equal(new[] { new long[] { 2, 1 }, Array.Empty<long>(), new long[] { 3 } }, after.GetColumn<long[]>("QueryIds").ToArray());
    }
}
