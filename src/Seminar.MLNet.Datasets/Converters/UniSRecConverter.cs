using System.Globalization;
using System.Runtime.InteropServices;
using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Datasets.Converters;

/// <summary>
/// Converts UniSRec-style multi-modal sequential recommendation files: <c>&lt;name&gt;.text</c> (found by extension;
/// the dataset name is its stem), <c>.item2index</c>, <c>.user2index</c>, <c>.train.inter</c>, <c>.valid.inter</c>,
/// <c>.test.inter</c>, and the optional vector files <c>.feat1CLS</c> (modality <c>text</c>) and <c>.feat3CLS</c>
/// (modality <c>image</c>).
/// </summary>
/// <remarks>
/// <para>Items are written in item-index order (row i of <c>items.tsv</c> is index i), so the canonical feature
/// rows line up with the published ones: a vector file is raw little-endian float32 with one row per item index,
/// its dimension being file size / 4 / item count. Item and user ids are the original ids from the index files.
/// Title = the item's text; no attributes.</para>
/// <para>Each <c>.inter</c> row is <c>user index, history item indices (oldest first), target item index</c>, and
/// every row of a user is a prefix of that user's one sequence of n items: train holds the prefixes of lengths 2..n-2,
/// valid the prefix of length n-1 and test the whole sequence. The converter keeps, per user, the longest
/// sequence (history + target) over the three files and writes each of its positions once, so no event is
/// duplicated; a row that is not a prefix of the others is counted as <see cref="ConversionIssues.InconsistentSequence"/>.</para>
/// <para>The files carry no time. Every event is positive (label 1) with an empty query, and its timestamp is its
/// 0-based ordinal position in the user's sequence: it orders one user's events but is not comparable
/// across users, so a global time split on such a dataset splits by sequence position.</para>
/// </remarks>
public sealed class UniSRecConverter : IDatasetConverter
{
    /// <summary>The format name, <c>unisrec</c>.</summary>
    public const string FormatName = "unisrec";

    /// <summary>Extension of the text-vector file, written as modality <see cref="TextModality"/>.</summary>
    public const string TextVectorExtension = ".feat1CLS";

    /// <summary>Extension of the image-vector file, written as modality <see cref="ImageModality"/>.</summary>
    public const string ImageVectorExtension = ".feat3CLS";

    /// <summary>Canonical modality name of the text vectors.</summary>
    public const string TextModality = "text";

    /// <summary>Canonical modality name of the image vectors.</summary>
    public const string ImageModality = "image";

    static readonly string[] InterSplits = { ".train.inter", ".valid.inter", ".test.inter" };

    /// <inheritdoc/>
    public string Format => FormatName;

