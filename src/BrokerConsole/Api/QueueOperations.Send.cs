using System.Globalization;
using System.Security.Claims;
using Broker.Core;
using Broker.Core.Messages;

namespace BrokerConsole.Api;

/// <summary>What to send: the API's request and the console's form both become one of these.</summary>
public sealed record SendCommand(
    ReadOnlyMemory<byte> Body,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    bool Persistent = false,
    int Priority = Message.DefaultPriority,
    long TtlMs = 0,
    int Count = 1);

public sealed partial class QueueOperations
{
    public const int MaxCount = 100_000;

    /// <summary>Sends <see cref="SendCommand.Count"/> copies (numbered by an <c>x-copy</c> header when more than one); their ids.</summary>
    public async Task<IReadOnlyList<string>> SendAsync(ClaimsPrincipal user, string broker, DestinationName destination, SendCommand command)
    {
        Audit.RequireAdministrator(user);
        var target = Broker(broker);
        if (!DestinationName.IsValidName(destination.Name, out var nameError))
        {
            throw OperationException.BadRequest($"destination '{destination.Name}': {nameError}");
        }
        if (command.Count is < 1 or > MaxCount || command.Priority is < 0 or > 9 || command.TtlMs < 0)
        {
            throw OperationException.BadRequest($"count must be 1 to {MaxCount}, priority 0 to 9, ttlMs 0 or more");
        }
        var ids = new List<string>(command.Count);
        var now = target.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            for (var i = 0; i < command.Count; i++)
            {
                var message = new Message
                {
                    MessageId = target.NextMessageId(),
                    Destination = destination,
                    Headers = command.Count > 1 ? [.. command.Headers, new("x-copy", (i + 1).ToString(CultureInfo.InvariantCulture))] : command.Headers,
                    Body = command.Body,
                    Persistent = command.Persistent,
                    Priority = (byte)command.Priority,
                    Timestamp = now,
                    Expires = command.TtlMs > 0 ? now + command.TtlMs : 0,
                };
                await target.Send(message);
                ids.Add(message.MessageId);
            }
        }
        catch (BrokerException e)
        {
            // Some copies may have gone before the refusal; the audit line says how many.
            audit.Write(user, "send", $"{broker}{destination}", $"{ids.Count} of {command.Count} messages, then: {e.Message}");
            throw OperationException.Conflict(e.Message);
        }
        audit.Write(user, "send", $"{broker}{destination}", $"{command.Count} messages");
        return ids;
    }
}
