namespace Seminar.MLNet.Featurization;

/// <summary>
/// The one tokenization rule shared by queries and titles, and by the C# path and the ONNX graph: split
/// on runs of the space character (what ONNX Runtime's StringSplit does without a delimiter: tabs and
/// line breaks stay inside tokens). Case folding happens in
/// the vocabulary (<see cref="TokenLookup"/>), so non-ASCII text passes through as it is.
/// </summary>
internal static class TextTokenizer
{
    /// <summary>True for the separator ONNX Runtime's StringSplit uses when no delimiter is given.</summary>
    public static bool IsSeparator(char c) => c == ' ';

    /// <summary>Tokens of text, as slices of it, without allocating.</summary>
    public static TokenEnumerator EnumerateTokens(ReadOnlySpan<char> text) => new(text);

    /// <summary>Tokens of text (lower-cased first), at most <paramref name="maxTokens"/> (0 = all), as strings.</summary>
    public static string[] Tokenize(string text, int maxTokens = 0)
    {
        var tokens = new List<string>();
        foreach (var t in EnumerateTokens(text.ToLowerInvariant()))
        {
            if (maxTokens > 0 && tokens.Count == maxTokens) break;
            tokens.Add(t.ToString());
        }
        return tokens.ToArray();
    }

    /// <summary>Enumerates tokens as slices of the text.</summary>
    public ref struct TokenEnumerator
    {
        readonly ReadOnlySpan<char> _text;
        int _next;

        internal TokenEnumerator(ReadOnlySpan<char> text)
        {
            _text = text;
            _next = 0;
            Current = default;
        }

        /// <summary>The current token.</summary>
        public ReadOnlySpan<char> Current { get; private set; }

        /// <summary>Supports foreach.</summary>
        public readonly TokenEnumerator GetEnumerator() => this;

        /// <summary>Advances to the next token.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public bool MoveNext()
        {
            int i = _next;
            while (i < _text.Length && IsSeparator(_text[i])) i++;
            int start = i;
            while (i < _text.Length && !IsSeparator(_text[i])) i++;
            _next = i;
            if (i == start) return false;
            Current = _text[start..i];
            return true;
        }
    }
}
