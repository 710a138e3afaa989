namespace Seminar.Serving;

/// <summary>The service's settings, from the configuration section <c>Seminar</c> (command line, environment, appsettings).</summary>
sealed class ServingOptions
{
    public const string Section = "Seminar";

    /// <summary>The model zip loaded at start-up (<c>Seminar:ModelPath</c>, required).</summary>
    public required string ModelPath { get; init; }
    /// <summary>Largest request body accepted (<c>Seminar:MaxRequestBytes</c>, default 1 MiB).</summary>
    public long MaxRequestBytes { get; init; } = 1 << 20;
    /// <summary>Most candidates one request may rank (<c>Seminar:MaxCandidates</c>, default 10,000).</summary>
    public int MaxCandidates { get; init; } = 10_000;

    /// <summary>Reads and checks the settings; a bad value stops start-up with a message naming the key.</summary>
    public static ServingOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        string? path = section["ModelPath"];
        if (string.IsNullOrWhiteSpace(path))
            throw new StartupException("Seminar:ModelPath is not set; give the model zip to serve, e.g. --Seminar:ModelPath=model.zip.");
        return new ServingOptions
        {
            ModelPath = path,
            MaxRequestBytes = Positive(section, "MaxRequestBytes", 1L << 20),
            MaxCandidates = (int)Math.Min(int.MaxValue, Positive(section, "MaxCandidates", 10_000)),
        };
    }

    static long Positive(IConfigurationSection section, string key, long fallback)
    {
        string? text = section[key];
        if (text is null) return fallback;
        return long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long value) && value > 0
            ? value
            : throw new StartupException($"Seminar:{key} is '{text}'; it must be a positive whole number.");
    }
}
