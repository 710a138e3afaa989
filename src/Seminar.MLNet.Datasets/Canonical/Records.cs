namespace Seminar.MLNet.Datasets.Canonical;

/// <summary>One line of <c>items.tsv</c>: an item id, its title and its attribute tokens.</summary>
/// <param name="ItemId">The item id as written in the file.</param>
/// <param name="Title">Title text; may be empty.</param>
/// <param name="Attributes">Attribute tokens (category, brand, genre, ...); may be empty.</param>
public sealed record ItemRecord(string ItemId, string Title, string[] Attributes);

/// <summary>One line of <c>events.tsv</c>: a user engaged with (label true) or was shown (label false) an item, maybe after a query.</summary>
/// <param name="UserId">The user id.</param>
/// <param name="Timestamp">Integer time; only the order matters.</param>
/// <param name="ItemId">The item id.</param>
/// <param name="Query">The search query, or empty for browsing.</param>
/// <param name="Label">True for a positive engagement, false for an exposure without one.</param>
public readonly record struct EventRecord(string UserId, long Timestamp, string ItemId, string Query, bool Label);
