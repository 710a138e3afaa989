using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Datasets.Converters;

/// <summary>Converts one published dataset format into a canonical dataset folder.</summary>
public interface IDatasetConverter
{
    /// <summary>The format name used to select this converter (for example <c>recbole</c>).</summary>
    string Format { get; }

    /// <summary>
    /// Reads the published files in <paramref name="inputFolder"/> and writes a canonical dataset folder to
    /// <paramref name="outputFolder"/>. Bad rows are skipped and counted in <paramref name="issues"/> with
    /// file and line; a file that cannot be used at all raises <see cref="DatasetFormatException"/>.
    /// </summary>
    /// <param name="inputFolder">Folder holding the files as published.</param>
    /// <param name="outputFolder">Folder to create (or overwrite) with the canonical files.</param>
    /// <param name="issues">Receives every skipped or altered row.</param>
    /// <returns>Counts of what was written and skipped.</returns>
    ConversionSummary Convert(string inputFolder, string outputFolder, DataIssues issues);
}
