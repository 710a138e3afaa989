namespace Seminar.MLNet.Onnx;

/// <summary>
/// Versions and domains the SEMINAR graphs are written for, checked against ONNX Runtime 1.31
/// (the runtime <c>Microsoft.ML.OnnxRuntime</c> brings) through ML.NET's <c>OnnxTransformer</c>.
/// </summary>
internal static class OnnxOpsets
{
    /// <summary>The default ONNX domain (empty string).</summary>
    public const string DefaultDomain = "";

    /// <summary>The ONNX-ML domain (<c>LabelEncoder</c> and other classic-ML operators).</summary>
    public const string MlDomain = "ai.onnx.ml";

    /// <summary>Opset of the default domain: 20 (needed for <c>StringSplit</c>; reductions take axes as an input).</summary>
    public const int Default = 20;

    /// <summary>
    /// Opset of <see cref="MlDomain"/>: 4, the version that last changed <c>LabelEncoder</c> (string-to-int64 attributes
    /// verified at 2, 3, 4 and 5). ORT 1.31 accepts ai.onnx.ml up to opset 5 and rejects 6 at load.
    /// </summary>
    public const int Ml = 4;

    /// <summary>IR version written into models: 10 (ONNX 1.16; opset 20/21 models, read by ORT 1.31).</summary>
    public const long IrVersion = 10;
}
