namespace Seminar.MLNet.Featurization;

/// <summary>
/// The featurizer's one row check, shared by every C# path (the fast path's reader and the prediction engine's mapper):
/// history queries and items must have the same length, so no query is ever paired with another behaviour's item.
/// </summary>
internal static class HistoryLengthCheck
{
    /// <summary>Throws the documented error when the lengths differ.</summary>
    /// <param name="row">The row's position, for the message.</param>
    /// <param name="columns">The featurizer's input columns (names for the message).</param>
    /// <param name="queries">Entries in the history queries column.</param>
    /// <param name="items">Entries in the history items column.</param>
    /// <exception cref="InvalidOperationException">The lengths differ.</exception>
    public static void Check(long row, InputColumns columns, int queries, int items)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (queries != items)
            throw new InvalidOperationException(
                $"Row {row}: '{columns.HistoryQueries?.Name}' has {queries} entries but '{columns.HistoryItems.Name}' has {items}; they must have the same length.");
    }
}
