using System.Globalization;
using BrokerConsole.Api;
using Broker.Core.Storage;

namespace BrokerConsole.Components.Pages;

/// <summary>What the set-aside alert and its confirmations say.</summary>
internal static class SetAsideText
{
    public static string Headline(SetAsideView view)
    {
        var archive = view.Archive;
        return archive.Messages > 0
            ? $"{view.Broker}: {archive.Messages:N0} receipted messages set aside at {Time(archive.SetAsideAt)}, never delivered ({Format.Bytes(archive.Bytes)}; archive {archive.Id})"
            : $"{view.Broker}: {archive.Records:N0} records set aside at {Time(archive.SetAsideAt)}, no undelivered message among them (archive {archive.Id})";
    }

    /// <summary>When the producers sent them (the messages' timestamps).</summary>
    public static string Range(SetAsideSummary archive) =>
        $"accepted from {Time(archive.FirstMessageAt)} to {Time(archive.LastMessageAt)}";

    public static string Destinations(SetAsideSummary archive) =>
        string.Join(", ", archive.Destinations.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Destination} ({d.Messages:N0})")));

    public static string Notes(SetAsideView view)
    {
        var archive = view.Archive;
        var notes = new List<string>();
        if (archive.Consumed > 0)
        {
            notes.Add($"{archive.Consumed:N0} more were consumed on {view.Broker} before it stepped down.");
        }
        if (archive.Damage is { } damage)
        {
            notes.Add($"Damaged: {damage}.");
        }
        return string.Join(' ', notes);
    }

    public static (string Title, string WhatHappens) ReplayQuestion(SetAsideView view)
    {
        var archive = view.Archive;
        var into = view.ReplayInto ?? "the master";
        return ($"Replay {archive.Messages:N0} set-aside messages into {into}?",
            $"The messages of {view.Broker}'s archive {archive.Id} ({Destinations(archive)}) are sent to {into} as they were: same message ids and headers. "
            + $"Those {into} already holds (the same producer-id and producer-seq, or the same message id) are skipped. Consumers receive the rest from then on, "
            + "possibly after newer messages. The archive moves to set-aside/replayed/.");
    }

    public static (string Title, string WhatHappens) DiscardQuestion(SetAsideView view)
    {
        var archive = view.Archive;
        return ($"Discard {view.Broker}'s archive {archive.Id}?",
            archive.Messages > 0
                ? $"The archive is deleted: {archive.Messages:N0} messages that producers were receipted for ({Range(archive)}, to {Destinations(archive)}) are gone for good."
                : $"The archive is deleted: {archive.Records:N0} records, none of them an undelivered message.");
    }

    public static string Replayed(SetAsideReplay replay) =>
        $"{replay.Broker}: archive {replay.Archive} replayed into {replay.Into}: {replay.Replayed:N0} of {replay.Messages:N0} messages sent, {replay.AlreadyHeld:N0} already held."
        + (replay.HistoryComplete ? "" : $" {replay.Into}'s journal was compacted past the split: only messages it still holds were recognised, so some may be delivered twice.");

    private static string Time(DateTimeOffset? time) => time is { } t ? t.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "?";
}
