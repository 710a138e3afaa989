using System.Globalization;

namespace Seminar.MLNet.Featurization;

/// <summary>
/// Maps a token as written to its index in the (lower-cased) token vocabulary. Case folding is part of
/// the vocabulary rather than a text pass, so the C# path and the ONNX graph (a LabelEncoder over these
/// same keys) agree exactly: each token maps from its lower, UPPER and Capitalized forms and from every
/// other form seen while fitting; a casing never seen (e.g. "sHoE") is out of vocabulary in both.
/// </summary>
internal sealed class TokenLookup
{
    // The same table as Vocabulary's: every query word of every behaviour is looked up here.
    readonly StringIndexTable _table;
    // In ordinal order of the form, for Forms.
    readonly KeyValuePair<string, int>[] _forms;

    /// <summary>Builds the lookup for a vocabulary and the surface forms met while fitting.</summary>
    public TokenLookup(Vocabulary tokens, IEnumerable<string> seenForms)
    {
        var forms = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Entries.Count; i++)
        {
            string t = tokens.Entries[i];
            int index = i + Vocabulary.Reserved;
            forms.TryAdd(t, index);
            forms.TryAdd(t.ToUpperInvariant(), index);
            forms.TryAdd(CultureInfo.InvariantCulture.TextInfo.ToUpper(t[0]) + t[1..], index);
        }
        foreach (var form in seenForms)
        {
            int index = tokens.IndexOf(form.ToLowerInvariant());
            if (index != Vocabulary.Unknown) forms.TryAdd(form, index);
        }
        (_forms, _table) = Build(forms);
    }

    /// <summary>The lookup of a saved graph: its surface forms and their indices as they are.</summary>
    public TokenLookup(IEnumerable<KeyValuePair<string, int>> forms)
    {
        (_forms, _table) = Build(new Dictionary<string, int>(forms, StringComparer.Ordinal));
    }

    static (KeyValuePair<string, int>[], StringIndexTable) Build(Dictionary<string, int> forms)
    {
        var ordered = forms.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        return (ordered, new StringIndexTable(ordered.Select(kv => kv.Key).ToArray(), ordered.Select(kv => kv.Value).ToArray(), "Token form"));
    }

    /// <summary>Number of surface forms.</summary>
    public int Count => _forms.Length;

    /// <summary>The token index of a surface form, or <see cref="Vocabulary.Unknown"/>.</summary>
    public int IndexOf(ReadOnlySpan<char> form) =>
        _table.TryGetValue(form, out int i) ? i : Vocabulary.Unknown;

    /// <summary>Surface forms and their indices, in ordinal order of the form (stable graphs across runs).</summary>
    public IEnumerable<KeyValuePair<string, int>> Forms => _forms;
}
