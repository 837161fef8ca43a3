using System.IO.Pipelines;

namespace Broker.Core.Connections;

/// <summary>
/// Another protocol served on a client connector's port (a slave's replication link): connections whose
/// first bytes are <see cref="Preamble"/> are handed here instead of to a STOMP session. The connector
/// knows no more about it than those bytes.
/// </summary>
public interface IConnectionHandoff
{
    ReadOnlyMemory<byte> Preamble { get; }

    /// <summary>Serves the connection; <paramref name="input"/> is positioned just after the preamble.</summary>
    Task HandleAsync(Stream stream, PipeReader input, string remoteAddress, CancellationToken cancellationToken);
}