    /// <inheritdoc/>
    public ConversionSummary Convert(string inputFolder, string outputFolder, DataIssues issues)
    {
        InputFiles.RequireFolder(inputFolder);
        string textPath = InputFiles.FindSingle(inputFolder, ".text");
        string name = Path.GetFileNameWithoutExtension(textPath);
        string itemIndexPath = InputFiles.Require(inputFolder, name + ".item2index");
        string userIndexPath = InputFiles.Require(inputFolder, name + ".user2index");
        var interPaths = InterSplits.Select(s => InputFiles.Require(inputFolder, name + s)).ToArray();
        var interHeaders = interPaths.Select(RecBoleHeader.Read).ToArray();
        var textHeader = RecBoleHeader.Read(textPath);
        int textIdCol = textHeader.Require("item_id"), textCol = textHeader.Require("text");

        using var output = new ConversionOutput(outputFolder, name, issues, DatasetManifest.OrdinalClock);
        string[] itemIds = ReadItemIndex(itemIndexPath, output);
        var userIds = ReadIndex(userIndexPath, output);
        var texts = ReadTexts(textHeader, textIdCol, textCol, itemIds, output);

        var vectors = new List<(string Modality, string Path, int Dim)>();
        foreach (var (ext, modality) in new[] { (TextVectorExtension, TextModality), (ImageVectorExtension, ImageModality) })
        {
            string p = Path.Combine(inputFolder, name + ext);
            if (!File.Exists(p)) { output.Note(ConversionIssues.MissingFeatureFile, p, 0, $"no {modality} vectors"); continue; }
            long bytes = new FileInfo(p).Length;
            long perItem = itemIds.Length == 0 ? 0 : bytes / itemIds.Length;
            if (itemIds.Length == 0 || bytes % ((long)itemIds.Length * sizeof(float)) != 0 || perItem == 0 || perItem / sizeof(float) > int.MaxValue)
                throw new DatasetFormatException(p, 0, $"{bytes} bytes is not {itemIds.Length} items x a whole number of float32 values");
            int dim = (int)(perItem / sizeof(float));
            output.AddFeature(modality, dim);
            vectors.Add((modality, p, dim));
        }

        WriteItems(itemIds, texts, itemIndexPath, vectors, output);

        var sequences = new SortedDictionary<int, int[]>();
        for (int s = 0; s < interHeaders.Length; s++) MergeSequences(interHeaders[s], itemIds.Length, userIds, sequences, output);
        foreach (var (user, seq) in sequences)
            for (int pos = 0; pos < seq.Length; pos++)
                output.Event(userIds[user], pos, itemIds[seq[pos]], "", true);
        return output.Complete();
    }

    static void WriteItems(string[] itemIds, Dictionary<string, string> texts, string itemIndexPath,
        List<(string Modality, string Path, int Dim)> vectors, ConversionOutput output)
    {
        var streams = vectors.Select(v => File.OpenRead(v.Path)).ToArray();
        try
        {
            var rows = new Dictionary<string, float[]>(StringComparer.Ordinal);
            for (int i = 0; i < vectors.Count; i++) rows[vectors[i].Modality] = new float[vectors[i].Dim];
            for (int index = 0; index < itemIds.Length; index++)
            {
                string id = itemIds[index];
                for (int i = 0; i < vectors.Count; i++)
                {
                    var row = rows[vectors[i].Modality];
                    streams[i].ReadExactly(MemoryMarshal.AsBytes(row.AsSpan()));
                    // The canonical reader refuses NaN and infinities; refuse them here, where the row is still known by its source.
                    int bad = Array.FindIndex(row, v => !float.IsFinite(v));
                    if (bad >= 0)
                        throw new DatasetFormatException(vectors[i].Path, 0, $"row {index} (item '{id}') has a non-finite value at index {bad}");
                }
                if (!texts.TryGetValue(id, out var title))
                {
                    output.Note(ConversionIssues.MissingText, itemIndexPath, 0, $"item '{id}' (index {index})");
                    title = "";
                }
                output.Item(id, title, Array.Empty<string>(), vectors.Count == 0 ? null : rows);
            }
        }
        finally
        {
            foreach (var s in streams) s.Dispose();
        }
    }

