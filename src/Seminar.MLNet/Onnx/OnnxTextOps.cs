using Onnx;

namespace Seminar.MLNet.Onnx;

/// <summary>String operators: vocabulary lookup (<c>ai.onnx.ml LabelEncoder</c>) and opset-20 <c>StringSplit</c>.</summary>
/// <remarks>Do not use <c>StringNormalizer</c>: ONNX Runtime fails with it unless the machine has the <c>en_US.UTF-8</c> locale.</remarks>
internal static class OnnxTextOps
{
    /// <summary>
    /// Maps each string of <paramref name="input"/> to an int64 (same shape): <paramref name="keys"/>[i] to
    /// <paramref name="values"/>[i], anything else to <paramref name="defaultValue"/>. Matching is exact (ordinal, UTF-8 bytes).
    /// </summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">A string tensor of any shape.</param>
    /// <param name="keys">Distinct keys.</param>
    /// <param name="values">One value per key.</param>
    /// <param name="defaultValue">Value of unknown strings.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The int64 output value name.</returns>
    public static string LabelEncoder(this OnnxGraphBuilder b, string input, string[] keys, long[] values, long defaultValue, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(values);
        if (keys.Length != values.Length)
            throw new ArgumentException($"LabelEncoder needs one value per key ({keys.Length} keys, {values.Length} values).", nameof(values));
        if (keys.Length == 0) throw new ArgumentException("LabelEncoder needs at least one key.", nameof(keys));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var k in keys)
        {
            if (k is null) throw new ArgumentException("LabelEncoder keys contain null.", nameof(keys));
            if (!seen.Add(k)) throw new ArgumentException($"LabelEncoder key '{k}' appears twice.", nameof(keys));
        }
        return b.AddNode("LabelEncoder", new[] { input }, output, OnnxOpsets.MlDomain,
            OnnxAttribute.Strings("keys_strings", keys),
            OnnxAttribute.Ints("values_int64s", values),
            OnnxAttribute.Int("default_int64", defaultValue));
    }

    /// <summary>
    /// Opset-20 <c>StringSplit</c>: splits each string of <paramref name="input"/> (shape S) on <paramref name="delimiter"/>.
    /// Substrings have shape S + [M] (M = most pieces of any element, shorter rows padded with empty strings);
    /// lengths (int64, shape S) give each element's number of pieces.
    /// </summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">A string tensor, e.g. shape [1] or [1, L].</param>
    /// <param name="delimiter">Delimiter; null or empty = split on runs of whitespace and drop empty pieces
    /// (<c>"a  b"</c> gives a|b). A non-empty delimiter keeps empty pieces (<c>"a  b"</c> on <c>" "</c> gives a||b,
    /// <c>" a "</c> gives |a|). Either way an empty string gives 0 pieces (ORT 1.31, unlike Python's <c>"".split(" ")</c>).</param>
    /// <param name="maxSplit">Maximum number of splits, or null for no limit.</param>
    /// <param name="substrings">Name of the substrings output, or null for a generated one.</param>
    /// <param name="lengths">Name of the lengths output, or null for a generated one.</param>
    /// <returns>The substrings and lengths value names.</returns>
    public static (string Substrings, string Lengths) StringSplit(
        this OnnxGraphBuilder b, string input, string? delimiter = null, long? maxSplit = null, string? substrings = null, string? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.Opset < 20) throw new InvalidOperationException($"StringSplit needs opset 20 or later (builder has {b.Opset}).");
        var attributes = new List<AttributeProto>();
        if (!string.IsNullOrEmpty(delimiter)) attributes.Add(OnnxAttribute.String("delimiter", delimiter));
        if (maxSplit is long m) attributes.Add(OnnxAttribute.Int("maxsplit", m));
        var y = substrings ?? b.UniqueName("split");
        var z = lengths ?? b.UniqueName(y + "_lengths");
        b.AddNode("StringSplit", new[] { input }, new[] { y, z }, OnnxOpsets.DefaultDomain, attributes.ToArray());
        return (y, z);
    }
}
