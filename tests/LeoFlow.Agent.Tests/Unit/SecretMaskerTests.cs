using System.Text;
using LeoFlow.Agent.Logs;
using LeoFlow.Agent.Masking;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class SecretMaskerTests
{
    private static SecretMasker Masker(params string[] secrets) => new(secrets.Select(Encoding.UTF8.GetBytes).ToList());

    private static string Mask(SecretMasker masker, string line, out int masked) =>
        Encoding.UTF8.GetString(masker.Mask(Encoding.UTF8.GetBytes(line), new MaskBuffer(), out masked));

    private static string Mask(SecretMasker masker, string line) => Mask(masker, line, out _);

    [Fact]
    public void ALineWithoutSecretsIsPassedOnWithoutACopy()
    {
        var masker = Masker("hunter2-pw", "Zq9-api-key");
        byte[] line = "INFO connecting to db as user scott with a password"u8.ToArray();

        var result = masker.Mask(line, new MaskBuffer(), out int masked);

        Assert.Equal(0, masked);
        Assert.True(result.Overlaps(line, out int offset) && offset == 0 && result.Length == line.Length);
    }

    [Fact]
    public void EveryOccurrenceOfEverySecretBecomesOneMask()
    {
        var masker = Masker("hunter2-pw", "Zq9-api-key", "s3cr3t€ü");

        Assert.Equal("pw=*** key=*** pw again=*** ünï=***!", Mask(masker, "pw=hunter2-pw key=Zq9-api-key pw again=hunter2-pw ünï=s3cr3t€ü!", out int masked));
        Assert.Equal(4, masked);
        Assert.Equal("***", Mask(masker, "hunter2-pw"));
        Assert.Equal("hunter2-p w", Mask(masker, "hunter2-p w"));
    }

    [Fact]
    public void OverlappingAndTouchingOccurrencesBecomeOneMask()
    {
        var masker = Masker("abcdefg", "efghijk", "secret-one", "secret-two", "password", "password123");

        Assert.Equal("xx***xx", Mask(masker, "xxabcdefghijkxx", out int overlapping));
        Assert.Equal(1, overlapping);
        Assert.Equal("[***]", Mask(masker, "[secret-onesecret-two]", out int touching));
        Assert.Equal(1, touching);
        Assert.Equal("*** ***", Mask(masker, "secret-one secret-two"));
        // Leftmost-longest: the longer secret that starts at the same byte is masked whole.
        Assert.Equal("***!", Mask(masker, "password123!"));
        Assert.Equal("***12", Mask(masker, "password12"));
    }

    [Fact]
    public void ASecretAnchoredOnACommonByteIsFoundToo()
    {
        // No capital, digit or symbol: the anchor is a lower-case letter that the line is full of.
        var masker = Masker("eeeeeeee", "seesaw");

        Assert.Equal("eeee *** e ***", Mask(masker, "eeee eeeeeeeeeeee e seesaw"));
    }

    /// <summary>The masker against the obvious reference (every IndexOf of every secret, the union masked), on lines dense with near-misses.</summary>
    [Theory]
    [InlineData(1, "abAB1-é", 20)]
    [InlineData(2, "abAB1-é", 20)]
    [InlineData(3, "abAB1-é", 20)]
    [InlineData(4, "abcdeKLMNOPQRSTUVW0123+/=", 60)]   // more anchors than one search takes
    public void AgreesWithOneSearchPerSecretOnRandomLines(int seed, string alphabet, int secretCount)
    {
        var random = new Random(seed);
        string Word(int min, int max) => new(Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
        var secrets = Enumerable.Range(0, secretCount).Select(_ => Word(5, 9)).Distinct().ToArray();
        var masker = Masker(secrets);
        var buffer = new MaskBuffer();

        for (int i = 0; i < 2000; i++)
        {
            string line = string.Concat(Enumerable.Range(0, random.Next(0, 12)).Select(_ => random.Next(3) == 0 ? secrets[random.Next(secrets.Length)] : Word(0, 6)));
            byte[] bytes = Encoding.UTF8.GetBytes(line);
            string masked = Encoding.UTF8.GetString(masker.Mask(bytes, buffer, out int count));
            var (expected, expectedCount) = Reference(bytes, secrets.Select(Encoding.UTF8.GetBytes).ToArray());
            Assert.Equal(expected, masked);
            Assert.Equal(expectedCount, count);
        }
    }

    private static (string Line, int Masks) Reference(byte[] line, byte[][] secrets)
    {
        var covered = new bool[line.Length];
        foreach (var secret in secrets)
            for (int at = 0; (at = line.AsSpan(at).IndexOf(secret) is var i and >= 0 ? at + i : -1) >= 0; at++)
                covered.AsSpan(at, secret.Length).Fill(true);
        var output = new List<byte>();
        int masks = 0;
        for (int i = 0; i < line.Length; i++)
        {
            if (!covered[i]) { output.Add(line[i]); continue; }
            if (i == 0 || !covered[i - 1]) { output.AddRange("***"u8.ToArray()); masks++; }
        }
        return (Encoding.UTF8.GetString(output.ToArray()), masks);
    }

    /// <summary>
    /// Masking the raw bytes and then repairing invalid UTF-8 (as the sink does) gives what
    /// repairing first and masking gives: a secret beside a replaced byte is masked all the same.
    /// </summary>
    [Fact]
    public void MaskingAndTheReplacementOfInvalidUtf8Commute()
    {
        var masker = Masker("s3cr3t-€", "Zq9-api-key");
        var random = new Random(5);
        byte[][] pieces = ["s3cr3t-€"u8.ToArray(), "Zq9-api-key"u8.ToArray(), [0xFF], [0xE2, 0x82], [0xC3], [0x80], "ab"u8.ToArray(), [0xF0, 0x9F]];
        var buffer = new MaskBuffer();
        for (int i = 0; i < 2000; i++)
        {
            byte[] line = Enumerable.Range(0, random.Next(1, 8)).SelectMany(_ => pieces[random.Next(pieces.Length)]).ToArray();
            string maskedThenRepaired = Encoding.UTF8.GetString(LogFrame.Utf8Message(masker.Mask(line, buffer, out _)));
            string repairedThenMasked = Encoding.UTF8.GetString(masker.Mask(LogFrame.Utf8Message(line), buffer, out _));
            Assert.Equal(repairedThenMasked, maskedThenRepaired);
            Assert.DoesNotContain("s3cr3t", maskedThenRepaired);
            Assert.DoesNotContain("Zq9", maskedThenRepaired);
        }
        Assert.Equal("\uFFFD***\uFFFD", Encoding.UTF8.GetString(LogFrame.Utf8Message(masker.Mask([0xE2, .. "Zq9-api-key"u8, 0xC3], buffer, out _))));
    }

    [Fact]
    public void ASecretHoldingTheReplacementCharacterAsksForTheRepairFirst()
    {
        Assert.False(Masker("plain-secret").RepairFirst);
        Assert.True(Masker("odd\uFFFDsecret").RepairFirst);
    }

    [Fact]
    public void MasksText()
    {
        var masker = Masker("hunter2-pw");

        Assert.Equal("reason: *** refused", masker.Mask("reason: hunter2-pw refused"));
        Assert.Equal("nothing here", masker.Mask("nothing here"));
        Assert.Equal("x", new SecretMasker([]).Mask("x"));
    }

    [Fact]
    public void ACutInsideASecretMovesToItsStart()
    {
        var masker = Masker("hunter2-pw", "secret-one", "secret-two");
        var buffer = new MaskBuffer();
        byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

        // A secret that may go on after the buffer: its prefix at the end.
        Assert.Equal(4, masker.SafeCut(Bytes("abc hunter2"), 11, buffer));
        // A whole secret the cut falls into.
        Assert.Equal(4, masker.SafeCut(Bytes("abc hunter2-pw xyz"), 9, buffer));
        // Nothing there, or a cut right before or after one: where it was.
        Assert.Equal(11, masker.SafeCut(Bytes("abc hunter3"), 11, buffer));
        Assert.Equal(4, masker.SafeCut(Bytes("abc hunter2-pw"), 4, buffer));
        Assert.Equal(14, masker.SafeCut(Bytes("abc hunter2-pw"), 14, buffer));
        // Between touching secrets: they are split by none.
        Assert.Equal(10, masker.SafeCut(Bytes("secret-onesecret-two"), 10, buffer));
        // Overlapping from the first byte: the whole piece is secret.
        Assert.Equal(0, Masker("abcdefg", "efghijk").SafeCut(Bytes("abcdefghij"), 10, buffer));
    }
}
