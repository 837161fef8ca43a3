using System.Text;
using System.Text.Json;
using BrokerConsole.Remote;

namespace BrokerConsole.Components.FleetView;

/// <summary>
/// What a watched host answered to a forwarded operator action, in a line for the page: its <c>state</c> on success
/// (<c>{"state": "..."}</c>), the problem's <c>detail</c> on a refusal, else the start of the body.
/// </summary>
public static class RemoteAnswer
{
    private const int MaxText = 300;

    public static (bool Done, string Text) Describe(ForwardedAnswer answer)
    {
        var done = answer.Status is >= 200 and < 300;
        var field = done ? "state" : "detail";
        var text = Field(answer.Body, field) is { } value
            ? done ? $"now {value}" : value
            : Start(answer.Body);
        return (done, done ? text ?? "done" : $"{answer.Status}{(text is null ? "" : $": {text}")}");
    }

    private static string? Field(byte[] body, string name)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty(name, out var value)
                && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Start(byte[] body)
    {
        if (body.Length == 0)
        {
            return null;
        }
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, MaxText * 4)).Trim();
        return text.Length > MaxText ? text[..MaxText] + "…" : text;
    }
}
