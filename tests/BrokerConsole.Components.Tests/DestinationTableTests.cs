using BrokerConsole.Components.Pages;
using BrokerConsole.Monitoring;

namespace BrokerConsole.Components.Tests;

public sealed class DestinationTableTests
{
    [Fact]
    public void Page_SortedByPendingDescending_LiveChangeReorders()
    {
        var table = new DestinationTable();
        table.Apply(new DestinationChanges(true, [FakeMonitorSource.Row("a", 1), FakeMonitorSource.Row("b", 2), FakeMonitorSource.Row("c", 3)], []));
        table.Query(null, DestinationSort.Pending, ascending: false);
        Assert.Equal(["c", "b", "a"], table.Page(0, 10).Select(r => r.Name));

        table.Apply(new DestinationChanges(false, [FakeMonitorSource.Row("a", 10)], []));

        Assert.Equal(["a", "c", "b"], table.Page(0, 10).Select(r => r.Name));
    }

    [Fact]
    public void Page_SortedByName_UpdatedRowShownWithoutReorder()
    {
        var table = new DestinationTable();
        table.Apply(new DestinationChanges(true, [FakeMonitorSource.Row("b", 1), FakeMonitorSource.Row("a", 2)], []));
        Assert.Equal(["a", "b"], table.Page(0, 10).Select(r => r.Name));

        table.Apply(new DestinationChanges(false, [FakeMonitorSource.Row("b", 50)], []));

        Assert.Equal(50, table.Page(1, 1)[0].Pending);
    }

    [Fact]
    public void Page_QueueAndTopicOfOneName_BothKept()
    {
        var table = new DestinationTable();

        table.Apply(new DestinationChanges(true, [FakeMonitorSource.Row("x"), FakeMonitorSource.Row("x", kind: "topic")], []));

        Assert.Equal(2, table.Total);
    }

    [Fact]
    public void Page_SortedByInFlightDescending_MostUnacknowledgedFirst()
    {
        var table = new DestinationTable();
        table.Apply(new DestinationChanges(true, [FakeMonitorSource.Row("a", inFlight: 1), FakeMonitorSource.Row("b", inFlight: 9)], []));

        table.Query(null, DestinationSort.InFlight, ascending: false);

        Assert.Equal(["b", "a"], table.Page(0, 10).Select(r => r.Name));
    }
}
