using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>
/// The optional columns the training loop reads beside the featurizer's: the validation flag and the user.
/// Kept apart from <see cref="PsuRowReader"/> so the row decoding stays one piece.
/// </summary>
sealed class RowExtras
{
    readonly DataViewSchema.Column? _validation;
    readonly DataViewSchema.Column? _user;
    ValueGetter<bool>? _getValidation;
    Func<string>? _getUser;

    public RowExtras(DataViewSchema schema, string? validationColumn, string? userColumn, List<DataViewSchema.Column> active)
    {
        if (validationColumn != null) active.Add((_validation = schema[validationColumn]).Value);
        if (userColumn != null) active.Add((_user = schema[userColumn]).Value);
    }

    /// <summary>Throws when a named column is missing or of a type the loop cannot read, naming the column.</summary>
    public static void Check(DataViewSchema schema, string? validationColumn, string? userColumn)
    {
        if (validationColumn != null)
        {
            var col = schema.GetColumnOrNull(validationColumn)
                ?? throw new ArgumentException($"Validation column '{validationColumn}' is missing.", nameof(validationColumn));
            if (col.Type != BooleanDataViewType.Instance)
                throw new ArgumentException($"Validation column '{validationColumn}' must be Boolean (true = held out for validation), not {col.Type}.", nameof(validationColumn));
        }
        if (userColumn != null)
        {
            var col = schema.GetColumnOrNull(userColumn)
                ?? throw new ArgumentException($"Pretraining user column '{userColumn}' is missing; set PretrainingUserColumnName = null to pretrain on every row.", nameof(userColumn));
            if (col.Type is not TextDataViewType && col.Type is not KeyDataViewType)
                throw new ArgumentException($"Pretraining user column '{userColumn}' must be text or a key, not {col.Type}.", nameof(userColumn));
        }
    }

    public void Bind(DataViewRowCursor cursor)
    {
        if (_validation is { } v) _getValidation = cursor.GetGetter<bool>(v);
        if (_user is { } u) _getUser = UserGetter(cursor, u);
    }

    public bool Validation()
    {
        if (_getValidation == null) return false;
        bool flag = false;
        _getValidation(ref flag);
        return flag;
    }

    public string? User() => _getUser?.Invoke();

    static Func<string> UserGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var get = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            return () => { ReadOnlyMemory<char> text = default; get(ref text); return text.ToString(); };
        }
        // Key columns come in the widths ML.NET allows; each value names a user as a number.
        return column.Type.RawType switch
        {
            var t when t == typeof(uint) => Key<uint>(cursor, column),
            var t when t == typeof(ulong) => Key<ulong>(cursor, column),
            var t when t == typeof(ushort) => Key<ushort>(cursor, column),
            _ => Key<byte>(cursor, column),
        };
    }

    static Func<string> Key<T>(DataViewRowCursor cursor, DataViewSchema.Column column) where T : IFormattable
    {
        var get = cursor.GetGetter<T>(column);
        return () => { T key = default!; get(ref key); return key.ToString(null, CultureInfo.InvariantCulture); };
    }
}
