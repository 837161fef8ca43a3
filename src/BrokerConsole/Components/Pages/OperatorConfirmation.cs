using BrokerConsole.Api;

namespace BrokerConsole.Components.Pages;

/// <summary>What an operator action on the Brokers page will do, said before it is done.</summary>
internal static class OperatorConfirmation
{
    /// <summary>Which actions a broker in this state offers.</summary>
    public static IEnumerable<OperatorAction> Offered(BrokerView broker)
    {
        var stopped = broker.State == "stopped";
        // A stopped slave too: ShutdownOnMasterFailure stops it when the master fails, to wait for an operator's promote.
        if (broker.Role == "slave")
        {
            yield return OperatorAction.Promote;
        }
        if (broker.Role == "master" && !stopped && broker.Replication.Partner is not null)
        {
            yield return OperatorAction.Switchover;
        }
        yield return stopped ? OperatorAction.Start : OperatorAction.Stop;
    }

    public static (string Title, string WhatHappens) For(BrokerView broker, OperatorAction action) => action switch
    {
        OperatorAction.Promote => ($"Promote {broker.Name}?",
            $"{broker.Name} stops applying its master's records, opens its connectors and serves clients as master at a new epoch. {Newer(broker)}"),
        OperatorAction.Switchover => ($"Switch over from {broker.Name}?",
            $"{broker.Name} stops taking new work, waits until {broker.Replication.Partner} has every record, then {broker.Replication.Partner} "
            + $"becomes master and {broker.Name} its slave. Clients reconnect to the new master."),
        OperatorAction.Stop => ($"Stop {broker.Name}?",
            broker.State == "master protected" && broker.Replication.Partner is { } slave
                ? $"{broker.Name} first hands over to {slave} (a planned switchover: nothing acknowledged is lost, its {broker.Connections} clients reconnect there), "
                  + $"then stays stopped; started again, it rejoins {slave} as slave."
                : $"{broker.Name} closes its connectors and drops its {broker.Connections} client connections; its messages stay in its store. Start it again from this page."),
        OperatorAction.Start => ($"Start {broker.Name}?", broker.Role == "master"
            ? $"{broker.Name} opens its connectors again as master and accepts clients, unless its partner serves meanwhile: then it rejoins it as slave."
            : $"{broker.Name} follows its master again as slave."),
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    /// <summary>Which copy of the journal is newer, and how many records the other lacks (from lastSequence and partnerSequence).</summary>
    internal static string Newer(BrokerView broker)
    {
        var own = broker.Replication.LastSequence;
        var partner = broker.Replication.PartnerSequence;
        var partnerName = broker.Replication.Partner ?? "the master";
        if (partner > own)
        {
            return $"{partnerName}'s copy is newer: {broker.Name} lacks {partner - own} records (it has up to {own}, {partnerName} up to {partner}). "
                + $"Promoting now serves without them; they stay only on {partnerName}.";
        }
        if (own > partner)
        {
            return $"{broker.Name}'s copy is newer: {partnerName} lacks {own - partner} records (it has up to {partner}, {broker.Name} up to {own}).";
        }
        return $"Both copies end at record {own}: {broker.Name} lacks nothing.";
    }
}
