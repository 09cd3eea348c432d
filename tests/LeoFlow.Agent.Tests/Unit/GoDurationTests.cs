namespace LeoFlow.Agent.Tests.Unit;

/// <summary>The framing lines print durations like Go's time.Duration.String() after rounding to the millisecond.</summary>
public sealed class GoDurationTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(1, "1ms")]
    [InlineData(10, "10ms")]
    [InlineData(500, "500ms")]
    [InlineData(999, "999ms")]
    [InlineData(1000, "1s")]
    [InlineData(1050, "1.05s")]
    [InlineData(1234, "1.234s")]
    [InlineData(2000, "2s")]
    [InlineData(59_999, "59.999s")]
    [InlineData(60_000, "1m0s")]
    [InlineData(62_500, "1m2.5s")]
    [InlineData(3_599_000, "59m59s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(3_723_004, "1h2m3.004s")]
    [InlineData(90_000_000, "25h0m0s")]
    public void FormatsLikeGo(long milliseconds, string expected) =>
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [InlineData(4_000, "0s")]             // 0.4 ms
    [InlineData(5_000, "1ms")]            // 0.5 ms: half away from zero
    [InlineData(12_344_999, "1.234s")]
    [InlineData(12_345_000, "1.235s")]
    [InlineData(9_996_000, "1s")]         // 999.6 ms carries into the seconds
    [InlineData(599_995_000, "1m0s")]     // 59.9995 s carries into the minutes
    public void RoundsToTheMillisecond(long ticks, string expected) =>
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromTicks(ticks)));
}
