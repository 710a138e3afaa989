namespace Seminar.MLNet.Featurization;

/// <summary>
/// The one tokenization rule shared by queries and titles, and by the C# path and the ONNX graph:
/// lower-case (invariant culture), then split on runs of ASCII whitespace. Non-ASCII text passes
/// through as it is, so a query in any script still matches the same title token.
/// </summary>
public static class TextTokenizer
{
    /// <summary>True for the separators the ONNX StringSplit op uses when no delimiter is given.</summary>
    public static bool IsSeparator(char c) => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f';

    /// <summary>Lower-cases text the way the saved pipeline's text normalizer does.</summary>
    public static string Normalize(string text) => text.ToLowerInvariant();

    /// <summary>Calls <paramref name="onToken"/> for each token of already normalized text, at most <paramref name="maxTokens"/> (0 = all).</summary>
    public static int ForEachToken(ReadOnlySpan<char> text, int maxTokens, TokenAction onToken)
    {
        int count = 0, i = 0;
        while (i < text.Length && (maxTokens == 0 || count < maxTokens))
        {
            while (i < text.Length && IsSeparator(text[i])) i++;
            int start = i;
            while (i < text.Length && !IsSeparator(text[i])) i++;
            if (i > start) onToken(text[start..i], count++);
        }
        return count;
    }

    /// <summary>Tokens of text (normalized first), as strings.</summary>
    public static string[] Tokenize(string text, int maxTokens = 0)
    {
        var tokens = new List<string>();
        ForEachToken(Normalize(text), maxTokens, (t, _) => tokens.Add(t.ToString()));
        return tokens.ToArray();
    }

    /// <summary>Receives one token and its position.</summary>
    public delegate void TokenAction(ReadOnlySpan<char> token, int position);
}
