namespace Broker.Stomp.Protocol;

/// <summary>
/// What <see cref="StompFrameWriter"/> does with a header character the frame cannot carry: a NUL (it would end
/// the frame for most parsers), a line feed or carriage return where the version has no escape for it (STOMP 1.0,
/// the CONNECT/CONNECTED handshake, a carriage return in 1.1), or a colon in an unescaped header name.
/// </summary>
public enum UnrepresentableHeaders
{
    /// <summary>
    /// Each such character is written as U+FFFD (the Unicode replacement character), so echoed text can never break
    /// the frame. What a server writes uses this: it often repeats what a client sent.
    /// </summary>
    Replace,

    /// <summary>An <see cref="ArgumentException"/> names the problem and nothing is written (what a client wants for its own frames).</summary>
    Throw,
}
