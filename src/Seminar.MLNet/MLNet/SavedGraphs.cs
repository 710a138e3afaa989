using System.Text;
using Google.Protobuf;
using System.Text.Json;
using Onnx;
using Seminar.MLNet.Onnx;

namespace Seminar.MLNet;

/// <summary>
/// The marks each SEMINAR graph carries in its ONNX <c>metadata_props</c> so that <c>LoadModel</c> can rebuild the C#
/// transformer from the graph alone: which component it is, the format of those marks, and the configuration the C#
/// side needs beside the initializers (column names, sizes), as JSON. The tables themselves are only the initializers,
/// so the graph ONNX Runtime runs and the C# scorer rebuilt from it cannot drift apart.
/// </summary>
internal static class SavedGraphs
{
    /// <summary>Metadata key of the component name.</summary>
    public const string ComponentKey = "seminar.component";
    /// <summary>Metadata key of the format version.</summary>
    public const string FormatVersionKey = "seminar.format_version";
    /// <summary>Metadata key of the configuration (JSON).</summary>
    public const string ConfigKey = "seminar.config";
    /// <summary>The format version this library reads and writes for the featurizer and the PSU.</summary>
    public const int FormatVersion = 1;
    /// <summary>
    /// The PQ attention's format: 2 since its graph retrieves over 4-bit catalog codes with the exact query part and a
    /// re-ranked shortlist (format 1 held per-modality and query codebooks, and codes per query–item pair).
    /// </summary>
    public const int PqFormatVersion = 2;

    /// <summary>The format version this library reads and writes for <paramref name="component"/>.</summary>
    public static int FormatVersionOf(string component) => component == Pq ? PqFormatVersion : FormatVersion;

    /// <summary>Component names.</summary>
    public const string Featurizer = "featurizer", Psu = "psu", Pq = "pq";

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Builds the graph with its marks and serializes it.</summary>
    public static byte[] ToBytes<TConfig>(OnnxGraphBuilder b, string component, TConfig config)
    {
        var model = b.Build();
        Mark(model, component, FormatVersionOf(component).ToString(System.Globalization.CultureInfo.InvariantCulture), JsonSerializer.Serialize(config, Json));
        return model.ToByteArray();
    }

    /// <summary>Sets the three marks on <paramref name="model"/> (tests write other versions with it).</summary>
    internal static void Mark(ModelProto model, string component, string version, string config)
    {
        foreach (var (key, value) in new[] { (ComponentKey, component), (FormatVersionKey, version), (ConfigKey, config) })
        {
            var existing = model.MetadataProps.FirstOrDefault(p => p.Key == key);
            if (existing != null) existing.Value = value;
            else model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
    }

    /// <summary>The configuration of a marked graph.</summary>
    public static TConfig Config<TConfig>(ModelProto model) =>
        JsonSerializer.Deserialize<TConfig>(Metadata(model, ConfigKey) ?? throw new InvalidDataException($"The graph has no '{ConfigKey}' metadata."), Json)
        ?? throw new InvalidDataException($"The graph's '{ConfigKey}' metadata is null.");

    /// <summary>A metadata value, or null.</summary>
    public static string? Metadata(ModelProto model, string key) => model.MetadataProps.FirstOrDefault(p => p.Key == key)?.Value;

    /// <summary>A float initializer of the main graph, checked against <paramref name="shape"/> (−1 = any size).</summary>
    public static float[] Floats(ModelProto model, string name, params long[] shape) =>
        Numbers(model, name, TensorProto.Types.DataType.Float, t => t.FloatData, shape);

    /// <summary>A numeric initializer from its typed field, or from raw (little-endian) bytes when that is empty.</summary>
    static T[] Numbers<T>(ModelProto model, string name, TensorProto.Types.DataType type, Func<TensorProto, IEnumerable<T>> typed, long[] shape)
        where T : unmanaged
    {
        var t = Initializer(model, name, type, shape);
        var values = typed(t).ToArray();
        if (values.Length == 0 && !t.RawData.IsEmpty)
            values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(t.RawData.Span).ToArray();
        return Counted(values, t, name);
    }

    /// <summary>A uint8 initializer of the main graph, checked against <paramref name="shape"/> (−1 = any size).</summary>
    public static byte[] Bytes(ModelProto model, string name, params long[] shape) =>
        Counted(Initializer(model, name, TensorProto.Types.DataType.Uint8, shape).RawData.ToByteArray(), model.Graph.Initializer.First(i => i.Name == name), name);

    /// <summary>The dims of an initializer.</summary>
    public static long[] Dims(ModelProto model, string name) =>
        (model.Graph.Initializer.FirstOrDefault(i => i.Name == name) ?? throw Missing(name)).Dims.ToArray();

    /// <summary>Whether the main graph has an initializer of that name.</summary>
    public static bool Has(ModelProto model, string name) => model.Graph.Initializer.Any(i => i.Name == name);

    /// <summary>The keys and int64 values of the LabelEncoder node that outputs <paramref name="output"/>.</summary>
    public static (string[] Keys, long[] Values) LabelEncoder(ModelProto model, string output)
    {
        var node = model.Graph.Node.FirstOrDefault(n => n.OpType == "LabelEncoder" && n.Output.Contains(output))
            ?? throw new InvalidDataException($"The graph has no LabelEncoder producing '{output}'.");
        var keys = node.Attribute.FirstOrDefault(a => a.Name == "keys_strings")?.Strings.Select(s => Encoding.UTF8.GetString(s.Span)).ToArray()
            ?? throw new InvalidDataException($"The LabelEncoder producing '{output}' has no keys.");
        var values = node.Attribute.FirstOrDefault(a => a.Name == "values_int64s")?.Ints.ToArray()
            ?? throw new InvalidDataException($"The LabelEncoder producing '{output}' has no values.");
        if (keys.Length != values.Length) throw new InvalidDataException($"The LabelEncoder producing '{output}' has {keys.Length} keys and {values.Length} values.");
        return (keys, values);
    }

    static TensorProto Initializer(ModelProto model, string name, TensorProto.Types.DataType type, long[] shape)
    {
        var t = model.Graph.Initializer.FirstOrDefault(i => i.Name == name) ?? throw Missing(name);
        if (t.DataType != (int)type) throw new InvalidDataException($"Initializer '{name}' holds {(TensorProto.Types.DataType)t.DataType}; expected {type}.");
        if (shape.Length > 0 && (t.Dims.Count != shape.Length || t.Dims.Where((d, i) => shape[i] >= 0 && d != shape[i]).Any()))
            throw new InvalidDataException($"Initializer '{name}' has shape [{string.Join(", ", t.Dims)}]; expected [{string.Join(", ", shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}].");
        return t;
    }

    static T[] Counted<T>(T[] values, TensorProto t, string name)
    {
        long expected = t.Dims.Aggregate(1L, (a, d) => a * d);
        if (values.Length != expected) throw new InvalidDataException($"Initializer '{name}' holds {values.Length} values; its shape [{string.Join(", ", t.Dims)}] needs {expected}.");
        return values;
    }

    static InvalidDataException Missing(string name) => new($"The graph has no initializer '{name}'.");
}
