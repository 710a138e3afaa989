using System.Globalization;

namespace Seminar.MLNet.Evaluation.Metrics;

/// <summary>Argument checks shared by the metric functions, with messages that name what is wrong.</summary>
internal static class MetricGuards
{
    /// <summary>Throws unless two inputs have the same number of elements.</summary>
    public static void SameLength(int lengthA, string nameA, int lengthB, string nameB)
    {
        if (lengthA != lengthB)
            throw new ArgumentException(
                $"Inputs must have the same length: {nameA} has {lengthA} elements but {nameB} has {lengthB}.", nameB);
    }

    /// <summary>Throws if any score is NaN, naming the first such index.</summary>
    public static void NoNaN(ReadOnlySpan<float> scores, string name)
    {
        for (int i = 0; i < scores.Length; i++)
        {
            if (float.IsNaN(scores[i]))
                throw new ArgumentException($"{name}[{i}] is NaN; scores must be numbers to be ranked.", name);
        }
    }

    /// <summary>Formats a value for an exception message, independent of the current culture.</summary>
    public static string Show(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
