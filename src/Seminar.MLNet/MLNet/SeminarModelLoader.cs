using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using Onnx;

namespace Seminar.MLNet;

/// <summary>
/// <c>mlContext.Seminar().LoadModel</c>: the zip is read twice. First as a zip, to find each stage's folder and read every
/// ONNX graph it holds (checking the SEMINAR marks, so a bad graph fails here with the stage named rather than inside
/// ONNX Runtime); then by ML.NET's stock loader. The loaded chain is walked in the order the stages were saved, and each
/// OnnxTransformer whose graph is marked as a SEMINAR component is replaced by the C# transformer rebuilt from that
/// graph (<see cref="SavedStages"/>); every other stage stays as ML.NET loaded it.
/// </summary>
internal static class SeminarModelLoader
{
    /// <summary>Where ML.NET saves the root transformer of a model zip (a chain's stages are Transform_000, Transform_001, ... under it).</summary>
    const string Root = "TransformerChain";
    /// <summary>The binary stream an OnnxTransformer saves its graph in: an Int32 length, then the bytes.</summary>
    const string OnnxEntry = "OnnxModel";
    const string ModelKey = "Model.key";

    /// <summary>One saved stage: its folder, its number (1-based, in save order, nested chains flattened) and its graph if it has one.</summary>
    sealed record Stage(string Folder, int Number, byte[]? Bytes, ModelProto? Graph, string? Component)
    {
        public string Label => $"stage {Number} ({Component ?? (Graph != null ? "onnx" : Path.GetFileName(Folder))})";
    }

    /// <summary>Loads the model zip <paramref name="zip"/>; <paramref name="source"/> names it in messages.</summary>
    public static ITransformer Load(MLContext ml, byte[] zip, string source, out DataViewSchema inputSchema)
    {
        var stages = Scan(zip, source);
        ITransformer loaded;
        try
        {
            loaded = ml.Model.Load(new MemoryStream(zip, writable: false), out inputSchema);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{source}: ML.NET could not load the model zip: {e.Message}", e);
        }
        var state = new Walk(ml, source, stages.ToDictionary(s => s.Folder, StringComparer.Ordinal));
        try
        {
            return state.Replace(loaded, Root, inputSchema).Transformer;
        }
        catch
        {
            (loaded as IDisposable)?.Dispose();
            throw;
        }
    }

    sealed class Walk(MLContext ml, string source, Dictionary<string, Stage> stages)
    {
        SequenceVocabularies? _vocabularies;

        public (ITransformer Transformer, DataViewSchema Output) Replace(ITransformer transformer, string folder, DataViewSchema input)
        {
            if (transformer is TransformerChain<ITransformer> chain)
            {
                var parts = new List<ITransformer>();
                var schema = input;
                int i = 0;
                foreach (var part in chain)
                {
                    (var replaced, schema) = Replace(part, Child(folder, i++), schema);
                    parts.Add(replaced);
                }
                var rebuilt = new TransformerChain<ITransformer>(parts.ToArray());
                return (rebuilt, schema);
            }
            if (transformer is OnnxTransformer onnx && stages.TryGetValue(folder, out var stage) && stage.Component != null)
            {
                ITransformer csharp;
                try
                {
                    csharp = stage.Component switch
                    {
                        SavedGraphs.Featurizer => Remember(SavedStages.Featurizer(ml, stage.Bytes!, stage.Graph!, input)),
                        SavedGraphs.Psu => SavedStages.Psu(ml, stage.Bytes!, stage.Graph!, input, _vocabularies),
                        _ => SavedStages.Pq(ml, stage.Bytes!, stage.Graph!, input, _vocabularies),
                    };
                }
                catch (NotSupportedException)
                {
                    // A predecessor's retrieval strategy (evaluation only) has no C# rebuild: the stage keeps running its graph.
                    return (transformer, transformer.GetOutputSchema(input));
                }
                catch (Exception e) when (e is InvalidDataException or ArgumentException or System.Text.Json.JsonException or InvalidOperationException)
                {
                    throw new InvalidDataException($"{stage.Label} of {source}: its graph cannot be rebuilt as the C# transformer: {e.Message}", e);
                }
                // The stock session goes now: ML.NET wrote its graph to a temp file that only Dispose removes, and the C#
                // transformer builds a session of its own only if asked for one.
                onnx.Dispose();
                return (csharp, csharp.GetOutputSchema(input));
            }
            return (transformer, transformer.GetOutputSchema(input));
        }

        SequenceFeaturizerTransformer Remember(SequenceFeaturizerTransformer featurizer)
        {
            _vocabularies = featurizer.Vocabularies;
            return featurizer;
        }
    }

    static string Child(string folder, int index) => $"{folder}/Transform_{index.ToString("000", CultureInfo.InvariantCulture)}";

