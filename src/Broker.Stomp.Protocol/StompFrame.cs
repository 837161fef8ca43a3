namespace Broker.Stomp.Protocol;

/// <summary>
/// One STOMP frame: a command, its headers in wire order (a repeated header keeps every occurrence; per the
/// spec only the first counts) and its body. Header names and values are already unescaped.
/// </summary>
public sealed class StompFrame
{
    public StompFrame(string command, IReadOnlyList<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body)
    {
        Command = command;
        Headers = headers;
        Body = body;
    }

    public StompFrame(string command, params (string Name, string Value)[] headers)
        : this(command, headers.Select(h => KeyValuePair.Create(h.Name, h.Value)).ToArray(), ReadOnlyMemory<byte>.Empty)
    {
    }

    public string Command { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The first value of a header, as the spec says repeated headers are read.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var (key, value) in Headers)
            {
                if (key == name)
                {
                    return value;
                }
            }
            return null;
        }
    }

    public override string ToString() => $"{Command} ({Headers.Count} headers, {Body.Length} bytes)";
}
