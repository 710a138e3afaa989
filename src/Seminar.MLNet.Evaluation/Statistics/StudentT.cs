namespace Seminar.MLNet.Evaluation.Statistics;

/// <summary>
/// Student's t distribution with an integer number of degrees of freedom, for intervals over a handful of seeds. Uses the
/// exact finite series for integer df (Abramowitz and Stegun 26.7.3–26.7.4), so small df — the usual case, two to ten
/// seeds — need no table and no asymptotic approximation.
/// </summary>
internal static class StudentT
{
    /// <summary>P(|T| &lt;= <paramref name="t"/>) for T with <paramref name="df"/> degrees of freedom.</summary>
    public static double TwoSidedCoverage(double t, int df)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(df, 1);
        if (double.IsNaN(t)) return double.NaN;
        t = Math.Abs(t);
        if (double.IsPositiveInfinity(t)) return 1;
        double theta = Math.Atan(t / Math.Sqrt(df)), s = Math.Sin(theta), c = Math.Cos(theta), c2 = c * c;
        if (df % 2 == 1)
        {
            // Odd: (2/pi) (theta + sin(theta) (cos + 2/3 cos^3 + ... + (2*4*..*(df-3))/(1*3*..*(df-2)) cos^(df-2))).
            double sum = 0;
            if (df > 1)
            {
                double term = c;
                sum = c;
                for (int k = 3; k <= df - 2; k += 2)
                {
                    term *= c2 * (k - 1) / k;
                    sum += term;
                }
            }
            return 2 / Math.PI * (theta + s * sum);
        }
        // Even: sin(theta) (1 + 1/2 cos^2 + 1*3/(2*4) cos^4 + ... + (1*3*..*(df-3))/(2*4*..*(df-2)) cos^(df-2)).
        double evenTerm = 1, evenSum = 1;
        for (int k = 2; k <= df - 2; k += 2)
        {
            evenTerm *= c2 * (k - 1) / k;
            evenSum += evenTerm;
        }
        return s * evenSum;
    }

    /// <summary>The <paramref name="p"/> quantile (e.g. 0.975 for a two-sided 95% interval), by bisection on the coverage.</summary>
    public static double Quantile(double p, int df)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in (0, 1).");
        ArgumentOutOfRangeException.ThrowIfLessThan(df, 1);
        if (p < 0.5) return -Quantile(1 - p, df);
        double target = 2 * p - 1;
        if (target == 0) return 0;
        double lo = 0, hi = 1;
        while (TwoSidedCoverage(hi, df) < target) hi *= 2;
        for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (TwoSidedCoverage(mid, df) < target) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }
}