    /// <summary>Every stage of the zip with its graph read and its marks checked.</summary>
    static List<Stage> Scan(byte[] zip, string source)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(new MemoryStream(zip, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source} is not a readable model zip{Truncation(zip)}: {e.Message}", e);
        }
        using (archive)
        {
            var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var entry in archive.Entries) entries[entry.FullName.Replace('\\', '/')] = entry;
            if (!entries.ContainsKey($"{Root}/{ModelKey}"))
                throw new InvalidDataException($"{source} is not an ML.NET model zip: it has no '{Root}/{ModelKey}' entry.");
            var folders = new List<string>();
            Leaves(entries, Root, folders);
            return folders.Select((folder, i) => Read(entries, folder, i + 1, source)).ToList();
        }
    }

    static void Leaves(Dictionary<string, ZipArchiveEntry> entries, string folder, List<string> leaves)
    {
        if (!entries.ContainsKey($"{Child(folder, 0)}/{ModelKey}"))
        {
            leaves.Add(folder);
            return;
        }
        for (int i = 0; entries.ContainsKey($"{Child(folder, i)}/{ModelKey}"); i++) Leaves(entries, Child(folder, i), leaves);
    }

    static Stage Read(Dictionary<string, ZipArchiveEntry> entries, string folder, int number, string source)
    {
        if (!entries.TryGetValue($"{folder}/{OnnxEntry}", out var entry)) return new Stage(folder, number, null, null, null);
        var unread = new Stage(folder, number, null, null, null);
        byte[] stream;
        try
        {
            using var s = entry.Open();
            var buffer = new MemoryStream();
            s.CopyTo(buffer);
            stream = buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{unread.Label} of {source}: the entry '{entry.FullName}' cannot be decompressed (corrupted): {e.Message}", e);
        }
        int length = stream.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(stream) : -1;
        if (length < 0 || length != stream.Length - 4)
            throw new InvalidDataException($"{unread.Label} of {source}: the ONNX graph in '{entry.FullName}' is {Math.Max(0, stream.Length - 4)} bytes long but was saved as {length} (truncated or corrupted).");
        var bytes = stream[4..];
        ModelProto graph;
        try
        {
            graph = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{unread.Label} of {source}: the ONNX graph in '{entry.FullName}' is corrupted: {e.Message}", e);
        }
        if (graph.Graph is null) throw new InvalidDataException($"{unread.Label} of {source}: '{entry.FullName}' holds no ONNX graph (corrupted).");
        string? component = SavedGraphs.Metadata(graph, SavedGraphs.ComponentKey);
        var stage = new Stage(folder, number, bytes, graph, component);
        if (component is null) return stage;
        if (component is not (SavedGraphs.Featurizer or SavedGraphs.Psu or SavedGraphs.Pq))
            throw new InvalidOperationException($"{stage.Label} of {source}: '{component}' is not a SEMINAR component this version of Seminar.MLNet knows ({SavedGraphs.Featurizer}, {SavedGraphs.Psu}, {SavedGraphs.Pq}).");
        string? version = SavedGraphs.Metadata(graph, SavedGraphs.FormatVersionKey);
        int expected = SavedGraphs.FormatVersionOf(component);
        if (version != expected.ToString(CultureInfo.InvariantCulture))
            throw new InvalidOperationException(
                $"{stage.Label} of {source}: the graph's {SavedGraphs.FormatVersionKey} is '{version}', but this version of Seminar.MLNet reads format {expected}. " +
                (component == SavedGraphs.Pq && version == "1"
                    ? "Format 1 is the earlier PQ attention (per-modality and query codebooks), which this version no longer runs in C#: refit PqAttention, or load the zip with mlContext.Model.Load, which runs the graphs in ONNX Runtime."
                    : "Load it with the Seminar.MLNet version that saved it (or with mlContext.Model.Load, which runs the graphs in ONNX Runtime)."));
        return stage;
    }

    /// <summary>
    /// Where a zip whose directory is missing was cut: the local headers before it are intact, so walking them finds the
    /// entry that runs past the end (and the stage whose folder holds it). Empty when the cut is not found that way.
    /// </summary>
    static string Truncation(byte[] zip)
    {
        int offset = 0;
        var folders = new List<string>();
        while (offset + 30 <= zip.Length && BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(offset)) == 0x04034b50)
        {
            int flags = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(offset + 6));
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(offset + 18));
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(offset + 26));
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(offset + 28));
            if (offset + 30 + nameLength > zip.Length) break;
            string name = Encoding.UTF8.GetString(zip, offset + 30, nameLength).Replace('\\', '/');
            string folder = StageFolder(name);
            if (folder.Length > 0 && !folders.Contains(folder)) folders.Add(folder);
            long next = offset + 30L + nameLength + extraLength + compressed;
            if ((flags & 8) != 0) return ""; // sizes follow the data: the cut cannot be located by walking
            if (next > zip.Length)
            {
                int stage = folders.Where(f => !folders.Any(g => g != f && g.StartsWith(f + "/", StringComparison.Ordinal))).ToList().IndexOf(folder) + 1;
                return stage > 0
                    ? $" (truncated: it ends inside '{name}', {(name.EndsWith("/" + OnnxEntry, StringComparison.Ordinal) ? "the graph" : "an entry")} of stage {stage})"
                    : $" (truncated: it ends inside '{name}')";
            }
            offset = (int)next;
        }
        return " (truncated or corrupted)";
    }

    /// <summary>The stage folder of an entry: the root and the Transform_NNN folders leading to it.</summary>
    static string StageFolder(string name)
    {
        var parts = name.Split('/');
        if (parts.Length < 2 || parts[0] != Root) return "";
        int n = 1;
        while (n < parts.Length - 1 && parts[n].StartsWith("Transform_", StringComparison.Ordinal)) n++;
        return string.Join('/', parts.Take(n));
    }
}
