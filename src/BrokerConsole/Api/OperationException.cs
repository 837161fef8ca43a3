namespace BrokerConsole.Api;

/// <summary>
/// Why a console or API operation was refused. <see cref="Status"/> is the HTTP status the API answers with;
/// the console shows <see cref="Exception.Message"/>.
/// </summary>
public sealed class OperationException(int status, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public static OperationException NotFound(string detail) => new(StatusCodes.Status404NotFound, detail);

    public static OperationException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, detail);

    public static OperationException Conflict(string detail) => new(StatusCodes.Status409Conflict, detail);

    public static OperationException Forbidden(string detail) => new(StatusCodes.Status403Forbidden, detail);

    public static OperationException UnknownBroker(string name) => NotFound($"no broker named '{name}' in this process");
}
