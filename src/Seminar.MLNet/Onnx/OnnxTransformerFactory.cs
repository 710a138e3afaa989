using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;

namespace Seminar.MLNet.Onnx;

/// <summary>
/// Turns a graph from <see cref="OnnxGraphBuilder"/> into ML.NET's <see cref="OnnxScoringEstimator"/> /
/// <see cref="OnnxTransformer"/> (the built-in, savable transformer that stock ML.NET loads back).
/// </summary>
/// <remarks>
/// Shape rules (checked with ML.NET 5.0.1 and ONNX Runtime 1.31):
/// <list type="bullet">
/// <item>One data-view row is one <c>InferenceSession.Run</c>; the tensor fed for a vector column has the row's values
/// and the ONNX input's declared shape with its symbolic dims bound from the row's length.</item>
/// <item>A variable-length vector column needs an ONNX input of shape <c>[1, "L"]</c> (leading batch dim 1);
/// a bare <c>["L"]</c> input fails. An empty vector is fed as <c>[1, 0]</c> and works (LabelEncoder, Reshape, MatMul,
/// ReduceSum give empty or zero results; no padding needed).</item>
/// <item>A known-size vector column (<c>Vector&lt;Int64, n&gt;</c>, e.g. the featurizer's target item and query tokens) needs an
/// input whose dims are all fixed with product n: <c>[n]</c> and <c>[1, n]</c> both work (and a scalar <c>[]</c> for n = 1).
/// A symbolic dim on such an input is not bound from the row: <c>[1, "n"]</c> and <c>["n"]</c> fail at run time with
/// "Length of memory (n) must match product of dimensions".</item>
/// <item>Empty selections run: <c>TopK</c> with k = 0 (also over an empty axis) and <c>Softmax</c> over an empty axis give
/// empty results, and a <c>MatMul</c> whose inner dim is 0 gives zeros, so a graph can handle an empty history without padding.</item>
/// <item>A scalar column (e.g. <c>string Query</c>) is fed as a rank-2 tensor <c>[1, 1]</c>: declare the ONNX input as
/// <c>[1, 1]</c>; <c>[1]</c> fails at run time with "Invalid rank for input".</item>
/// <item>A string column (<c>ReadOnlyMemory&lt;char&gt;</c> / <c>string</c> / <c>string[]</c>) feeds an ONNX string tensor.</item>
/// <item>Each ONNX output becomes a vector column whose item type is the ONNX element type (int64 gives
/// <c>Vector&lt;Int64&gt;</c>, float gives <c>Vector&lt;Single&gt;</c>); its size is known only if every output dim is fixed
/// (an output <c>[1, 2]</c> gives <c>Vector&lt;Single, 1, 2&gt;</c>, size 2), otherwise the column is a variable-size vector
/// (<c>Vector&lt;Int64&gt;</c>, size 0) and each row holds the flattened tensor (length 0 for an empty result).</item>
/// <item><c>shapeDictionary</c> overrides the declared shape of an input or output by ONNX name (e.g. to fix a symbolic dim).</item>
/// <item>The model bytes are embedded in the saved ML.NET model zip; the file at <c>modelPath</c> is read when creating the estimator
/// and again when the transformer is saved (ML.NET 5.0.1 reads the model file's path at save time).</item>
/// <item>An output of shape <c>[]</c> is typed as a scalar column, but ML.NET 5.0.1 fails to read it (ArgumentNullException in
/// OnnxTransformer's object getter): one-value outputs stay <c>[1]</c>.</item>
/// </list>
/// </remarks>
internal static class OnnxTransformerFactory
{
    /// <summary>
    /// Writes <paramref name="modelBytes"/> to <paramref name="modelPath"/> and returns the ML.NET estimator that runs it.
    /// ONNX input and output names must equal the ML.NET column names.
    /// </summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="modelBytes">The serialized model, e.g. from <see cref="OnnxGraphBuilder.ToBytes"/>.</param>
    /// <param name="modelPath">Where to write the model (caller-owned; may be deleted once the transformer is fitted).</param>
    /// <param name="inputColumnNames">ONNX input names = input column names.</param>
    /// <param name="outputColumnNames">ONNX output names = output column names.</param>
    /// <param name="shapeDictionary">Optional per input/output shape overrides (ONNX name to dims).</param>
    /// <param name="intraOpNumThreads">ORT intra-op threads per session, or null for the ORT default.</param>
    /// <returns>The estimator; <c>Fit</c> only checks the input schema.</returns>
    public static OnnxScoringEstimator CreateEstimator(
        MLContext ml,
        byte[] modelBytes,
        string modelPath,
        string[] inputColumnNames,
        string[] outputColumnNames,
        IDictionary<string, int[]>? shapeDictionary = null,
        int? intraOpNumThreads = null)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(modelBytes);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        File.WriteAllBytes(modelPath, modelBytes);
        return CreateEstimator(ml, modelPath, inputColumnNames, outputColumnNames, shapeDictionary, intraOpNumThreads);
    }

    /// <summary>Returns the ML.NET estimator that runs the ONNX model at <paramref name="modelPath"/>.</summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="modelPath">Path of an existing <c>.onnx</c> file.</param>
    /// <param name="inputColumnNames">ONNX input names = input column names.</param>
    /// <param name="outputColumnNames">ONNX output names = output column names.</param>
    /// <param name="shapeDictionary">Optional per input/output shape overrides (ONNX name to dims).</param>
    /// <param name="intraOpNumThreads">ORT intra-op threads per session, or null for the ORT default.</param>
    /// <returns>The estimator.</returns>
    public static OnnxScoringEstimator CreateEstimator(
        MLContext ml,
        string modelPath,
        string[] inputColumnNames,
        string[] outputColumnNames,
        IDictionary<string, int[]>? shapeDictionary = null,
        int? intraOpNumThreads = null)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        CheckNames(inputColumnNames, nameof(inputColumnNames));
        CheckNames(outputColumnNames, nameof(outputColumnNames));
        var options = new OnnxOptions
        {
            ModelFile = modelPath,
            InputColumns = inputColumnNames,
            OutputColumns = outputColumnNames,
            ShapeDictionary = shapeDictionary is null ? null : new Dictionary<string, int[]>(shapeDictionary),
        };
        if (intraOpNumThreads is int n) options.IntraOpNumThreads = n;
        return ml.Transforms.ApplyOnnxModel(options);
    }

    /// <summary>Writes the model, creates the estimator and fits it on <paramref name="input"/>'s schema.</summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="modelBytes">The serialized model.</param>
    /// <param name="modelPath">Where to write the model.</param>
    /// <param name="input">Any data view with the input columns (rows are not read).</param>
    /// <param name="inputColumnNames">ONNX input names = input column names.</param>
    /// <param name="outputColumnNames">ONNX output names = output column names.</param>
    /// <param name="shapeDictionary">Optional per input/output shape overrides.</param>
    /// <param name="intraOpNumThreads">ORT intra-op threads per session, or null for the ORT default.</param>
    /// <returns>The fitted, savable transformer.</returns>
    public static OnnxTransformer CreateTransformer(
        MLContext ml,
        byte[] modelBytes,
        string modelPath,
        IDataView input,
        string[] inputColumnNames,
        string[] outputColumnNames,
        IDictionary<string, int[]>? shapeDictionary = null,
        int? intraOpNumThreads = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        return CreateEstimator(ml, modelBytes, modelPath, inputColumnNames, outputColumnNames, shapeDictionary, intraOpNumThreads).Fit(input);
    }

    /// <summary>
    /// Creates the transformer from <paramref name="modelBytes"/> held in memory: OnnxTransformer only reads a model from a
    /// file, so the bytes go to a fresh private folder (owner-only on Unix) under <see cref="MLContext.TempFilePath"/> for
    /// the moment ONNX Runtime reads them, and the folder is removed as soon as the transformer is fitted (where the OS
    /// lets an open file be deleted: not on Windows, where the folder stays). The returned
    /// transformer scores as usual, but cannot be saved itself (saving reads the file again): save with <see cref="Save"/>.
    /// </summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="modelBytes">The serialized model.</param>
    /// <param name="input">Any data view with the input columns (rows are not read).</param>
    /// <param name="inputColumnNames">ONNX input names = input column names.</param>
    /// <param name="outputColumnNames">ONNX output names = output column names.</param>
    /// <returns>The fitted transformer.</returns>
    internal static OnnxTransformer CreateInMemory(MLContext ml, byte[] modelBytes, IDataView input, string[] inputColumnNames, string[] outputColumnNames) =>
        WithModelFile(ml, modelBytes, path => CreateTransformer(ml, modelBytes, path, input, inputColumnNames, outputColumnNames));

    /// <summary>
    /// Saves <paramref name="modelBytes"/> as a stock OnnxTransformer into <paramref name="ctx"/>: a transformer built for the
    /// save alone, whose model file is removed (with its folder) right after.
    /// </summary>
    internal static void Save(MLContext ml, byte[] modelBytes, IDataView input, string[] inputColumnNames, string[] outputColumnNames, ModelSaveContext ctx) =>
        WithModelFile(ml, modelBytes, path =>
        {
            using var transformer = CreateTransformer(ml, modelBytes, path, input, inputColumnNames, outputColumnNames);
            ((ICanSaveModel)transformer).Save(ctx);
            return 0;
        });

    static T WithModelFile<T>(MLContext ml, byte[] modelBytes, Func<string, T> use)
    {
        // A shared, fixed folder would be owned by whichever user made it first; a fresh owner-only folder per graph is never shared.
        string folder = Path.Combine(ml.TempFilePath ?? Path.GetTempPath(), $"seminar-mlnet-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            return use(Path.Combine(folder, "model.onnx"));
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { } // Windows refuses to delete the file ML.NET holds open: it stays there.
            catch (UnauthorizedAccessException) { }
        }
    }

    private static void CheckNames(string[] names, string paramName)
    {
        ArgumentNullException.ThrowIfNull(names, paramName);
        if (names.Length == 0) throw new ArgumentException("At least one column name is needed.", paramName);
        foreach (var n in names)
        {
            if (string.IsNullOrWhiteSpace(n)) throw new ArgumentException("Column names must be non-empty.", paramName);
        }
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length) throw new ArgumentException("Column names must be distinct.", paramName);
    }
}
