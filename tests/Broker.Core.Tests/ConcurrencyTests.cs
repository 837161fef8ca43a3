using System.Collections.Concurrent;
using Broker.Core.Consumers;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

public class ConcurrencyTests
{
    [Fact]
    public async Task Queue_ConcurrentProducersAndAckingConsumers_DeliverEveryMessageExactlyOnce()
    {
        const int producers = 4;
        const int perProducer = 5_000;
        const int total = producers * perProducer;
        using var t = new TestBroker();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new ConcurrentDictionary<string, int>();
        var acked = 0;
        var allAcked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var sinks = Enumerable.Range(0, 3).Select(_ => new RecordingSink(channel: true)).ToList();
        foreach (var (sink, i) in sinks.Select((s, i) => (s, i)))
        {
            t.Broker.Subscribe(Q("load"), sink, new SubscriptionOptions
            {
                AckMode = i == 0 ? AckMode.Client : AckMode.ClientIndividual,
                Prefetch = 50,
                Owner = $"c{i}",
            });
        }
        var consumerTasks = sinks.Select(sink => Task.Run(async () =>
        {
            await foreach (var (consumer, delivery) in sink.Reader.ReadAllAsync(cts.Token))
            {
                received.AddOrUpdate(TestMessages.Text(delivery.Message), 1, (_, n) => n + 1);
                Assert.True(consumer.Ack(delivery.Tag));
                if (Interlocked.Increment(ref acked) == total)
                {
                    allAcked.TrySetResult();
                }
            }
        }, cts.Token)).ToList();

        using var start = new Barrier(producers);
        var producerThreads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            start.SignalAndWait(cts.Token);
            for (var i = 0; i < perProducer; i++)
            {
                t.Send(Q("load"), $"{p}:{i}");
            }
        })).ToList();
        producerThreads.ForEach(th => th.Start());

        await allAcked.Task.WaitAsync(cts.Token);
        producerThreads.ForEach(th => th.Join());

        Assert.Equal(total, received.Count);
        Assert.All(received.Values, n => Assert.Equal(1, n));
        Assert.Equal(total, sinks.Sum(s => s.Deliveries.Count));
        Assert.All(sinks, s => Assert.NotEmpty(s.Deliveries));
        Assert.All(consumerTasks, task => Assert.False(task.IsFaulted));
        var stats = t.Stats(Q("load"));
        Assert.Equal(0, stats.Pending);
        Assert.Equal(0, stats.InFlight);
        Assert.Equal(total, stats.Enqueued);
        Assert.Equal(total, stats.Dequeued);
        Assert.Equal(0, t.Broker.Memory.Used);
    }

    [Fact]
    public async Task Topic_ConcurrentPublishers_EverySubscriberGetsEveryMessageOnce()
    {
        const int publishers = 4;
        const int perPublisher = 2_000;
        using var t = new TestBroker();
        var subscribers = Enumerable.Range(0, 3).Select(i => t.Subscribe(T("fan"), AckMode.Auto, prefetch: publishers * perPublisher, owner: $"s{i}")).ToList();

        await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < perPublisher; i++)
            {
                t.Send(T("fan"), $"{p}:{i}");
            }
        })));

        Assert.All(subscribers, s =>
        {
            var bodies = s.Sink.Bodies;
            Assert.Equal(publishers * perPublisher, bodies.Distinct().Count());
            Assert.Equal(publishers * perPublisher, bodies.Count);
            for (var p = 0; p < publishers; p++)
            {
                var prefix = $"{p}:";
                Assert.Equal(Enumerable.Range(0, perPublisher).Select(i => $"{p}:{i}"), bodies.Where(b => b.StartsWith(prefix, StringComparison.Ordinal)));
            }
        });
    }
}
