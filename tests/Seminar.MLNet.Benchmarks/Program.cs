using BenchmarkDotNet.Running;
using Seminar.MLNet.Benchmarks;

// "pq-memory" measures peak native memory per request, which BenchmarkDotNet cannot; everything else goes to BenchmarkDotNet.
if (args is ["pq-memory"]) PqGraphMemoryBenchmark.Run();
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
