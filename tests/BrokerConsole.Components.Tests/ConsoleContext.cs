using Broker.Core;
using Bunit.TestDoubles;
using Broker.Core.Events;
using BrokerConsole.Api;
using BrokerConsole.Monitoring;
using BrokerConsole.Remote;
using BrokerConsole.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.FluentUI.AspNetCore.Components;

namespace BrokerConsole.Components.Tests;

/// <summary>
/// A bUnit context with Fluent UI, a <see cref="FakeMonitorSource"/> in place of the real one, a real in-memory
/// broker <c>b1</c> behind <see cref="QueueOperations"/> and <see cref="ClientOperations"/>, a recording <see cref="IOperatorActions"/>, <see cref="ISetAsideArchives"/>
/// and <see cref="IRemoteActions"/>, a <see cref="FakeFleetSource"/> for the pages of every host, and an admin signed in.
/// </summary>
public abstract class ConsoleContext : BunitContext
{
    private readonly BunitAuthorizationContext _authorization;

    private protected FakeMonitorSource Monitor { get; } = new();

    private protected FakeOperatorActions Actions { get; } = new();

    private protected FakeSetAsideArchives SetAside { get; } = new();

    private protected FakeFleetSource Fleet { get; } = new();

    private protected FakeRemoteActions RemoteActions { get; } = new();

    private protected MessageBroker Broker { get; } = new("b1", new BrokerOptions(), new EventLog(), NullLogger.Instance);

    private protected RunningOperations Operations { get; } = new();

    protected ConsoleContext()
    {
        // The machine running the tests is shared and slow at times; a page of grid rows can take over bUnit's default second.
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
        // Fluent UI's components load their JavaScript modules; these tests look at the markup only.
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddFluentUIComponents();
        Services.AddSingleton<IMonitorSource>(Monitor);
        Services.AddSingleton<IOperatorActions>(Actions);
        Services.AddSingleton<ISetAsideArchives>(SetAside);
        Services.AddSingleton<IFleetSource>(Fleet);
        Services.AddSingleton<IRemoteActions>(RemoteActions);
        Services.AddSingleton(Operations);
        Services.AddSingleton(new QueueOperations(name => name == "b1" ? Broker : null, new Audit(NullLoggerFactory.Instance), Operations));
        Services.AddSingleton(new ClientOperations(name => name == "b1" ? Broker : null, new Audit(NullLoggerFactory.Instance)));
        Broker.Start();
        _authorization = AddAuthorization();
        SignIn("admin", "admin");
    }

    /// <summary>Signs in a user with one role, holding the policies that role grants.</summary>
    private protected void SignOut() => _authorization.SetNotAuthorized();

    private protected void SignIn(string user, string role)
    {
        _authorization.SetAuthorized(user);
        _authorization.SetRoles(role);
        _authorization.SetPolicies(role == "admin" ? [SecurityExtensions.ViewPolicy, SecurityExtensions.AdministerPolicy] : [SecurityExtensions.ViewPolicy]);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await Broker.DisposeAsync();
    }
}
