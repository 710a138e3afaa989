using Seminar.MLNet.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Seminar.MLNet.Tests.Training;

public class TorchSharpTrainingTests
{
    [Fact]
    public void A_tiny_model_trains_and_its_loss_falls_deterministically()
    {
        float[] Train()
        {
            using var exclusive = TorchRuntime.Exclusive();
            TorchRuntime.Configure(seed: 7, threads: 1);
            using var scope = NewDisposeScope();
            // y = 2a - 3b + 1 plus nothing else: a linear layer can fit it exactly.
            var x = randn(256, 2);
            var y = (x[.., 0] * 2 - x[.., 1] * 3 + 1).unsqueeze(1);
            var model = nn.Linear(2, 1);
            var opt = optim.Adam(model.parameters(), lr: 0.05);
            var losses = new List<float>();
            for (int step = 0; step < 200; step++)
            {
                using var stepScope = NewDisposeScope();
                opt.zero_grad();
                var loss = nn.functional.mse_loss(model.forward(x), y);
                loss.backward();
                opt.step();
                losses.Add(loss.item<float>());
            }
            return losses.ToArray();
        }

        var first = Train();
        Assert.True(first[^1] < first[0] * 0.01f, $"loss went from {first[0]} to {first[^1]}");
        Assert.True(first[^1] < 0.05f, $"final loss {first[^1]}");
        var second = Train();
        Assert.Equal(first, second);
    }
}
