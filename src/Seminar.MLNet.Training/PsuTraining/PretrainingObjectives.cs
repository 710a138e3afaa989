using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>The three pretraining objectives of docs/method.md ("The three pretraining objectives") on one batch of sequences (no labels used).</summary>
sealed class PretrainingObjectives
{
    readonly PsuNetwork _network;
    readonly PsuEmbeddingOptions _o;
    readonly int _tokens;
    readonly int _itemCount;
    readonly Random _random;

    public PretrainingObjectives(PsuNetwork network, PsuEmbeddingOptions options, int queryTokens, int itemCount, Random random)
    {
        _network = network;
        _o = options;
        _tokens = queryTokens;
        _itemCount = itemCount;
        _random = random;
    }

    /// <summary>Losses of the objectives that are on (weighted sum in <c>Total</c>; each part unweighted, for progress).</summary>
    /// <param name="batch">The rows.</param>
    /// <param name="stretches">Per row, where its cut points go (pretraining on user sequences); null = anywhere in the row's history.</param>
    public (Tensor Total, Dictionary<string, double> Parts) Losses(PsuBatch batch, IReadOnlyList<PretrainingSequence>? stretches = null)
    {
        var parts = new Dictionary<string, double>();
        Tensor total = zeros(1).squeeze();
        if (_o.UseNextPair && _o.NextPairWeight > 0)
        {
            var (loss, aux) = NextPair(batch, stretches);
            parts["next_pair"] = loss.item<float>();
            total = total + loss * _o.NextPairWeight;
            float auxWeight = _network.RetrievalStage.AuxWeight;
            if (aux is not null && auxWeight > 0)
            {
                parts["retrieval_aux"] = aux.item<float>();
                total = total + aux * (_o.NextPairWeight * auxWeight);
            }
        }
        if (_o.UseAlignment && _o.AlignmentWeight > 0 && Alignment(batch) is { } alignment)
        {
            parts["alignment"] = alignment.item<float>();
            total = total + alignment * _o.AlignmentWeight;
        }
        if (_o.UseRelevance && _o.RelevanceWeight > 0 && Relevance(batch) is { } relevance)
        {
            parts["relevance"] = relevance.item<float>();
            total = total + relevance * _o.RelevanceWeight;
        }
        return (total, parts);
    }

    /// <summary>
    /// Objective 1: at several cut points p per sequence, the behaviours before p predict pair p against
    /// sampled items with the same query (binary cross-entropy on the head's logit). A cut at 0 trains the
    /// empty-history interest. With SIM's soft search, <c>Aux</c> is its auxiliary retrieval loss on the same
    /// targets and labels (null for the other strategies), weighted by the next-pair weight times the retrieval weight.
    /// </summary>
    (Tensor Loss, Tensor? Aux) NextPair(PsuBatch batch, IReadOnlyList<PretrainingSequence>? stretches)
    {
        int b = batch.Rows.Count, c = _o.CutPointsPerSequence, g = 1 + _o.Negatives, t = _tokens, l = batch.MaxLength;
        var targetItems = new long[b * c * g];
        var targetTokens = new long[b * c * t];
        var cuts = new long[b * c];
        for (int i = 0; i < b; i++)
        {
            var row = batch.Rows[i];
            for (int j = 0; j < c; j++)
            {
                int p = stretches == null ? _random.Next(row.Length) : Cut(stretches[i], j, c);
                cuts[i * c + j] = p;
                int at = (i * c + j) * g, positive = row.Items[p];
                targetItems[at] = positive;
                for (int n = 1; n < g; n++) targetItems[at + n] = NegativeFor(positive);
                Array.Copy(row.QueryTokens, p * t, targetTokens, (i * c + j) * t, t);
            }
        }
        var history = _network.Pairs(batch.Items, batch.QueryTokens);
        var items = tensor(targetItems, new long[] { b, c, g });
        var tokens = tensor(targetTokens, new long[] { b, c, 1, t }).expand(b, c, g, t);
        var targets = _network.Pairs(items, tokens).reshape(b, c * g, _network.Dimension);
        var cut = tensor(cuts, new long[] { b, c, 1, 1 }).expand(b, c, g, 1).reshape(b, c * g, 1);
        var visible = arange(l, dtype: ScalarType.Int64).view(1, 1, l).lt(cut).logical_and(batch.Items.ne(0).unsqueeze(1));
        var flatTargets = items.reshape(b, c * g);
        var logits = _network.Head(_network.Attend(targets, history, visible, flatTargets, batch.Items), targets);
        var labels = zeros(b, c, g);
        labels.select(2, 0).fill_(1);
        labels = labels.reshape(b, c * g);
        var aux = _network.RetrievalAuxLogit(flatTargets, batch.Items, visible);
        return (nn.functional.binary_cross_entropy_with_logits(logits, labels),
                aux is null ? null : nn.functional.binary_cross_entropy_with_logits(aux, labels));
    }

