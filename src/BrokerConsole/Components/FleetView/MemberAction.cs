using BrokerConsole.Api;
using BrokerConsole.Remote;

namespace BrokerConsole.Components.FleetView;

/// <summary>An operator action asked for on a broker of any host, from a <see cref="PairCard"/>.</summary>
public sealed record MemberAction(FleetBroker Broker, OperatorAction Action)
{
    /// <summary>Which broker of which host: one action at a time runs on it.</summary>
    public string Key => BrokerKey(Broker.Host, Broker.View.Name);

    public static string BrokerKey(string host, string broker) => $"{host}/{broker}";
}
