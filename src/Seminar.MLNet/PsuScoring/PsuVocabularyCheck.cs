using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.PsuScoring;

/// <summary>Checks that PSU weights were trained on these vocabularies: every table has one row per index, one projection per catalog modality.</summary>
static class PsuVocabularyCheck
{
    public static void Check(PsuWeights w, SequenceVocabularies v)
    {
        int d = w.Dimension;
        Rows(w.ItemIds.Length / d, v.Items.Size, "ItemIds", "item vocabulary");
        Rows(w.Tokens.Length / d, v.Tokens.Size, "Tokens", "token vocabulary");
        Rows(w.Attributes.Length / d, v.Attributes.Size, "Attributes", "attribute vocabulary");
        if (v.Content.ItemCount != v.Items.Size)
            throw new ArgumentException($"The catalog content tables cover {v.Content.ItemCount} items but the item vocabulary has {v.Items.Size} indices.", nameof(v));
        var modalities = v.Content.Modalities;
        if (w.Projections.Count != modalities.Count)
            throw new ArgumentException(
                $"PsuWeights has {w.Projections.Count} modality projections but the catalog has {modalities.Count} modality columns " +
                $"({string.Join(", ", modalities.Select(m => $"{m.Name}[{m.Dimension}]"))}): the weights were trained with another catalog.", nameof(w));
        for (int m = 0; m < modalities.Count; m++)
            if (w.Projections[m].Inputs != modalities[m].Dimension)
                throw new ArgumentException(
                    $"PsuWeights projection {m} takes {w.Projections[m].Inputs} inputs but catalog modality '{modalities[m].Name}' has dimension {modalities[m].Dimension}.", nameof(w));
    }

    static void Rows(int rows, int size, string table, string vocabulary)
    {
        if (rows != size)
            throw new ArgumentException(
                $"PsuWeights.{table} has {rows} rows but the {vocabulary} has {size} indices: the weights were trained with other vocabularies.", nameof(table));
    }
}
