using System.Globalization;
using Broker.Core;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Broker.Storage;

namespace Broker.Server;

/// <summary>
/// Replay: the archive's unconsumed messages go to the current master as they were (id, headers, timestamp), except
/// those the master already holds. "Holds" is read from the master's own journal since the split (sequence
/// <see cref="SetAsideArchive.DivergedAt"/> on): the same <c>producer-id</c>/<c>producer-seq</c> (a producer that
/// resent to the new master a message whose receipt it never got) or the same message id (an earlier replay that was
/// cut short). That is exact, and also catches messages the master has delivered since; the broker's duplicate filter
/// is not used because it keeps only each producer's highest sequence and would drop exactly the split's messages.
/// </summary>
public sealed partial class SetAsideArchives
{
    /// <summary>Sends awaited together: one flush (and one replication round trip) for many messages.</summary>
    private const int Batch = 256;

    /// <summary>
    /// Sends the archive's unconsumed messages to <paramref name="master"/> (which must serve and take changes),
    /// skipping those it already holds, then moves the archive to <c>set-aside/replayed/</c>.
    /// </summary>
    /// <exception cref="SetAsideArchiveNotFoundException">No such archive.</exception>
    /// <exception cref="SetAsideReplayStoppedException">The master stopped taking messages part way; the archive stays.</exception>
    public async Task<SetAsideReplayResult> ReplayIntoAsync(string id, BrokerLifecycle master)
    {
        await _operation.WaitAsync();
        try
        {
            var archive = Find(id);
            var journal = master.Journal ?? throw new InvalidOperationException($"{master.Name} has no open store");
            var (messages, replayed, held, complete) = await Task.Run(() => SendAsync(archive, master.Broker, journal));
            var movedTo = archive.MarkReplayed();
            _summaries.TryRemove(archive.Path, out _);
            LifecycleLog.SetAsideReplayed(_logger, archive.Path, master.Name, replayed, held);
            return new SetAsideReplayResult(messages, replayed, held, complete, movedTo);
        }
        finally
        {
            _operation.Release();
        }
    }

    private static async Task<(int Messages, int Replayed, int Held, bool Complete)> SendAsync(SetAsideArchive archive, MessageBroker target, Journal journal)
    {
        var held = HeldMessages.Collect(journal, archive.DivergedAt);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var (messages, replayed, skipped) = (0, 0, 0);
        var pending = new List<Task>(Batch);
        try
        {
            foreach (var entry in archive.ReadMessages())
            {
                // A topic message kept by several durable subscriptions is one message: published once, to the topic.
                if (!seen.Add(entry.Message.MessageId))
                {
                    continue;
                }
                messages++;
                if (held.Contains(entry))
                {
                    skipped++;
                    continue;
                }
                pending.Add(target.Restore(entry.Message));
                replayed++;
                if (pending.Count == Batch)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                }
            }
            await Task.WhenAll(pending);
        }
        catch (BrokerException e)
        {
            // What went is in the master's journal under its message id: replaying again skips it.
            throw new SetAsideReplayStoppedException(replayed, skipped, e);
        }
        return (messages, replayed, skipped, held.Complete);
    }

    /// <summary>The message ids and producer identities of every message in a journal's records from a sequence on.</summary>
    private sealed class HeldMessages
    {
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
        private readonly HashSet<(string ProducerId, long ProducerSequence)> _producers = [];

        /// <summary>False when compaction removed part of the history since the split (only what it kept was seen).</summary>
        public bool Complete { get; private set; } = true;

        public static HeldMessages Collect(Journal journal, long from)
        {
            var held = new HeldMessages();
            try
            {
                foreach (var (sequence, record) in journal.ReadFrom(from))
                {
                    held.Add(record);
                }
                return held;
            }
            catch (SnapshotRequiredException)
            {
                held.Complete = false;
            }
            // Compacted: what the journal still holds, with the sequence numbers it was written at.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    foreach (var raw in journal.ReadRawFrom(0, snapshot: true))
                    {
                        if (raw.Sequence + RecordCodec.SequenceCount(raw.Bytes) > from)
                        {
                            var header = RecordCodec.ReadHeader(raw.Bytes);
                            held.Add(RecordCodec.Decode(header, raw.Bytes.AsSpan(RecordCodec.HeaderSize, header.Length)));
                        }
                    }
                    return held;
                }
                catch (SnapshotRequiredException) when (attempt < 3)
                {
                    // Compacted again while being read: read again (what was added so far stays valid).
                }
            }
        }

        public bool Contains(SetAsideMessage entry) =>
            _ids.Contains(entry.Message.MessageId)
            || ProducerOf(entry.ProducerId, entry.ProducerSequence, entry.Message) is { } producer && _producers.Contains(producer);

        private void Add(StoreRecord record)
        {
            switch (record)
            {
                case MessageAddedRecord added:
                    _ids.Add(added.Message.MessageId);
                    if (ProducerOf(added.ProducerId, added.ProducerSequence, added.Message) is { } producer)
                    {
                        _producers.Add(producer);
                    }
                    break;
                case TransactionRecord transaction:
                    foreach (var operation in transaction.Operations)
                    {
                        Add(operation);
                    }
                    break;
            }
        }

        /// <summary>The record's producer identity, or the message's headers' (a replayed message keeps them, its record does not).</summary>
        private static (string, long)? ProducerOf(string? producerId, long producerSequence, Message message)
        {
            if (producerId is not null)
            {
                return (producerId, producerSequence);
            }
            return message.Header(DuplicateFilter.ProducerIdHeader) is { } id
                && long.TryParse(message.Header(DuplicateFilter.ProducerSequenceHeader), NumberStyles.Integer, CultureInfo.InvariantCulture, out var sequence)
                ? (id, sequence)
                : null;
        }
    }
}
