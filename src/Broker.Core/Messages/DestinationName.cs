using System.Diagnostics.CodeAnalysis;

namespace Broker.Core.Messages;

public enum DestinationKind
{
    Queue,
    Topic,
}

/// <summary>A destination as clients name it: <c>/queue/NAME</c> or <c>/topic/NAME</c>.</summary>
public readonly record struct DestinationName(DestinationKind Kind, string Name)
{
    public const int MaxNameLength = 256;

    public static DestinationName Queue(string name) => new(DestinationKind.Queue, name);

    public static DestinationName Topic(string name) => new(DestinationKind.Topic, name);

    public bool IsQueue => Kind == DestinationKind.Queue;

    /// <summary>Parses <c>/queue/x</c> or <c>/topic/x</c>; <paramref name="error"/> says what is wrong otherwise.</summary>
    public static bool TryParse(string? text, out DestinationName destination, [NotNullWhen(false)] out string? error)
    {
        destination = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "destination is missing";
            return false;
        }
        DestinationKind kind;
        string name;
        if (text.StartsWith("/queue/", StringComparison.Ordinal))
        {
            (kind, name) = (DestinationKind.Queue, text["/queue/".Length..]);
        }
        else if (text.StartsWith("/topic/", StringComparison.Ordinal))
        {
            (kind, name) = (DestinationKind.Topic, text["/topic/".Length..]);
        }
        else
        {
            error = $"destination '{Truncate(text)}' must start with /queue/ or /topic/";
            return false;
        }
        if (!IsValidName(name, out error))
        {
            error = $"destination '{Truncate(text)}': {error}";
            return false;
        }
        destination = new DestinationName(kind, name);
        return true;
    }

    public static bool IsValidName(string name, [NotNullWhen(false)] out string? error)
    {
        if (name.Length == 0)
        {
            error = "the name is empty";
            return false;
        }
        if (name.Length > MaxNameLength)
        {
            error = $"the name is longer than {MaxNameLength} characters";
            return false;
        }
        foreach (var c in name)
        {
            if (char.IsControl(c) || c is '*' or '>' or ',')
            {
                error = $"the name contains the character U+{(int)c:X4}, which is not allowed";
                return false;
            }
        }
        error = null;
        return true;
    }

    public override string ToString() => (IsQueue ? "/queue/" : "/topic/") + Name;

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
