using Google.Protobuf;
using Onnx;

namespace Seminar.MLNet.Onnx;

/// <summary>Factory of <see cref="TensorProto"/> values (initializers, tensor attributes) from C# arrays.</summary>
internal static class OnnxTensors
{
    /// <summary>A float tensor.</summary>
    /// <param name="name">Tensor name (may be empty for an attribute tensor).</param>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Shape; its product must equal the number of values. Empty = scalar.</param>
    /// <returns>The tensor.</returns>
    public static TensorProto Float(string name, float[] values, params long[] shape)
    {
        var t = Create(name, TensorProto.Types.DataType.Float, values, shape);
        t.FloatData.AddRange(values);
        return t;
    }

    /// <summary>An int64 tensor.</summary>
    /// <param name="name">Tensor name (may be empty for an attribute tensor).</param>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Shape; its product must equal the number of values. Empty = scalar.</param>
    /// <returns>The tensor.</returns>
    public static TensorProto Int64(string name, long[] values, params long[] shape)
    {
        var t = Create(name, TensorProto.Types.DataType.Int64, values, shape);
        t.Int64Data.AddRange(values);
        return t;
    }

    /// <summary>An int32 tensor.</summary>
    /// <param name="name">Tensor name (may be empty for an attribute tensor).</param>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Shape; its product must equal the number of values. Empty = scalar.</param>
    /// <returns>The tensor.</returns>
    public static TensorProto Int32(string name, int[] values, params long[] shape)
    {
        var t = Create(name, TensorProto.Types.DataType.Int32, values, shape);
        t.Int32Data.AddRange(values);
        return t;
    }

    /// <summary>A uint8 tensor, stored as raw bytes (a byte per element rather than protobuf's int32 per element).</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Shape; its product must equal the number of values. Empty = scalar.</param>
    /// <returns>The tensor.</returns>
    public static TensorProto UInt8(string name, byte[] values, params long[] shape)
    {
        var t = Create(name, TensorProto.Types.DataType.Uint8, values, shape);
        t.RawData = ByteString.CopyFrom(values);
        return t;
    }

    /// <summary>A string tensor (each element UTF-8 encoded).</summary>
    /// <param name="name">Tensor name (may be empty for an attribute tensor).</param>
    /// <param name="values">Row-major values; none may be null.</param>
    /// <param name="shape">Shape; its product must equal the number of values. Empty = scalar.</param>
    /// <returns>The tensor.</returns>
    public static TensorProto String(string name, string[] values, params long[] shape)
    {
        var t = Create(name, TensorProto.Types.DataType.String, values, shape);
        foreach (var v in values)
        {
            if (v is null) throw new ArgumentException($"Tensor '{name}' contains a null string.", nameof(values));
            t.StringData.Add(ByteString.CopyFromUtf8(v));
        }
        return t;
    }

    private static TensorProto Create<T>(string name, TensorProto.Types.DataType type, T[] values, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"Tensor '{name}' has a negative dimension in shape [{string.Join(", ", shape)}].", nameof(shape));
            count *= d;
        }
        if (count != values.Length)
        {
            throw new ArgumentException(
                $"Tensor '{name}' has {values.Length} values but shape [{string.Join(", ", shape)}] holds {count}.", nameof(values));
        }
        var t = new TensorProto { Name = name, DataType = (int)type };
        t.Dims.AddRange(shape);
        return t;
    }
}
