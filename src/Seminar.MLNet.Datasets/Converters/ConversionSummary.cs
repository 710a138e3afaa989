namespace Seminar.MLNet.Datasets.Converters;

/// <summary>What a conversion wrote and skipped.</summary>
/// <param name="Name">Dataset name written to <c>dataset.json</c>.</param>
/// <param name="Items">Number of lines written to <c>items.tsv</c>.</param>
/// <param name="Users">Number of distinct users with at least one event.</param>
/// <param name="Events">Number of lines written to <c>events.tsv</c>.</param>
/// <param name="PositiveEvents">Number of events with label 1.</param>
/// <param name="SkippedRows">Number of input rows (or list entries) skipped and counted in the issues.</param>
public sealed record ConversionSummary(string Name, int Items, int Users, long Events, long PositiveEvents, int SkippedRows);
