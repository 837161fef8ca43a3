using Broker.Core.Handover;

namespace Broker.Core;

public sealed partial class MessageBroker
{
    private CancellationTokenSource _dismissal = new();

    /// <summary>Closed while a planned switchover hands the clients' writes to the partner.</summary>
    public WriteGate Writes { get; } = new();

    /// <summary>Fires when every client is told to go (<see cref="DismissClientsAsync"/>); sessions answer with an ERROR.</summary>
    public CancellationToken Dismissal => _dismissal.Token;

    /// <summary>Started and not handing over: operators' changes (purge, delete, move) may be made.</summary>
    public bool IsWritable => State == BrokerState.Started && !_context.Quiesced;

    /// <summary>What the ERROR says to each dismissed client.</summary>
    public string DismissalMessage { get; private set; } = "";

    /// <summary>
    /// Stops everything that writes: new connections are refused (reconnect elsewhere), client frames wait at
    /// the gate, dispatch and the expiry sweep pause. When this returns, the store's last record is final.
    /// </summary>
    public async Task QuiesceAsync(string reason, CancellationToken cancellationToken)
    {
        ClientRefusal = new ClientRefusal(reason, Reconnect: true);
        // The gate first: a frame already being handled completes normally (its SEND is taken, its receipt
        // follows); only then do dispatch and expiry pause, which would refuse that frame with an ERROR.
        await Writes.CloseAsync(cancellationToken);
        _context.Quiesced = true;
        // A sweep under way may still be expiring or removing: its records must come before the final one.
        WaitForSweep();
        // Likewise a scheduled delivery: none starts once quiesced.
        Scheduler.WaitIdle();
    }

    /// <summary>Undoes <see cref="QuiesceAsync"/> (a switchover that did not happen).</summary>
    public void Resume()
    {
        _context.Quiesced = false;
        ClientRefusal = null;
        Writes.Open();
    }

    /// <summary>Takes clients again after <see cref="DismissClientsAsync"/> (a master that regained the right to serve).</summary>
    public void AdmitClients()
    {
        ClientRefusal = null;
        if (_dismissal.IsCancellationRequested)
        {
            _dismissal = new CancellationTokenSource();
        }
    }

    /// <summary>
    /// Tells every connected client to go, with an ERROR carrying <c>reconnect:true</c>, and waits (up to
    /// <paramref name="grace"/>) until they have their ERROR and are gone.
    /// </summary>
    public async Task DismissClientsAsync(string message, TimeSpan grace)
    {
        DismissalMessage = message;
        await _dismissal.CancelAsync();
        var deadline = Environment.TickCount64 + (long)grace.TotalMilliseconds;
        while (Counters.Connections > 0 && Environment.TickCount64 < deadline)
        {
            // Sessions end on their own once their ERROR is written; nothing signals the last one.
            await Task.Delay(5);
        }
    }

    /// <summary>
    /// Forgets all state without journaling anything: the broker becomes an empty shell again, ready to
    /// <see cref="Recover(Storage.IMessageStore, RecoveryState)"/> later (a master demoted to slave).
    /// </summary>
    public void ResetForStandby()
    {
        if (State != BrokerState.Stopped)
        {
            throw new InvalidOperationException("only a stopped broker can stand by");
        }
        _destinations.Clear();
        _context.Store = null;
        _context.Memory.Reset();
        Duplicates.Clear();
        TransactionOutcomes.Clear();
        Scheduler.Clear();
        _context.Quiesced = false;
        ClientRefusal = null;
        _dismissal = new CancellationTokenSource();
        Writes.Open();
    }
}
