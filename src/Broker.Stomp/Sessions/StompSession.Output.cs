using System.Buffers;
using Broker.Core.Consumers;
using Broker.Stomp.Protocol;

namespace Broker.Stomp.Sessions;

public sealed partial class StompSession
{
    private const int MaxFramesPerFlush = 256;
    private static readonly byte[] HeartbeatBytes = "\n"u8.ToArray();

    /// <summary>Queues a delivery; called by the core under a destination lock, so it only enqueues.</summary>
    internal void EnqueueDelivery(Subscription subscription, Delivery delivery) =>
        _outbound.Writer.TryWrite(new Outbound(OutboundKind.Message, null, subscription, delivery));

    /// <summary>Queues an ERROR frame; the connection closes once it is written (STOMP closes after every ERROR).</summary>
    internal void EnqueueError(string message, string? receiptId, bool reconnect = false)
    {
        Interlocked.Increment(ref _pendingReplies);
        _outbound.Writer.TryWrite(new Outbound(OutboundKind.Error, ErrorFrame(message, receiptId, reconnect), null, default));
    }

    /// <summary>An ERROR; with <paramref name="reconnect"/> it tells a failover client to move to its next broker at once.</summary>
    private static StompFrame ErrorFrame(string message, string? receiptId, bool reconnect = false)
    {
        var headers = new List<KeyValuePair<string, string>> { new("message", message), new("content-type", "text/plain") };
        if (receiptId is not null)
        {
            headers.Add(new("receipt-id", receiptId));
        }
        if (reconnect)
        {
            headers.Add(new("reconnect", "true"));
        }
        // The writer cleans the headers; the body is cleaned here, for clients that end a frame at the first NUL
        // whatever its content-length says.
        return new StompFrame("ERROR", headers, System.Text.Encoding.UTF8.GetBytes(message.Replace('\0', '\uFFFD')));
    }

    private void EnqueueFrame(StompFrame frame)
    {
        Interlocked.Increment(ref _pendingReplies);
        _outbound.Writer.TryWrite(new Outbound(OutboundKind.Reply, frame, null, default));
    }

    /// <summary>Queues the RECEIPT a frame asked for, to be written once <paramref name="durable"/> completes.</summary>
    private void EnqueueReceipt(StompFrame request, Task? durable = null)
    {
        if (request["receipt"] is { } receipt)
        {
            Interlocked.Increment(ref _pendingReplies);
            _outbound.Writer.TryWrite(new Outbound(OutboundKind.Reply, new StompFrame("RECEIPT", ("receipt-id", receipt)), null, default, durable));
        }
        else if (durable is { IsCompleted: false })
        {
            // No receipt asked for, but a failure to store must still reach the client.
            _outbound.Writer.TryWrite(new Outbound(OutboundKind.Wait, null, null, default, durable));
        }
    }

