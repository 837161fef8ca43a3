namespace Broker.Client;

/// <summary>A connection URI that cannot be used: malformed, or with an unknown or invalid option, which it names.</summary>
public sealed class StompUriException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public StompUriException(string message, string? option = null)
        : base(message)
    {
        Option = option;
    }

    /// <summary>The option at fault, as written in the URI, when there is one.</summary>
    public string? Option { get; }
}
