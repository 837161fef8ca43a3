using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Broker.Stomp.Protocol;

namespace Broker.Client;

/// <summary>
/// A subscription. Read its messages with <c>await foreach</c> (unless it was made with a handler); dispose it
/// (or call <see cref="UnsubscribeAsync"/>) to stop. Messages are buffered in a channel of its own, so the link's
/// read loop never waits for the application; the broker's prefetch bounds how many can pile up.
/// </summary>
public sealed class StompSubscription : IAsyncEnumerable<StompMessage>, IAsyncDisposable
{
    private readonly StompConnection _connection;
    private readonly Func<StompMessage, CancellationToken, Task>? _handler;
    private readonly Channel<StompMessage> _messages = Channel.CreateUnbounded<StompMessage>(new() { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private Task _pump = Task.CompletedTask;
    private int _enumerated;

    internal StompSubscription(StompConnection connection, string id, long number, string destination, SubscribeOptions options, Func<StompMessage, CancellationToken, Task>? handler)
    {
        _connection = connection;
        Id = id;
        Number = number;
        Destination = destination;
        Options = options;
        _handler = handler;
    }

    /// <summary>The subscription id on the wire.</summary>
    public string Id { get; }

    /// <summary>The destination subscribed to.</summary>
    public string Destination { get; }

    /// <summary>How it was subscribed.</summary>
    public SubscribeOptions Options { get; }

    internal long Number { get; }

    internal StompFrame SubscribeFrame(string? receipt)
    {
        List<(string, string)> headers =
        [
            ("id", Id),
            ("destination", Destination),
            ("ack", Options.AckMode switch { StompAckMode.Client => "client", StompAckMode.ClientIndividual => "client-individual", _ => "auto" }),
        ];
        if (Options.Prefetch is { } prefetch)
        {
            headers.Add(("activemq.prefetchSize", prefetch.ToString(CultureInfo.InvariantCulture)));
        }
        if (Options.Selector is { } selector)
        {
            headers.Add(("selector", selector));
        }
        if (Options.DurableName is { } durable)
        {
            headers.Add(("activemq.subscriptionName", durable));
        }
        foreach (var (name, value) in Options.Headers ?? new Dictionary<string, string>())
        {
            headers.Add((name, value));
        }
        if (receipt is not null)
        {
            headers.Add(("receipt", receipt));
        }
        return new StompFrame("SUBSCRIBE", [.. headers]);
    }

    internal void Deliver(StompMessage message) => _messages.Writer.TryWrite(message);

    /// <summary>Ends the stream: normally (null) or with the connection's failure.</summary>
    internal void Complete(Exception? error) => _messages.Writer.TryComplete(error);

    internal void Start()
    {
        if (_handler is not null)
        {
            _pump = Task.Run(PumpAsync);
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var message in _messages.Reader.ReadAllAsync(_stop.Token))
            {
                try
                {
                    await _handler!(message, _stop.Token);
                }
                catch (Exception) when (!_stop.IsCancellationRequested)
                {
                    if (Options.AckMode != StompAckMode.Auto)
                    {
                        await message.NackAsync();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (StompConnectionException)
        {
            // The connection failed or closed: nothing more will come.
        }
    }

    /// <summary>
    /// The messages as they arrive, until the subscription is disposed or the connection closes (normally) or
    /// fails (with <see cref="StompConnectionException"/>). One enumeration at a time; not with a handler.
    /// </summary>
    public async IAsyncEnumerator<StompMessage> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (_handler is not null)
        {
            throw new InvalidOperationException("this subscription delivers to its handler");
        }
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("the subscription is already being enumerated");
        }
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
            await foreach (var message in ReadAsync(linked.Token))
            {
                yield return message;
            }
        }
        finally
        {
            Volatile.Write(ref _enumerated, 0);
        }
    }

    private async IAsyncEnumerable<StompMessage> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            bool more;
            try
            {
                more = await _messages.Reader.WaitToReadAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                yield break;
            }
            if (!more)
            {
                yield break;
            }
            while (_messages.Reader.TryRead(out var message))
            {
                yield return message;
            }
        }
    }

    /// <summary>Sends UNSUBSCRIBE (a durable subscription named in it is deleted) and ends the stream.</summary>
    public async Task UnsubscribeAsync(CancellationToken cancellationToken = default)
    {
        await _connection.UnsubscribeAsync(this, cancellationToken);
        Complete(null);
        _stop.Cancel();
        await _pump;
    }

    /// <summary>Unsubscribes.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await UnsubscribeAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is StompConnectionException or ObjectDisposedException)
        {
        }
    }
}
