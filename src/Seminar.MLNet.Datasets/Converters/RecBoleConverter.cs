using System.Globalization;
using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Datasets.Converters;

/// <summary>
/// Converts RecBole atomic files: one <c>&lt;name&gt;.inter</c> and one <c>&lt;name&gt;.item</c> in the input folder
/// (found by extension; the dataset name is the file stem), each with a typed header such as
/// <c>user_id:token item_id:token rating:float timestamp:float</c>.
/// </summary>
/// <remarks>
/// <para>Items: the title is the first <c>token_seq</c> column whose name contains "title" or "name"; every other
/// column except <c>item_id</c> becomes attribute tokens prefixed by the column name (<c>release_year_1995</c>,
/// <c>class_Action</c>; a <c>token_seq</c>/<c>float_seq</c> column gives one token per space-separated word).</para>
/// <para>Events: label from a <c>label</c> column (&gt; 0 is positive) when present, else from <c>rating</c>
/// (positive when rating &gt;= <see cref="RatingThreshold"/>), else every interaction is positive. The float
/// timestamp is truncated to a whole number; without a <c>timestamp</c> column the line number is used, so file
/// order is kept. No query. Interactions whose item is absent from the item file are written anyway.</para>
/// </remarks>
public sealed class RecBoleConverter : IDatasetConverter
{
    /// <summary>The format name, <c>recbole</c>.</summary>
    public const string FormatName = "recbole";

    /// <summary>Creates the converter.</summary>
    /// <param name="ratingThreshold">A rating at or above this is a positive engagement (used only without a <c>label</c> column).</param>
    public RecBoleConverter(double ratingThreshold = 4)
    {
        if (!double.IsFinite(ratingThreshold)) throw new ArgumentOutOfRangeException(nameof(ratingThreshold), ratingThreshold, "The threshold must be a finite number.");
        RatingThreshold = ratingThreshold;
    }

    /// <summary>A rating at or above this is a positive engagement.</summary>
    public double RatingThreshold { get; }

    /// <inheritdoc/>
    public string Format => FormatName;

    /// <inheritdoc/>
    public ConversionSummary Convert(string inputFolder, string outputFolder, DataIssues issues)
    {
        InputFiles.RequireFolder(inputFolder);
        string interPath = InputFiles.FindSingle(inputFolder, ".inter");
        string name = Path.GetFileNameWithoutExtension(interPath);
        string itemPath = InputFiles.Require(inputFolder, name + ".item");
        var inter = RecBoleHeader.Read(interPath);
        var item = RecBoleHeader.Read(itemPath);
        int userCol = inter.Require("user_id"), itemCol = inter.Require("item_id");
        int itemIdCol = item.Require("item_id");

        using var output = new ConversionOutput(outputFolder, name, issues);
        WriteItems(item, itemIdCol, output);
        WriteEvents(inter, userCol, itemCol, output);
        return output.Complete();
    }

    static void WriteItems(RecBoleHeader h, int idCol, ConversionOutput output)
    {
        int titleCol = -1;
        for (int c = 0; c < h.Count && titleCol < 0; c++)
            if ((h.Types[c] == "token_seq" || h.Types[c].Length == 0) && c != idCol &&
                (h.Names[c].Contains("title", StringComparison.OrdinalIgnoreCase) || h.Names[c].Contains("name", StringComparison.OrdinalIgnoreCase)))
                titleCol = c;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var attrs = new List<string>();
        foreach (var (line, text) in InputFiles.Lines(h.Path, skip: 1))
        {
            var f = text.Split('\t');
            if (f.Length != h.Count) { output.Skip(ConversionIssues.MalformedRow, h.Path, line, $"{f.Length} fields, header has {h.Count}"); continue; }
            string id = f[idCol].Trim();
            if (id.Length == 0) { output.Skip(ConversionIssues.MalformedRow, h.Path, line, "empty item_id"); continue; }
            if (!seen.Add(id)) { output.Skip(ConversionIssues.DuplicateId, h.Path, line, id); continue; }
            attrs.Clear();
            for (int c = 0; c < h.Count; c++)
            {
                if (c == idCol || c == titleCol) continue;
                bool seq = h.Types[c].EndsWith("_seq", StringComparison.Ordinal);
                if (seq)
                {
                    foreach (var w in f[c].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        attrs.Add(h.Names[c] + "_" + w);
                }
                else if (f[c].Trim().Length > 0) attrs.Add(h.Names[c] + "_" + f[c].Trim());
            }
            output.Item(id, titleCol < 0 ? "" : f[titleCol].Trim(), attrs);
        }
    }

    void WriteEvents(RecBoleHeader h, int userCol, int itemCol, ConversionOutput output)
    {
        int labelCol = h.IndexOf("label");
        int ratingCol = labelCol >= 0 ? -1 : h.IndexOf("rating");
        int timeCol = h.IndexOf("timestamp");
        foreach (var (line, text) in InputFiles.Lines(h.Path, skip: 1))
        {
            var f = text.Split('\t');
            if (f.Length != h.Count) { output.Skip(ConversionIssues.MalformedRow, h.Path, line, $"{f.Length} fields, header has {h.Count}"); continue; }
            string user = f[userCol].Trim(), item = f[itemCol].Trim();
            if (user.Length == 0 || item.Length == 0) { output.Skip(ConversionIssues.MalformedRow, h.Path, line, "empty user_id or item_id"); continue; }
            long ts = line;
            if (timeCol >= 0)
            {
                if (!TryNumber(f[timeCol], out double t) || Math.Abs(t) >= 9e18)
                { output.Skip(ConversionIssues.MalformedRow, h.Path, line, $"timestamp '{f[timeCol]}' is not a number"); continue; }
                ts = (long)Math.Floor(t);
            }
            bool label = true;
            int scoreCol = labelCol >= 0 ? labelCol : ratingCol;
            if (scoreCol >= 0)
            {
                if (!TryNumber(f[scoreCol], out double v))
                { output.Skip(ConversionIssues.MalformedRow, h.Path, line, $"{h.Names[scoreCol]} '{f[scoreCol]}' is not a number"); continue; }
                label = labelCol >= 0 ? v > 0 : v >= RatingThreshold;
            }
            output.Event(user, ts, item, "", label);
        }
    }

    internal static bool TryNumber(string s, out double value) =>
        double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
