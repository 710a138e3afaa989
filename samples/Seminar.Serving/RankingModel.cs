using Microsoft.ML;
using Seminar.MLNet;

namespace Seminar.Serving;

/// <summary>The model the service loaded at start-up and the one <see cref="SeminarRanker"/> over it (thread-safe, shared by all requests).</summary>
sealed class RankingModel : IDisposable
{
    readonly ITransformer _model;
    readonly SeminarRanker _ranker;

    RankingModel(string fileName, ITransformer model, SeminarRanker ranker)
    {
        FileName = fileName;
        _model = model;
        _ranker = ranker;
    }

    /// <summary>The loaded zip's file name (what /health reports).</summary>
    public string FileName { get; }

    /// <summary>One score per candidate, in order; <see cref="ArgumentException"/> names what the request lacks.</summary>
    public float[] Rank(RankingRequest request) => _ranker.Rank(request);

    /// <summary>
    /// Loads <paramref name="path"/> with <c>Seminar().LoadModel</c>, so the SEMINAR stages serve on their C# paths (stock
    /// <c>Model.Load</c> would run them in ONNX Runtime, several times slower); any failure becomes a start-up error naming the file.
    /// </summary>
    public static RankingModel Load(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new StartupException($"Seminar:ModelPath names '{full}', which does not exist.");
        ITransformer model;
        DataViewSchema schema;
        try
        {
            model = new MLContext().Seminar().LoadModel(full, out schema);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new StartupException($"Seminar:ModelPath: '{full}' could not be loaded as an ML.NET model zip: {e.Message}", e);
        }
        try
        {
            return new RankingModel(Path.GetFileName(full), model, new SeminarRanker(model, schema));
        }
        catch (ArgumentException e)
        {
            (model as IDisposable)?.Dispose();
            throw new StartupException($"Seminar:ModelPath: '{full}' cannot rank requests: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        _ranker.Dispose();
        // A loaded model holds ONNX Runtime sessions (the stages' persisted forms) and ML.NET's copies of the graphs until disposed.
        (_model as IDisposable)?.Dispose();
    }
}
