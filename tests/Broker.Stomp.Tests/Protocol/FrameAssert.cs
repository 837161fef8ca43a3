using Broker.Stomp.Protocol;

namespace Broker.Stomp.Tests.Protocol;

internal static class FrameAssert
{
    public static void Equal(StompFrame expected, StompFrame actual)
    {
        Assert.Equal(expected.Command, actual.Command);
        Assert.Equal(expected.Headers, actual.Headers);
        Assert.Equal(expected.Body.ToArray(), actual.Body.ToArray());
    }

    public static bool AreEqual(StompFrame expected, StompFrame actual) =>
        expected.Command == actual.Command
        && expected.Headers.SequenceEqual(actual.Headers)
        && expected.Body.Span.SequenceEqual(actual.Body.Span);
}
