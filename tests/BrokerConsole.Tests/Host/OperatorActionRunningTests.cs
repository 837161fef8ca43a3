using System.Net;
using BrokerConsole.Api;
using BrokerConsole.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerConsole.Tests.Host;

public sealed class OperatorActionRunningTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Stop_WhileASwitchoverRunsFromTheConsole_409NamingIt()
    {
        var operations = _host.Services.GetRequiredService<RunningOperations>();
        using var http = _host.CreateHttpClient();
        HttpResponseMessage refused;
        using (operations.Start(RunningOperations.ActionKey("b1"), "a switchover of b1", 0))
        {
            refused = await http.PostAsync("/api/brokers/b1/stop", null);
        }

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("a switchover of b1 is already running; try again when it is done", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotEqual("stopped", BrokerView.StateOf(_host.Registry.Find("b1")!));
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/api/brokers/b1/stop", null)).StatusCode);
    }
}
