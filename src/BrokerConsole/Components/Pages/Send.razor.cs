using System.Text;
using Broker.Core.Messages;
using BrokerConsole.Api;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace BrokerConsole.Components.Pages;

/// <summary>Sends test messages (admin only): N numbered copies with headers, persistence, priority and a time to live.</summary>
public sealed partial class Send : ComponentBase
{
    internal const int ShownIds = 10;

    private static readonly string[] Kinds = ["queue", "topic"];

    private readonly SendForm _form = new();
    private IReadOnlyList<string>? _sent;
    private string? _sentTo;
    private string? _error;
    private bool _sending;

    [Parameter]
    public string? Broker { get; set; }

    /// <summary>A queue to start with, from the queue page's "Send" link.</summary>
    [SupplyParameterFromQuery(Name = "queue")]
    public string? Queue { get; set; }

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = null!;

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    [Inject]
    private QueueOperations Queues { get; set; } = null!;

    private string SelectedBroker => Broker ?? Monitor.BrokerNames().FirstOrDefault() ?? "";

    protected override void OnInitialized()
    {
        if (!string.IsNullOrEmpty(Queue))
        {
            _form.Destination = Queue;
        }
    }

    private async Task SendAsync()
    {
        (_sent, _error, _sending) = (null, null, true);
        var destination = new DestinationName(_form.Kind == "topic" ? DestinationKind.Topic : DestinationKind.Queue, _form.Destination.Trim());
        var command = new SendCommand(
            Encoding.UTF8.GetBytes(_form.Body),
            [.. _form.Headers.Where(h => h.Name.Length > 0).Select(h => KeyValuePair.Create(h.Name, h.Value))],
            _form.Persistent, _form.Priority, _form.TtlMs, _form.Count);
        try
        {
            _sent = await Queues.SendAsync((await Authentication).User, SelectedBroker, destination, command);
            _sentTo = destination.ToString();
        }
        catch (OperationException e)
        {
            _error = e.Message;
        }
        finally
        {
            _sending = false;
        }
    }

    internal sealed class SendForm
    {
        public string Kind { get; set; } = "queue";

        public string Destination { get; set; } = "";

        public string Body { get; set; } = "";

        public List<HeaderRow> Headers { get; } = [];

        public bool Persistent { get; set; } = true;

        public int Priority { get; set; } = Message.DefaultPriority;

        public long TtlMs { get; set; }

        public int Count { get; set; } = 1;
    }

    internal sealed class HeaderRow
    {
        public string Name { get; set; } = "";

        public string Value { get; set; } = "";
    }
}
