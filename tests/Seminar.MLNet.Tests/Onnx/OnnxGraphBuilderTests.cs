using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using Seminar.MLNet.Onnx;
using Xunit.Abstractions;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Seminar.MLNet.Tests.Onnx;

public sealed class OnnxGraphBuilderTests
{
    private readonly ITestOutputHelper _out;

    public OnnxGraphBuilderTests(ITestOutputHelper output) => _out = output;

    [Fact]
    public void ModelHasOpsetsShapesAndInitializers()
    {
        var b = new OnnxGraphBuilder("g");
        b.AddInput("X", DataType.Float, "batch", 4);
        b.AddInitializer("W", new float[] { 1, 2, 3, 4 }, 4, 1);
        b.AddOutput("Y", DataType.Float, "batch", 1);
        b.MatMul("X", "W", "Y");
        var model = ModelProto.Parser.ParseFrom(b.ToBytes());
        Assert.Equal("g", model.Graph.Name);
        Assert.Equal(OnnxOpsets.IrVersion, model.IrVersion);
        Assert.Contains(model.OpsetImport, o => o.Domain == "" && o.Version == 20);
        Assert.Contains(model.OpsetImport, o => o.Domain == "ai.onnx.ml" && o.Version == OnnxOpsets.Ml);
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        Assert.Equal("batch", dims[0].DimParam);
        Assert.Equal(4, dims[1].DimValue);
        Assert.Equal(new long[] { 4, 1 }, model.Graph.Initializer[0].Dims);
    }

