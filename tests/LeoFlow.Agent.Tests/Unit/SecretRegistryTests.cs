using System.Text;
using LeoFlow.Agent.Diagnostics;
using LeoFlow.Agent.Logs;
using LeoFlow.Agent.Masking;
using LeoFlow.Agent.Process;
using LeoFlow.Agent.Tests.Harness;
using Leoflow.Agent.V1;
using Secret = System.Collections.Generic.KeyValuePair<string, string>;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class SecretRegistryTests
{
    [Fact]
    public void ASecretTooShortOrTooLongIsNotMaskedAndNamedNeverQuoted()
    {
        var registry = new SecretRegistry();

        var unmasked = registry.AddTaskSecrets([
            new Secret("variable \"pin_token\"", "1234"),
            new Secret("connection \"db\" password", "tiger-pw"),
            new Secret("variable \"empty_secret\"", ""),
            new Secret("variable \"huge_secret\"", new string('h', SecretRegistry.MaxBytes + 1)),
        ]);

        Assert.Equal(["variable \"pin_token\" (shorter than 5 characters)", "variable \"huge_secret\" (longer than 32 KiB)"], unmasked);
        Assert.Equal("1234 *** ", registry.Masker.Mask("1234 tiger-pw "));
        Assert.True(registry.HasTaskSecrets);
    }

    [Fact]
    public void ASecretOfSeveralLinesIsMaskedLineByLine()
    {
        var registry = new SecretRegistry();

        var unmasked = registry.AddTaskSecrets([new Secret("variable \"ssh_private_key\"", "-----BEGIN KEY-----\r\nMIIEvQIBADANBg\nab\n\n-----END KEY-----\n")]);

        Assert.Equal(["variable \"ssh_private_key\" (shorter than 5 characters)"], unmasked);   // "ab"
        Assert.Equal(["***", "***", "ab", "***"], "-----BEGIN KEY-----\nMIIEvQIBADANBg\nab\n-----END KEY-----".Split('\n').Select(registry.Masker.Mask));
    }

    [Fact]
    public void TokensAreMaskedAsTheyArriveButAreNoTaskSecrets()
    {
        var registry = Registries.WithTokens("first-token");
        var before = registry.Masker;

        registry.AddToken("rotated-token");
        registry.AddToken("short");   // refused as a token by the configuration: not masked

        Assert.NotSame(before, registry.Masker);
        Assert.Equal("*** *** short", registry.Masker.Mask("first-token rotated-token short"));
        Assert.False(registry.HasTaskSecrets);
    }

    [Fact]
    public void TurnedOffTheTasksSecretsAreNotMaskedNorCountedAndTheTokensStillAre()
    {
        var registry = new SecretRegistry { MaskTaskSecrets = false };
        registry.AddToken("the-agent-token");

        var unmasked = registry.AddTaskSecrets([new Secret("variable \"pin_token\"", "123"), new Secret("connection \"db\" password", "tiger-pw")]);

        Assert.Empty(unmasked);   // nothing was to be masked: no word on the short one
        Assert.Equal("tiger-pw ***", registry.Masker.Mask("tiger-pw the-agent-token"));
        Assert.False(registry.HasTaskSecrets);
    }

    [Fact]
    public void TheTaskLogMasksCountsAndSaysHowMany()
    {
        var sink = new RecordingSink();
        var registry = Registries.WithTokens("the-agent-token");
        var log = new TaskLog(sink, new OutgoingText(registry));
        log.WriteLine(OutputStream.Stdout, "before: tiger-pw"u8);
        registry.AddTaskSecrets([new Secret("connection \"db\" password", "tiger-pw")]);

        log.WriteLine(OutputStream.Stdout, "pw=tiger-pw token=the-agent-token"u8);
        log.WriteLine(OutputStream.Stderr, "tiger-pwtiger-pw"u8);
        log.WriteLine(OutputStream.Stdout, "clean"u8);
        log.MaskedCount();

        Assert.Equal(["before: tiger-pw", "pw=*** token=***", "***", "clean", "▪ secrets masked in the task's output: 3"], sink.Messages);
        Assert.Equal(3, log.Masked);
        Assert.Equal([1L, 2, 1, 3, 0], sink.Numbers);
    }

    [Fact]
    public void TheCountIsSaidWhenTheTaskHadSecretsAndNotOtherwise()
    {
        var quiet = new RecordingSink();
        new TaskLog(quiet, new OutgoingText(Registries.WithTokens("the-agent-token"))).MaskedCount();
        var registry = new SecretRegistry();
        registry.AddTaskSecrets([new Secret("variable \"api_key\"", "Zq9-api-key")]);
        var told = new RecordingSink();
        new TaskLog(told, new OutgoingText(registry)).MaskedCount();

        Assert.Empty(quiet.Messages);
        Assert.Equal(["▪ secrets masked in the task's output: 0"], told.Messages);
    }

    /// <summary>A secret the 64 KiB cut would split: the cut moves before it, and no piece holds a part of it.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(9)]
    public async Task ASecretAtThe64KiBSplitIsMaskedInBothPieces(int bytesBeforeTheCut)
    {
        const string secret = "Zq9-api-key";
        var (pieces, log) = await PumpAsync([secret], new string('x', LineSplitter.MaxLineBytes - bytesBeforeTheCut) + secret + "-after\nnext " + secret + "\n");

        Assert.Equal([new string('x', LineSplitter.MaxLineBytes - bytesBeforeTheCut), "***-after", "next ***"], pieces);
        Assert.Equal(2, log.Masked);
    }

    [Fact]
    public async Task APrefixOfASecretAtTheSplitThatGoesOnOtherwiseIsShippedAsItIs()
    {
        string head = new('x', LineSplitter.MaxLineBytes - 4);
        var (pieces, _) = await PumpAsync(["Zq9-api-key"], head + "Zq9-not-the-key\n");

        Assert.Equal([head, "Zq9-not-the-key"], pieces);
    }

    [Fact]
    public async Task OverlappingSecretsFillingAWholePieceAreMaskedWhole()
    {
        var (pieces, _) = await PumpAsync(["aaaaaa"], new string('a', LineSplitter.MaxLineBytes + 4000) + "\nok\n");

        Assert.Equal(["***", "***", "ok"], pieces);
    }

    [Fact]
    public async Task ManySecretsAcrossRandomReadsAndCutsNeverShipAPart()
    {
        var random = new Random(11);
        string[] secrets = Enumerable.Range(0, 20).Select(i => $"S{i:00}-{Guid.NewGuid():N}"[..(8 + i)]).ToArray();
        var text = new StringBuilder();
        // Lines of tens of KiB, many over 64 KiB, a secret about every 50 bytes.
        for (int i = 0; i < 600_000; i++) text.Append(random.Next(60_000) == 0 ? "\n" : random.Next(30) == 0 ? secrets[random.Next(secrets.Length)] : "y");
        var (pieces, log) = await PumpAsync(secrets, text.ToString(), maxChunk: 9000);

        Assert.True(pieces.Length > text.ToString().Count(c => c == '\n') + 3, "no line was cut");
        string all = string.Join("\n", pieces);
        foreach (var secret in secrets)
            for (int part = 4; part <= secret.Length; part++)
            {
                Assert.False(all.Contains(secret[..part], StringComparison.Ordinal), secret[..part]);   // "S07-" and longer: no head of a secret, whole or cut, ships
                Assert.False(part >= 6 && all.Contains(secret[^part..], StringComparison.Ordinal), secret[^part..]);
            }
        Assert.Equal(all.Split("***").Length - 1, log.Masked);
        Assert.InRange(log.Masked, 600_000 / 30 / 4, 600_000 / 30 * 2);
    }

    private static async Task<(string[] Pieces, TaskLog Log)> PumpAsync(string[] secrets, string text, int maxChunk = 70_000)
    {
        var registry = new SecretRegistry();
        registry.AddTaskSecrets(secrets.Select(s => new Secret("variable \"x_secret\"", s)).ToList());
        var sink = new RecordingSink();
        var log = new TaskLog(sink, new OutgoingText(registry));
        await Task.Run(() => LineSplitter.Pump(ChunkedStream.RandomChunks(Encoding.UTF8.GetBytes(text), seed: 3, maxChunk), OutputStream.Stdout, log))
            .WaitAsync(TimeSpan.FromSeconds(60));
        return (sink.Messages.ToArray(), log);
    }

    /// <summary>Keeps each line the task log hands on, as the encoder would take it.</summary>
    private sealed class RecordingSink : ILogSink
    {
        public List<string> Messages { get; } = [];
        public List<long> Numbers { get; } = [];

        public Task<string?> OpenAsync() => Task.FromResult<string?>(null);

        public void Write(in LogEntry entry)
        {
            lock (Messages)
            {
                Messages.Add(Encoding.UTF8.GetString(entry.Message));
                Numbers.Add(entry.Number);
            }
        }

        public void Flush() { }

        public Task CloseAsync(TimeSpan timeout) => Task.CompletedTask;
    }
}