    /// <summary>
    /// Cut <paramref name="j"/> of <paramref name="c"/> inside a stretch: one per equal sub-stretch, so a sequence's cuts
    /// spread over it rather than bunch (anywhere in the stretch when it is shorter than <paramref name="c"/>).
    /// </summary>
    int Cut(PretrainingSequence stretch, int j, int c)
    {
        int length = stretch.To - stretch.From;
        if (length < c) return stretch.From + _random.Next(length);
        int lo = stretch.From + (int)((long)j * length / c), hi = stretch.From + (int)((long)(j + 1) * length / c);
        return lo + _random.Next(hi - lo);
    }

    int NegativeFor(int positive)
    {
        // Real items start at index 2 (0 pads, 1 is unknown).
        if (_itemCount <= 3) return positive == 2 ? 1 : 2;
        int n;
        do n = 2 + _random.Next(_itemCount - 2); while (n == positive);
        return n;
    }

    /// <summary>
    /// Objective 2: for the distinct items of the batch, a symmetric CLIP loss between every pair of
    /// modalities both present on at least two items: an item's modalities attract, other items' repel.
    /// </summary>
    Tensor? Alignment(PsuBatch batch)
    {
        var distinct = batch.Rows.SelectMany(r => r.Items).Where(i => i >= 1).Distinct().Take(_o.ContrastiveBatch).Select(i => (long)i).ToArray();
        if (distinct.Length < 2) return null;
        var (raw, present) = _network.RawModalities(tensor(distinct));
        var presence = present.to_type(ScalarType.Bool);
        var losses = new List<Tensor>();
        int m = _network.ItemModalities;
        for (int a = 0; a < m; a++)
            for (int z = a + 1; z < m; z++)
            {
                var rows = presence.select(1, a).logical_and(presence.select(1, z)).nonzero().squeeze(1);
                if (rows.shape[0] < 2) continue;
                var left = nn.functional.normalize(raw.select(1, a).index_select(0, rows), dim: 1);
                var right = nn.functional.normalize(raw.select(1, z).index_select(0, rows), dim: 1);
                losses.Add(Clip(left, right));
            }
        return losses.Count == 0 ? null : stack(losses).mean();
    }

    /// <summary>
    /// Objective 3: behaviours with a query pull the query's embedding towards their own item's and away from
    /// the other items in the batch: <c>-log(exp(cos(q, v+)/τ) / Σ_v exp(cos(q, v)/τ))</c>. Each item appears once,
    /// so no other row is the same item posing as a negative.
    /// </summary>
    Tensor? Relevance(PsuBatch batch)
    {
        int t = _tokens;
        var seen = new HashSet<int>();
        var items = new List<long>();
        var tokens = new List<long>();
        foreach (int r in Enumerable.Range(0, batch.Rows.Count).OrderBy(_ => _random.Next()))
        {
            var row = batch.Rows[r];
            for (int p = 0; p < row.Length && items.Count < _o.ContrastiveBatch; p++)
            {
                var query = row.QueryTokens.AsSpan(p * t, t);
                if (query.IndexOfAnyExcept(0) < 0 || !seen.Add(row.Items[p])) continue;
                items.Add(row.Items[p]);
                foreach (var k in query) tokens.Add(k);
            }
        }
        if (items.Count < 2) return null;
        var (q, _) = _network.Queries(tensor(tokens.ToArray(), new long[] { items.Count, t }));
        var v = _network.Items(tensor(items.ToArray()));
        var logits = nn.functional.normalize(q, dim: 1).matmul(nn.functional.normalize(v, dim: 1).t()) / _o.Temperature;
        return nn.functional.cross_entropy(logits, arange(items.Count, dtype: ScalarType.Int64));
    }

    Tensor Clip(Tensor left, Tensor right)
    {
        var logits = left.matmul(right.t()) / _o.Temperature;
        var labels = arange(left.shape[0], dtype: ScalarType.Int64);
        return (nn.functional.cross_entropy(logits, labels) + nn.functional.cross_entropy(logits.t(), labels)) * 0.5;
    }
}
