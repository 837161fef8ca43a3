using System.Net;
using BrokerConsole.Monitoring;
using BrokerConsole.Remote;

namespace BrokerConsole.Tests.Remote;

public sealed class HostStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 8, 1, 0, 0, TimeSpan.Zero);

    [Fact]
    public void New_IsUnreachableNotConnectedYet()
    {
        var state = new HostStateMachine("a", "http://a:8161", T0);

        Assert.Equal(HostState.Unreachable, state.Current.State);
        Assert.Equal("unreachable", state.Current.StateName);
        Assert.Equal(T0, state.Current.Since);
        Assert.Equal("not connected yet", state.Current.LastError);
    }

    [Fact]
    public void Connected_ThenFailedTwice_SinceIsTheFirstFailure_LastErrorTheLatest()
    {
        var state = new HostStateMachine("a", "http://a:8161", T0);

        Assert.True(state.Connected(MonitorProtocol.Version, T0.AddSeconds(1)));
        Assert.Equal(HostState.Connected, state.Current.State);
        Assert.Equal(T0.AddSeconds(1), state.Current.Since);
        Assert.True(state.Failed(HostState.Unreachable, "connection refused", T0.AddSeconds(5)));
        Assert.False(state.Failed(HostState.Unreachable, "no answer within 5 s", T0.AddSeconds(9)));

        Assert.Equal(HostState.Unreachable, state.Current.State);
        Assert.Equal(T0.AddSeconds(5), state.Current.Since);
        Assert.Equal("no answer within 5 s", state.Current.LastError);
    }

    [Fact]
    public void Reconnected_KeepsTheLastErrorAndMovesSince()
    {
        var state = new HostStateMachine("a", "http://a:8161", T0);
        state.Failed(HostState.Unreachable, "connection refused", T0.AddSeconds(1));

        Assert.True(state.Connected(MonitorProtocol.Version, T0.AddSeconds(3)));

        Assert.Equal(HostState.Connected, state.Current.State);
        Assert.Equal(T0.AddSeconds(3), state.Current.Since);
        Assert.Equal("connection refused", state.Current.LastError);
        Assert.Null(state.Current.VersionMismatch);
    }

    [Fact]
    public void UnreachableThenRefused_IsATransition()
    {
        var state = new HostStateMachine("a", "http://a:8161", T0);

        Assert.True(state.Failed(HostState.Refused, "401", T0.AddSeconds(1)));

        Assert.Equal("refused", state.Current.StateName);
        Assert.Equal(T0.AddSeconds(1), state.Current.Since);
    }

    [Theory]
    [InlineData(null, "does not say")]
    [InlineData(2, "version 2")]
    public void Connected_OtherProtocolVersion_SaysSo(int? version, string expected)
    {
        var state = new HostStateMachine("a", "http://a:8161", T0);

        state.Connected(version, T0);

        Assert.Equal(version, state.Current.ProtocolVersion);
        Assert.Contains(expected, state.Current.VersionMismatch);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, HostState.Refused)]
    [InlineData(HttpStatusCode.Forbidden, HostState.Refused)]
    [InlineData(HttpStatusCode.BadGateway, HostState.Unreachable)]
    public void Classify_HttpStatus(HttpStatusCode status, HostState expected)
    {
        var (state, error) = HostStateMachine.Classify(new HttpRequestException("x", null, status), TimeSpan.FromSeconds(5));

        Assert.Equal(expected, state);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Classify_Timeout_NamesTheTimeout()
    {
        var (state, error) = HostStateMachine.Classify(new OperationCanceledException(), TimeSpan.FromSeconds(5));

        Assert.Equal(HostState.Unreachable, state);
        Assert.Equal("no answer within 5 s", error);
    }
}
