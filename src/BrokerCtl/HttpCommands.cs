using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BrokerCtl;

/// <summary><c>status</c>, <c>browse</c>, <c>purge</c>, <c>promote</c>, <c>switchover</c> over the HTTP API (docs/API.md).</summary>
internal static class HttpCommands
{
    public static Command Status(CommonOptions common, TextWriter output, TextWriter error)
    {
        var url = UrlOption();
        var command = new Command("status", "brokers, roles, states and replication lag (GET /api/brokers)") { url };
        command.SetAction((parse, ct) => CallAsync(common, parse, url, HttpMethod.Get, "/api/brokers", output, error, ct, body =>
        {
            var lines = new List<string> { $"{"broker",-12} {"role",-8} {"state",-12} {"conns",5} {"link",-10} {"lag records",11} {"lag ms",7}" };
            foreach (var broker in body.EnumerateArray())
            {
                var replication = broker.TryGetProperty("replication", out var r) && r.ValueKind == JsonValueKind.Object ? r : default;
                lines.Add($"{Text(broker, "name"),-12} {Text(broker, "role"),-8} {Text(broker, "state"),-12} {Text(broker, "connections"),5} " +
                    $"{Text(replication, "linkState"),-10} {Text(replication, "lagRecords"),11} {Text(replication, "lagMs"),7}");
            }
            return lines;
        }));
        return command;
    }

    public static Command Browse(CommonOptions common, TextWriter output, TextWriter error)
    {
        var url = UrlOption();
        var (broker, queue) = (BrokerOption(), QueueOption());
        var command = new Command("browse", "list a queue's messages without consuming them") { url, broker, queue };
        command.SetAction((parse, ct) => CallAsync(common, parse, url, HttpMethod.Get,
            $"/api/brokers/{Uri.EscapeDataString(parse.GetValue(broker)!)}/queues/{Uri.EscapeDataString(parse.GetValue(queue)!)}/messages",
            output, error, ct, body => body.TryGetProperty("items", out var items)
                ? items.EnumerateArray().Select(m => $"{Text(m, "messageId")} {Text(m, "body")}").Prepend($"{Text(body, "total")} message(s)")
                : [body.ToString()]));
        return command;
    }

    public static Command Purge(CommonOptions common, TextWriter output, TextWriter error)
    {
        var url = UrlOption();
        var (broker, queue) = (BrokerOption(), QueueOption());
        var command = new Command("purge", "delete every message of a queue") { url, broker, queue };
        command.SetAction((parse, ct) => CallAsync(common, parse, url, HttpMethod.Delete,
            $"/api/brokers/{Uri.EscapeDataString(parse.GetValue(broker)!)}/queues/{Uri.EscapeDataString(parse.GetValue(queue)!)}/messages",
            output, error, ct, body => [$"purged {Text(body, "purged")} message(s)"]));
        return command;
    }

    /// <summary>An operator action on one broker: <c>promote</c> (a slave to master) or <c>switchover</c> (planned, between an in-sync pair).</summary>
    public static Command OperatorAction(string action, string description, CommonOptions common, TextWriter output, TextWriter error)
    {
        var url = UrlOption();
        var broker = BrokerOption();
        var command = new Command(action, description) { url, broker };
        command.SetAction((parse, ct) => CallAsync(common, parse, url, HttpMethod.Post,
            $"/api/brokers/{Uri.EscapeDataString(parse.GetValue(broker)!)}/{action}",
            output, error, ct, body => [$"state: {Text(body, "state")}"]));
        return command;
    }

    private static async Task<int> CallAsync(CommonOptions common, ParseResult parse, Option<string> url, HttpMethod method, string path,
        TextWriter output, TextWriter error, CancellationToken ct, Func<JsonElement, IEnumerable<string>> render)
    {
        var json = parse.GetValue(common.Json);
        using var http = new HttpClient { BaseAddress = new Uri(parse.GetValue(url)!), Timeout = TimeSpan.FromSeconds(30) };
        var user = parse.GetValue(common.User) ?? "admin";
        var password = parse.GetValue(common.Password) ?? user;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(new HttpRequestMessage(method, path), ct);
        }
        catch (HttpRequestException e)
        {
            error.WriteLine($"error: {http.BaseAddress} did not answer: {e.Message}");
            return BrokerCtlApp.Failed;
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
                if (json)
                {
                    output.WriteLine(text);
                }
                else
                {
                    foreach (var line in render(document.RootElement))
                    {
                        output.WriteLine(line);
                    }
                }
                return BrokerCtlApp.Ok;
            }
            var detail = ProblemDetail(text);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed && detail is null)
            {
                // The route itself is missing: this broker's API does not have the feature yet.
                var message = $"{parse.CommandResult.Command.Name}: not available on this broker ({method} {path} answered {(int)response.StatusCode})";
                Output.Write(output, json, new { available = false, error = message }, []);
                error.WriteLine(message);
                return BrokerCtlApp.NotAvailable;
            }
            error.WriteLine($"error: {method} {path} answered {(int)response.StatusCode} {response.ReasonPhrase}{(detail is null ? "" : $": {detail}")}");
            return BrokerCtlApp.Failed;
        }
    }

    private static string? ProblemDetail(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && (document.RootElement.TryGetProperty("detail", out var detail) || document.RootElement.TryGetProperty("title", out detail))
                ? detail.ToString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.ToString() : "-";

    private static Option<string> UrlOption() =>
        new("--url") { Description = "the host's HTTP address", DefaultValueFactory = _ => "http://127.0.0.1:8161" };

    private static Option<string> BrokerOption() => new("--broker") { Description = "broker name", Required = true };

    private static Option<string> QueueOption() => new("--queue") { Description = "queue name", Required = true };
}
