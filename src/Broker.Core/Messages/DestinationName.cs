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

    /// <summary>Whether the name holds <c>*</c> or <c>&gt;</c>: a subscription's pattern, never a place a message is sent to.</summary>
    public bool IsWildcard => DestinationPattern.IsWildcard(Name);

    /// <summary>How many destinations one composite name (<c>/queue/a,/topic/b</c>) may list.</summary>
    public const int MaxCompositeElements = 64;

    /// <summary>Parses <c>/queue/x</c> or <c>/topic/x</c>; <paramref name="error"/> says what is wrong otherwise.</summary>
    public static bool TryParse(string? text, out DestinationName destination, [NotNullWhen(false)] out string? error) =>
        TryParse(text, allowWildcards: false, out destination, out error);

    /// <summary>
    /// Parses a composite destination, ActiveMQ's way: names separated by commas, each <c>/queue/</c> or
    /// <c>/topic/</c>, or without a prefix after the first, then a queue, whatever comes before it (ActiveMQ 5.17 over
    /// STOMP sends <c>/topic/a,b</c> to topic <c>a</c> and queue <c>b</c>). One name is a composite of one. Repeated
    /// names count once. With <paramref name="allowWildcards"/> each may be a wildcard (SUBSCRIBE); its syntax is
    /// checked too.
    /// </summary>
    public static bool TryParseComposite(string? text, bool allowWildcards, [NotNullWhen(true)] out IReadOnlyList<DestinationName>? destinations,
        [NotNullWhen(false)] out string? error)
    {
        destinations = null;
        if (text is null || !text.Contains(','))
        {
            if (!TryParse(text, allowWildcards, out var single, out error))
            {
                return false;
            }
            destinations = [single];
            return true;
        }
        var parts = text.Split(',');
        if (parts.Length > MaxCompositeElements)
        {
            error = $"destination '{Truncate(text)}' lists more than {MaxCompositeElements} destinations";
            return false;
        }
        var list = new List<DestinationName>(parts.Length);
        foreach (var part in parts)
        {
            var element = part.StartsWith('/') || list.Count == 0 ? part : "/queue/" + part;
            if (!TryParse(element, allowWildcards, out var destination, out error))
            {
                error = $"composite destination '{Truncate(text)}': {error}";
                return false;
            }
            if (!list.Contains(destination))
            {
                list.Add(destination);
            }
        }
        destinations = list;
        error = null;
        return true;
    }

    /// <summary>As <see cref="TryParse(string?, out DestinationName, out string?)"/>; with <paramref name="allowWildcards"/> the name may be a valid wildcard.</summary>
    public static bool TryParse(string? text, bool allowWildcards, out DestinationName destination, [NotNullWhen(false)] out string? error)
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
        if (!IsValidName(name, out error, allowWildcards))
        {
            error = $"destination '{Truncate(text)}': {error}";
            return false;
        }
        destination = new DestinationName(kind, name);
        if (allowWildcards && DestinationPattern.IsWildcard(name) && !DestinationPattern.TryParse(destination, out _, out error))
        {
            return false;
        }
        return true;
    }

    public static bool IsValidName(string name, [NotNullWhen(false)] out string? error) => IsValidName(name, out error, allowWildcards: false);

    /// <summary>Checks a name; <c>*</c> and <c>&gt;</c> pass only with <paramref name="allowWildcards"/>, <c>,</c> never (it separates composites).</summary>
    public static bool IsValidName(string name, [NotNullWhen(false)] out string? error, bool allowWildcards)
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
            if (char.IsControl(c) || c == ',' || (!allowWildcards && c is '*' or '>'))
            {
                error = c is '*' or '>'
                    ? $"the name contains the wildcard '{c}', which only SUBSCRIBE may use"
                    : $"the name contains the character U+{(int)c:X4}, which is not allowed";
                return false;
            }
        }
        error = null;
        return true;
    }

    public override string ToString() => (IsQueue ? "/queue/" : "/topic/") + Name;

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
