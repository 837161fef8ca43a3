using BrokerConsole.Components.Pages;

namespace BrokerConsole.Components.Tests;

public sealed class LoginTests
{
    [Theory]
    [InlineData(null, "/")]
    [InlineData("", "/")]
    [InlineData("/", "/")]
    [InlineData("/events", "/events")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example/", "/")]
    [InlineData("https://evil.example/", "/")]
    public void LocalPath_ReturnUrl_OnlyThisSite(string? returnUrl, string expected) =>
        Assert.Equal(expected, Login.LocalPath(returnUrl));
}
