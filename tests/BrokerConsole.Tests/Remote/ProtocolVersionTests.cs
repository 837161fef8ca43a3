using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using Broker.Core.Events;
using BrokerConsole.Api;
using BrokerConsole.Monitoring;
using BrokerConsole.Remote;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerConsole.Tests.Remote;

/// <summary>A watched host speaking another monitor protocol: one too old to have <c>Describe</c>, one newer.</summary>
public sealed class ProtocolVersionTests
{
    [Theory]
    [InlineData(typeof(OlderHub), null, "does not say")]
    [InlineData(typeof(NewerHub), 2, "version 2")]
    public async Task OtherVersion_ConnectedAndSaysSo(Type hub, int? version, string expected)
    {
        await using var other = await StartAsync(hub);
        var url = new Uri(other.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await using var console = await TestHost.StartAsync($"--Console:Hosts:r:Url={url}", "--Console:Hosts:r:UserName=u", "--Console:Hosts:r:Password=p");
        var hosts = console.Services.GetRequiredService<IRemoteHosts>();

        await Retry.UntilAsync("r connected", () => hosts.Find("r")!.Status.State == HostState.Connected, TimeSpan.FromSeconds(20));

        var status = hosts.Find("r")!.Status;
        Assert.Equal(version, status.ProtocolVersion);
        Assert.Contains(expected, status.VersionMismatch);
        Assert.Empty(hosts.Find("r")!.Brokers);
    }

    /// <summary>A bare web app with only a monitor hub of type <paramref name="hub"/>, anonymous, on a free loopback port.</summary>
    private static async Task<WebApplication> StartAsync(Type hub)
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls=http://127.0.0.1:0"]);
        builder.Services.AddSignalR().AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        var app = builder.Build();
        if (hub == typeof(OlderHub))
        {
            app.MapHub<OlderHub>(MonitoringExtensions.HubPath);
        }
        else
        {
            app.MapHub<NewerHub>(MonitoringExtensions.HubPath);
        }
        await app.StartAsync();
        return app;
    }

    /// <summary>The streams of a host from before <c>Describe</c>.</summary>
    public class OlderHub : Hub
    {
        public async IAsyncEnumerable<IReadOnlyList<BrokerView>> StreamBrokers([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return [];
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        public async IAsyncEnumerable<IReadOnlyList<BrokerEvent>> StreamEvents([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return [];
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public sealed class NewerHub : OlderHub
    {
        public HostDescription Describe() => new(2, "9.9.9", []);
    }
}
