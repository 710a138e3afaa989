using Seminar.Serving;

// Usage: dotnet run --project samples/Seminar.Serving -- --Seminar:ModelPath=model.zip
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSeminarRanking();

var app = builder.Build();
app.MapGet("/health", (RankingModel model) => Results.Ok(new HealthResponse("ok", model.FileName)));
app.MapPost("/rank", RankEndpoint.HandleAsync);
try
{
    app.Run();
    return 0;
}
catch (StartupException e)
{
    // The host has logged the details; the console's last line says what to fix.
    Console.Error.WriteLine($"Seminar.Serving did not start: {e.Message}");
    return 1;
}

/// <summary>The serving sample's entry point; public so tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
