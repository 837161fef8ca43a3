using System.Security.Claims;
using System.Text;
using Broker.Core;
using Broker.Core.Messages;
using Broker.Core.Selectors;

namespace BrokerConsole.Api;

/// <summary>
/// The queue operations the HTTP API and the console share: browse, send, purge, delete, move, copy, retry.
/// Changes check the admin role and write an audit line here, so neither caller can forget either; a purge or move
/// holds its queue or message in <see cref="RunningOperations"/> while it runs, so a second one is refused.
/// </summary>
public sealed partial class QueueOperations(Func<string, MessageBroker?> findBroker, Audit audit, RunningOperations running)
{
    public const int MaxPage = 1000;

    /// <summary>Messages a purge removes at a time: the queue's lock is let go and the progress reported between batches.</summary>
    public const int PurgeBatch = 1000;

    /// <summary>How much of a body the filter searches and the console previews.</summary>
    public const int BodyPreviewBytes = 64 * 1024;

    /// <summary>The header the core puts on a dead-lettered message: where it was going.</summary>
    public const string OriginalDestinationHeader = "original-destination";

    /// <summary>
    /// One page of a queue, never consuming; <paramref name="filter"/> matches header names or values, the id or the
    /// body text, and <paramref name="selector"/> is a JMS selector as a consumer would give it (both when both are given).
    /// </summary>
    public (int Total, IReadOnlyList<BrowsedMessage> Page) Browse(string broker, string queue, int offset, int limit, string? filter, string? selector = null)
    {
        if (offset < 0 || limit is < 1 or > MaxPage)
        {
            throw OperationException.BadRequest($"offset must be 0 or more and limit 1 to {MaxPage}");
        }
        MessageSelector? parsed;
        try
        {
            parsed = string.IsNullOrWhiteSpace(selector) ? null : MessageSelector.Parse(selector);
        }
        catch (SelectorException e)
        {
            throw OperationException.BadRequest($"invalid selector: {e.Message}");
        }
        Func<Message, bool>? matches = (string.IsNullOrEmpty(filter), parsed) switch
        {
            (true, null) => null,
            (true, { } s) => s.Matches,
            (false, null) => m => Matches(m, filter!),
            (false, { } s) => m => s.Matches(m) && Matches(m, filter!),
        };
        return Broker(broker).Browse(queue, offset, limit, matches);
    }

    /// <summary>One message of a queue by id, or null when it is no longer there.</summary>
    public BrowsedMessage? Find(string broker, string queue, string messageId) =>
        Broker(broker).Browse(queue, 0, 1, m => m.MessageId == messageId).Page.FirstOrDefault();

    /// <summary>
    /// Removes the messages waiting in <paramref name="queue"/> now, in batches of <see cref="PurgeBatch"/>, reporting
    /// the count after each; messages sent meanwhile are not chased. Refused while another purge of it runs.
    /// </summary>
    public async Task<int> PurgeAsync(ClaimsPrincipal user, string broker, string queue, IProgress<OperationProgress>? progress = null)
    {
        Audit.RequireAdministrator(user);
        var total = WritableBroker(broker).GetDestinations().FirstOrDefault(d => d.Kind == DestinationKind.Queue && d.Name == queue)?.Pending ?? 0;
        using var operation = running.Start(RunningOperations.PurgeKey(broker, queue), $"a purge of queue '{queue}' on {broker}", total);
        var purged = 0;
        while (purged < total)
        {
            int batch;
            try
            {
                batch = WriteInsideGate(broker, b => b.Purge(queue, (int)Math.Min(PurgeBatch, total - purged)));
            }
            catch (OperationException e) when (e.Status == 409)
            {
                audit.Write(user, "purge", $"{broker}/queue/{queue}", $"{purged} messages, then stopped: the broker stopped taking changes");
                throw OperationException.Conflict(
                    $"broker {broker} stopped taking changes (a switchover or a stop) after {purged:N0} of {total:N0} messages of queue '{queue}' were purged; purge again where the queue is served now");
            }
            if (batch == 0)
            {
                break;
            }
            purged += batch;
            operation.Report(purged);
            progress?.Report(operation.Progress);
            // Lets the console render the progress (and other work run) between batches.
            await Task.Yield();
        }
        audit.Write(user, "purge", $"{broker}/queue/{queue}", $"{purged} messages");
        return purged;
    }

    public void DeleteMessage(ClaimsPrincipal user, string broker, string queue, string messageId)
    {
        Audit.RequireAdministrator(user);
        if (!WriteInsideGate(broker, b => b.DeleteMessage(queue, messageId)))
        {
            throw OperationException.NotFound($"message '{messageId}' is not waiting in queue '{queue}' (absent, or out with a consumer)");
        }
        audit.Write(user, "delete-message", $"{broker}/queue/{queue}/{messageId}", "");
    }

