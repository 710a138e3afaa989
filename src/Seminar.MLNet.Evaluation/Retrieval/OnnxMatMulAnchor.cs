using Microsoft.ML.OnnxRuntime;
using Onnx;
using Seminar.MLNet.Onnx;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>
/// The outside anchor of the bench's ranking setting: the relevance product <c>R [C, n] = U [C, D] · Xᵀ</c> as one ONNX
/// Runtime MatMul on one thread, the history's pair vectors a constant of the graph (so ONNX Runtime may lay them out
/// once, as the exact kernel's blocked layout is built once), inputs and output bound to preallocated tensors so a run
/// allocates no tensor. It times the product alone: the exact side's time also holds the per-candidate top-K.
/// </summary>
internal sealed class OnnxMatMulAnchor : IDisposable
{
    readonly InferenceSession _session;
    readonly RunOptions _run = new();
    readonly OrtValue[] _inputs;
    readonly OrtValue _output;
    readonly float[] _scores;
    static readonly string[] InputNames = { "U" };
    static readonly string[] OutputNames = { "R" };

    /// <summary>A session over <paramref name="rows"/> (<c>[n, D]</c> row-major) for each of the request sets (<c>[C, D]</c> each).</summary>
    public OnnxMatMulAnchor(float[] rows, int n, int d, IReadOnlyList<float[]> requestSets, int candidates)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(requestSets);
        if (rows.Length < (long)n * d) throw new ArgumentException($"The rows hold {rows.Length} values; {n} of D = {d} need {(long)n * d}.", nameof(rows));
        foreach (var u in requestSets)
            if (u.Length != candidates * d) throw new ArgumentException($"A request set holds {u.Length} values; [{candidates}, {d}] needs {candidates * d}.", nameof(requestSets));
        var transposed = new float[(long)d * n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < d; i++) transposed[(long)i * n + j] = rows[(long)j * d + i];
        var g = new OnnxGraphBuilder("relevance_anchor");
        g.AddInput("U", TensorProto.Types.DataType.Float, OnnxDim.Fixed(candidates), OnnxDim.Fixed(d));
        string x = g.AddInitializer("Xt", transposed, d, n);
        g.AddNode("MatMul", new[] { "U", x }, "R");
        g.AddOutput("R", TensorProto.Types.DataType.Float, OnnxDim.Fixed(candidates), OnnxDim.Fixed(n));
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // No spinning worker threads: the bench is one thread.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(g.ToBytes(), options);
        _inputs = requestSets.Select(u => OrtValue.CreateTensorValueFromMemory(u, new long[] { candidates, d })).ToArray();
        _scores = new float[(long)candidates * n];
        _output = OrtValue.CreateTensorValueFromMemory(_scores, new long[] { candidates, n });
    }

    /// <summary>Runs the product for request set <paramref name="set"/>; the scores land in <see cref="Scores"/>.</summary>
    public void Run(int set) => _session.Run(_run, InputNames, new[] { _inputs[set] }, OutputNames, new[] { _output });

    /// <summary>The last run's scores, <c>[C, n]</c> row-major.</summary>
    public ReadOnlySpan<float> Scores => _scores;

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var input in _inputs) input.Dispose();
        _output.Dispose();
        _run.Dispose();
        _session.Dispose();
    }
}
