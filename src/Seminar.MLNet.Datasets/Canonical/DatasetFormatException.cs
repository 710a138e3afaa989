namespace Seminar.MLNet.Datasets.Canonical;

/// <summary>A dataset file that cannot be read; names the file and, where one applies, the 1-based line.</summary>
public sealed class DatasetFormatException : Exception
{
    /// <summary>Creates the exception for a file and line (0 = the file as a whole).</summary>
    public DatasetFormatException(string file, int line, string message)
        : base(line > 0 ? $"{file}:{line}: {message}" : $"{file}: {message}")
    {
        File = file;
        Line = line;
    }

    /// <summary>The file that is wrong.</summary>
    public string File { get; }

    /// <summary>1-based line number, or 0 when the problem is the file as a whole.</summary>
    public int Line { get; }
}
