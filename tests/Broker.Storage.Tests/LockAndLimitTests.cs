using Broker.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Storage.Tests;

public class LockAndLimitTests : JournalTestBase
{
    [Fact]
    public async Task Open_DirectoryInUse_ThrowsStoreLockedNamingTheProcess()
    {
        var (first, _) = OpenReplay();
        await using (first)
        {
            var e = Assert.Throws<StoreLockedException>(() => Journal.Open(Dir, "b2", Small(), NullLogger.Instance));
            Assert.Contains(Environment.ProcessId.ToString(), e.Message);
            Assert.Contains("b2", e.Message);
            Assert.Contains(Dir, e.Message);
        }

        var (second, _) = OpenReplay();
        await using (second)
        {
            await second.Append(Add("m")).Durable;
        }
    }

    [Fact]
    public async Task Append_StoreLimitReached_RefusesSendsButTakesRemovals()
    {
        var options = Small() with { StoreLimit = 256 * 1024 };
        var (journal, _) = OpenReplay(options);
        await using (journal)
        {
            var body = new string('l', 4000);
            var added = new List<long>();
            var full = Assert.Throws<StoreFullException>(() =>
            {
                for (var i = 0; i < 1000; i++)
                {
                    added.Add(journal.Append(Add($"m{i}", body)).Sequence);
                }
            });
            Assert.Contains("limit", full.Message);
            Assert.InRange(added.Count, 10, 100);
            var last = journal.LastSequence;

            Assert.Throws<StoreFullException>(() => journal.Append(new TransactionRecord([Add("tx")])));
            Assert.Equal(last, journal.LastSequence);

            var removals = added.Select(s => journal.Append(Remove(s))).ToList();
            await Task.WhenAll(removals.Select(r => r.Durable));
            Assert.Equal(0, journal.LiveMessageCount);
            Assert.Equal(last + added.Count, journal.LastSequence);
        }
    }
}
