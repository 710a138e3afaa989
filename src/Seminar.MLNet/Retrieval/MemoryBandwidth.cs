using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Seminar.MLNet.Retrieval;

/// <summary>
/// Single-thread sequential read bandwidth: the bound the GSU scans (<see cref="BlockedVectors.Score(ReadOnlySpan{float}, int, Span{float})"/> and the
/// approximate scan) are compared against. A scan reading B bytes cannot take less than <c>B / bandwidth</c>; how
/// close it gets says whether it is memory-bound or compute-bound.
/// </summary>
internal static class MemoryBandwidth
{
    // Each timed repetition reads at least this much, so a cache-sized buffer is timed over many passes rather
    // than one pass of a few microseconds that timer and loop start-up would dominate.
    const long MinimumBytesPerRepetition = 256L << 20;
    const int Alignment = 64;

    static float s_sink;

    /// <summary>
    /// Measures how fast one thread reads a buffer of <paramref name="bytes"/> sequentially, best of
    /// <paramref name="repetitions"/>. The default (512 MB) is far beyond the caches, so it measures DRAM; a buffer
    /// that fits a cache level (e.g. 1 MB for L2, 16 MB for L3) measures that level instead, because the buffer is
    /// read once untimed first and then re-read in passes (as many as it takes to read at least 256 MB per repetition).
    /// </summary>
    /// <param name="bytes">Buffer size, at least 4 KB; rounded down to whole 64-byte lines.</param>
    /// <param name="repetitions">Timed repetitions (at least 1); the fastest counts, as interference only slows.</param>
    /// <returns>Bytes read per second, in GB/s (1e9 bytes).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size below 4 KB or too large for one array, or no repetitions.</exception>
    /// <remarks>
    /// Allocates (pinned, 64-byte aligned) and writes the buffer first so every page is mapped before timing. The loop
    /// sums with TensorPrimitives (several vectors per step at the widest accelerated width), so it is bound by loads,
    /// not additions. Takes about <c>repetitions</c> × (bytes or 256 MB) / bandwidth.
    /// </remarks>
    public static double MeasureReadGigabytesPerSecond(long bytes = 512L << 20, int repetitions = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 4096);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, (long)(Array.MaxLength - Alignment / sizeof(float)) * sizeof(float));
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        int floats = (int)(bytes / Alignment * Alignment / sizeof(float));
        var storage = GC.AllocateUninitializedArray<float>(floats + Alignment / sizeof(float), pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(storage, 0).ToInt64();
        int offset = (int)((Alignment - (address & (Alignment - 1))) & (Alignment - 1)) / sizeof(float);
        var buffer = storage.AsSpan(offset, floats);
        buffer.Fill(1f);

        long read = (long)floats * sizeof(float);
        int passes = (int)Math.Max(1, (MinimumBytesPerRepetition + read - 1) / read);
        float sink = Sum(buffer);
        double best = double.PositiveInfinity;
        for (int r = 0; r < repetitions; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int p = 0; p < passes; p++) sink += Sum(buffer);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        // Published so the sums cannot be dropped as dead code.
        Volatile.Write(ref s_sink, sink);
        GC.KeepAlive(storage);
        return read * (double)passes / best / 1e9;
    }

    // TensorPrimitives sums several vectors per step at the widest width, so the loop is bound by loads, not additions.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float Sum(ReadOnlySpan<float> data) => TensorPrimitives.Sum(data);
}
