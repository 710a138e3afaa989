using System.Globalization;
using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Datasets.Synthetic;

/// <summary>What <see cref="SyntheticDatasetGenerator.Generate"/> wrote.</summary>
/// <param name="Users">Number of users.</param>
/// <param name="Items">Number of catalog items.</param>
/// <param name="Events">Number of events written.</param>
/// <param name="Positives">Number of events with label 1.</param>
/// <param name="ColdItems">Number of items flagged cold in <c>truth.tsv</c>.</param>
/// <param name="MeanEventsPerUser">Mean events per user.</param>
/// <param name="MaxEventsPerUser">Most events of any user.</param>
/// <param name="ColdUntilTimestamp">Cold items occur only in events with a timestamp below this.</param>
public sealed record SyntheticDatasetSummary(
    int Users, int Items, long Events, long Positives, int ColdItems,
    double MeanEventsPerUser, int MaxEventsPerUser, long ColdUntilTimestamp)
{
    /// <summary>Share of events with label 1.</summary>
    public double PositiveRate => Events == 0 ? 0 : (double)Positives / Events;
}

/// <summary>
/// Writes a seeded synthetic dataset in the canonical folder format (<c>items.tsv</c>, <c>events.tsv</c>,
/// <c>features/text.f32</c>, <c>features/image.f32</c>, <c>dataset.json</c> named <c>synthetic</c>) plus
/// <c>truth.tsv</c> (<c>item_id interest cold</c>) so results can be checked against the known structure.
/// The catalog is built in memory; events are streamed user by user with state proportional to the number
/// of interests, so users with 10^5 or more events never hold a history in memory. Events are grouped by
/// user, each user's events in increasing time order.
/// </summary>
public static class SyntheticDatasetGenerator
{
    /// <summary>The dataset name written to <c>dataset.json</c>.</summary>
    public const string DatasetName = "synthetic";

    /// <summary>File with each item's true interest and cold flag.</summary>
    public const string TruthFile = "truth.tsv";

    /// <summary>Header of <see cref="TruthFile"/>.</summary>
    public static readonly string[] TruthColumns = { "item_id", "interest", "cold" };

    /// <summary>Name of the text modality.</summary>
    public const string TextModality = "text";

    /// <summary>Name of the image modality.</summary>
    public const string ImageModality = "image";

