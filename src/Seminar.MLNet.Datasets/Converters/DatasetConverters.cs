namespace Seminar.MLNet.Datasets.Converters;

/// <summary>The converters this library ships, by format name.</summary>
public static class DatasetConverters
{
    /// <summary>The format names <see cref="Get"/> accepts.</summary>
    public static IReadOnlyList<string> Formats { get; } =
        new[] { RecBoleConverter.FormatName, JdSearchConverter.FormatName, UniSRecConverter.FormatName, S3RecConverter.FormatName };

    /// <summary>
    /// Returns a converter with default options for <paramref name="format"/> (case-insensitive):
    /// <c>recbole</c>, <c>jdsearch</c>, <c>unisrec</c> or <c>s3rec</c>.
    /// </summary>
    /// <param name="format">One of <see cref="Formats"/>.</param>
    /// <param name="name">
    /// The dataset name, needed by <c>s3rec</c> (whose folder holds several datasets; see <see cref="S3RecConverter"/>).
    /// The other formats find their files by extension or fixed name and ignore it.
    /// </param>
    /// <exception cref="ArgumentException">The format is not one of <see cref="Formats"/>.</exception>
    public static IDatasetConverter Get(string format, string? name = null) =>
        format?.Trim().ToLowerInvariant() switch
        {
            RecBoleConverter.FormatName => new RecBoleConverter(),
            JdSearchConverter.FormatName => new JdSearchConverter(),
            UniSRecConverter.FormatName => new UniSRecConverter(),
            S3RecConverter.FormatName => new S3RecConverter(name),
            _ => throw new ArgumentException($"Unknown dataset format '{format}'. Valid formats: {string.Join(", ", Formats)}.", nameof(format)),
        };
}