    [Fact]
    public void SaveWritesTheSameBytes()
    {
        var b = new OnnxGraphBuilder("g");
        b.AddInput("X", DataType.Int64, 1, "L");
        b.AddOutput("Y", DataType.Int64, 1, "L");
        b.Identity("X", "Y");
        var path = Path.GetTempFileName();
        try
        {
            b.Save(path);
            Assert.Equal(b.ToBytes(), File.ReadAllBytes(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MisuseFailsClearly()
    {
        var b = new OnnxGraphBuilder("g");
        b.AddInput("X", DataType.Float, 1, 2);
        Assert.Throws<InvalidOperationException>(() => b.AddInput("X", DataType.Float, 1));
        Assert.Throws<InvalidOperationException>(() => b.AddInitializer("X", new float[] { 1 }, 1));
        Assert.Throws<ArgumentException>(() => b.AddInitializer("W", new float[] { 1, 2, 3 }, 2, 2));
        var ex = Assert.Throws<InvalidOperationException>(() => b.Add("X", "Missing"));
        Assert.Contains("Missing", ex.Message);
        b.AddOutput("Y", DataType.Float, 1, 2);
        Assert.Throws<InvalidOperationException>(() => b.AddOutput("Y", DataType.Float, 1, 2));
        Assert.Throws<InvalidOperationException>(() => b.Build()); // Y never produced
        b.Identity("X", "Y");
        Assert.Throws<InvalidOperationException>(() => b.Identity("X", "Y")); // Y produced twice
        Assert.Throws<ArgumentException>(() => b.LabelEncoder("X", new[] { "a", "a" }, new long[] { 1, 2 }, 0));
        Assert.Throws<ArgumentException>(() => b.LabelEncoder("X", new[] { "a" }, new long[] { 1, 2 }, 0));
        Assert.Throws<InvalidOperationException>(() => new OnnxGraphBuilder("old", opset: 18).StringSplit("X"));
        Assert.NotNull(b.Build());
    }

    [Fact]
    public void UniqueNameSkipsTakenNames()
    {
        var b = new OnnxGraphBuilder("g");
        Assert.Equal("t", b.UniqueName("t"));
        b.AddInput("t", DataType.Float, 1);
        b.AddOutput("t_1", DataType.Float, 1);
        Assert.Equal("t_2", b.UniqueName("t"));
        var first = b.Identity("t");
        var second = b.Identity("t");
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void ConvenienceOpsRunInOrt()
    {
        // Scores = Softmax(Where(Equal(ids, 0), -1e9, Gather(table, ids) @ q)) ; top-2 by score ; mean/slice/concat/shape checks.
        var b = new OnnxGraphBuilder("ops");
        var ids = b.AddInput("Ids", DataType.Int64, 1, "L");
        b.AddOutput("Probs", DataType.Float, 1, "L");
        b.AddOutput("TopIdx", DataType.Int64, 1, 2);
        b.AddOutput("Mean", DataType.Float, 1, 1);
        b.AddOutput("Len", DataType.Int64, 1);
        b.AddOutput("Head", DataType.Int64, 1, 3);
        b.AddOutput("Flags", DataType.Int64, 1, "L");
        var table = b.AddInitializer("Table", new float[] { 0, 0, 1, 0, 0, 1, 1, 1 }, 4, 2); // 4 ids x 2 dims
        var q = b.AddInitializer("Q", new float[] { 2, 1 }, 2, 1);
        var vectors = b.Gather(table, ids);                           // [1, L, 2]
        var scores = b.Squeeze(b.MatMul(vectors, q), new long[] { 2 }); // [1, L]
        var zero = b.AddInitializer("Zero", new long[] { 0 });
        var neg = b.FloatScalar(-1e9f, "neg");
        var masked = b.Where(b.Equal(ids, zero), neg, scores);
        b.Softmax(masked, -1, "Probs");
        var (_, top) = b.TopK(scores, 2);
        b.Identity(top, "TopIdx");
        b.ReduceMean(scores, new long[] { 1 }, keepDims: true, output: "Mean");
        b.Shape(ids, start: 1, output: "Len");
        var padded = b.Concat(1, ids, b.AddInitializer("Pad", new long[] { 0, 0, 0 }, 1, 3));
        b.Slice(padded, new long[] { 0 }, new long[] { 3 }, new long[] { 1 }, output: "Head");
        var greater = b.Greater(b.Cast(ids, DataType.Float), b.FloatScalar(1.5f));
        var less = b.Less(ids, b.Int64Scalar(3));
        var both = b.Cast(b.Mul(b.Cast(greater, DataType.Int64), b.Cast(less, DataType.Int64)), DataType.Int64);
        b.Reshape(b.Unsqueeze(both, new long[] { 0 }), new long[] { 1, -1 }, "Flags");

        using var session = new InferenceSession(b.ToBytes());
        long[] input = { 1, 0, 3, 2 };
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("Ids", new DenseTensor<long>(input, new[] { 1, 4 })) });
        var r = results.ToDictionary(x => x.Name);
        float[] s = { 2, 0, 3, 1 }; // Table[id] . [2,1]
        var probs = r["Probs"].AsTensor<float>().ToArray();
        double z = Math.Exp(2) + Math.Exp(3) + Math.Exp(1);
        Assert.Equal(new[] { Math.Exp(2) / z, 0, Math.Exp(3) / z, Math.Exp(1) / z }, probs.Select(p => (double)p), (a, e) => Math.Abs(a - e) < 1e-6);
        Assert.Equal(new long[] { 2, 0 }, r["TopIdx"].AsTensor<long>().ToArray());
        Assert.Equal(s.Average(), r["Mean"].AsTensor<float>().ToArray()[0], 1e-6f);
        Assert.Equal(new long[] { 4 }, r["Len"].AsTensor<long>().ToArray());
        Assert.Equal(new long[] { 1, 0, 3 }, r["Head"].AsTensor<long>().ToArray());
        Assert.Equal(new long[] { 0, 0, 0, 1 }, r["Flags"].AsTensor<long>().ToArray());
    }

    [Theory]
    [InlineData("a  b", " ", new[] { "a", "", "b" })]
    [InlineData("a  b", null, new[] { "a", "b" })]
    [InlineData(" a ", " ", new[] { "", "a", "" })]
    [InlineData("", null, new string[0])]
    [InlineData("", " ", new string[0])]
    [InlineData("a,b,c", ",", new[] { "a", "b", "c" })]
    public void StringSplitSemantics(string text, string? delimiter, string[] expected)
    {
        var b = new OnnxGraphBuilder("split");
        var x = b.AddInput("X", DataType.String, 1, 1);
        b.AddOutput("Y", DataType.String, 1, 1, "M");
        b.AddOutput("N", DataType.Int64, 1, 1);
        b.StringSplit(x, delimiter, substrings: "Y", lengths: "N");
        using var session = new InferenceSession(b.ToBytes());
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("X", new DenseTensor<string>(new[] { text }, new[] { 1, 1 })) });
        var r = results.ToDictionary(x => x.Name);
        var pieces = r["Y"].AsTensor<string>().ToArray();
        _out.WriteLine($"'{text}' on '{delimiter}': [{string.Join("|", pieces)}] n={r["N"].AsTensor<long>().ToArray()[0]}");
        Assert.Equal(expected, pieces);
        Assert.Equal(expected.Length, r["N"].AsTensor<long>().ToArray()[0]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void LabelEncoderRunsAtMlOpset(int mlOpset)
    {
        var b = new OnnxGraphBuilder("le", mlOpset: mlOpset);
        var x = b.AddInput("X", DataType.String, 1, "L");
        b.AddOutput("Y", DataType.Int64, 1, "L");
        b.LabelEncoder(x, new[] { "a", "b" }, new long[] { 1, 2 }, -1, "Y");
        using var session = new InferenceSession(b.ToBytes());
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("X", new DenseTensor<string>(new[] { "b", "q", "a" }, new[] { 1, 3 })) });
        Assert.Equal(new long[] { 2, -1, 1 }, results.Single().AsTensor<long>().ToArray());
    }

    [Fact]
    public void OrtRejectsMlOpsetSix()
    {
        var b = new OnnxGraphBuilder("le", mlOpset: 6);
        var x = b.AddInput("X", DataType.String, 1, "L");
        b.AddOutput("Y", DataType.Int64, 1, "L");
        b.LabelEncoder(x, new[] { "a" }, new long[] { 1 }, -1, "Y");
        var ex = Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(b.ToBytes()));
        Assert.Contains("ai.onnx.ml is till opset 5", ex.Message);
    }

    [Fact]
    public void StringSplitOnVectorPadsWithEmptyStrings()
    {
        var b = new OnnxGraphBuilder("split");
        var x = b.AddInput("X", DataType.String, 1, "L");
        b.AddOutput("Ids", DataType.Int64, 1, "L", "M");
        b.AddOutput("N", DataType.Int64, 1, "L");
        var (pieces, _) = b.StringSplit(x, " ", lengths: "N");
        b.LabelEncoder(pieces, new[] { "a", "b", "c" }, new long[] { 1, 2, 3 }, 0, "Ids");
        using var session = new InferenceSession(b.ToBytes());
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("X", new DenseTensor<string>(new[] { "a b", "", "c" }, new[] { 1, 3 })) });
        var r = results.ToDictionary(v => v.Name);
        var ids = r["Ids"].AsTensor<long>();
        Assert.Equal(new[] { 1, 3, 2 }, ids.Dimensions.ToArray());
        Assert.Equal(new long[] { 1, 2, 0, 0, 3, 0 }, ids.ToArray()); // padding "" maps to the default
        Assert.Equal(new long[] { 2, 0, 1 }, r["N"].AsTensor<long>().ToArray());
    }
}