    /// <summary>The id written for item number <paramref name="index"/>.</summary>
    public static string ItemId(int index) => "i" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The id written for user number <paramref name="index"/>.</summary>
    public static string UserId(int index) => "u" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Generates the dataset into <paramref name="outputFolder"/> (created if needed; existing dataset files
    /// are overwritten). <paramref name="progress"/> receives the fraction of users done, in [0, 1], also
    /// within a long user.
    /// </summary>
    public static SyntheticDatasetSummary Generate(string outputFolder, SyntheticDatasetOptions options, IProgress<double>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var rng = new Random(options.Seed);
        var gauss = new Gaussian(rng);
        int k = options.Interests, dim = options.LatentDimension, n = options.Items;

        var interestTokens = new string[k][];
        for (int z = 0; z < k; z++)
        {
            interestTokens[z] = new string[options.InterestVocabularySize];
            for (int j = 0; j < interestTokens[z].Length; j++)
                interestTokens[z][j] = string.Create(CultureInfo.InvariantCulture, $"t{z}_{j}");
        }
        var genericTokens = new string[options.GenericVocabularySize];
        for (int j = 0; j < genericTokens.Length; j++) genericTokens[j] = string.Create(CultureInfo.InvariantCulture, $"g{j}");

        var centroids = new double[k][];
        for (int z = 0; z < k; z++) centroids[z] = gauss.Vector(dim, 1.0);
        var textMap = RandomMap(gauss, options.TextDimension, dim);
        var imageMap = RandomMap(gauss, options.ImageDimension, dim);

        Directory.CreateDirectory(outputFolder);
        using var writer = new CanonicalDatasetWriter(outputFolder, DatasetName);
        writer.AddFeature(TextModality, options.TextDimension);
        writer.AddFeature(ImageModality, options.ImageDimension);

        // Catalog: in memory (ids, interests, biases), content streamed to the writer.
        var itemIds = new string[n];
        var itemInterest = new int[n];
        var itemBias = new double[n];
        var latent = new double[dim];
        var text = new float[options.TextDimension];
        var image = new float[options.ImageDimension];
        var features = new Dictionary<string, float[]>(StringComparer.Ordinal) { [TextModality] = text, [ImageModality] = image };
        var title = new List<string>(options.TitleMaxTokens);
        var attributes = new string[2];
        for (int i = 0; i < n; i++)
        {
            int z = rng.Next(k);
            itemIds[i] = ItemId(i);
            itemInterest[i] = z;
            for (int d = 0; d < dim; d++) latent[d] = centroids[z][d] + options.ItemLatentNoise * gauss.Next();
            Project(textMap, latent, options.FeatureNoise, gauss, text);
            Project(imageMap, latent, options.FeatureNoise, gauss, image);
            title.Clear();
            int titleLength = rng.Next(options.TitleMinTokens, options.TitleMaxTokens + 1);
            for (int t = 0; t < titleLength; t++)
                title.Add(rng.NextDouble() < options.TitleGenericTokenProbability
                    ? genericTokens[rng.Next(genericTokens.Length)]
                    : interestTokens[z][rng.Next(options.InterestVocabularySize)]);
            int category = rng.NextDouble() < options.CategoryAccuracy ? z : rng.Next(k);
            attributes[0] = "cat_" + category.ToString(CultureInfo.InvariantCulture);
            attributes[1] = "brand_" + rng.Next(options.Brands).ToString(CultureInfo.InvariantCulture);
            itemBias[i] = options.ItemBiasStd * gauss.Next();
            writer.WriteItem(itemIds[i], string.Join(' ', title), attributes, features);
        }

        // Cold items: a random subset, never the last non-cold item of an interest (it is needed as a replacement).
        var cold = new bool[n];
        var nonColdCount = new int[k];
        foreach (int z in itemInterest) nonColdCount[z]++;
        int coldTarget = (int)Math.Round(options.ColdItemShare * n), coldItems = 0;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Shuffle(rng, order);
        foreach (int i in order)
        {
            if (coldItems >= coldTarget) break;
            if (nonColdCount[itemInterest[i]] <= 1) continue;
            cold[i] = true;
            nonColdCount[itemInterest[i]]--;
            coldItems++;
        }
        var itemsOfInterest = GroupByInterest(itemInterest, k, _ => true);
        var warmItemsOfInterest = GroupByInterest(itemInterest, k, i => !cold[i]);

        using (var truth = new StreamWriter(Path.Combine(outputFolder, TruthFile)))
        {
            truth.Write(string.Join('\t', TruthColumns) + "\n");
            for (int i = 0; i < n; i++)
            {
                truth.Write(itemIds[i]);
                truth.Write('\t');
                truth.Write(itemInterest[i].ToString(CultureInfo.InvariantCulture));
                truth.Write('\t');
                truth.Write(cold[i] ? '1' : '0');
                truth.Write('\n');
            }
        }

        // Events, user by user. Per-user state: interests, weights, positive counts per interest.
        long timeRange = options.TimeRange;
        long coldUntilTs = (long)Math.Floor(options.ColdUntil * timeRange);
        var pool = new int[k];
        var userInterests = new int[options.MaxInterestsPerUser];
        var weights = new double[options.MaxInterestsPerUser];
        var positivesByInterest = new int[k];
        long events = 0, positives = 0;
        int maxEvents = 0;
        double stay = options.InterestStayProbability, activeProb = options.ActiveInterestItemProbability;
        double queryProb = options.QueryProbability, sharpness = options.LabelSharpness, offset = options.LabelOffset;
        int users = options.Users;
        progress?.Report(0);
        for (int u = 0; u < users; u++)
        {
            string userId = UserId(u);
            int m = rng.Next(options.MinInterestsPerUser, options.MaxInterestsPerUser + 1);
            for (int z = 0; z < k; z++) pool[z] = z;
            double weightSum = 0;
            for (int j = 0; j < m; j++)
            {
                int pick = j + rng.Next(k - j);
                (pool[j], pool[pick]) = (pool[pick], pool[j]);
                userInterests[j] = pool[j];
                weights[j] = -Math.Log(1 - rng.NextDouble()) + 1e-9; // Dirichlet(1) after normalising
                weightSum += weights[j];
            }
            for (int j = 0; j < m; j++) weights[j] /= weightSum;

            int count = options.ExactEventsPerUser
                ? options.MeanEventsPerUser
                : Math.Max(1, (int)Math.Round(options.MeanEventsPerUser * (0.5 + rng.NextDouble())));
            maxEvents = Math.Max(maxEvents, count);

            Array.Clear(positivesByInterest);
            int userPositives = 0;
            int active = SampleWeighted(rng, weights, m, exclude: -1);
            double x = 0; // uniform order statistics on [0, 1), generated in increasing order
            long previous = -1;
            for (int e = 0; e < count; e++)
            {
                if (e > 0 && m > 1 && rng.NextDouble() >= stay) active = SampleWeighted(rng, weights, m, exclude: active);

                // Next of the (count - e) remaining uniform points above x: x + (1 - x) * (1 - U^(1/r)).
                x += (1 - x) * (1 - Math.Pow(1 - rng.NextDouble(), 1.0 / (count - e)));
                long ts = (long)(x * timeRange);
                if (ts <= previous) ts = previous + 1;
                if (ts >= timeRange) ts = timeRange - 1;
                previous = ts;

                int activeInterest = userInterests[active];
                int item = rng.NextDouble() < activeProb && itemsOfInterest[activeInterest].Length > 0
                    ? itemsOfInterest[activeInterest][rng.Next(itemsOfInterest[activeInterest].Length)]
                    : rng.Next(n);
                if (cold[item] && ts >= coldUntilTs)
                {
                    var warm = warmItemsOfInterest[itemInterest[item]];
                    item = warm[rng.Next(warm.Length)];
                }
                int zi = itemInterest[item];

                string query = "";
                if (rng.NextDouble() < queryProb)
                {
                    int length = rng.Next(options.QueryMinTokens, options.QueryMaxTokens + 1);
                    query = QueryToken(rng, options, interestTokens[zi], genericTokens);
                    for (int t = 1; t < length; t++)
                        query = string.Concat(query, " ", QueryToken(rng, options, interestTokens[zi], genericTokens));
                }

                double share = userPositives == 0 ? 1.0 / m : (double)positivesByInterest[zi] / userPositives;
                double logit = sharpness * (share - offset) + itemBias[item];
                bool label = rng.NextDouble() < 1 / (1 + Math.Exp(-logit));
                if (label)
                {
                    positivesByInterest[zi]++;
                    userPositives++;
                }
                writer.WriteEvent(new EventRecord(userId, ts, itemIds[item], query, label));
                if ((e & 8191) == 8191) progress?.Report((u + (double)(e + 1) / count) / users);
            }
            events += count;
            positives += userPositives;
            progress?.Report((double)(u + 1) / users);
        }
        writer.Complete();
        return new SyntheticDatasetSummary(users, n, events, positives, coldItems, (double)events / users, maxEvents, coldUntilTs);
    }

    static string QueryToken(Random rng, SyntheticDatasetOptions options, string[] interestVocabulary, string[] generic) =>
        rng.NextDouble() < options.QueryGenericTokenProbability
            ? generic[rng.Next(generic.Length)]
            : interestVocabulary[rng.Next(interestVocabulary.Length)];

    /// <summary>Index into the first <paramref name="m"/> weights, drawn proportionally, never <paramref name="exclude"/> (when m &gt; 1).</summary>
    static int SampleWeighted(Random rng, double[] weights, int m, int exclude)
    {
        double total = 0;
        for (int j = 0; j < m; j++) if (j != exclude) total += weights[j];
        double r = rng.NextDouble() * total;
        int last = -1;
        for (int j = 0; j < m; j++)
        {
            if (j == exclude) continue;
            last = j;
            r -= weights[j];
            if (r < 0) return j;
        }
        return last;
    }

    static int[][] GroupByInterest(int[] itemInterest, int k, Func<int, bool> keep)
    {
        var lists = new List<int>[k];
        for (int z = 0; z < k; z++) lists[z] = new List<int>();
        for (int i = 0; i < itemInterest.Length; i++) if (keep(i)) lists[itemInterest[i]].Add(i);
        return lists.Select(l => l.ToArray()).ToArray();
    }

    static void Shuffle(Random rng, int[] a)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }

