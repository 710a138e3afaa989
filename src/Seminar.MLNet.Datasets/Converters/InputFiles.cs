using System.Buffers;
using System.Text;
using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Datasets.Converters;

/// <summary>Finding and streaming input files; a missing file is a <see cref="DatasetFormatException"/> naming it.</summary>
internal static class InputFiles
{
    /// <summary>Throws unless the input folder exists.</summary>
    public static void RequireFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new DatasetFormatException(folder, 0, "input folder does not exist");
    }

    /// <summary>Returns the path of a file that must exist.</summary>
    public static string Require(string folder, string fileName)
    {
        string p = Path.Combine(folder, fileName);
        if (!File.Exists(p)) throw new DatasetFormatException(p, 0, "missing; the input format needs this file");
        return p;
    }

    /// <summary>The single file in <paramref name="folder"/> whose name ends with <paramref name="extension"/> (for example <c>.inter</c>).</summary>
    public static string FindSingle(string folder, string extension, Func<string, bool>? accept = null)
    {
        var found = Directory.EnumerateFiles(folder, "*" + extension)
            .Where(p => p.EndsWith(extension, StringComparison.Ordinal) && (accept == null || accept(p)))
            .OrderBy(p => p, StringComparer.Ordinal).ToArray();
        if (found.Length == 0)
            throw new DatasetFormatException(Path.Combine(folder, "<name>" + extension), 0, $"missing; no '*{extension}' file in the input folder");
        if (found.Length > 1)
            throw new DatasetFormatException(folder, 0, $"several '*{extension}' files ({string.Join(", ", found.Select(Path.GetFileName))}); keep one dataset per folder");
        return found[0];
    }

    /// <summary>
    /// Streams the lines of a file with their 1-based line numbers (a trailing CR is removed); empty lines are left out
    /// unless <paramref name="includeEmpty"/>, for formats where an empty line is a record that lost its content.
    /// </summary>
    public static IEnumerable<(int Line, string Text)> Lines(string path, int skip = 0, bool includeEmpty = false)
    {
        using var reader = new StreamReader(path);
        int lineNo = 0;
        string? text;
        while ((text = reader.ReadLine()) != null)
        {
            lineNo++;
            if (lineNo <= skip) continue;
            if (text.Length > 0 && text[^1] == '\r') text = text[..^1];
            if (text.Length == 0 && !includeEmpty) continue;
            yield return (lineNo, text);
        }
    }

    /// <summary>
    /// The bytes of a UTF-8 text file without its byte order mark; throws naming the line of the first byte that is
    /// not UTF-8.
    /// </summary>
    public static ReadOnlyMemory<byte> ReadUtf8(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        var text = bytes.AsSpan(start);
        if (System.Text.Unicode.Utf8.IsValid(text)) return bytes.AsMemory(start);
        for (int at = 0; at < text.Length;)
        {
            if (Rune.DecodeFromUtf8(text[at..], out _, out int used) != OperationStatus.Done)
                throw new DatasetFormatException(path, text[..at].Count((byte)'\n') + 1, $"byte {start + at} (0x{text[at]:X2}) is not UTF-8 text");
            at += used;
        }
        return bytes.AsMemory(start);
    }

    /// <summary>Reads the first line (the header) of a file, or throws when the file is empty.</summary>
    public static string[] Header(string path, string expected)
    {
        using var reader = new StreamReader(path);
        string? header = reader.ReadLine();
        if (string.IsNullOrWhiteSpace(header)) throw new DatasetFormatException(path, 1, $"empty file; expected a header like '{expected}'");
        return header.TrimEnd('\r').Split('\t');
    }
}