    /// <summary>A store failure behind an operation nobody waits for still reaches the client, as an ERROR that closes.</summary>
    private void ReportStoreFailure(Task durable) =>
        durable.ContinueWith(
            failed => EnqueueError(failed.Exception!.InnerException?.Message ?? "the store failed", null),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async Task WriteLoopAsync()
    {
        var reader = _outbound.Reader;
        var autoAcks = new List<(Subscription Subscription, long Tag)>();
        try
        {
            while (await reader.WaitToReadAsync(_closing.Token))
            {
                var written = 0;
                var replies = 0;
                var close = false;
                while (written < MaxFramesPerFlush && !close && reader.TryRead(out var item))
                {
                    written++;
                    switch (item.Kind)
                    {
                        case OutboundKind.Message:
                            await WriteMessageAsync(item.Subscription!, item.Delivery);
                            if (item.Subscription!.AckMode == AckMode.Auto)
                            {
                                autoAcks.Add((item.Subscription, item.Delivery.Tag));
                            }
                            break;
                        case OutboundKind.Heartbeat:
                            _transport.BeginFrame().Write(HeartbeatBytes);
                            await _transport.EndFrameAsync(_closing.Token);
                            break;
                        default:
                            if (item.After is { IsCompleted: false } pending)
                            {
                                // The reply waits for the journal; what is already written goes out meanwhile.
                                await _transport.FlushAsync(_closing.Token);
                                await pending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                            }
                            if (item.After is { IsFaulted: true } failed)
                            {
                                await WriteReplyAsync(ErrorFrame(failed.Exception.InnerException?.Message ?? "the store failed", item.Frame?["receipt-id"]));
                                close = true;
                                break;
                            }
                            if (item.Kind == OutboundKind.Wait)
                            {
                                break;
                            }
                            replies++;
                            await WriteReplyAsync(item.Frame!);
                            close = item.Kind == OutboundKind.Error;
                            break;
                    }
                }
                await _transport.FlushAsync(_closing.Token);
                Volatile.Write(ref _lastWriteTimestamp, Environment.TickCount64);
                // Auto-ack means "written to the client": only now may the messages leave the broker. While a
                // switchover holds writes the acks wait (the store's last record is fixed); if the client is then
                // sent to the partner, these messages come back there marked redelivered.
                if (autoAcks.Count > 0 && _broker.Writes.TryEnter())
                {
                    try
                    {
                        foreach (var (subscription, tag) in autoAcks)
                        {
                            subscription.AutoAck(tag);
                        }
                        autoAcks.Clear();
                    }
                    finally
                    {
                        _broker.Writes.Exit();
                    }
                }
                if (replies > 0 && Interlocked.Add(ref _pendingReplies, -replies) <= _options.MaxPendingFrames / 2 && _readPaused)
                {
                    _outboundRoom.Release();
                }
                if (close)
                {
                    await _closing.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Closing.
        }
        catch (IOException e)
        {
            StompLog.ConnectionLost(_logger, ConnectionId, e.Message);
            await _closing.CancelAsync();
        }
        catch (System.Net.WebSockets.WebSocketException e)
        {
            StompLog.ConnectionLost(_logger, ConnectionId, e.Message);
            await _closing.CancelAsync();
        }
    }

    private async ValueTask WriteFrameAsync(StompFrame frame)
    {
        var output = _transport.BeginFrame();
        ServerFrameWriter.Write(output, frame, _version);
        await _transport.EndFrameAsync(_closing.Token);
    }

    /// <summary>
    /// Replies echo client-chosen text (receipt ids, names in error messages), which the writer cleans of what the
    /// negotiated version cannot carry. A reply the writer still refuses (an empty header name) is rendered aside
    /// first, so it is dropped whole instead of breaking the stream half-written.
    /// </summary>
    private async ValueTask WriteReplyAsync(StompFrame frame)
    {
        byte[] bytes;
        try
        {
            bytes = ServerFrameWriter.ToArray(frame, _version);
        }
        catch (ArgumentException e)
        {
            StompLog.ProtocolError(_logger, ConnectionId, $"reply {frame.Command} not sent: {e.Message}");
            return;
        }
        _transport.BeginFrame().Write(bytes);
        await _transport.EndFrameAsync(_closing.Token);
    }

    private ValueTask WriteMessageAsync(Subscription subscription, Delivery delivery)
    {
        var message = delivery.Message;
        var headers = new List<KeyValuePair<string, string>>(message.Headers.Count + 9)
        {
            new("subscription", subscription.Id),
            new("message-id", message.MessageId),
            new("destination", message.Destination.ToString()),
        };
        if (subscription.AckMode != AckMode.Auto)
        {
            if (_version == StompVersion.V1_2)
            {
                headers.Add(new("ack", subscription.AckId(delivery.Tag)));
            }
            else
            {
                subscription.RememberMessageId(message.MessageId, delivery.Tag);
            }
        }
        if (delivery.Redelivered)
        {
            headers.Add(new("redelivered", "true"));
        }
        if (message.Persistent)
        {
            headers.Add(new("persistent", "true"));
        }
        headers.Add(new("priority", message.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        headers.Add(new("timestamp", message.Timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        headers.Add(new("expires", message.Expires.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var (name, value) in message.Headers)
        {
            // A header a newer client sent may not fit an older client's version, and a NUL fits none; drop it,
            // keep the message.
            if (StompFrameWriter.CanCarry(name, value, _version))
            {
                headers.Add(new(name, value));
            }
        }
        _broker.Counters.AddBytesOut(message.Body.Length);
        Interlocked.Increment(ref _messagesOut);
        return WriteFrameAsync(new StompFrame("MESSAGE", headers, message.Body));
    }

    private enum OutboundKind
    {
        Message,
        Reply,
        Error,
        Heartbeat,

        /// <summary>Nothing to write: only a store failure to report, if the task fails.</summary>
        Wait,
    }

    private readonly record struct Outbound(OutboundKind Kind, StompFrame? Frame, Subscription? Subscription, Delivery Delivery, Task? After = null)
    {
        public static Outbound Heartbeat { get; } = new(OutboundKind.Heartbeat, null, null, default);
    }
}