    /// <summary>A fixed Gaussian map rows x cols with entries N(0, 1) / sqrt(cols).</summary>
    static double[][] RandomMap(Gaussian gauss, int rows, int cols)
    {
        var map = new double[rows][];
        double scale = 1 / Math.Sqrt(cols);
        for (int r = 0; r < rows; r++) map[r] = gauss.Vector(cols, scale);
        return map;
    }

    static void Project(double[][] map, double[] v, double noise, Gaussian gauss, float[] output)
    {
        for (int r = 0; r < map.Length; r++)
        {
            double s = 0;
            var row = map[r];
            for (int c = 0; c < v.Length; c++) s += row[c] * v[c];
            output[r] = (float)(s + noise * gauss.Next());
        }
    }

    /// <summary>Standard normal draws from a <see cref="Random"/> by the Box-Muller transform.</summary>
    sealed class Gaussian(Random rng)
    {
        double _spare;
        bool _hasSpare;

        public double Next()
        {
            if (_hasSpare)
            {
                _hasSpare = false;
                return _spare;
            }
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            double radius = Math.Sqrt(-2 * Math.Log(u1)), angle = 2 * Math.PI * u2;
            _spare = radius * Math.Sin(angle);
            _hasSpare = true;
            return radius * Math.Cos(angle);
        }

        public double[] Vector(int length, double scale)
        {
            var v = new double[length];
            for (int i = 0; i < length; i++) v[i] = scale * Next();
            return v;
        }
    }
}
