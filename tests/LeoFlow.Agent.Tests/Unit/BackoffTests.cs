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
}
