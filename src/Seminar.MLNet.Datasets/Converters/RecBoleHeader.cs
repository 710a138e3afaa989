using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Datasets.Converters;

/// <summary>A RecBole atomic-file header: tab-separated <c>name:type</c> columns (type token, token_seq, float or float_seq).</summary>
internal sealed class RecBoleHeader
{
    RecBoleHeader(string path, string[] names, string[] types)
    {
        Path = path;
        Names = names;
        Types = types;
    }

    /// <summary>The file the header belongs to.</summary>
    public string Path { get; }

    /// <summary>Column names without their types.</summary>
    public string[] Names { get; }

    /// <summary>Column types (empty when the header gave none).</summary>
    public string[] Types { get; }

    /// <summary>Number of columns.</summary>
    public int Count => Names.Length;

    /// <summary>Reads and parses the header of <paramref name="path"/>.</summary>
    public static RecBoleHeader Read(string path)
    {
        var cols = InputFiles.Header(path, "user_id:token\titem_id:token\t...");
        var names = new string[cols.Length];
        var types = new string[cols.Length];
        for (int i = 0; i < cols.Length; i++)
        {
            int colon = cols[i].LastIndexOf(':');
            names[i] = (colon < 0 ? cols[i] : cols[i][..colon]).Trim();
            types[i] = colon < 0 ? "" : cols[i][(colon + 1)..].Trim();
        }
        return new RecBoleHeader(path, names, types);
    }

    /// <summary>Index of a column, or -1.</summary>
    public int IndexOf(string name) => Array.IndexOf(Names, name);

    /// <summary>Index of a column that must exist; throws naming the file and line 1 otherwise.</summary>
    public int Require(string name)
    {
        int i = IndexOf(name);
        if (i < 0) throw new DatasetFormatException(Path, 1, $"header lacks column '{name}' (found: {string.Join(", ", Names)})");
        return i;
    }
}
