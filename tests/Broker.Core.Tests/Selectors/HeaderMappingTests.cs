using Broker.Core.Messages;
using static Broker.Core.Tests.Selectors.Selectors;

namespace Broker.Core.Tests.Selectors;

public sealed class HeaderMappingTests
{
    private static readonly Message Jms = new()
    {
        MessageId = "ID:broker-7",
        Destination = DestinationName.Topic("prices.eu"),
        Priority = 7,
        Timestamp = 1_700_000_000_000,
        Expires = 1_700_000_060_000,
        Persistent = true,
        Headers =
        [
            KeyValuePair.Create("type", "quote"),
            KeyValuePair.Create("correlation-id", "c-1"),
            KeyValuePair.Create("reply-to", "/queue/replies"),
            KeyValuePair.Create("JMSXGroupID", "g1"),
            KeyValuePair.Create("priority", "1"),
        ],
    };

    [Theory]
    [InlineData("JMSPriority = 7")]
    [InlineData("JMSPriority > 4")]
    [InlineData("JMSPriority BETWEEN 5 AND 9")]
    [InlineData("JMSMessageID = 'ID:broker-7'")]
    [InlineData("JMSTimestamp = 1700000000000")]
    [InlineData("JMSTimestamp > 1699999999999")]
    [InlineData("JMSExpiration - JMSTimestamp = 60000")]
    [InlineData("JMSDeliveryMode = 'PERSISTENT'")]
    [InlineData("JMSType = 'quote'")]
    [InlineData("JMSCorrelationID = 'c-1'")]
    [InlineData("JMSReplyTo = '/queue/replies'")]
    [InlineData("JMSDestination = '/topic/prices.eu'")]
    [InlineData("JMSXGroupID = 'g1'")]
    [InlineData("JMSType LIKE 'qu%'")]
    public void JmsIdentifier_MapsToStompField(string selector) =>
        Assert.Equal("TRUE", Eval(selector, Jms));

    [Fact]
    public void JmsIdentifiers_OnAPlainMessage()
    {
        var plain = Message();
        Assert.Equal("TRUE", Eval("JMSDeliveryMode = 'NON_PERSISTENT'", plain));
        Assert.Equal("TRUE", Eval("JMSPriority = 4", plain));
        Assert.Equal("TRUE", Eval("JMSExpiration = 0", plain));
        Assert.Equal("TRUE", Eval("JMSDestination = '/queue/orders'", plain));
        Assert.Equal("UNKNOWN", Eval("JMSType = 'quote'", plain));
        Assert.Equal("TRUE", Eval("JMSCorrelationID IS NULL", plain));
        Assert.Equal("TRUE", Eval("JMSXGroupID IS NULL", plain));
    }

    [Fact]
    public void JmsPriority_IsTheMessagesPriority_NotItsPriorityHeader() =>
        Assert.Equal("FALSE", Eval("JMSPriority = 1", Jms));

    [Fact]
    public void StompHeaderNames_StillReadTheirHeader()
    {
        Assert.Equal("TRUE", Eval("type = 'quote'", Jms));
        Assert.Equal("TRUE", Eval("priority = 1", Jms));
    }

    [Fact]
    public void JmsDestination_FollowsEachMessagesDestination()
    {
        var selector = Broker.Core.Selectors.MessageSelector.Parse("JMSDestination LIKE '/queue/%'");
        Assert.False(selector.Matches(Jms));
        Assert.True(selector.Matches(Message()));
        Assert.False(selector.Matches(Jms));
    }

    [Fact]
    public void RepeatedHeader_FirstOneCounts() =>
        Assert.Equal("TRUE", Eval("h = 'first'", Message(("h", "first"), ("h", "second"))));

    [Fact]
    public void Headers_AsAnyReadOnlyList_AreRead()
    {
        var listed = Message() with { Headers = new List<KeyValuePair<string, string>> { KeyValuePair.Create("h", "v") } };
        Assert.Equal("TRUE", Eval("h = 'v'", listed));
        Assert.Equal("UNKNOWN", Eval("g = 'v'", listed));
    }
}
