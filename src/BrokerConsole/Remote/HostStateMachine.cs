namespace BrokerConsole.Remote;

/// <summary>
/// A watched host's state, walked by its watcher: <c>since</c> moves only when the state changes (a host failing
/// again for another reason is still down since the first failure); the last error stays after a reconnect.
/// Not thread-safe: the watcher's loop is its only writer, readers get the immutable <see cref="Current"/>.
/// </summary>
internal sealed class HostStateMachine(string name, string url, DateTimeOffset now)
{
    public HostStatus Current { get; private set; } = new(name, url, HostState.Unreachable, now, "not connected yet");

    /// <summary>Connected, speaking <paramref name="protocolVersion"/> (null: too old to say). True when the state changed.</summary>
    public bool Connected(int? protocolVersion, DateTimeOffset now)
    {
        var mismatch = protocolVersion == Monitoring.MonitorProtocol.Version ? null
            : protocolVersion is null ? $"the host does not say which monitor protocol it speaks (older than version {Monitoring.MonitorProtocol.Version}, which this console speaks)"
            : $"the host speaks monitor protocol version {protocolVersion}, this console {Monitoring.MonitorProtocol.Version}";
        return Move(HostState.Connected, Current.LastError, now, protocolVersion, mismatch);
    }

    /// <summary>Failed with <paramref name="error"/>: <see cref="HostState.Refused"/> or <see cref="HostState.Unreachable"/>. True when the state changed.</summary>
    public bool Failed(HostState state, string error, DateTimeOffset now) =>
        Move(state, error, now, Current.ProtocolVersion, Current.VersionMismatch);

    private bool Move(HostState state, string? error, DateTimeOffset now, int? version, string? mismatch)
    {
        var changed = state != Current.State;
        Current = Current with
        {
            State = state,
            Since = changed ? now : Current.Since,
            LastError = error,
            ProtocolVersion = version,
            VersionMismatch = mismatch,
        };
        return changed;
    }

    /// <summary>What a failed connect or a lost connection means: 401/403 is a refusal of the configured login, anything else unreachable.</summary>
    public static (HostState State, string Error) Classify(Exception exception, TimeSpan connectTimeout) => exception switch
    {
        HttpRequestException { StatusCode: System.Net.HttpStatusCode.Unauthorized } =>
            (HostState.Refused, "401 Unauthorized: the host refuses the configured user name and password"),
        HttpRequestException { StatusCode: System.Net.HttpStatusCode.Forbidden } =>
            (HostState.Refused, "403 Forbidden: the configured user has no viewer or admin role on the host"),
        OperationCanceledException or TimeoutException => (HostState.Unreachable, $"no answer within {connectTimeout.TotalSeconds:0.#} s"),
        _ => (HostState.Unreachable, Describe(exception)),
    };

    private static string Describe(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is { } next && inner is HttpRequestException or AggregateException or System.Net.WebSockets.WebSocketException)
        {
            inner = next;
        }
        return inner == exception || inner.Message == exception.Message ? exception.Message : $"{exception.Message} ({inner.Message})";
    }
}
