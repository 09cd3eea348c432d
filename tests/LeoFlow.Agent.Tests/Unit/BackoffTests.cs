namespace LeoFlow.Agent.Tests.Unit;

public sealed class BackoffTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 16)]
    public void DelayDoublesFromOneSecond(int attempt, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Delay(attempt, Second));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(6)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void OutsideTheFiveRetriesMeansGiveUp(int attempt) => Assert.Null(Backoff.Delay(attempt, Second));

    [Fact]
    public void TheScheduleSumsToThirtyOneUnits()
    {
        var total = Enumerable.Range(1, Backoff.MaxAttempts).Sum(a => Backoff.Delay(a, Second)!.Value.TotalSeconds);
        Assert.Equal(31, total);
    }

    [Fact]
    public void UnitScalesTheWholeSchedule()
    {
        var unit = TimeSpan.FromMilliseconds(20);
        Assert.Equal(
            new TimeSpan?[] { TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(160), TimeSpan.FromMilliseconds(320), null },
            Enumerable.Range(1, 6).Select(a => Backoff.Delay(a, unit)));
        Assert.Null(Backoff.Delay(0, unit));
    }

    /// <summary>Each wait is spread by ±20 % (agents that failed together do not retry together); the schedule's bound holds.</summary>
    [Fact]
    public void JitteredWaitsStayWithinTwentyPercentOfTheSchedule()
    {
        var unit = TimeSpan.FromSeconds(1);
        for (int attempt = 1; attempt <= Backoff.MaxAttempts; attempt++)
        {
            var nominal = Backoff.Delay(attempt, unit)!.Value;
            var waits = Enumerable.Range(0, 2000).Select(_ => Backoff.Jittered(attempt, unit)!.Value).ToArray();
            Assert.All(waits, w => Assert.InRange(w, nominal * 0.8, nominal * 1.2));
            Assert.True(waits.Distinct().Count() > 1900, "the waits are spread, not one value");
            Assert.True(waits.Min() < nominal * 0.85 && waits.Max() > nominal * 1.15, "the spread reaches both ends");
        }
        Assert.Null(Backoff.Jittered(Backoff.MaxAttempts + 1, unit));
        Assert.Null(Backoff.Jittered(0, unit));
    }

    [Fact]
    public void TheJitteredScheduleIsBoundedByThirtySevenPointTwoUnits()
    {
        for (int run = 0; run < 1000; run++)
        {
            double total = Enumerable.Range(1, Backoff.MaxAttempts).Sum(a => Backoff.Jittered(a, TimeSpan.FromSeconds(1))!.Value.TotalSeconds);
            Assert.InRange(total, 31 * 0.8, 31 * 1.2);
        }
    }
}
