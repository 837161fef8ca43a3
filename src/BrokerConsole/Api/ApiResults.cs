namespace BrokerConsole.Api;

/// <summary>The problem-details answers every route shares, so a missing broker reads the same everywhere.</summary>
internal static class ApiResults
{
    public static IResult UnknownBroker(string name) => NotFound($"no broker named '{name}' in this process");

    public static IResult NotFound(string detail) => Results.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound);

    public static IResult BadRequest(string detail) => Results.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest);

    public static IResult Conflict(string detail) => Results.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict);
}
