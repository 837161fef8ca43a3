namespace Broker.Server;

/// <summary>
/// How a broker is kept available, as the API and console show it: its <see cref="HaMode"/>, the shared store it
/// claims (a folder, or <c>PostgreSQL host:port/database</c>), who holds the claim and since when, renewals failing
/// before the claim is lost, and a pure pair's witness.
/// </summary>
public sealed record HaStatus(
    HaMode Mode,
    string? Store,
    string? Holder,
    DateTimeOffset? HolderSince,
    string? RenewalFailure,
    DateTimeOffset? RenewalFailingSince,
    string? Witness);
