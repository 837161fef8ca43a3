using BrokerConsole.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;

namespace BrokerConsole.Components.Tests;

/// <summary>A bUnit context with Fluent UI and a <see cref="FakeMonitorSource"/> in place of the real one.</summary>
public abstract class ConsoleContext : BunitContext
{
    private protected FakeMonitorSource Monitor { get; } = new();

    protected ConsoleContext()
    {
        // Fluent UI's components load their JavaScript modules; these tests look at the markup only.
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddFluentUIComponents();
        Services.AddSingleton<IMonitorSource>(Monitor);
    }
}
