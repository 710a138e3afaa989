namespace Seminar.MLNet.Datasets.Converters;

/// <summary>The converters this library ships, by format name.</summary>
public static class DatasetConverters
{
    /// <summary>The format names <see cref="Get"/> accepts.</summary>
    public static IReadOnlyList<string> Formats { get; } = new[] { RecBoleConverter.FormatName, JdSearchConverter.FormatName, UniSRecConverter.FormatName };

    /// <summary>
    /// Returns a converter with default options for <paramref name="format"/> (case-insensitive):
    /// <c>recbole</c>, <c>jdsearch</c> or <c>unisrec</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The format is not one of <see cref="Formats"/>.</exception>
    public static IDatasetConverter Get(string format) =>
        format?.Trim().ToLowerInvariant() switch
        {
            RecBoleConverter.FormatName => new RecBoleConverter(),
            JdSearchConverter.FormatName => new JdSearchConverter(),
            UniSRecConverter.FormatName => new UniSRecConverter(),
            _ => throw new ArgumentException($"Unknown dataset format '{format}'. Valid formats: {string.Join(", ", Formats)}.", nameof(format)),
        };
}
