namespace Broker.Core.Storage;

/// <summary>How many messages an archive holds for one destination (a durable subscription is named with its topic).</summary>
public sealed record SetAsideDestination(string Destination, int Messages);

/// <summary>
/// What an archive holds: <see cref="Messages"/> receipted and never consumed (with their bytes, the time range of
/// their timestamps and where they were going), out of <see cref="Records"/> set-aside records; <see cref="Consumed"/>
/// were acknowledged by consumers of the fenced broker and <see cref="Removed"/> expired, were purged or deleted there.
/// <see cref="Damage"/> says where a damaged file stopped the reading (records after it are not counted).
/// </summary>
public sealed record SetAsideSummary(
    string Id,
    DateTimeOffset SetAsideAt,
    long DivergedAt,
    long Records,
    int Messages,
    long Bytes,
    DateTimeOffset? FirstMessageAt,
    DateTimeOffset? LastMessageAt,
    IReadOnlyList<SetAsideDestination> Destinations,
    int Consumed,
    int Removed,
    string? Damage);
