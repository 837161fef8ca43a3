using System.Text;
using Broker.Stomp.Protocol;

namespace Broker.Client;

/// <summary>
/// A STOMP transaction: SENDs and ACKs that take effect together at <see cref="CommitAsync"/>. Bound to the link
/// it was begun on; if that link drops while it is open, the broker rolls it back and every further call throws
/// <see cref="StompTransactionRolledBackException"/>. If the link drops while its COMMIT awaits the receipt, the
/// client asks again on the next link, so the outcome is known: committed or rolled back.
/// Disposing an uncommitted transaction aborts it.
/// </summary>
public sealed class StompTransaction : IAsyncDisposable
{
    private readonly StompConnection _connection;
    private string? _rolledBack;
    private bool _ended;
    private int _committing;

    internal StompTransaction(StompConnection connection, string id, long generation)
    {
        _connection = connection;
        Id = id;
        Generation = generation;
    }

    /// <summary>The transaction id on the wire.</summary>
    public string Id { get; }

    /// <summary>True once the broker is known to have rolled it back (the link dropped while it was open).</summary>
    public bool IsRolledBack => Volatile.Read(ref _rolledBack) is not null;

    internal long Generation { get; }

    /// <summary>True once its COMMIT may leave: a dropped link then leaves the outcome to be asked, not assumed.</summary>
    internal bool IsCommitting => Volatile.Read(ref _committing) == 1;

    /// <summary>Sends a text message within the transaction (delivered at commit; never awaited or resent).</summary>
    public Task SendAsync(string destination, string body, SendOptions? options = null, CancellationToken cancellationToken = default) =>
        SendAsync(destination, Encoding.UTF8.GetBytes(body), options, cancellationToken);

    /// <summary>Sends a message within the transaction.</summary>
    public Task SendAsync(string destination, ReadOnlyMemory<byte> body, SendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ThrowIfEnded();
        return _connection.SendInTransactionAsync(this, destination, body, options ?? SendOptions.Default, cancellationToken);
    }

    /// <summary>Acknowledges a message within the transaction; a delivery from an earlier link is rolled back with it.</summary>
    public async Task AckAsync(StompMessage message, CancellationToken cancellationToken = default)
    {
        ThrowIfEnded();
        ArgumentNullException.ThrowIfNull(message);
        if (message.Generation != Generation)
        {
            MarkRolledBack("it acknowledges a delivery from an earlier link");
        }
        var ackId = message.AckId ?? throw new InvalidOperationException("the message came through an auto-ack subscription");
        await _connection.WriteInTransactionAsync(this, new StompFrame("ACK", ("id", ackId), ("transaction", Id)), cancellationToken);
    }

    /// <summary>
    /// Commits and waits for the broker's receipt: completing means committed. Throws
    /// <see cref="StompTransactionRolledBackException"/> when it was rolled back: the link dropped while it was open,
    /// or it dropped after the COMMIT left and the broker of the next link answered the repeated COMMIT with an
    /// ERROR (a broker that never saw the commit has none of its effects). Waiting for the next link follows the
    /// failover <c>timeout</c>: only a connection that fails for good (<see cref="StompConnectionException"/>) or
    /// times out leaves the outcome unasked.
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfEnded();
        _ended = true;
        await _connection.CommitAsync(this, cancellationToken);
    }

    /// <summary>Aborts: the SENDs are discarded and the ACKed messages return to their queues.</summary>
    public async Task AbortAsync(CancellationToken cancellationToken = default)
    {
        if (_ended)
        {
            return;
        }
        _ended = true;
        if (IsRolledBack)
        {
            return;
        }
        await _connection.EndTransactionAsync(this, "ABORT", cancellationToken);
    }

    /// <summary>Aborts unless committed.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await AbortAsync();
        }
        catch (Exception e) when (e is StompConnectionException or StompTransactionRolledBackException or TimeoutException or IOException)
        {
        }
    }

    /// <summary>True the first time (for counting).</summary>
    internal bool MarkRolledBack(string why) => Interlocked.CompareExchange(ref _rolledBack, why, null) is null;

    internal void MarkCommitting() => Volatile.Write(ref _committing, 1);

    internal void ThrowIfRolledBack()
    {
        if (Volatile.Read(ref _rolledBack) is { } why)
        {
            throw new StompTransactionRolledBackException($"transaction {Id} was rolled back: {why}");
        }
    }

    private void ThrowIfEnded()
    {
        ThrowIfRolledBack();
        if (_ended)
        {
            throw new InvalidOperationException($"transaction {Id} has already ended");
        }
    }
}
