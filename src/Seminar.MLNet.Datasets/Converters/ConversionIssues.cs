using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Datasets.Converters;

/// <summary>Issue kinds the converters record in <see cref="DataIssues"/>, each with file and line.</summary>
public static class ConversionIssues
{
    /// <summary>A row with the wrong number of fields, an unparsable number or a missing required value; skipped.</summary>
    public const string MalformedRow = CanonicalDataset.MalformedRow;

    /// <summary>A list entry (one behaviour or candidate inside a row) that could not be used; that entry is skipped.</summary>
    public const string MalformedEntry = "malformed list entry skipped";

    /// <summary>A behaviour type other than CLICK, CART, ORD or FLW; the behaviour is kept as a positive event.</summary>
    public const string UnknownBehaviourType = "unknown behaviour type (kept as positive)";

    /// <summary>A user or item index that the index files do not define; the row is skipped.</summary>
    public const string UnknownIndex = "index not defined in the index files (row skipped)";

    /// <summary>A sequence row that is not a prefix of (or extension of) the user's other rows; the longer sequence is kept.</summary>
    public const string InconsistentSequence = "sequence row disagrees with the user's other rows (longer sequence kept)";

    /// <summary>An item in the sequences that the attribute file does not list; it is written without attributes.</summary>
    public const string MissingAttributes = "item in the sequences but not in the attribute file (written without attributes)";

    /// <summary>An item in the index without a text line; it is written with an empty title.</summary>
    public const string MissingText = "item has no text (empty title written)";

    /// <summary>A text line for an item that is not in the item index; the line is not used.</summary>
    public const string TextForUnknownItem = "text for an item not in the item index (not used)";

    /// <summary>A second line for the same id in an input file; the first is kept.</summary>
    public const string DuplicateId = "duplicate id in input (first line kept)";

    /// <summary>An optional feature file is absent; the modality is not written.</summary>
    public const string MissingFeatureFile = "feature file absent (modality not written)";
}
