using System.Globalization;
using System.Reflection;

namespace BrokerConsole.Hosting;

/// <summary>
/// Checks a configuration section against the options types it is bound to, before binding: every key must be a
/// settable property of one of them (a typo is an error, not a silently ignored key) and every value must convert
/// to that property's type. The known keys come from the types themselves, so a property added to an options
/// class is a valid key at once. Each problem names the full key path; all are collected.
/// </summary>
internal static class SettingsCheck
{
    /// <summary>
    /// Checks <paramref name="section"/>'s keys against the properties of <paramref name="types"/> and the
    /// <paramref name="extra"/> keys. True when the section can be bound: every known key's value converts (unknown
    /// keys are reported but do not stop binding, so range checks can still report what else is wrong).
    /// </summary>
    public static bool Section(IConfigurationSection section, IReadOnlyList<Type> types, List<string> errors,
        IReadOnlyDictionary<string, Type>? extra = null)
    {
        var shape = ShapeOf(types);
        foreach (var (key, type) in extra ?? new Dictionary<string, Type>())
        {
            shape[key] = type;
        }
        if (section.Value is { Length: > 0 } && !section.GetChildren().Any())
        {
            errors.Add($"{section.Path}: '{section.Value}' is a single value; expected a section with {Known(shape)}");
            return false;
        }
        var bindable = true;
        foreach (var child in section.GetChildren())
        {
            if (shape.TryGetValue(child.Key, out var type))
            {
                bindable &= Value(child, type, errors);
            }
            else
            {
                errors.Add($"{child.Path}: unknown setting ({Known(shape)})");
            }
        }
        return bindable;
    }

    /// <summary>Checks one value (or nested section, list or dictionary) against <paramref name="type"/>; false when it cannot be bound.</summary>
    private static bool Value(IConfigurationSection section, Type type, List<string> errors)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var hasChildren = section.GetChildren().Any();
        if (IsScalar(type))
        {
            if (hasChildren)
            {
                errors.Add($"{section.Path}: expected a single value ({Describe(type)}), not a section");
                return false;
            }
            if (section.Value is { } text && Convert(text, type) is { } problem)
            {
                errors.Add($"{section.Path}: '{text}' {problem}");
                return false;
            }
            return true;
        }
        if (ElementOf(type) is { } element)
        {
            if (!hasChildren && section.Value is { Length: > 0 })
            {
                errors.Add($"{section.Path}: '{section.Value}' is a single value; expected a list (in JSON [ ... ], on the command line {section.Path}:0=...)");
                return false;
            }
            var bindable = true;
            foreach (var item in section.GetChildren())
            {
                if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add($"{item.Path}: '{item.Key}' is not a list index (0, 1, ...)");
                    bindable = false;
                    continue;
                }
                bindable &= Value(item, element, errors);
            }
            return bindable;
        }
        if (DictionaryValueOf(type) is { } valueType)
        {
            if (!hasChildren && section.Value is { Length: > 0 })
            {
                errors.Add($"{section.Path}: '{section.Value}' is a single value; expected a section of named entries");
                return false;
            }
            var bindable = true;
            foreach (var entry in section.GetChildren())
            {
                bindable &= Value(entry, valueType, errors);
            }
            return bindable;
        }
        return Section(section, [type], errors);
    }

    /// <summary>Null when <paramref name="text"/> converts to <paramref name="type"/> as the binder will convert it, else what is wrong.</summary>
    private static string? Convert(string text, Type type)
    {
        if (type == typeof(string))
        {
            return null;
        }
        if (type == typeof(bool))
        {
            return bool.TryParse(text, out _) ? null : "is not true or false";
        }
        if (type.IsEnum)
        {
            // Names only: the binder would also take numbers, which say nothing to a reader.
            return Enum.GetNames(type).Any(n => string.Equals(n, text.Trim(), StringComparison.OrdinalIgnoreCase))
                ? null
                : $"is not one of {string.Join(", ", Enum.GetNames(type))}";
        }
        if (type == typeof(TimeSpan))
        {
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
            {
                // TimeSpan.Parse reads a bare number as days: "5" meant as seconds would be five days.
                return $"is not a duration: write hh:mm:ss, for example 00:00:{Math.Clamp(number, 0, 59):00} (a bare number would be read as days)";
            }
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out _) ? null : "is not a duration (hh:mm:ss, or d.hh:mm:ss)";
        }
        if (type == typeof(int))
        {
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? null
                : long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? $"is out of range (at most {int.MaxValue})"
                : "is not a whole number";
        }
        if (type == typeof(long))
        {
            return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? null : "is not a whole number";
        }
        if (type == typeof(double))
        {
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
                ? null : "is not a number";
        }
        var converter = System.ComponentModel.TypeDescriptor.GetConverter(type);
        try
        {
            converter.ConvertFromInvariantString(text);
            return null;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException or OverflowException)
        {
            return $"is not a valid {type.Name}";
        }
    }

    private static string Describe(Type type) =>
        type == typeof(bool) ? "true or false"
        : type.IsEnum ? string.Join(", ", Enum.GetNames(type))
        : type == typeof(TimeSpan) ? "a duration, hh:mm:ss"
        : type == typeof(int) || type == typeof(long) ? "a whole number"
        : type.Name;

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(Uri) || type == typeof(DateTimeOffset) || type == typeof(DateTime);

    private static Type? ElementOf(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() is var d
            && (d == typeof(List<>) || d == typeof(IList<>) || d == typeof(IReadOnlyList<>) || d == typeof(ICollection<>)
                || d == typeof(IEnumerable<>) || d == typeof(IReadOnlyCollection<>) || d == typeof(HashSet<>) || d == typeof(ISet<>))
            ? type.GetGenericArguments()[0]
        : null;

    private static Type? DictionaryValueOf(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d
            && (d == typeof(Dictionary<,>) || d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>))
            && type.GetGenericArguments()[0] == typeof(string)
            ? type.GetGenericArguments()[1]
            : null;

    private static Dictionary<string, Type> ShapeOf(IEnumerable<Type> types)
    {
        var shape = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in types.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)))
        {
            // What the binder sets (init included); computed, get-only properties are not settings.
            if (property.CanWrite)
            {
                shape[property.Name] = property.PropertyType;
            }
        }
        return shape;
    }

    private static string Known(Dictionary<string, Type> shape) => $"known: {string.Join(", ", shape.Keys.Order(StringComparer.OrdinalIgnoreCase))}";
}