    /// <summary>Moves or copies one waiting message to <paramref name="target"/> (<c>/queue/x</c>, <c>/topic/x</c>, or a bare queue name); the new message id.</summary>
    public async Task<string> MoveAsync(ClaimsPrincipal user, string broker, string queue, string messageId, string target, bool copy)
    {
        Audit.RequireAdministrator(user);
        var to = ParseTarget(target);
        string? newId;
        // Two moves of one message at once would both send it before either removed it: two copies.
        using var operation = running.Start(RunningOperations.MoveKey(broker, queue, messageId), $"a move or copy of message '{messageId}'", 0);
        try
        {
            newId = await WritableBroker(broker).MoveMessageAsync(queue, messageId, to, copy);
        }
        catch (BrokerException e)
        {
            throw OperationException.Conflict(e.Message);
        }
        if (newId is null)
        {
            throw OperationException.NotFound($"message '{messageId}' is not waiting in queue '{queue}'");
        }
        audit.Write(user, copy ? "copy-message" : "move-message", $"{broker}/queue/{queue}/{messageId}", $"to {to}");
        return newId;
    }

    /// <summary>Sends a dead-lettered message back where it was going (its <c>original-destination</c> header).</summary>
    public Task<string> RetryAsync(ClaimsPrincipal user, string broker, string queue, string messageId)
    {
        var message = Find(broker, queue, messageId)
            ?? throw OperationException.NotFound($"message '{messageId}' is not waiting in queue '{queue}'");
        var original = message.Message.Header(OriginalDestinationHeader)
            ?? throw OperationException.BadRequest($"message '{messageId}' has no {OriginalDestinationHeader} header: it was not dead-lettered");
        return MoveAsync(user, broker, queue, messageId, original, copy: false);
    }

    public void DeleteQueue(ClaimsPrincipal user, string broker, string queue)
    {
        Audit.RequireAdministrator(user);
        if (!WriteInsideGate(broker, b => b.DeleteDestination(DestinationName.Queue(queue))))
        {
            throw OperationException.NotFound($"no queue named '{queue}'");
        }
        audit.Write(user, "delete-queue", $"{broker}/queue/{queue}", "");
    }

    /// <summary>Whether a body is shown as text (UTF-8 without NUL) or as base64.</summary>
    public static bool IsText(ReadOnlySpan<byte> body) => System.Text.Unicode.Utf8.IsValid(body) && !body.Contains((byte)0);

    private MessageBroker Broker(string name) => findBroker(name) ?? throw OperationException.UnknownBroker(name);

    /// <summary>A broker that takes changes now: not stopped, not a standing-by slave, not handing over to its partner.</summary>
    private MessageBroker WritableBroker(string name)
    {
        var broker = Broker(name);
        return broker.IsWritable ? broker : throw NotWritable(name, broker);
    }

    /// <summary>
    /// An operator's change inside the broker's write gate, as a client's frames are: a switchover closing the gate
    /// waits for it, and once the gate is closed (the store's last record is final) none starts: a 409.
    /// </summary>
    private T WriteInsideGate<T>(string name, Func<MessageBroker, T> change)
    {
        var broker = WritableBroker(name);
        if (!broker.Writes.TryEnter())
        {
            throw NotWritable(name, broker);
        }
        try
        {
            return broker.IsWritable ? change(broker) : throw NotWritable(name, broker);
        }
        finally
        {
            broker.Writes.Exit();
        }
    }

    private static OperationException NotWritable(string name, MessageBroker broker) =>
        OperationException.Conflict($"broker {name} takes no changes now ({(broker.State == BrokerState.Started ? "handing over to its partner" : broker.State.ToString().ToLowerInvariant())})");

    private static DestinationName ParseTarget(string target)
    {
        if (!DestinationName.TryParse(target.StartsWith('/') ? target : "/queue/" + target, out var to, out var error))
        {
            throw OperationException.BadRequest($"target: {error}");
        }
        return to;
    }

    private static bool Matches(Message message, string filter) =>
        message.Headers.Any(h => h.Value.Contains(filter, StringComparison.OrdinalIgnoreCase) || h.Key.Contains(filter, StringComparison.OrdinalIgnoreCase))
        || message.MessageId.Contains(filter, StringComparison.OrdinalIgnoreCase)
        || Encoding.UTF8.GetString(message.Body.Span[..Math.Min(message.Body.Length, BodyPreviewBytes)]).Contains(filter, StringComparison.OrdinalIgnoreCase);
}
