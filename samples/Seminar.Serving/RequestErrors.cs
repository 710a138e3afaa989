using System.Text.Json;

namespace Seminar.Serving;

/// <summary>A request the service refuses, with the status it answers (400 unless said otherwise) and why.</summary>
sealed class RequestException(string message, int statusCode = StatusCodes.Status400BadRequest) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>The error body every refusal carries: <c>{"error": "..."}</c>.</summary>
sealed record ErrorResponse(string Error);

/// <summary>Turns what a bad request throws into its answer, so no bad request becomes a 500.</summary>
static class RequestErrors
{
    /// <summary>The answer for <paramref name="error"/>, or null when it is not the request's fault (a real server error).</summary>
    public static IResult? ToResult(Exception error) => error switch
    {
        RequestException e => Error(e.StatusCode, e.Message),
        JsonException e => Error(StatusCodes.Status400BadRequest, "The body is not a valid ranking request: " + e.Message),
        // SeminarRanker's checks: mismatched history lengths, a column the model reads that the request lacks, a null item.
        ArgumentException e => Error(StatusCodes.Status400BadRequest, WithoutParameterName(e)),
        _ => null,
    };

    static IResult Error(int status, string message) => Results.Json(new ErrorResponse(message), statusCode: status);

    // ArgumentException appends " (Parameter 'request')", which names our variable, not anything the client sent.
    static string WithoutParameterName(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
}
