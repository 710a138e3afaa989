using System.Runtime.CompilerServices;

namespace Seminar.MLNet.Retrieval;

internal sealed partial class BlockedVectors
{
    static void FourHeadsTwoBlocks(SimdPath path, int d, ref float x, int first, int pairs, ref float q, ref float s, int padded)
    {
        if (path == SimdPath.Vector512) FourHeadsTwoBlocks<Lanes512>(d, ref x, first, pairs, ref q, ref s, padded);
        else if (path == SimdPath.Vector256) FourHeadsTwoBlocks<Lanes256>(d, ref x, first, pairs, ref q, ref s, padded);
        else FourHeadsTwoBlocks<Lanes1>(d, ref x, first, pairs, ref q, ref s, padded);
    }

    // Four heads over blocks b and b + 1 at once, for many request vectors over a tile already in L1 (the single-block
    // kernel streams from memory, where interleaving blocks hurt): each broadcast query value feeds two FMAs instead of
    // one, so a step is 4 vector loads and 8 broadcasts for 16 FMAs against 2 and 8 for 8. Per lane the operations and
    // their order are the single-block kernel's with four heads (even dimensions into a_h, odd into c_h, then
    // a_h + c_h), so both give the same bits.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void FourHeadsTwoBlocks<TLanes>(int d, ref float x, int first, int pairs, ref float q, ref float s, int padded)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        nint stride = (nint)d * BlockSize;
        nuint p1 = (nuint)padded, p2 = 2 * p1, p3 = 3 * p1;
        ref float q0 = ref q;
        ref float q1 = ref Unsafe.Add(ref q, d);
        ref float q2 = ref Unsafe.Add(ref q, 2 * d);
        ref float q3 = ref Unsafe.Add(ref q, 3 * d);
        for (int pair = 0; pair < pairs; pair++)
        {
            int b = first + 2 * pair;
            for (int slice = 0; slice < BlockSize; slice += TLanes.Count)
            {
                ref float xa = ref Unsafe.Add(ref Unsafe.Add(ref x, b * stride), slice);
                ref float xb = ref Unsafe.Add(ref xa, stride);
                TLanes a0 = default, a1 = default, a2 = default, a3 = default, c0 = default, c1 = default, c2 = default, c3 = default;
                TLanes e0 = default, e1 = default, e2 = default, e3 = default, f0 = default, f1 = default, f2 = default, f3 = default;
                int j = 0;
                nuint o = 0;
                for (; j + 2 <= d; j += 2, o += 2 * BlockSize)
                {
                    var v0 = TLanes.Load(ref xa, o);
                    var v1 = TLanes.Load(ref xa, o + BlockSize);
                    var w0 = TLanes.Load(ref xb, o);
                    var w1 = TLanes.Load(ref xb, o + BlockSize);
                    var u = TLanes.Create(Unsafe.Add(ref q0, j));
                    var t = TLanes.Create(Unsafe.Add(ref q0, j + 1));
                    a0 = TLanes.FusedMultiplyAdd(u, v0, a0); e0 = TLanes.FusedMultiplyAdd(u, w0, e0);
                    c0 = TLanes.FusedMultiplyAdd(t, v1, c0); f0 = TLanes.FusedMultiplyAdd(t, w1, f0);
                    u = TLanes.Create(Unsafe.Add(ref q1, j));
                    t = TLanes.Create(Unsafe.Add(ref q1, j + 1));
                    a1 = TLanes.FusedMultiplyAdd(u, v0, a1); e1 = TLanes.FusedMultiplyAdd(u, w0, e1);
                    c1 = TLanes.FusedMultiplyAdd(t, v1, c1); f1 = TLanes.FusedMultiplyAdd(t, w1, f1);
                    u = TLanes.Create(Unsafe.Add(ref q2, j));
                    t = TLanes.Create(Unsafe.Add(ref q2, j + 1));
                    a2 = TLanes.FusedMultiplyAdd(u, v0, a2); e2 = TLanes.FusedMultiplyAdd(u, w0, e2);
                    c2 = TLanes.FusedMultiplyAdd(t, v1, c2); f2 = TLanes.FusedMultiplyAdd(t, w1, f2);
                    u = TLanes.Create(Unsafe.Add(ref q3, j));
                    t = TLanes.Create(Unsafe.Add(ref q3, j + 1));
                    a3 = TLanes.FusedMultiplyAdd(u, v0, a3); e3 = TLanes.FusedMultiplyAdd(u, w0, e3);
                    c3 = TLanes.FusedMultiplyAdd(t, v1, c3); f3 = TLanes.FusedMultiplyAdd(t, w1, f3);
                }
                for (; j < d; j++, o += BlockSize)
                {
                    var v = TLanes.Load(ref xa, o);
                    var w = TLanes.Load(ref xb, o);
                    var u = TLanes.Create(Unsafe.Add(ref q0, j));
                    a0 = TLanes.FusedMultiplyAdd(u, v, a0); e0 = TLanes.FusedMultiplyAdd(u, w, e0);
                    u = TLanes.Create(Unsafe.Add(ref q1, j));
                    a1 = TLanes.FusedMultiplyAdd(u, v, a1); e1 = TLanes.FusedMultiplyAdd(u, w, e1);
                    u = TLanes.Create(Unsafe.Add(ref q2, j));
                    a2 = TLanes.FusedMultiplyAdd(u, v, a2); e2 = TLanes.FusedMultiplyAdd(u, w, e2);
                    u = TLanes.Create(Unsafe.Add(ref q3, j));
                    a3 = TLanes.FusedMultiplyAdd(u, v, a3); e3 = TLanes.FusedMultiplyAdd(u, w, e3);
                }
                ref float row = ref Unsafe.Add(ref s, b * BlockSize + slice);
                (a0 + c0).Store(ref row, 0);
                (a1 + c1).Store(ref row, p1);
                (a2 + c2).Store(ref row, p2);
                (a3 + c3).Store(ref row, p3);
                (e0 + f0).Store(ref row, BlockSize);
                (e1 + f1).Store(ref row, p1 + BlockSize);
                (e2 + f2).Store(ref row, p2 + BlockSize);
                (e3 + f3).Store(ref row, p3 + BlockSize);
            }
        }
    }
}
