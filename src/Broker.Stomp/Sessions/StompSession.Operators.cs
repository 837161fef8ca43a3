using Broker.Core.Connections;
using Broker.Core.Consumers;
using Broker.Stomp.Protocol;

namespace Broker.Stomp.Sessions;

/// <summary>The session as the console lists it (<see cref="IClientConnection"/>): read from any thread, closed by an operator.</summary>
public sealed partial class StompSession : IClientConnection
{
    // The read loop owns _subscriptions; other threads read this copy, replaced after every change.
    private volatile Subscription[] _subscriptionView = [];
    private IDisposable? _registration;
    private DateTimeOffset _connectedAt;
    private long _messagesIn;
    private long _messagesOut;

    public ClientConnectionInfo Describe() => new(
        ConnectionId,
        _transport.RemoteAddress,
        _user?.Name ?? "",
        _version.ToWire(),
        _clientId,
        _connectedAt,
        _transport.Kind,
        [.. _subscriptionView.Select(DescribeSubscription)],
        Interlocked.Read(ref _messagesIn),
        Interlocked.Read(ref _messagesOut));

    /// <summary>The client hears why in an ERROR (without <c>reconnect</c>: a failover client backs off as after any ERROR), then the connection closes.</summary>
    public void CloseByOperator(string reason)
    {
        EnqueueError(reason, receiptId: null);
        try
        {
            _stopReading.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended meanwhile: nothing left to close.
        }
    }

    /// <summary>Lists the session with its broker once the client has logged in.</summary>
    private void RegisterWithBroker()
    {
        _connectedAt = _broker.Clock.GetUtcNow();
        _registration = _broker.RegisterConnection(this);
    }

    private void PublishSubscriptionView() => _subscriptionView = [.. _subscriptions.Values];

    private LiveSubscriptionInfo DescribeSubscription(Subscription subscription) => new(
        ConnectionId,
        subscription.Id,
        string.Join(',', subscription.Destinations),
        subscription.AckMode switch
        {
            AckMode.Client => "client",
            AckMode.ClientIndividual => "client-individual",
            _ => "auto",
        },
        subscription.Options.Prefetch,
        subscription.Selector,
        subscription.Options.DurableName,
        subscription.Consumer?.PendingCount ?? subscription.Set?.PendingCount ?? 0,
        subscription.Consumer?.InFlightCount ?? subscription.Set?.InFlightCount ?? 0);
}
