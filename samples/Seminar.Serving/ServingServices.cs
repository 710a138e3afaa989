namespace Seminar.Serving;

/// <summary>Registers the settings and the model; the model loads while the host starts, so a bad path stops start-up.</summary>
static class ServingServices
{
    public static IServiceCollection AddSeminarRanking(this IServiceCollection services)
    {
        // Both read the final configuration (command line, environment, and a test host's overrides alike).
        services.AddSingleton(sp => ServingOptions.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => RankingModel.Load(sp.GetRequiredService<ServingOptions>().ModelPath));
        services.AddHostedService<ModelStartup>();
        return services;
    }

    /// <summary>Asks for the model while the host starts, rather than on the first request.</summary>
    sealed class ModelStartup(RankingModel model, ServingOptions options, ILogger<ModelStartup> log) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            log.LogInformation("Serving {Model}: at most {Candidates} candidates and {Bytes} bytes per request.", model.FileName, options.MaxCandidates, options.MaxRequestBytes);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>The service cannot start: a setting is missing or wrong, or the model does not load; the message says which.</summary>
sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
