using Seminar.Serving;

// Usage: dotnet run --project samples/Seminar.Serving -- --Seminar:ModelPath=model.zip
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSeminarRanking();

var app = builder.Build();
app.MapGet("/health", (RankingModel model) => Results.Ok(new HealthResponse("ok", model.FileName)));
app.MapPost("/rank", RankEndpoint.HandleAsync);
app.Run();

/// <summary>The serving sample's entry point; public so tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
