using Google.Protobuf;
using Onnx;

namespace Seminar.MLNet.Onnx;

/// <summary>Factory of node attributes (<see cref="AttributeProto"/>) of each supported kind.</summary>
internal static class OnnxAttribute
{
    /// <summary>An integer attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Float(string name, float value) =>
        new() { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A string attribute (UTF-8 encoded).</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto String(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new() { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
    }

    /// <summary>An integer-list attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="values">Values.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = new AttributeProto { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A float-list attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="values">Values.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Floats(string name, IEnumerable<float> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = new AttributeProto { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(values);
        return a;
    }

    /// <summary>A string-list attribute (each UTF-8 encoded).</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="values">Values; none may be null.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Strings(string name, IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = new AttributeProto { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Strings };
        foreach (var v in values)
        {
            if (v is null) throw new ArgumentException($"Attribute '{name}' contains a null string.", nameof(values));
            a.Strings.Add(ByteString.CopyFromUtf8(v));
        }
        return a;
    }

    /// <summary>A tensor attribute (e.g. <c>value</c> of <c>Constant</c>, <c>keys_tensor</c> of <c>LabelEncoder</c>).</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Tensor, e.g. from <see cref="OnnxTensors"/>.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Tensor(string name, TensorProto value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new() { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Tensor, T = value };
    }

    private static string CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name;
    }
}
