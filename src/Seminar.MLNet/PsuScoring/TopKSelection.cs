namespace Seminar.MLNet.PsuScoring;

/// <summary>A GSU candidate: its relevance and its index among the history's real (non-padding) behaviours.</summary>
record struct Candidate(float Score, int Index);

/// <summary>
/// Linear-time top-K (quickselect, as C++'s nth_element): moves the k best candidates to the front, in no
/// particular order. Ties go to the earlier behaviour, as ONNX TopK breaks them, so both paths keep the same set.
/// </summary>
static class TopKSelection
{
    /// <summary>Reorders <paramref name="a"/> so its first <paramref name="k"/> entries are the k best.</summary>
    public static void SelectBest(Span<Candidate> a, int k)
    {
        if (k <= 0 || k >= a.Length) return;
        int nth = k - 1, lo = 0, hi = a.Length - 1;
        while (lo < hi)
        {
            var pivot = MedianOfThree(a, lo, lo + (hi - lo) / 2, hi);
            int i = lo, j = hi;
            while (i <= j)
            {
                while (Better(a[i], pivot)) i++;
                while (Better(pivot, a[j])) j--;
                if (i <= j)
                {
                    (a[i], a[j]) = (a[j], a[i]);
                    i++;
                    j--;
                }
            }
            // Now a[lo..j] are at least as good as the pivot and a[i..hi] at most; between them sits the pivot.
            if (nth <= j) hi = j;
            else if (nth >= i) lo = i;
            else return;
        }
    }

    /// <summary>Strict total order: higher score first, then lower index (indices are distinct).</summary>
    public static bool Better(Candidate x, Candidate y) => x.Score > y.Score || (x.Score == y.Score && x.Index < y.Index);

    static Candidate MedianOfThree(Span<Candidate> a, int x, int y, int z)
    {
        Candidate p = a[x], q = a[y], r = a[z];
        if (Better(p, q)) (p, q) = (q, p);
        if (Better(q, r)) (q, r) = (r, q);
        if (Better(p, q)) (p, q) = (q, p);
        return q;
    }
}
