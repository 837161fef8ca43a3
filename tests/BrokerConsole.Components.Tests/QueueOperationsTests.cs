using System.Security.Claims;
using Broker.Core.Messages;
using BrokerConsole.Api;

namespace BrokerConsole.Components.Tests;

/// <summary>The server-side check behind the console's hidden buttons: a viewer's crafted call is refused.</summary>
public sealed class QueueOperationsTests : ConsoleContext
{
    private static ClaimsPrincipal User(string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, role), new Claim(ClaimTypes.Role, role)], "test"));

    [Fact]
    public async Task Changes_Viewer_Forbidden()
    {
        var queues = Services.GetService(typeof(QueueOperations)) as QueueOperations ?? throw new InvalidOperationException();
        await queues.SendAsync(User("admin"), "b1", DestinationName.Queue("orders"), new SendCommand("x"u8.ToArray(), []));

        Assert.Equal(403, Assert.Throws<OperationException>(() => queues.Purge(User("viewer"), "b1", "orders")).Status);
        Assert.Equal(403, (await Assert.ThrowsAsync<OperationException>(() =>
            queues.SendAsync(User("viewer"), "b1", DestinationName.Queue("orders"), new SendCommand("x"u8.ToArray(), [])))).Status);
        Assert.Equal(403, Assert.Throws<OperationException>(() => queues.DeleteQueue(User("viewer"), "b1", "orders")).Status);
        Assert.Single(Broker.Browse("orders"));
    }
}
