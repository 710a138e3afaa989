using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Seminar.Serving;

/// <summary><c>POST /rank</c>: reads the body under the size limit, maps it to a request and ranks it.</summary>
static class RankEndpoint
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<IResult> HandleAsync(HttpContext http, RankingModel model, ServingOptions options)
    {
        try
        {
            var body = await ReadBodyAsync(http, options.MaxRequestBytes);
            var parsed = JsonSerializer.Deserialize<RankBody>(body.Span, Json)
                ?? throw new RequestException("The body is JSON null; send a ranking request object.");
            return Results.Ok(new RankResponse(model.Rank(parsed.ToRequest(options.MaxCandidates))));
        }
        catch (Exception e) when (RequestErrors.ToResult(e) is { } result)
        {
            return result;
        }
    }

    /// <summary>The whole body, refused with 413 once it passes <paramref name="limit"/> bytes (declared or actually sent).</summary>
    static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext http, long limit)
    {
        long? declared = http.Request.ContentLength;
        if (declared > limit) throw TooLarge(declared.Value, limit);
        // Kestrel's own cap (30 MB by default) would otherwise refuse a larger configured limit without our message.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } cap) cap.MaxRequestBodySize = limit;
        using var buffer = new MemoryStream(declared is long n ? (int)n : 4096);
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limit) throw TooLarge(buffer.Length + read, limit);
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit + 1, limit);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    static RequestException TooLarge(long size, long limit) =>
        new($"The body is larger than this service accepts: {size} bytes or more against a limit of {limit} (Seminar:MaxRequestBytes).", StatusCodes.Status413PayloadTooLarge);
}
