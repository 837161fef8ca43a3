namespace BrokerConsole.Api;

/// <summary>The problem-details answers every route shares, so a missing broker reads the same everywhere.</summary>
internal static class ApiResults
{
    public static IResult UnknownBroker(string name) => NotFound($"no broker named '{name}' in this process");

    public static IResult NotFound(string detail) => Results.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound);

    public static IResult BadRequest(string detail) => Results.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest);

    public static IResult Problem(OperationException e) => Results.Problem(detail: e.Message, statusCode: e.Status);

    /// <summary>The operation's answer, or the problem it was refused with.</summary>
    public static IResult From(Func<IResult> operation)
    {
        try
        {
            return operation();
        }
        catch (OperationException e)
        {
            return Problem(e);
        }
    }

    /// <inheritdoc cref="From"/>
    public static async Task<IResult> FromAsync(Func<Task<IResult>> operation)
    {
        try
        {
            return await operation();
        }
        catch (OperationException e)
        {
            return Problem(e);
        }
    }
}