    /// <summary>Reads <c>id TAB index</c> lines into index → id, counting bad and duplicate rows.</summary>
    static Dictionary<int, string> ReadIndex(string path, ConversionOutput output)
    {
        var byIndex = new Dictionary<int, string>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, text) in InputFiles.Lines(path))
        {
            var f = text.Split('\t');
            if (f.Length != 2) { output.Skip(ConversionIssues.MalformedRow, path, line, $"{f.Length} fields, expected 2 (id, index)"); continue; }
            string id = f[0].Trim();
            if (id.Length == 0) { output.Skip(ConversionIssues.MalformedRow, path, line, "empty id"); continue; }
            if (!int.TryParse(f[1].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int index) || index < 0)
            { output.Skip(ConversionIssues.MalformedRow, path, line, $"index '{f[1]}' is not a non-negative integer"); continue; }
            if (!ids.Add(id)) { output.Skip(ConversionIssues.DuplicateId, path, line, $"id '{id}'"); continue; }
            if (!byIndex.TryAdd(index, id)) { output.Skip(ConversionIssues.DuplicateId, path, line, $"index {index} already belongs to '{byIndex[index]}'"); continue; }
        }
        return byIndex;
    }

    /// <summary>Item ids by index; the indices must be exactly 0..N-1, since vector rows are addressed by them.</summary>
    static string[] ReadItemIndex(string path, ConversionOutput output)
    {
        var byIndex = ReadIndex(path, output);
        var ids = new string[byIndex.Count];
        for (int i = 0; i < ids.Length; i++)
            if (!byIndex.TryGetValue(i, out ids[i]!))
                throw new DatasetFormatException(path, 0, $"item indices are not 0..{ids.Length - 1}: index {i} is missing, so vector rows cannot be matched to items");
        return ids;
    }

    static Dictionary<string, string> ReadTexts(RecBoleHeader h, int idCol, int textCol, string[] itemIds, ConversionOutput output)
    {
        var known = new HashSet<string>(itemIds, StringComparer.Ordinal);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (line, text) in InputFiles.Lines(h.Path, skip: 1))
        {
            var f = text.Split('\t');
            if (f.Length != h.Count) { output.Skip(ConversionIssues.MalformedRow, h.Path, line, $"{f.Length} fields, header has {h.Count}"); continue; }
            string id = f[idCol].Trim();
            if (!known.Contains(id)) { output.Skip(ConversionIssues.TextForUnknownItem, h.Path, line, $"item '{id}'"); continue; }
            if (!texts.TryAdd(id, f[textCol].Trim())) output.Skip(ConversionIssues.DuplicateId, h.Path, line, $"item '{id}'");
        }
        return texts;
    }

    static void MergeSequences(RecBoleHeader h, int itemCount, Dictionary<int, string> userIds, SortedDictionary<int, int[]> sequences, ConversionOutput output)
    {
        int userCol = h.Require("user_id"), listCol = h.Require("item_id_list"), targetCol = h.Require("item_id");
        foreach (var (line, text) in InputFiles.Lines(h.Path, skip: 1))
        {
            var f = text.Split('\t');
            if (f.Length != h.Count) { output.Skip(ConversionIssues.MalformedRow, h.Path, line, $"{f.Length} fields, header has {h.Count}"); continue; }
            if (!int.TryParse(f[userCol].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int user))
            { output.Skip(ConversionIssues.MalformedRow, h.Path, line, $"user index '{f[userCol]}' is not an integer"); continue; }
            if (!userIds.ContainsKey(user)) { output.Skip(ConversionIssues.UnknownIndex, h.Path, line, $"user index {user}"); continue; }
            var history = f[listCol].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var seq = new int[history.Length + 1];
            string? problem = null;
            for (int i = 0; i < seq.Length && problem == null; i++)
            {
                string s = i < history.Length ? history[i] : f[targetCol].Trim();
                if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out seq[i])) problem = $"item index '{s}' is not an integer";
                else if (seq[i] < 0 || seq[i] >= itemCount) problem = $"item index {seq[i]} is outside 0..{itemCount - 1}";
            }
            if (problem != null)
            {
                output.Skip(problem.Contains("outside", StringComparison.Ordinal) ? ConversionIssues.UnknownIndex : ConversionIssues.MalformedRow, h.Path, line, problem);
                continue;
            }
            if (!sequences.TryGetValue(user, out var known)) { sequences[user] = seq; continue; }
            var (shorter, longer) = known.Length < seq.Length ? (known, seq) : (seq, known);
            if (!longer.AsSpan(0, shorter.Length).SequenceEqual(shorter))
                output.Note(ConversionIssues.InconsistentSequence, h.Path, line, $"user index {user}: row of {seq.Length} items is not a prefix of (or extension of) the {known.Length} known");
            sequences[user] = longer;
        }
    }
}
