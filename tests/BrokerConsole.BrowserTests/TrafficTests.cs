using BrokerConsole.BrowserTests.Infrastructure;
using BrokerConsole.BrowserTests.Pages;
using static BrokerConsole.BrowserTests.Infrastructure.ConsoleSession;

namespace BrokerConsole.BrowserTests;

/// <summary>
/// The console while messages flow through the default pair (amq1M, amq1S): the charts and the overview show the
/// traffic, never an empty box. With <c>CONSOLE_SCREENSHOTS</c> set, this is where the README's pictures come from.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TrafficTests(ChromiumFixture chromium)
{
    private const string Master = "amq1M";
    private const string Slave = "amq1S";

    private static readonly TimeSpan Sampled = TimeSpan.FromSeconds(30);

    [Fact]
    public Task TrafficFlowing_ChartsOverviewConnectionsAndSubscribersShowIt() => RunAsync(chromium, (Master, Slave), async console =>
    {
        await console.SendStompAsync("/queue/backlog", count: 25, broker: Master);
        using var stop = new CancellationTokenSource();
        var traffic = FlowAsync(console, stop.Token);
        try
        {
            if (Screenshots.Folder is not null)
            {
                // Pictures for the README: let the charts gather half a minute of traffic first.
                await Task.Delay(TimeSpan.FromSeconds(30));
            }
            var brokers = await console.LogInAsync();
            await brokers.ExpectBrokerAsync(Slave, "slave", "slave in sync", Sampled);
            var chart = console.Page.GetByTestId("broker-chart").Filter(new LocatorFilterOptions { HasText = $"{Master}: all destinations" });
            await Assertions.Expect(chart.GetByTestId("chart-no-traffic")).ToHaveCountAsync(0, new() { Timeout = (float)Sampled.TotalMilliseconds });
            await Assertions.Expect(chart.GetByTestId("rate-unit")).ToHaveTextAsync("msg/s");
            await Assertions.Expect(chart.GetByTestId("time-tick").Last).ToHaveTextAsync("now");
            // The rates come with the monitor's next samples (every 2 s): a line above zero, then the picture.
            await Assertions.Expect(chart.Locator(".legend .in")).Not.ToHaveTextAsync("in 0 msg/s", new() { Timeout = (float)Sampled.TotalMilliseconds });
            await console.ScreenshotAsync("brokers");

            var overview = new OverviewPage(console.Page);
            await overview.OpenFromMenuAsync("Overview");
            var rateIn = overview.Member("local", Master).GetByTestId("member-rate-in");
            await Assertions.Expect(rateIn).Not.ToHaveTextAsync("0 msg/s", new() { Timeout = (float)Sampled.TotalMilliseconds });
            await Assertions.Expect(overview.Member("local", Master).GetByTestId("member-depth")).Not.ToHaveTextAsync("0");
            await console.ScreenshotAsync("overview");

            await console.Page.GotoAsync($"brokers/{Master}/connections");
            await Assertions.Expect(console.Page.GetByTestId("connection-id")).ToHaveCountAsync(2);
            await console.ScreenshotAsync("connections");
            await console.Page.GotoAsync($"brokers/{Master}/subscribers");
            await Assertions.Expect(console.Page.GetByText("/queue/orders").First).ToBeVisibleAsync();
            await console.ScreenshotAsync("subscribers");

            var queue = new QueueDetailPage(console.Page, Master, "backlog");
            await queue.OpenAsync();
            await queue.Messages.First.ClickAsync();
            await Assertions.Expect(queue.Body).Not.ToBeEmptyAsync();
            await console.ScreenshotAsync("queue-detail");
        }
        finally
        {
            await stop.CancelAsync();
            await traffic;
        }
    }, TimeSpan.FromMinutes(2));

    /// <summary>A producer (a receipted persistent SEND every 20 ms) and a consumer (auto ack) on <c>/queue/orders</c> until stopped.</summary>
    private static async Task FlowAsync(ConsoleSession console, CancellationToken cancellationToken)
    {
        await using var consumer = await console.ConnectStompAsync(Master);
        await consumer.SendAsync("SUBSCRIBE", ("destination", "/queue/orders"), ("id", "orders"), ("ack", "auto"));
        var consuming = Task.Run(async () =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await consumer.TryReceiveAsync(TimeSpan.FromMilliseconds(500));
                }
                catch (OperationCanceledException)
                {
                    // Nothing within the wait: look at the stop signal again.
                }
            }
        }, CancellationToken.None);
        await using var producer = await console.ConnectStompAsync(Master);
        try
        {
            for (var i = 0; !cancellationToken.IsCancellationRequested; i++)
            {
                await producer.SendTextAsync("/queue/orders", $"order-{i}", ("persistent", "true"), ("receipt", $"r{i}"));
                await producer.ReceiveAsync(ActionTimeout);
                await Task.Delay(20, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        await consuming;
    }
}
