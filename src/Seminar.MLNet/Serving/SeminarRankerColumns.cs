using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Serving;

/// <summary>
/// What each input column of a model means to a ranking request, and which of them the score depends on (the others are
/// never read, so a request need not fill them). Checks a request before any scoring, naming what is missing.
/// </summary>
sealed class SeminarRankerColumns
{
    /// <summary>Where an input column's value comes from.</summary>
    public enum ColumnRole { Unread, HistoryItems, HistoryQueries, TargetItem, Query, Number, Text }

    readonly ColumnRole[] _roles;
    readonly Delegate?[] _defaults;
    readonly string[] _numbers, _texts;

    public SeminarRankerColumns(DataViewSchema inputSchema, IEnumerable<DataViewSchema.Column> dependencies, SeminarRankerOptions options)
    {
        InputSchema = inputSchema;
        _roles = new ColumnRole[inputSchema.Count];
        foreach (var column in dependencies) _roles[column.Index] = RoleOf(column, options);
        // Built once here, not per request: a request row binds a getter for every input column, read or not.
        _defaults = inputSchema.Select(c => _roles[c.Index] == ColumnRole.Unread ? Default(c.Type.RawType) : null).ToArray();
        HasHistoryQueries = _roles.Contains(ColumnRole.HistoryQueries);
        _numbers = Named(ColumnRole.Number);
        _texts = Named(ColumnRole.Text);
    }

    /// <summary>The model's input schema.</summary>
    public DataViewSchema InputSchema { get; }
    /// <summary>Whether the score reads the history queries.</summary>
    public bool HasHistoryQueries { get; }

    /// <summary>The role of <paramref name="column"/>.</summary>
    public ColumnRole Role(DataViewSchema.Column column) => _roles[column.Index];

    /// <summary>A getter of the type's default value for <paramref name="column"/>, a column the score does not read.</summary>
    public Delegate DefaultGetter(DataViewSchema.Column column) =>
        _defaults[column.Index] ?? throw new InvalidOperationException($"Column '{column.Name}' is read by the score; it has no default.");

    static Delegate Default(Type type) =>
        (Delegate)typeof(SeminarRankerColumns).GetMethod(nameof(DefaultOf), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(type).Invoke(null, null)!;

    static ValueGetter<T> DefaultOf<T>() => (ref T value) => value = default!;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first thing the request lacks or gets wrong.</summary>
    public void Check(RankingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.HistoryItems is null) throw new ArgumentException("The request has no history items (an empty list is an empty history).", nameof(request));
        if (request.Candidates is null) throw new ArgumentException("The request has no candidates list.", nameof(request));
        if (request.HistoryQueries != null && request.HistoryQueries.Count != request.HistoryItems.Count)
            throw new ArgumentException($"The request has {request.HistoryItems.Count} history items but {request.HistoryQueries.Count} history queries; give one query (empty = browsing) per item, or none.", nameof(request));
        foreach (var name in _texts)
            if (request.Text == null || !request.Text.TryGetValue(name, out var value) || value is null)
                throw new ArgumentException($"The model reads the text column '{name}'; the request's Text has no value for it.", nameof(request));
        for (int c = 0; c < request.Candidates.Count; c++)
        {
            var candidate = request.Candidates[c] ?? throw new ArgumentException($"Candidate {c} is null.", nameof(request));
            if (candidate.Item is null) throw new ArgumentException($"Candidate {c} has no item id.", nameof(request));
            foreach (var name in _numbers)
            {
                float value;
                if (candidate.Features?.TryGetValue(name, out value) != true && request.Features?.TryGetValue(name, out value) != true)
                    throw new ArgumentException($"The model reads the numeric column '{name}'; neither candidate {c}'s Features nor the request's Features has it.", nameof(request));
            }
        }
    }

    string[] Named(ColumnRole role) => Enumerable.Range(0, _roles.Length).Where(i => _roles[i] == role).Select(i => InputSchema[i].Name).ToArray();

    static ColumnRole RoleOf(DataViewSchema.Column column, SeminarRankerOptions o)
    {
        var type = column.Type;
        bool textVector = type is VectorDataViewType { ItemType: TextDataViewType };
        if (column.Name == o.HistoryItemsColumnName && textVector) return ColumnRole.HistoryItems;
        if (column.Name == o.HistoryQueriesColumnName && textVector) return ColumnRole.HistoryQueries;
        if (column.Name == o.TargetItemColumnName && type is TextDataViewType) return ColumnRole.TargetItem;
        if (column.Name == o.QueryColumnName && type is TextDataViewType) return ColumnRole.Query;
        if (type == NumberDataViewType.Single) return ColumnRole.Number;
        if (type is TextDataViewType) return ColumnRole.Text;
        throw new ArgumentException($"The model's score reads input column '{column.Name}' of type {type}, which a ranking request cannot fill " +
            "(requests fill the history, each candidate's item and query, Single columns and text columns).");
    }
}
