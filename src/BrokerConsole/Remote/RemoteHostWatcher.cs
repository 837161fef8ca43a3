using System.Text;
using System.Text.Json.Serialization;
using Broker.Core.Events;
using BrokerConsole.Api;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace BrokerConsole.Remote;

/// <summary>
/// Watches one configured host over its <c>/hubs/monitor</c>: on each connection it asks <c>Describe</c>, then follows
/// <c>StreamBrokers</c> and <c>StreamEvents</c> (no polling) until the connection is lost; then it reconnects with
/// <see cref="ReconnectBackoff"/>. Every connect is bounded by <see cref="ConsoleOptions.ConnectTimeout"/>, and the
/// loop runs on its own task, so a slow or dead host holds up nobody else. Its latest <see cref="View"/> is an
/// immutable snapshot; <paramref name="changed"/> is called after each change (from the watcher's task).
/// </summary>
internal sealed class RemoteHostWatcher(
    string name,
    RemoteHostOptions options,
    ConsoleOptions console,
    ReconnectBackoff backoff,
    TimeProvider time,
    ILogger logger,
    Action<RemoteHostWatcher, bool> changed)
{
    /// <summary>Events kept per host for the timeline and a pair's last failover.</summary>
    public const int EventsKept = 500;

    private readonly Uri _url = new(options.Url!);
    private readonly HostStateMachine _state = new(name, options.Url!, time.GetUtcNow());
    private readonly Lock _lock = new();
    private IReadOnlyList<BrokerView> _brokers = [];
    private IReadOnlyList<BrokerLink> _links = [];
    private IReadOnlyList<BrokerEvent> _events = [];
    private HostView? _view;

    public string Name => name;

    public HostView View
    {
        get
        {
            lock (_lock)
            {
                return _view ??= new HostView(_state.Current, _brokers, _links, _events);
            }
        }
    }

    /// <summary>Connects, follows and reconnects until <paramref name="stopping"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await FollowOnceAsync(stopping);
                // The host ended the streams without closing: it is going away.
                Fail(new InvalidOperationException("the host ended the stream"));
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (ConnectionLostException lost)
            {
                // A connection that held for a while starts the back-off again from the bottom (the host restarted, say);
                // one dropped right after it was made counts as one more failure, so a flapping host is not hammered.
                if (lost.Held >= backoff.Max)
                {
                    failures = 0;
                }
                Fail(lost.InnerException ?? lost);
            }
            catch (Exception e)
            {
                Fail(e);
            }
            var delay = backoff.Delay(failures++);
            RemoteLog.Retrying(logger, name, _state.Current.StateName, _state.Current.LastError ?? "", (long)delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, time, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One connection: connect, describe, first snapshot (all within the connect timeout), then follow until it is lost.</summary>
    private async Task FollowOnceAsync(CancellationToken stopping)
    {
        await using var connection = Build();
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Exception? closedBy = null;
        connection.Closed += error =>
        {
            closedBy = error ?? new InvalidOperationException("the host closed the connection");
            Cancel(session);
            return Task.CompletedTask;
        };
        IAsyncEnumerator<IReadOnlyList<BrokerView>> brokers;
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(session.Token))
        {
            connect.CancelAfter(console.ConnectTimeout);
            await connection.StartAsync(connect.Token);
            var description = await DescribeAsync(connection, connect.Token);
            brokers = connection.StreamAsync<IReadOnlyList<BrokerView>>(nameof(MonitorHub.StreamBrokers), session.Token).GetAsyncEnumerator(session.Token);
            if (!await brokers.MoveNextAsync().AsTask().WaitAsync(connect.Token))
            {
                throw new InvalidOperationException("the host ended the brokers stream at once");
            }
            Connected(description, brokers.Current);
        }
        var connectedAt = time.GetTimestamp();
        var events = FollowEventsAsync(connection, session.Token);
        try
        {
            while (await brokers.MoveNextAsync())
            {
                Update(brokers: brokers.Current);
            }
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            throw new ConnectionLostException(closedBy ?? e, time.GetElapsedTime(connectedAt));
        }
        finally
        {
            Cancel(session);
            await brokers.DisposeAsync().AsTask().ContinueWith(_ => { }, TaskScheduler.Default);
            await events.ContinueWith(_ => { }, TaskScheduler.Default);
        }
        if (closedBy is not null && !stopping.IsCancellationRequested)
        {
            throw new ConnectionLostException(closedBy, time.GetElapsedTime(connectedAt));
        }
    }

    private HubConnection Build()
    {
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.UserName}:{options.Password}"));
        return new HubConnectionBuilder()
            .WithUrl(new Uri(_url, MonitoringExtensions.HubPath), o =>
            {
                o.Headers["Authorization"] = $"Basic {token}";
                o.CloseTimeout = TimeSpan.FromSeconds(2);
            })
            // The hub sends enum kinds as names (MonitoringExtensions).
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .Build();
    }

    /// <summary>The host's <see cref="HostDescription"/>; null from a host too old to have <c>Describe</c>.</summary>
    private static async Task<HostDescription?> DescribeAsync(HubConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            return await connection.InvokeAsync<HostDescription>(nameof(MonitorHub.Describe), cancellationToken);
        }
        catch (HubException)
        {
            // "Unknown hub method": an older host. Its brokers stream still works; the status says the versions differ.
            return null;
        }
    }

    private async Task FollowEventsAsync(HubConnection connection, CancellationToken cancellationToken)
    {
        var first = true;
        await foreach (var batch in connection.StreamAsync<IReadOnlyList<BrokerEvent>>(nameof(MonitorHub.StreamEvents), cancellationToken))
        {
            // The first batch is the host's recent events: after a reconnect it replaces what was kept, without duplicates.
            var keep = first ? batch : [.. _events, .. batch];
            first = false;
            if (keep.Count > EventsKept)
            {
                keep = [.. keep.Skip(keep.Count - EventsKept)];
            }
            Update(events: keep);
        }
    }

    private void Connected(HostDescription? description, IReadOnlyList<BrokerView> brokers)
    {
        bool moved;
        lock (_lock)
        {
            moved = _state.Connected(description?.ProtocolVersion, time.GetUtcNow());
            _brokers = brokers;
            _links = description?.Brokers ?? [];
            _view = null;
        }
        if (moved)
        {
            RemoteLog.Connected(logger, name, options.Url!);
            if (_state.Current.VersionMismatch is { } mismatch)
            {
                RemoteLog.VersionDiffers(logger, name, options.Url!, mismatch);
            }
        }
        changed(this, moved);
    }

    private void Fail(Exception exception)
    {
        var (state, error) = HostStateMachine.Classify(exception, console.ConnectTimeout);
        bool moved;
        lock (_lock)
        {
            var was = _state.Current;
            moved = _state.Failed(state, error, time.GetUtcNow());
            if (!moved && was.LastError == error)
            {
                return;
            }
            _view = null;
        }
        if (moved)
        {
            if (state == HostState.Refused)
            {
                RemoteLog.Refused(logger, name, options.Url!, error);
            }
            else
            {
                RemoteLog.Unreachable(logger, name, options.Url!, error);
            }
        }
        changed(this, moved);
    }

    private void Update(IReadOnlyList<BrokerView>? brokers = null, IReadOnlyList<BrokerEvent>? events = null)
    {
        lock (_lock)
        {
            _brokers = brokers ?? _brokers;
            _events = events ?? _events;
            _view = null;
        }
        changed(this, false);
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection closed after this session ended.
        }
    }

    /// <summary>A connection that was established and then lost (not a failed connect): the back-off starts again from the bottom.</summary>
    private sealed class ConnectionLostException(Exception cause, TimeSpan held) : Exception(cause.Message, cause)
    {
        /// <summary>How long the connection was up.</summary>
        public TimeSpan Held { get; } = held;
    }
}
